package capture

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Reorder window of the pcap writer: frames wait here so they are written
// in frame order even when a packet spread over several frames is delivered
// after packets of later frames. Past the window the lowest frame is
// written at once (late frames are then written where they come, never
// dropped).
const (
	writeWindowFrames = 1 << 16
	writeWindowBytes  = 16 << 20
)

// PcapWriter writes the frames behind delivered packets to a pcap file
// (-w), each frame once and in frame order, so Wireshark can open exactly
// what was shown. Frames need their Data: set Config.KeepFrames. Call
// Close at the end: it writes the frames still waiting and flushes.
type PcapWriter struct {
	bw   *bufio.Writer
	w    *pcapgo.Writer
	link layers.LinkType
	// last is the frame last taken per direction: a frame carries bytes of
	// one direction only, and only consecutive packets of that direction
	// can share one, so this is all it takes to write each frame once.
	last    map[streamDir]int
	pending frameHeap
	bytes   int
	written int // highest frame number written
	// Skipped counts frames of another link type (pcapng with mixed
	// interfaces), which a pcap file cannot hold.
	Skipped int
	// Late counts frames written after a higher-numbered one because they
	// came past the reorder window.
	Late int
}

// NewPcapWriter writes a pcap header (microsecond, little-endian) for
// link type link and snaplen (0: 262144).
func NewPcapWriter(w io.Writer, link layers.LinkType, snaplen int) (*PcapWriter, error) {
	if snaplen <= 0 {
		snaplen = maxRecord
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(uint32(snaplen), link); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &PcapWriter{bw: bw, w: pw, link: link, last: map[streamDir]int{}}, nil
}

// WriteEvent queues the frames of a delivered packet.
func (p *PcapWriter) WriteEvent(ev *Event) error {
	sd := streamDir{ev.Stream, uint8(ev.Dir)}
	for _, f := range ev.Frames {
		if p.last[sd] == f.Number {
			continue
		}
		p.last[sd] = f.Number
		if f.LinkType != p.link {
			p.Skipped++
			continue
		}
		if f.Data == nil {
			return fmt.Errorf("frame %d has no data: Config.KeepFrames is needed", f.Number)
		}
		heap.Push(&p.pending, f)
		p.bytes += len(f.Data)
	}
	for len(p.pending) > writeWindowFrames || p.bytes > writeWindowBytes {
		if err := p.writeLowest(); err != nil {
			return err
		}
	}
	return nil
}

// Forget drops what is kept about a closed connection.
func (p *PcapWriter) Forget(stream int) {
	delete(p.last, streamDir{stream, 0})
	delete(p.last, streamDir{stream, 1})
}

func (p *PcapWriter) writeLowest() error {
	f := heap.Pop(&p.pending).(FrameRef)
	p.bytes -= len(f.Data)
	if f.Number < p.written {
		p.Late++
	}
	p.written = max(p.written, f.Number)
	ci := f.CI
	ci.CaptureLength = len(f.Data)
	if err := p.w.WritePacket(ci, f.Data); err != nil {
		return fmt.Errorf("write frame %d: %w", f.Number, err)
	}
	return nil
}

// Close writes the waiting frames and flushes; it does not close the
// underlying writer.
func (p *PcapWriter) Close() error {
	for len(p.pending) > 0 {
		if err := p.writeLowest(); err != nil {
			return err
		}
	}
	if err := p.bw.Flush(); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	return nil
}

// frameHeap orders frames by number.
type frameHeap []FrameRef

func (h frameHeap) Len() int           { return len(h) }
func (h frameHeap) Less(i, j int) bool { return h[i].Number < h[j].Number }
func (h frameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)        { *h = append(*h, x.(FrameRef)) }
func (h *frameHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = FrameRef{}
	*h = old[:len(old)-1]
	return f
}
