package capture

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mqttdump/mqttdump/dissect"
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

	// With HoldForRedaction, the last frame of each open direction is not
	// written: the next packet of that direction may start in it and have
	// secrets --redact must still overwrite there.
	hold   bool
	held   map[streamDir]int          // frame the next packet may share
	parked map[streamDir]pendingFrame // popped while held
	// poison lists frames that must not be written (their secrets could
	// not be overwritten); numbers far behind the newest are forgotten.
	poison       map[int]bool // frame number -> counted in Poisoned
	poisonNewest int
	// Poisoned counts frames left out because they were poisoned.
	Poisoned int
}

// pendingFrame is a frame waiting to be written and its direction.
type pendingFrame struct {
	FrameRef
	sd streamDir
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

// HoldForRedaction keeps each open direction's last frame back until the
// packet after it has been seen (Seen) or the connection closes (Forget).
// Held frames are at most one per open direction, and their bytes are
// still buffered by the capture anyway.
func (p *PcapWriter) HoldForRedaction() {
	p.hold = true
	p.held = map[streamDir]int{}
	p.parked = map[streamDir]pendingFrame{}
}

// Seen tells the writer that a packet of the direction was delivered
// (shown or not) after its secrets were overwritten in frames: only its
// last frame can still be shared with a packet to come.
func (p *PcapWriter) Seen(stream int, dir dissect.Direction, frames []FrameRef) {
	if !p.hold || len(frames) == 0 {
		return
	}
	sd := streamDir{stream, uint8(dir)}
	p.held[sd] = frames[len(frames)-1].Number
	if f, ok := p.parked[sd]; ok && f.Number != p.held[sd] {
		p.unpark(sd, f)
	}
}

// unpark queues a held frame again.
func (p *PcapWriter) unpark(sd streamDir, f pendingFrame) {
	delete(p.parked, sd)
	heap.Push(&p.pending, f)
	p.bytes += len(f.Data)
}

// Poison keeps frames out of the file (they carry secrets that could not
// be overwritten), whether they are queued already or come later.
func (p *PcapWriter) Poison(frames ...int) {
	if p.poison == nil {
		p.poison = map[int]bool{}
	}
	for _, n := range frames {
		if _, ok := p.poison[n]; !ok {
			p.poison[n] = false
		}
		p.poisonNewest = max(p.poisonNewest, n)
	}
	// A poisoned frame can still be queued while it is in the reorder
	// window: keep twice that many frame numbers.
	if len(p.poison) > 4*writeWindowFrames {
		for n := range p.poison {
			if n < p.poisonNewest-2*writeWindowFrames {
				delete(p.poison, n)
			}
		}
	}
}

// poisoned reports (and counts once) a frame that must not be written.
func (p *PcapWriter) poisoned(n int) bool {
	counted, bad := p.poison[n]
	if bad && !counted {
		p.poison[n] = true
		p.Poisoned++
	}
	return bad
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
		if p.poisoned(f.Number) {
			continue
		}
		heap.Push(&p.pending, pendingFrame{f, sd})
		p.bytes += len(f.Data)
	}
	for len(p.pending) > 0 && (len(p.pending) > writeWindowFrames || p.bytes > writeWindowBytes) {
		if err := p.writeLowest(); err != nil {
			return err
		}
	}
	return nil
}

// Forget drops what is kept about a closed connection (its held frames
// can be written now).
func (p *PcapWriter) Forget(stream int) {
	for d := uint8(0); d < 2; d++ {
		sd := streamDir{stream, d}
		delete(p.last, sd)
		if !p.hold {
			continue
		}
		delete(p.held, sd)
		if f, ok := p.parked[sd]; ok {
			p.unpark(sd, f)
		}
	}
}

// writeLowest writes the lowest waiting frame that is neither poisoned
// nor held (held ones are parked until released).
func (p *PcapWriter) writeLowest() error {
	for len(p.pending) > 0 {
		f := heap.Pop(&p.pending).(pendingFrame)
		if p.poisoned(f.Number) {
			p.bytes -= len(f.Data)
			continue
		}
		if p.hold && p.held[f.sd] == f.Number {
			p.bytes -= len(f.Data)
			p.parked[f.sd] = f
			continue
		}
		return p.write(f.FrameRef)
	}
	return nil
}

func (p *PcapWriter) write(f FrameRef) error {
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
	for sd, f := range p.parked {
		p.unpark(sd, f)
	}
	p.hold = false
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
type frameHeap []pendingFrame

func (h frameHeap) Len() int           { return len(h) }
func (h frameHeap) Less(i, j int) bool { return h[i].Number < h[j].Number }
func (h frameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)        { *h = append(*h, x.(pendingFrame)) }
func (h *frameHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = pendingFrame{}
	*h = old[:len(old)-1]
	return f
}
