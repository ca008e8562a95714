package transport

import (
	"fmt"

	"github.com/mqttdump/mqttdump/dissect"
)

// FramerConfig sets up a Framer.
type FramerConfig struct {
	Dir       Dir
	MaxPacket int          // largest packet buffered whole; larger ones are reported by header and skipped
	Mem       Memory       // nil: HeapMemory
	Sink      func(*Event) // receives packets and notes
	// Resync starts the framer looking for a plausible fixed header (a
	// direction picked up mid-connection); MidStream words the note so.
	Resync, MidStream bool
	// Budget is the limit named when Mem refuses a buffer (for the note).
	Budget int
	// Finding is set on every packet (e.g. the text-frame finding).
	Finding string
}

// Framer cuts one direction's byte stream into MQTT packets. It buffers at
// most the packet in progress (never more than MaxPacket, and only the
// bytes that arrived), skips oversize packets as their bytes pass, and
// resynchronises on a plausible fixed header after a gap or a mid-stream
// start. A packet's Spans are the stream spans of the chunks that carried
// its bytes (exactly its bytes for plain TCP).
type Framer struct {
	cfg FramerConfig
	mem Memory

	buf      []byte // the packet in progress
	total    int    // its declared size; 0 until the fixed header is complete
	skipping int    // bytes of an oversize packet still to pass over

	syncing   bool
	skipped   int // bytes passed over while syncing, for the note
	hold      [4]byte
	holdN     int // start of a possible fixed header at the end of the last chunk
	holdSpans []Span

	spans []Span // of the packet in progress
	// the chunk being consumed
	src     Source
	at      int64 // Exact: offset of the next byte of the chunk
	added   bool  // non-exact: the chunk's spans are in spans already
	lastEnd Span  // a span at the last byte seen, for notes
	exact   bool  // the last chunk was exact
	ev      Event
	msg     *MessageInfo
}

// NewFramer makes a framer.
func NewFramer(cfg FramerConfig) *Framer {
	if cfg.Mem == nil {
		cfg.Mem = HeapMemory{}
	}
	if cfg.MaxPacket <= 0 {
		cfg.MaxPacket = dissect.MaxRemainingLength + 5
	}
	return &Framer{cfg: cfg, mem: cfg.Mem, syncing: cfg.Resync}
}

// SetMessage sets the WebSocket description handed out with the packets
// that follow (nil for none).
func (f *Framer) SetMessage(m *MessageInfo) { f.msg = m }

// Write takes in-order bytes and the stream bytes they derive from.
func (f *Framer) Write(b []byte, src Source) {
	f.src, f.added, f.exact = src, false, src.Exact
	if len(src.Spans) > 0 {
		f.at = src.Spans[0].From
		last := src.Spans[len(src.Spans)-1]
		f.lastEnd = Span{max(last.From, last.To-1), last.To}
	}
	f.consume(b)
	f.src = Source{}
}

// take records that the next n bytes of the chunk belong to the packet in
// progress (or to held header bytes when into is set).
func (f *Framer) take(n int, into *[]Span) {
	if f.src.Exact {
		*into = addSpan(*into, Span{f.at, f.at + int64(n)})
	} else if into != &f.spans || !f.added || len(f.spans) == 0 {
		for _, s := range f.src.Spans {
			*into = addSpan(*into, s)
		}
		if into == &f.spans {
			f.added = true
		}
	}
}

// pass moves over n bytes of the chunk.
func (f *Framer) pass(n int) {
	if f.src.Exact {
		f.at += int64(n)
	}
}

// here is a one-byte span at the current position, for notes.
func (f *Framer) here() Span {
	if f.src.Exact {
		return Span{f.at, f.at + 1}
	}
	return f.lastEnd
}

func (f *Framer) consume(b []byte) {
	for len(b) > 0 {
		switch {
		case f.skipping > 0:
			n := min(f.skipping, len(b))
			f.skipping -= n
			f.pass(n)
			b = b[n:]
		case f.syncing:
			b = f.scan(b)
		case len(f.buf) == 0:
			b = f.direct(b)
		default:
			b = f.fill(b)
		}
	}
}

