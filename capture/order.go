package capture

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Event order. Events come out sorted by frame (the frame of a packet's
// last byte), then stream, then the order they were made, and the same on
// every run:
//   - a reassembly flush visits connections in Go map order, so the events
//     it causes are buffered and sorted before they are delivered;
//   - while reassembly holds out-of-order data (a segment was lost), the
//     events of later frames wait, so the held direction's packets are not
//     printed after the answers to them.
// The buffer is bounded (maxPendEvents, and a quarter of MaxBuffered in
// bytes); past that the oldest events go out anyway.

const (
	maxPendEvents = 1 << 16
	maxHeld       = 1 << 16
	maxHeldFrames = 8192
	minPendBytes  = 1 << 20
)

type pendEvent struct {
	ev             Event
	key            int // Frame, raised to the key of the direction's previous pending event
	seq            int
	dataOff, frOff int
}

// streamDir names one direction of a connection.
type streamDir struct {
	stream int
	dir    uint8
}

// orderer is the engine's reorder buffer.
type orderer struct {
	pend   []pendEvent
	data   []byte
	frames []FrameRef
	seq    int
	// lastKey is the key of the last pending event per direction: one
	// direction's events keep the order they were made in (a packet that
	// arrived early waits for the ones before it in the stream).
	lastKey  map[streamDir]int
	minKey   int         // lowest key pending
	held     []*frameCtx // frames with out-of-order data reassembly may hold, ascending
	heldHead int
}

// hold notes that reassembly queued data of frame c out of order.
func (e *engine) hold(c *frameCtx) {
	o := &e.order
	if c.held {
		return
	}
	c.held, c.pinned = true, true
	o.held = append(o.held, c)
	if len(o.held)-o.heldHead > maxHeld {
		o.held[o.heldHead].held = false
	}
}

// released forgets held frames whose engine clock is before t: a flush
// with that time pushed (or dropped) all of their data.
func (e *engine) released(t time.Time) {
	o := &e.order
	for i := o.heldHead; i < len(o.held) && o.held[i].clock.Before(t); i++ {
		o.held[i].held = false
	}
}

// watermark is the lowest frame whose data reassembly may still hold.
func (e *engine) watermark() int {
	o := &e.order
	// A frame held for more than maxHeldFrames frames stops holding the
	// others back (timestamps that never advance must not stall output).
	for o.heldHead < len(o.held) && (!o.held[o.heldHead].held || o.held[o.heldHead].num < e.frameNo-maxHeldFrames) {
		o.held[o.heldHead].held = false
		o.held[o.heldHead] = nil
		o.heldHead++
	}
	if o.heldHead == len(o.held) {
		o.held, o.heldHead = o.held[:0], 0
		return math.MaxInt
	}
	if o.heldHead > 1024 && o.heldHead > len(o.held)/2 {
		o.held = append(o.held[:0], o.held[o.heldHead:]...)
		o.heldHead = 0
	}
	return o.held[o.heldHead].num
}

// direct reports whether an event may go to the callback at once.
func (e *engine) direct() bool {
	return e.inFlush == 0 && len(e.order.pend) == 0 && e.watermark() == math.MaxInt
}

// queue copies ev into the reorder buffer.
func (e *engine) queue(ev *Event) {
	o := &e.order
	p := pendEvent{ev: *ev, key: ev.Frame, seq: o.seq, dataOff: len(o.data), frOff: len(o.frames)}
	o.seq++
	if o.lastKey == nil {
		o.lastKey = map[streamDir]int{}
	}
	sd := streamDir{ev.Stream, uint8(ev.Dir)}
	if k, ok := o.lastKey[sd]; ok && k > p.key {
		p.key = k
	}
	o.lastKey[sd] = p.key
	if len(o.pend) == 0 || p.key < o.minKey {
		o.minKey = p.key
	}
	o.data = append(o.data, ev.Data...)
	o.frames = append(o.frames, ev.Frames...)
	p.ev.Data, p.ev.Frames = nil, nil
	p.ev.Data = o.data[p.dataOff:len(o.data):len(o.data)] // fixed up on release
	p.ev.Frames = o.frames[p.frOff:len(o.frames):len(o.frames)]
	o.pend = append(o.pend, p)
	if len(o.pend) > maxPendEvents || len(o.data) > e.pendBytesCap() {
		// A flush of very many connections: bound the copy, at the cost
		// of the order beyond it.
		e.releasePending(false)
	}
}

func (e *engine) pendBytesCap() int { return max(minPendBytes, e.cfg.MaxBuffered/4) }

// releasePending delivers, in order, the buffered events below the
// watermark (all of them when final), and the oldest ones past the caps.
func (e *engine) releasePending(final bool) {
	o := &e.order
	if len(o.pend) == 0 {
		return
	}
	wm := math.MaxInt
	if !final {
		wm = e.watermark()
	}
	if o.minKey >= wm && len(o.pend) <= maxPendEvents && len(o.data) <= e.pendBytesCap() {
		return // nothing can go yet: no need to sort
	}
	slices.SortFunc(o.pend, func(a, b pendEvent) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ev.Stream, b.ev.Stream); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	over := len(o.pend) - maxPendEvents
	overBytes := len(o.data) - e.pendBytesCap()
	n := 0
	for ; n < len(o.pend) && e.err == nil; n++ {
		p := &o.pend[n]
		if p.key >= wm && n >= over && overBytes <= 0 {
			break
		}
		overBytes -= len(p.ev.Data)
		p.ev.Data = o.data[p.dataOff : p.dataOff+len(p.ev.Data)]
		p.ev.Frames = o.frames[p.frOff : p.frOff+len(p.ev.Frames)]
		e.err = e.fn(&p.ev)
	}
	if e.err != nil {
		n = len(o.pend)
	}
	rest := o.pend[n:]
	clear(o.lastKey)
	if len(rest) > 0 {
		o.minKey = rest[0].key
	}
	for _, p := range rest {
		o.lastKey[streamDir{p.ev.Stream, uint8(p.ev.Dir)}] = p.key
	}
	if len(rest) == 0 {
		clear(o.frames)
		o.pend, o.data, o.frames = o.pend[:0], o.data[:0], o.frames[:0]
		if cap(o.data) > e.pendBytesCap() {
			o.data = nil
		}
		return
	}
	// Compact what stays.
	data := make([]byte, 0, len(o.data))
	frames := make([]FrameRef, 0, len(o.frames))
	for i := range rest {
		p := &rest[i]
		d := o.data[p.dataOff : p.dataOff+len(p.ev.Data)]
		f := o.frames[p.frOff : p.frOff+len(p.ev.Frames)]
		p.dataOff, p.frOff = len(data), len(frames)
		data = append(data, d...)
		frames = append(frames, f...)
	}
	o.pend = append(o.pend[:0], rest...)
	o.data, o.frames = data, frames
}
