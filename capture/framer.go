package capture

import (
	"fmt"
	"net/netip"

	"github.com/mqttdump/mqttdump/dissect"
)

// framer cuts one direction's byte stream into MQTT packets. It buffers at
// most the packet in progress (never more than Config.MaxPacket, and only
// the bytes that arrived), skips oversize packets as their bytes pass, and
// resynchronises on a plausible fixed header after a gap or a mid-stream
// start.
type framer struct {
	s        *stream
	dir      dissect.Direction
	src, dst netip.AddrPort
	started  bool   // the first bytes (or SYN) were seen
	pos      uint32 // TCP sequence number of the next byte expected

	buf      []byte // the packet in progress
	total    int    // its declared size; 0 until the fixed header is complete
	skipping int    // bytes of an oversize packet still to pass over

	syncing   bool // looking for a fixed header
	midStream bool // the direction began without a SYN
	skipped   int  // bytes passed over while syncing, for the note
	hold      [4]byte
	holdN     int       // start of a possible fixed header at the end of the last segment
	holdCtx   *frameCtx // frame that carried the held bytes
	scratch   []byte

	frames     []FrameRef // frames that carried bytes of the packet in progress
	last       *frameCtx
	frameBytes int // charged against MaxBuffered for frames
}

// consume takes in-order bytes carried by frame c.
func (f *framer) consume(b []byte, c *frameCtx) {
	e := f.s.e
	for len(b) > 0 && e.err == nil {
		switch {
		case f.skipping > 0:
			n := min(f.skipping, len(b))
			f.skipping -= n
			b = b[n:]
		case f.syncing:
			b = f.scan(b, c)
		case len(f.buf) == 0:
			b = f.direct(b, c)
		default:
			b = f.fill(b, c)
		}
	}
}

// direct frames packets straight out of b while nothing is buffered: the
// common case costs no copy.
func (f *framer) direct(b []byte, c *frameCtx) []byte {
	h := dissect.FrameHead(b)
	switch {
	case h.Status == dissect.FrameComplete:
		f.addFrame(c)
		f.emit(b[:h.Total], c, false, h.Total)
		return b[h.Total:]
	case h.Status == dissect.FrameMalformed:
		f.syncing = true
		return b
	case h.Total > 0 && h.Total > f.s.e.cfg.MaxPacket:
		f.oversize(b[:h.HeaderLen], h.Total, c, fmt.Sprintf("larger than the %d-byte packet limit", f.s.e.cfg.MaxPacket))
		f.skipping = h.Total - len(b)
		return nil
	}
	if !f.fits(len(b), c) {
		f.overBudget(b, h.Total, c)
		return nil
	}
	f.s.e.buffered += len(b)
	f.addFrame(c)
	f.grow(len(b))
	f.buf = append(f.buf, b...)
	f.total = h.Total
	return nil
}

// fill adds bytes to the packet in progress.
func (f *framer) fill(b []byte, c *frameCtx) []byte {
	e := f.s.e
	if f.total == 0 {
		// The fixed header is incomplete: take just enough to finish it.
		n := min(len(b), 5-len(f.buf))
		old := len(f.buf)
		if !f.fits(n, c) {
			hdr := append(append([]byte(nil), f.buf...), b[:n]...)
			f.dropBuf()
			f.overBudget(hdr, 0, c)
			return b[n:]
		}
		f.grow(n)
		f.buf = append(f.buf, b[:n]...)
		e.buffered += n
		f.addFrame(c)
		h := dissect.FrameHead(f.buf)
		switch {
		case h.Status == dissect.FrameMalformed:
			f.skipped += old
			f.dropBuf()
			f.syncing = true
			return b
		case h.Remaining < 0:
			return b[n:]
		case h.Total <= len(f.buf):
			excess := len(f.buf) - h.Total
			f.buf = f.buf[:h.Total]
			e.buffered -= excess
			f.emit(f.buf, c, false, h.Total)
			f.dropBuf()
			return b[n-excess:]
		case h.Total > e.cfg.MaxPacket:
			f.oversize(f.buf[:h.HeaderLen], h.Total, c, fmt.Sprintf("larger than the %d-byte packet limit", e.cfg.MaxPacket))
			f.skipping = h.Total - len(f.buf)
			f.dropBuf()
			return b[n:]
		}
		f.total = h.Total
		return b[n:]
	}
	n := min(len(b), f.total-len(f.buf))
	if !f.fits(n, c) {
		rest := f.total - len(f.buf)
		hdr := append([]byte(nil), f.buf[:min(len(f.buf), 5)]...)
		f.dropBuf()
		f.overBudget(hdr, f.total, c)
		f.skipping = rest
		return b
	}
	e.buffered += n
	f.addFrame(c)
	f.grow(n)
	f.buf = append(f.buf, b[:n]...)
	if len(f.buf) == f.total {
		f.emit(f.buf, c, false, f.total)
		f.dropBuf()
	}
	return b[n:]
}

