package capture

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mqttdump/mqttdump/dissect"
)

// stream is one TCP connection: reassembly's Stream, holding a framer per
// direction. dirs[0] is the direction of the first packet seen (reassembly's
// TCPDirClientToServer, whatever the ports say), dirs[1] the other.
type stream struct {
	e      *engine
	index  int
	dirs   [2]framer
	closed bool
	// who sent the first FIN and the first RST (DirUnknown: none), for EventClose
	finBy, rstBy dissect.Direction
	ent          *connEntry  // its place in the engine's connection table
	syn          bool        // its first segment was a SYN: a new connection
	ends         [2]dirState // per direction, for the notes of tail.go
}

func (s *stream) init(firstToServer bool, src, dst netip.AddrPort) {
	d0, d1 := dissect.ToClient, dissect.ToServer
	if firstToServer {
		d0, d1 = d1, d0
	}
	s.dirs[0] = framer{s: s, dir: d0, src: src, dst: dst}
	s.dirs[1] = framer{s: s, dir: d1, src: dst, dst: src}
}

// Accept takes every segment and starts a direction at its first segment
// even without a SYN (a capture begun mid-connection).
func (s *stream) Accept(tcp *layers.TCP, _ gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	if c, ok := ac.(*frameCtx); ok {
		s.e.seen(s, tcp, nextSeq, c)
		s.e.checkSegment(s, tcp, dir, nextSeq, c)
	}
	if s.closed {
		return false
	}
	from := s.dirs[0].dir
	if dir == reassembly.TCPDirServerToClient {
		from = s.dirs[1].dir
	}
	if tcp.FIN && s.finBy == dissect.DirUnknown {
		s.finBy = from
	} else if tcp.RST && s.rstBy == dissect.DirUnknown {
		s.rstBy = from
	}
	if nextSeq == -1 { // reassembly's invalidSequence: this direction has not started
		*start = true
	}
	return true
}

// ReassembledSG feeds in-order bytes to the direction's framer. Each byte
// run is attributed to the frame that carried it; bytes that stand in for
// what the snaplen cut, and bytes reassembly skipped, become gaps.
func (s *stream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	e := s.e
	if e.err != nil {
		return
	}
	flowDir, start, end, skip := sg.Info()
	di := 0
	if flowDir == reassembly.TCPDirServerToClient {
		di = 1
	}
	f := &s.dirs[di]
	avail, _ := sg.Lengths()
	var data []byte
	if avail > 0 {
		data = sg.Fetch(avail)
	}
	if !f.started {
		f.started = true
		c := e.ctxAt(sg, 0, avail)
		f.pos = c.seq
		s.ends[di].base = c.seq
		if !start {
			f.syncing, f.midStream = true, true
		}
		skip = 0
	}
	from := 0
	switch {
	case skip > 0:
		f.gap(skip, e.ctxAt(sg, 0, avail), fmt.Sprintf("%d bytes missing (segment not captured)", skip))
	case skip < 0: // bytes already delivered
		from = min(-skip, avail)
	}
	s0 := f.pos + uint32(int32(skip))
	for off := from; off < avail && e.err == nil; {
		c := e.ctxAt(sg, off, avail)
		c.held = false
		rel := int(int32(s0 + uint32(off) - c.seq))
		if rel < 0 || rel >= c.full {
			// The byte is not where its frame says: attribute it anyway.
			f.consume(data[off:off+1], c)
			off++
			continue
		}
		runEnd := min(avail, off+c.full-rel)
		realEnd := min(runEnd, off+max(0, c.real-rel))
		if realEnd > off {
			f.consume(data[off:realEnd], c)
		}
		if runEnd > realEnd {
			f.gap(runEnd-realEnd, c, fmt.Sprintf("frame %d truncated by snaplen: %d of %d bytes captured", c.num, c.ci.CaptureLength, c.ci.Length))
		}
		off = runEnd
	}
	if avail > from {
		e.keepTail(f, s0+uint32(from), data[from:avail])
	}
	f.pos = s0 + uint32(avail)
	if end {
		f.finish()
		s.ends[di].ended, s.ends[di].endSeq = true, f.pos
	}
}

// ReassemblyComplete ends both directions and reports the close. The
// connection stays in the pool (false) so late ACKs do not open a new
// stream; a new SYN on the same addresses replaces it.
func (s *stream) ReassemblyComplete(reassembly.AssemblerContext) bool {
	if s.closed {
		return false
	}
	s.closed = true
	s.e.forgetTails(s)
	s.dirs[0].finish()
	s.dirs[1].finish()
	e := s.e
	f := &s.dirs[0]
	if f.dir != dissect.ToServer {
		f = &s.dirs[1]
	}
	e.ev = Event{Kind: EventClose, Stream: s.index, Dir: f.dir, Src: f.src, Dst: f.dst, Frame: e.frameNo, Time: e.now,
		FinBy: s.finBy, RstBy: s.rstBy, SYN: s.syn}
	e.deliver(&e.ev)
	return false
}

// ctxAt is the frame that carried byte off of sg (the current frame when
// the byte cannot be placed, e.g. an empty SYN).
func (e *engine) ctxAt(sg reassembly.ScatterGather, off, avail int) *frameCtx {
	if off < avail {
		ci := sg.CaptureInfo(off)
		if len(ci.AncillaryData) > 0 {
			if c, ok := ci.AncillaryData[0].(*frameCtx); ok {
				return c
			}
		}
	}
	if e.cur != nil {
		return e.cur
	}
	return &frameCtx{num: e.frameNo, ci: gopacket.CaptureInfo{Timestamp: e.now}}
}
