package capture

import (
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writtenWindow bounds the memory of which frames were written.
const writtenWindow = 4096

// PcapWriter writes the frames behind delivered packets to a pcap file
// (-w), each frame once, so Wireshark can open exactly what was shown.
// Frames need their Data: set Config.KeepFrames.
type PcapWriter struct {
	w       *pcapgo.Writer
	link    layers.LinkType
	written map[int]bool
	maxNum  int
	// Skipped counts frames of another link type (pcapng with mixed
	// interfaces), which a pcap file cannot hold.
	Skipped int
}

// NewPcapWriter writes a pcap header (microsecond, little-endian) for
// link type link and snaplen (0: 262144).
func NewPcapWriter(w io.Writer, link layers.LinkType, snaplen int) (*PcapWriter, error) {
	if snaplen <= 0 {
		snaplen = maxRecord
	}
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(uint32(snaplen), link); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &PcapWriter{w: pw, link: link, written: map[int]bool{}}, nil
}

// WriteFrames writes the frames not written yet, in the order given
// (ascending within a packet).
func (p *PcapWriter) WriteFrames(frames []FrameRef) error {
	for _, f := range frames {
		if p.written[f.Number] || f.Number <= p.maxNum-writtenWindow {
			continue
		}
		if f.LinkType != p.link {
			p.Skipped++
			continue
		}
		if f.Data == nil {
			return fmt.Errorf("frame %d has no data: Config.KeepFrames is needed", f.Number)
		}
		ci := f.CI
		ci.CaptureLength = len(f.Data)
		if err := p.w.WritePacket(ci, f.Data); err != nil {
			return fmt.Errorf("write frame %d: %w", f.Number, err)
		}
		p.written[f.Number] = true
		p.maxNum = max(p.maxNum, f.Number)
	}
	if len(p.written) > 2*writtenWindow {
		for n := range p.written {
			if n <= p.maxNum-writtenWindow {
				delete(p.written, n)
			}
		}
	}
	return nil
}
