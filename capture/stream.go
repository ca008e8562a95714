package capture

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/transport"
)

// stream is one TCP connection: reassembly's Stream, holding a byte stream
// per direction and the transport chain that turns them into MQTT packets.
// dirs[0] is the direction of the first packet seen (reassembly's
// TCPDirClientToServer, whatever the ports say), dirs[1] the other.
type stream struct {
	e       *engine
	index   int // -1 until the connection is known to be MQTT (or named)
	dirs    [2]direction
	byDir   [2]*direction // by transport.Dir
	chain   *transport.Chain
	charged int // chain.Buffered() charged to the budget
	closed  bool
	open    bool // counted in engine.open
	frames  int  // segments accepted while the chain was deciding or decoding
	// who sent the first FIN and the first RST (DirUnknown: none), for EventClose
	finBy, rstBy dissect.Direction
	ent          *connEntry  // its place in the engine's connection table
	syn          bool        // its first segment was a SYN: a new connection
	ends         [2]dirState // per direction, for the notes of tail.go
	key          pairKey     // its addresses, in engine.streams
	fast         bool        // on the fast path: reassembly does not know it
	fstate       [2]fastState
}

func (s *stream) init(firstToServer bool, src, dst netip.AddrPort) {
	d0, d1 := dissect.ToClient, dissect.ToServer
	if firstToServer {
		d0, d1 = d1, d0
	}
	s.dirs[0] = direction{dir: d0, src: src, dst: dst}
	s.dirs[1] = direction{dir: d1, src: dst, dst: src}
	for i := range s.dirs {
		d := &s.dirs[i]
		if d.dir == dissect.ToServer {
			d.tdir = transport.ToServer
		} else {
			d.tdir = transport.ToClient
		}
		s.byDir[d.tdir] = d
	}
}

