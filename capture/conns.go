package capture

import (
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// The connection table: which connections reassembly holds, ordered by the
// last time (engine clock) each one saw a frame. It exists so that
//   - the idle flush runs only when the oldest connection is due, not every
//     second over every connection (reassembly's flush visits them all);
//   - the number of connections is capped (Config.MaxConns): the oldest idle
//     ones are evicted first and counted;
//   - out-of-order data is flushed only when some is due.
//
// Reassembly stamps each connection with the timestamp of its frames; the
// engine hands it the engine clock (frameCtx.GetCaptureInfo), so the ages
// here and there are the same numbers.

const (
	// DefaultMaxConns is the default connection cap (Config.MaxConns).
	DefaultMaxConns = 100000
	// maxClockStep is the most the engine clock advances for one frame
	// when reading a file: one frame stamped far in the future (or the
	// past) moves it by at most this much, so it cannot make every
	// connection look idle, nor stop the flush for the rest of the file.
	maxClockStep = time.Second
	// liveClockStep is the same for a live capture, whose timestamps come
	// from the kernel clock.
	liveClockStep = time.Hour
)

// connEntry is a stream's place in the table.
type connEntry struct {
	s          *stream
	lastSeen   time.Time // engine clock of the connection's last frame
	prev, next *connEntry
}

// connTable is the LRU of connections in reassembly's pool.
// A SYN on the addresses of a closed connection makes reassembly drop
// that connection and start a new one; the old entry stays here, closed,
// until it is the oldest (it then goes without counting as an eviction),
// so the table may count a few more connections than reassembly holds,
// never fewer.
type connTable struct {
	head, tail *connEntry // head: least recently seen
	n          int
	// ooo holds, oldest first, the engine-clock times of out-of-order
	// segments that reassembly may still be holding, one per flushEvery.
	ooo []time.Time
}

func (t *connTable) unlink(c *connEntry) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		t.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		t.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

func (t *connTable) pushBack(c *connEntry) {
	c.prev, c.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = c
	} else {
		t.head = c
	}
	t.tail = c
}

// addConn registers a new stream.
func (e *engine) addConn(s *stream) {
	t := &e.conns
	c := &connEntry{s: s, lastSeen: e.clock}
	s.ent = c
	t.pushBack(c)
	t.n++
}

// seen is called for every segment of s (from Accept): it moves s to the
// back of the table and notes out-of-order data reassembly will queue.
func (e *engine) seen(s *stream, tcp *layers.TCP, nextSeq reassembly.Sequence, c *frameCtx) {
	if ent := s.ent; ent != nil {
		ent.lastSeen = e.clock
		if e.conns.tail != ent {
			e.conns.unlink(ent)
			e.conns.pushBack(ent)
		}
	}
	if nextSeq == -1 || (len(tcp.Payload) == 0 && !tcp.FIN) || tcp.SYN || tcp.RST {
		return
	}
	if nextSeq.Difference(reassembly.Sequence(tcp.Seq)) <= 0 {
		return
	}
	// Ahead of the stream: reassembly keeps it until the hole is filled or
	// GapWait passes.
	q := e.conns.ooo
	if n := len(q); n > 0 && e.clock.Sub(q[n-1]) < flushEvery {
		q[n-1] = e.clock
	} else {
		e.conns.ooo = append(q, e.clock)
	}
	e.hold(c)
}

// forgetBefore drops the entries reassembly removed from its pool in a
// flush that closed everything last seen before tc.
func (e *engine) forgetBefore(tc time.Time) {
	t := &e.conns
	for c := t.head; c != nil && c.lastSeen.Before(tc); c = t.head {
		t.unlink(c)
		c.s.ent = nil
		t.n--
		if e.streams[c.s.key] == c.s { // not replaced by a new connection
			delete(e.streams, c.s.key)
		}
	}
}