// scan looks for the first plausible fixed header in b (after any bytes
// held from the previous segment). It returns what follows the header's
// start, or nil when b is used up.
func (f *framer) scan(b []byte, c *frameCtx) []byte {
	buf, held := b, f.holdN
	if held > 0 {
		f.scratch = append(append(f.scratch[:0], f.hold[:held]...), b...)
		buf = f.scratch
	}
	for i := range buf {
		if !dissect.Plausible(buf[i:]) {
			continue
		}
		if dissect.FrameHead(buf[i:]).Remaining < 0 {
			// Too short to judge: keep it (at most 4 bytes) for the next segment.
			f.skipped += i
			hc := c
			if i < held {
				hc = f.holdCtx
			}
			f.holdN = copy(f.hold[:], buf[i:])
			f.holdCtx = hc
			return nil
		}
		f.skipped += i
		f.syncing, f.holdN = false, 0
		f.noteResync(c)
		if i < held {
			var h [4]byte
			k := copy(h[:], buf[i:held])
			f.consume(h[:k], f.holdCtx)
			return b
		}
		return b[i-held:]
	}
	f.skipped += len(buf)
	f.holdN = 0
	return nil
}

// gap reports n missing bytes and works out where framing resumes: inside
// a packet of known size it just skips the rest of that packet, otherwise
// it resynchronises.
func (f *framer) gap(n int, c *frameCtx, msg string) {
	e := f.s.e
	e.ev = Event{Kind: EventGap, Missing: n, Message: msg}
	f.fill0(&e.ev, c)
	e.deliver(&e.ev)
	switch {
	case f.syncing:
		f.skipped += f.holdN
		f.holdN = 0
	case f.skipping > 0:
		if n <= f.skipping {
			f.skipping -= n
			return
		}
		f.skipping = 0
		f.syncing = true
	case len(f.buf) > 0 && f.total > 0:
		rest := f.total - len(f.buf)
		f.emit(f.buf, f.last, true, f.total)
		f.dropBuf()
		switch {
		case n < rest:
			f.skipping = rest - n
		case n > rest:
			f.syncing = true
		}
	case len(f.buf) > 0:
		f.emit(f.buf, f.last, true, 0)
		f.dropBuf()
		f.syncing = true
	default:
		f.syncing = true
	}
}

// finish ends the direction: an incomplete packet is delivered as partial.
func (f *framer) finish() {
	if len(f.buf) > 0 {
		f.emit(f.buf, f.last, true, f.total)
		f.dropBuf()
	}
	if f.syncing && f.skipped+f.holdN > 0 {
		f.note(f.holdCtx, fmt.Sprintf("%d bytes skipped without finding an MQTT fixed header", f.skipped+f.holdN))
	}
	f.skipped, f.holdN, f.skipping, f.syncing = 0, 0, 0, false
}

func (f *framer) noteResync(c *frameCtx) {
	if f.skipped == 0 {
		return
	}
	msg := fmt.Sprintf("resynchronised after skipping %d bytes", f.skipped)
	if f.midStream {
		msg = fmt.Sprintf("stream picked up mid-connection: resynchronised after skipping %d bytes", f.skipped)
	}
	f.skipped = 0
	f.note(c, msg)
}

func (f *framer) note(c *frameCtx, msg string) {
	e := f.s.e
	e.ev = Event{Kind: EventNote, Message: msg}
	f.fill0(&e.ev, c)
	e.deliver(&e.ev)
}

// oversize reports a packet that will not be buffered; hdr is its fixed header.
func (f *framer) oversize(hdr []byte, total int, c *frameCtx, why string) {
	e := f.s.e
	e.stats.Oversize++
	typ := uint8(0)
	if len(hdr) > 0 {
		typ = hdr[0] >> 4
	}
	e.ev = Event{Kind: EventNote, Data: hdr, Declared: total,
		Message: fmt.Sprintf("%s packet of %d bytes skipped: %s", dissect.TypeName(typ), total, why)}
	f.fill0(&e.ev, c)
	e.deliver(&e.ev)
	f.clearFrames()
}

// overBudget handles bytes that would push the buffers past MaxBuffered:
// the packet is reported by its header and skipped.
func (f *framer) overBudget(b []byte, total int, c *frameCtx) {
	hdr := b[:min(len(b), 5)]
	if h := dissect.FrameHead(b); h.HeaderLen > 0 {
		hdr = b[:h.HeaderLen]
	}
	f.oversize(hdr, total, c, fmt.Sprintf("the %d-byte buffer limit across connections is reached", f.s.e.cfg.MaxBuffered))
	switch {
	case total == 0: // not even the length is known: look for the next header
		f.syncing = true
	case total > len(b):
		f.skipping = total - len(b)
	}
}