// Accept takes every segment of a connection the chain still wants and
// starts a direction at its first segment even without a SYN (a capture
// begun mid-connection). A connection found not to be MQTT costs no more
// reassembly.
func (s *stream) Accept(tcp *layers.TCP, _ gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	if fs := s.e.syncing; fs != nil {
		// handOver's empty segment: it starts the direction where the
		// fast path had it, or leaves it unstarted.
		*start = fs.started
		return fs.started
	}
	if c, ok := ac.(*frameCtx); ok {
		s.e.seen(s, tcp, nextSeq, c)
		s.e.checkSegment(s, tcp, dir, nextSeq, c)
	}
	if s.closed || !s.chain.Active() {
		if s.chain.Outcome() != transport.IsMQTT {
			s.e.stats.OtherTCP++
		}
		return false
	}
	s.frames++
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

// ReassembledSG feeds in-order bytes to the chain. Each byte run is
// attributed to the frame that carried it; bytes that stand in for what the
// snaplen cut, and bytes reassembly skipped, become gaps.
func (s *stream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	e := s.e
	if e.err != nil || !s.chain.Active() {
		return
	}
	flowDir, start, end, skip := sg.Info()
	di := 0
	if flowDir == reassembly.TCPDirServerToClient {
		di = 1
	}
	d := &s.dirs[di]
	avail, _ := sg.Lengths()
	var data []byte
	if avail > 0 {
		data = sg.Fetch(avail)
	}
	// The common case: the bytes are the current frame's payload itself
	// (one in-order segment), so every byte is the current frame's and
	// reassembly need not be asked byte run by byte run.
	one := avail > 0 && e.cur != nil && avail <= len(e.tcp.Payload) && &data[0] == &e.tcp.Payload[0]
	at := func(off int) *frameCtx {
		if one {
			return e.cur
		}
		return e.ctxAt(sg, off, avail)
	}
	if !d.started {
		d.started = true
		c := at(0)
		d.pos = c.seq
		s.ends[di].base = c.seq
		if !start {
			s.chain.MidStream(d.tdir)
		}
		skip = 0
	}
	from := 0
	switch {
	case skip > 0:
		s.gap(d, skip, at(0), fmt.Sprintf("%d bytes missing (segment not captured)", skip))
	case skip < 0: // bytes already delivered
		from = min(-skip, avail)
	}
	s0 := d.pos + uint32(int32(skip))
	for off := from; off < avail && e.err == nil && s.chain.Active(); {
		c := at(off)
		c.held = false
		rel := int(int32(s0 + uint32(off) - c.seq))
		if rel < 0 || rel >= c.full {
			// The byte is not where its frame says: attribute it anyway.
			s.write(d, data[off:off+1], c, 0)
			off++
			continue
		}
		runEnd := min(avail, off+c.full-rel)
		realEnd := min(runEnd, off+max(0, c.real-rel))
		if realEnd > off {
			s.write(d, data[off:realEnd], c, rel)
		}
		if runEnd > realEnd {
			s.gap(d, runEnd-realEnd, c, fmt.Sprintf("frame %d truncated by snaplen: %d of %d bytes captured", c.num, c.ci.CaptureLength, c.ci.Length))
		}
		off = runEnd
	}
	if avail > from {
		e.keepTail(d, s0+uint32(from), data[from:avail])
	}
	d.pos = s0 + uint32(avail)
	if end {
		s.chain.End(d.tdir)
		s.settle()
		s.ends[di].ended, s.ends[di].endSeq = true, d.pos
	}
}

// write hands b (carried by frame c, rel bytes into its payload) to the
// chain at the direction's offset.
func (s *stream) write(d *direction, b []byte, c *frameCtx, rel int) {
	e := s.e
	d.attribute(e, c, len(b), rel)
	off := d.off
	d.off += int64(len(b))
	s.chain.Write(d.tdir, off, b)
	s.settle()
}

// gap reports n missing bytes of d at its current offset.
func (s *stream) gap(d *direction, n int, c *frameCtx, msg string) {
	e := s.e
	if s.chain.Active() && s.chain.Outcome() == transport.IsMQTT {
		e.ev = Event{Kind: EventGap, Missing: n, Message: msg, Stream: s.index, Dir: d.dir, Src: d.src, Dst: d.dst,
			Frame: c.num, Time: c.ci.Timestamp, FrameLen: c.ci.Length, Start: e.stats.FirstTime, Transport: s.chain.Info()}
		e.deliver(&e.ev)
	}
	d.off += int64(n)
	s.chain.Gap(d.tdir, n)
	s.settle()
}

// settle drops what no layer needs any more and keeps the budget: the
// chain's own buffers are charged, and a connection over the budget sheds
// what it holds.
func (s *stream) settle() {
	e := s.e
	s.charge()
	if e.buffered > e.cfg.MaxBuffered && s.chain.Active() {
		s.chain.Shed()
		s.charge() // what the layers gave up is no longer held
	}
	keepCarrier := e.cfg.KeepFrames && !s.chain.Info().Plain()
	for i := range s.dirs {
		d := &s.dirs[i]
		low := s.chain.Low(d.tdir)
		if keepCarrier {
			if low == transport.NoLow {
				low = d.off
			}
			low = min(low, max(d.carried, low-maxCarrierGap))
		}
		d.dropBelow(e, low)
	}
}

// charge brings the budget up to date with the chain's own buffers.
func (s *stream) charge() {
	if b := s.chain.Buffered(); b != s.charged {
		s.e.buffered += b - s.charged
		s.charged = b
	}
}

// decided is told by the chain what the connection is.
func (s *stream) decided(o transport.Outcome) {
	e := s.e
	switch o {
	case transport.IsMQTT:
		s.number()
	case transport.NotMQTT:
		e.stats.NotMQTT++
	case transport.Encrypted:
		e.stats.Encrypted++
	}
	if o != transport.IsMQTT {
		e.stats.OtherTCP += s.frames
		e.ignore(s.dirs[0].src, s.dirs[0].dst)
	}
}

// number gives the connection its index once it is shown.
func (s *stream) number() {
	if s.index < 0 {
		s.index = s.e.stats.Connections
		s.e.stats.Connections++
	}
}

// deliver turns a chain event into a capture Event.
func (s *stream) deliver(tev *transport.Event) {
	e := s.e
	d := s.byDir[tev.Dir&1]
	ev := &e.ev
	*ev = Event{Stream: s.index, Dir: d.dir, Src: d.src, Dst: d.dst, Data: tev.Data, Declared: tev.Declared,
		Partial: tev.Partial, Message: tev.Message, Transport: s.chain.Info(), Finding: tev.Finding, WebSocket: tev.WebSocket}
	switch tev.Kind {
	case transport.KindPacket:
		ev.Kind = EventPacket
		spans := tev.Spans
		if e.cfg.KeepFrames && !ev.Transport.Plain() && len(spans) > 0 {
			// Every frame of the transport since the last packet (see
			// direction.carried).
			e.carrier[0] = transport.Span{From: min(d.carried, spans[0].From), To: spans[len(spans)-1].To}
			d.carried = max(d.carried, e.carrier[0].To)
			spans = e.carrier[:]
		}
		e.frames = d.frames(spans, e.frames[:0])
		ev.Frames = e.frames
		if tev.Exact {
			ev.Spans = tev.Spans
		}
	case transport.KindGap:
		ev.Kind, ev.Missing = EventGap, tev.Missing
	default:
		ev.Kind = EventNote
		if tev.Oversize {
			e.stats.Oversize++
		}
	}
	var c *frameCtx
	if n := len(tev.Spans); n > 0 {
		c = d.frameAt(tev.Spans[n-1].To - 1)
	}
	if c == nil {
		c = e.ctxAt(nil, 0, 0)
	}
	ev.Frame, ev.Time = c.num, c.ci.Timestamp
	ev.FrameLen, ev.Start = c.ci.Length, e.stats.FirstTime
	e.deliver(ev)
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
	e := s.e
	s.chain.Close()
	wasMQTT := s.chain.Outcome() == transport.IsMQTT
	if s.chain.Outcome() == transport.Undecided {
		e.stats.OtherTCP += s.frames
	}
	s.settle()
	for i := range s.dirs {
		s.dirs[i].release(e)
	}
	if s.open {
		s.open = false
		e.open--
		if e.open == 0 {
			memory{e}.dropSpares()
		}
	}
	if !wasMQTT || s.index < 0 {
		return false
	}
	d := s.byDir[transport.ToServer]
	e.ev = Event{Kind: EventClose, Stream: s.index, Dir: d.dir, Src: d.src, Dst: d.dst, Frame: e.frameNo, Time: e.now,
		Transport: s.chain.Info(), FinBy: s.finBy, RstBy: s.rstBy, SYN: s.syn}
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

// note reports a fact about d's bytes (see tail.go) when the connection
// carries MQTT; other connections are not shown.
func (s *stream) note(d *direction, c *frameCtx, msg string) {
	e := s.e
	if s.index < 0 || s.chain.Outcome() != transport.IsMQTT {
		return
	}
	e.ev = Event{Kind: EventNote, Message: msg, Stream: s.index, Dir: d.dir, Src: d.src, Dst: d.dst,
		Frame: c.num, Time: c.ci.Timestamp, Transport: s.chain.Info()}
	e.deliver(&e.ev)
}