func (f *Framer) tooBig() string {
	return fmt.Sprintf("larger than the %d-byte packet limit", f.cfg.MaxPacket)
}

// direct frames packets straight out of b while nothing is buffered: the
// common case costs no copy.
func (f *Framer) direct(b []byte) []byte {
	h := dissect.FrameHead(b)
	switch {
	case h.Status == dissect.FrameComplete && h.Total > f.cfg.MaxPacket:
		// Skipped even when it came whole: the limit is the packet's size.
		f.take(h.Total, &f.spans)
		f.oversize(b[:h.HeaderLen], h.Total, f.tooBig())
		f.pass(h.Total)
		return b[h.Total:]
	case h.Status == dissect.FrameComplete:
		f.take(h.Total, &f.spans)
		f.emit(b[:h.Total], false, h.Total)
		f.pass(h.Total)
		return b[h.Total:]
	case h.Status == dissect.FrameMalformed:
		f.syncing = true
		return b
	case h.Total > 0 && h.Total > f.cfg.MaxPacket:
		f.take(len(b), &f.spans)
		f.oversize(b[:h.HeaderLen], h.Total, f.tooBig())
		f.skipping = h.Total - len(b)
		f.pass(len(b))
		return nil
	}
	if !f.append(b) {
		f.overBudget(b, h.Total)
		f.pass(len(b))
		return nil
	}
	f.take(len(b), &f.spans)
	f.pass(len(b))
	f.total = h.Total
	return nil
}

// append adds b to the packet buffer if the budget allows.
func (f *Framer) append(b []byte) bool {
	nb, ok := f.mem.Grow(f.buf, len(b))
	if !ok {
		return false
	}
	f.buf = append(nb, b...)
	return true
}

// fill adds bytes to the packet in progress.
func (f *Framer) fill(b []byte) []byte {
	if f.total == 0 {
		// The fixed header is incomplete: take just enough to finish it.
		n := min(len(b), 5-len(f.buf))
		old := len(f.buf)
		if !f.append(b[:n]) {
			var hdr [5]byte
			k := copy(hdr[:], f.buf)
			k += copy(hdr[k:], b[:n])
			f.take(n, &f.spans)
			f.dropBuf()
			f.overBudget(hdr[:k], 0)
			f.pass(n)
			return b[n:]
		}
		h := dissect.FrameHead(f.buf)
		switch {
		case h.Status == dissect.FrameMalformed:
			f.skipped += old
			f.dropBuf()
			f.syncing = true
			return b
		case h.Remaining < 0:
			f.take(n, &f.spans)
			f.pass(n)
			return b[n:]
		case h.Total <= len(f.buf):
			used := n - (len(f.buf) - h.Total)
			f.buf = f.buf[:h.Total]
			f.take(used, &f.spans)
			f.emit(f.buf, false, h.Total)
			f.dropBuf()
			f.pass(used)
			return b[used:]
		case h.Total > f.cfg.MaxPacket:
			f.take(n, &f.spans)
			f.oversize(f.buf[:h.HeaderLen], h.Total, f.tooBig())
			f.skipping = h.Total - len(f.buf)
			f.dropBuf()
			f.pass(n)
			return b[n:]
		}
		f.take(n, &f.spans)
		f.pass(n)
		f.total = h.Total
		return b[n:]
	}
	n := min(len(b), f.total-len(f.buf))
	if !f.append(b[:n]) {
		rest := f.total - len(f.buf)
		var hdr [5]byte
		k := copy(hdr[:], f.buf)
		total := f.total
		f.dropBuf()
		f.overBudget(hdr[:k], total)
		f.skipping = rest
		return b
	}
	f.take(n, &f.spans)
	f.pass(n)
	if len(f.buf) == f.total {
		f.emit(f.buf, false, f.total)
		f.dropBuf()
	}
	return b[n:]
}