// emit delivers a packet whose last byte came in frame c.
func (f *framer) emit(data []byte, c *frameCtx, partial bool, total int) {
	e := f.s.e
	if c == nil {
		c = e.ctxAt(nil, 0, 0)
	}
	e.ev = Event{Kind: EventPacket, Data: data, Frames: f.frames, Declared: total, Partial: partial}
	f.fill0(&e.ev, c)
	e.deliver(&e.ev)
	f.clearFrames()
}

// fill0 sets the fields every event of this direction shares.
func (f *framer) fill0(ev *Event, c *frameCtx) {
	ev.Stream, ev.Dir, ev.Src, ev.Dst = f.s.index, f.dir, f.src, f.dst
	if c == nil {
		c = f.s.e.ctxAt(nil, 0, 0)
	}
	ev.Frame, ev.Time = c.num, c.ci.Timestamp
	ev.FrameLen, ev.Start = c.ci.Length, f.s.e.stats.FirstTime
}

// addFrame records that frame c carries bytes of the packet in progress.
func (f *framer) addFrame(c *frameCtx) {
	if f.last == c && len(f.frames) > 0 {
		return
	}
	f.last = c
	ci := c.ci
	ci.AncillaryData = nil
	f.frames = append(f.frames, FrameRef{Number: c.num, CI: ci, LinkType: c.lt, Data: c.data})
	cost := frameRefCost + len(c.data)
	f.frameBytes += cost
	f.s.e.buffered += cost
}

func (f *framer) clearFrames() {
	clear(f.frames) // drop references to frame copies
	f.frames = f.frames[:0]
	f.last = nil // nor pin the last frame (and its KeepFrames copy) of an idle connection
	f.s.e.buffered -= f.frameBytes
	f.frameBytes = 0
}

// reserve charges n more buffered bytes, if the budget allows.
// fits reports whether n more buffered bytes, plus the frame c that carries
// them if it is not charged yet, stay within MaxBuffered.
func (f *framer) fits(n int, c *frameCtx) bool {
	cost := n
	if c != nil && (f.last != c || len(f.frames) == 0) {
		cost += frameRefCost + len(c.data)
	}
	return f.s.e.buffered+cost <= f.s.e.cfg.MaxBuffered
}

// dropBuf forgets the packet in progress (its frames too), releasing big
// buffers so an idle connection does not pin memory.
// keptBuffer is the largest packet buffer a direction keeps between packets.
const keptBuffer = 2 << 10

func (f *framer) dropBuf() {
	f.s.e.buffered -= len(f.buf)
	// Keep a small buffer for the next split packet; a large one would be
	// held by every idle connection, which is what makes memory grow with
	// the number of connections a capture has open.
	if cap(f.buf) > keptBuffer {
		f.s.e.putSpare(f.buf)
		f.buf = nil
	} else {
		f.buf = f.buf[:0]
	}
	f.total = 0
	f.clearFrames()
}

// grow makes room for n more bytes in the packet buffer. Large buffers come
// from the engine's few spares instead of being grown afresh for every split
// packet: only the connections with a packet in progress hold one, so memory
// stays flat however many connections the capture has open.
func (f *framer) grow(n int) {
	need := len(f.buf) + n
	if need <= cap(f.buf) || need <= keptBuffer {
		return
	}
	e := f.s.e
	want := max(need, 2*cap(f.buf))
	var nb []byte
	for i, b := range e.spare {
		if cap(b) >= need {
			nb = b[:0]
			e.spare[i] = e.spare[len(e.spare)-1]
			e.spare = e.spare[:len(e.spare)-1]
			break
		}
	}
	if nb == nil {
		nb = make([]byte, 0, want)
	}
	nb = append(nb, f.buf...)
	if cap(f.buf) > keptBuffer {
		e.putSpare(f.buf)
	}
	f.buf = nb
}

// maxSpares bounds the spare buffers; each is at most Config.MaxPacket.
const maxSpares = 8

func (e *engine) putSpare(b []byte) {
	if len(e.spare) < maxSpares {
		e.spare = append(e.spare, b[:0])
		return
	}
	// Keep the larger buffers: they serve every smaller need too.
	small := 0
	for i, s := range e.spare {
		if cap(s) < cap(e.spare[small]) {
			small = i
		}
	}
	if cap(b) > cap(e.spare[small]) {
		e.spare[small] = b[:0]
	}
}