// tick flushes, by engine clock, out-of-order data that waited GapWait for
// a missing segment and connections idle for IdleFlush, so memory stays
// flat. It scans reassembly's connections only when something is due, and
// for idle connections at most every IdleFlush/8.
func (e *engine) tick() {
	if e.err != nil || e.clock.Before(e.nextTick) {
		return
	}
	e.nextTick = e.clock.Add(flushEvery)
	t := &e.conns
	T := e.clock.Add(-e.cfg.GapWait)
	TC := e.clock.Add(-e.cfg.IdleFlush)
	oooDue := len(t.ooo) > 0 && t.ooo[0].Before(T)
	idleDue := t.head != nil && t.head.lastSeen.Before(TC) && !e.clock.Before(e.nextIdle)
	if !oooDue && !idleDue {
		return
	}
	if !idleDue {
		TC = time.Time{} // reassembly: zero TC closes nothing
	} else {
		e.nextIdle = e.clock.Add(e.cfg.IdleFlush / 8)
		if T.Before(TC) {
			T = TC // everything older than TC must go with its connection
		}
	}
	e.flush(reassembly.FlushOptions{T: T, TC: TC})
	if idleDue {
		e.forgetBefore(TC)
	}
	n := 0
	for n < len(t.ooo) && t.ooo[n].Before(T) {
		n++
	}
	t.ooo = append(t.ooo[:0], t.ooo[n:]...)
	e.released(T)
}

// evict closes the least recently seen connections when the table holds
// more than MaxConns, down to 15/16 of it, so the scan it costs is paid
// once per MaxConns/16 new connections.
func (e *engine) evict() {
	t := &e.conns
	if t.n <= e.cfg.MaxConns || e.err != nil {
		return
	}
	k := t.n - (e.cfg.MaxConns - e.cfg.MaxConns/16)
	c := t.head
	live := 0
	for i := 0; i < k && c != nil; i++ {
		if !c.s.closed {
			live++
		}
		c = c.next
	}
	if c == nil {
		return
	}
	tc := c.lastSeen // the first entry kept; every frame has its own clock value
	e.evicting = true
	e.flush(reassembly.FlushOptions{T: tc, TC: tc})
	e.evicting = false
	e.stats.Evicted += live
	e.forgetBefore(tc)
	e.released(tc)
}

// flushAllInOrder ends every connection at the end of the input, oldest
// first, in batches, so the events of one batch (sorted together) stay
// few and the order does not depend on reassembly's map.
func (e *engine) flushAllInOrder() {
	t := &e.conns
	for t.n > 0 && e.err == nil {
		k := max(1024, t.n/16)
		c := t.head
		for i := 0; i < k && c != nil; i++ {
			c = c.next
		}
		if c == nil {
			break // the rest in one go
		}
		e.flush(reassembly.FlushOptions{T: c.lastSeen, TC: c.lastSeen})
		e.forgetBefore(c.lastSeen)
		e.releasePending(true)
	}
	e.inFlush++
	e.closeAll()
	e.inFlush--
	e.releasePending(true)
}

// closeAll ends every connection, reassembly's and the fast path's.
func (e *engine) closeAll() {
	e.asm.FlushAll()
	e.closeIdleFast(time.Time{}, true)
}

// flush runs a reassembly flush with the events it causes buffered, so
// connections flushed together come out in a fixed order (reassembly
// visits them in map order).
func (e *engine) flush(opt reassembly.FlushOptions) {
	e.inFlush++
	e.asm.FlushWithOptions(opt)
	if !opt.TC.IsZero() {
		e.closeIdleFast(opt.TC, false) // what reassembly did for the connections it holds
	}
	e.inFlush--
}

// advance moves the engine clock for a frame stamped ts: by the frame's
// distance from the previous one, at most e.clockStep, at least 1ns (so
// every frame has its own clock value and the clock never goes back).
func (e *engine) advance(ts time.Time) {
	if e.clock.IsZero() {
		e.clock, e.lastTS = ts, ts
		if e.clock.IsZero() {
			e.clock = time.Unix(0, 1)
		}
		return
	}
	d := ts.Sub(e.lastTS)
	e.lastTS = ts
	switch {
	case d <= 0:
		d = time.Nanosecond
	case d > e.clockStep:
		d = e.clockStep
	}
	e.clock = e.clock.Add(d)
}