// scan looks for the first plausible fixed header in b (after any bytes
// held from the previous chunk). It returns what follows the header's
// start, or nil when b is used up.
func (f *Framer) scan(b []byte) []byte {
	held := f.holdN
	buf := b
	var scratch []byte
	if held > 0 {
		nb, ok := f.mem.Grow(nil, held+len(b))
		if !ok {
			// No room to look across the chunk boundary: forget the held bytes.
			f.skipped += held
			f.holdN, held = 0, 0
			f.holdSpans = f.holdSpans[:0]
		} else {
			scratch = append(append(nb, f.hold[:held]...), b...)
			buf = scratch
		}
	}
	defer func() {
		if scratch != nil {
			f.mem.Release(scratch)
		}
	}()
	for i := range buf {
		if !dissect.Plausible(buf[i:]) {
			continue
		}
		if dissect.FrameHead(buf[i:]).Remaining < 0 {
			// Too short to judge: keep it (at most 4 bytes) for the next chunk.
			f.skipped += i
			if i < held {
				f.trimHold(held - i)
			} else {
				f.holdSpans = f.holdSpans[:0]
				f.pass(i - held)
			}
			rest := len(buf) - max(i, held)
			f.take(rest, &f.holdSpans)
			f.pass(rest)
			f.holdN = copy(f.hold[:], buf[i:])
			return nil
		}
		f.skipped += i
		f.syncing = false
		f.noteResync()
		if i < held {
			// The header starts in the held bytes: frame them first, as
			// bytes of their own chunk.
			var h [4]byte
			k := copy(h[:], buf[i:held])
			saved, savedAt, savedAdded := f.src, f.at, f.added
			f.trimHold(k)
			hs := append([]Span(nil), f.holdSpans...)
			f.holdN = 0
			f.holdSpans = f.holdSpans[:0]
			f.src, f.added = Source{Spans: hs, Exact: saved.Exact}, false
			if saved.Exact && len(hs) > 0 {
				f.at = hs[0].From
			}
			f.consume(h[:k])
			f.src, f.at, f.added = saved, savedAt, savedAdded
			return b
		}
		f.holdN = 0
		f.holdSpans = f.holdSpans[:0]
		f.pass(i - held)
		return b[i-held:]
	}
	f.skipped += len(buf)
	f.holdN = 0
	f.holdSpans = f.holdSpans[:0]
	f.pass(len(b))
	return nil
}

// trimHold keeps the spans of the last k held bytes (all of them when
// the bytes are not exact).
func (f *Framer) trimHold(k int) {
	if f.exact && len(f.holdSpans) > 0 {
		last := f.holdSpans[len(f.holdSpans)-1]
		f.holdSpans = append(f.holdSpans[:0], Span{max(last.From, last.To-int64(k)), last.To})
	}
}

// Gap reports n missing bytes (the gap event itself is the caller's) and
// works out where framing resumes: inside a packet of known size it just
// skips the rest of that packet, otherwise it resynchronises.
func (f *Framer) Gap(n int) {
	switch {
	case f.syncing:
		f.skipped += f.holdN
		f.holdN = 0
		f.holdSpans = f.holdSpans[:0]
	case f.skipping > 0:
		if n <= f.skipping {
			f.skipping -= n
			return
		}
		f.skipping = 0
		f.syncing = true
	case len(f.buf) > 0 && f.total > 0:
		rest := f.total - len(f.buf)
		f.emit(f.buf, true, f.total)
		f.dropBuf()
		switch {
		case n < rest:
			f.skipping = rest - n
		case n > rest:
			f.syncing = true
		}
	case len(f.buf) > 0:
		f.emit(f.buf, true, 0)
		f.dropBuf()
		f.syncing = true
	default:
		f.syncing = true
	}
}

// Finish ends the direction: an incomplete packet is delivered as partial,
// and every buffer is given back.
func (f *Framer) Finish() {
	if len(f.buf) > 0 {
		f.emit(f.buf, true, f.total)
	}
	f.dropBuf()
	if f.syncing && f.skipped+f.holdN > 0 {
		at := f.lastEnd
		if len(f.holdSpans) > 0 {
			at = f.holdSpans[len(f.holdSpans)-1]
		}
		f.note(at, fmt.Sprintf("%d bytes skipped without finding an MQTT fixed header", f.skipped+f.holdN))
	}
	f.skipped, f.holdN, f.skipping, f.syncing = 0, 0, 0, false
	f.holdSpans = f.holdSpans[:0]
}

// Shed gives up the packet in progress because the buffer budget is
// exhausted: it is reported by its header and its remaining bytes skipped.
func (f *Framer) Shed() {
	if f.holdN > 0 {
		f.skipped += f.holdN
		f.holdN = 0
		f.holdSpans = f.holdSpans[:0]
	}
	if len(f.buf) == 0 {
		return
	}
	var hdr [5]byte
	k := copy(hdr[:], f.buf)
	total, rest := f.total, f.total-len(f.buf)
	f.overBudget(hdr[:k], total)
	f.dropBuf()
	if total > 0 {
		f.skipping = rest
	}
}

// Low is the lowest stream offset the framer still holds bytes of.
func (f *Framer) Low() int64 {
	low := NoLow
	if len(f.spans) > 0 {
		low = f.spans[0].From
	}
	if f.holdN > 0 && len(f.holdSpans) > 0 {
		low = min(low, f.holdSpans[0].From)
	}
	return low
}

func (f *Framer) noteResync() {
	if f.skipped == 0 {
		return
	}
	msg := fmt.Sprintf("resynchronised after skipping %d bytes", f.skipped)
	if f.cfg.MidStream {
		msg = fmt.Sprintf("stream picked up mid-connection: resynchronised after skipping %d bytes", f.skipped)
	}
	f.skipped = 0
	f.note(f.here(), msg)
}

func (f *Framer) note(at Span, msg string) {
	f.ev = Event{Kind: KindNote, Dir: f.cfg.Dir, Message: msg, Spans: f.spans[len(f.spans):]}
	if at.To > at.From {
		f.ev.Spans = append(f.ev.Spans, at)
	}
	f.cfg.Sink(&f.ev)
}

// oversize reports a packet that will not be buffered; hdr is its fixed header.
func (f *Framer) oversize(hdr []byte, total int, why string) {
	typ := uint8(0)
	if len(hdr) > 0 {
		typ = hdr[0] >> 4
	}
	if total == 0 {
		total = dissect.FrameHead(hdr).Total // 0 while the length is not complete
	}
	size := fmt.Sprintf("of %d bytes", total)
	if total == 0 {
		size = "of unknown size (its length was cut)"
	}
	f.ev = Event{Kind: KindNote, Dir: f.cfg.Dir, Data: hdr, Declared: total, Oversize: true, Spans: f.spans,
		Message: fmt.Sprintf("%s packet %s skipped: %s", dissect.TypeName(typ), size, why)}
	if len(f.spans) == 0 {
		f.ev.Spans = append(f.spans, f.here())
	}
	f.cfg.Sink(&f.ev)
	f.spans = f.spans[:0]
}

// overBudget handles bytes that would push the buffers past the budget:
// the packet is reported by its header and skipped.
func (f *Framer) overBudget(b []byte, total int) {
	hdr := b[:min(len(b), 5)]
	if h := dissect.FrameHead(b); h.HeaderLen > 0 {
		hdr = b[:h.HeaderLen]
	}
	f.oversize(hdr, total, budgetFull(f.cfg.Budget))
	switch {
	case total == 0: // not even the length is known: look for the next header
		f.syncing = true
	case total > len(b):
		f.skipping = total - len(b)
	}
}

// emit delivers a packet.
func (f *Framer) emit(data []byte, partial bool, total int) {
	f.ev = Event{Kind: KindPacket, Dir: f.cfg.Dir, Data: data, Spans: f.spans, Exact: f.exact,
		Declared: total, Partial: partial, Finding: f.cfg.Finding, WebSocket: f.msg}
	if len(f.ev.Spans) == 0 {
		f.ev.Spans = append(f.spans, f.lastEnd)
	}
	f.cfg.Sink(&f.ev)
	f.spans = f.spans[:0]
}

// dropBuf forgets the packet in progress and gives its buffer back, so an
// idle connection holds none.
func (f *Framer) dropBuf() {
	if f.buf != nil {
		f.mem.Release(f.buf)
		f.buf = nil
	}
	f.total = 0
	f.spans = f.spans[:0]
}
