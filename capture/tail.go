package capture

import (
	"bytes"
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// What reassembly drops without a word: data after a direction's FIN or
// RST, and the second copy of bytes it already delivered. Both become
// notes; a retransmission whose bytes differ from the first copy is how
// TCP-level evasion works (the receiver and a monitor may each keep a
// different copy), so it is said as a finding.
//
// To compare a retransmission, the last tailKeep bytes delivered are kept
// for the tailDirs most recently active directions (retransmissions come
// soon after the original), engine-wide: the memory does not grow with
// the number of connections. Older bytes cannot be compared.

const (
	tailKeep = 4096
	tailDirs = 256
)

// dirState is what a stream keeps per direction for these notes.
type dirState struct {
	base   uint32 // sequence number of the direction's first byte
	ended  bool   // reassembly ended it (FIN or RST)
	endSeq uint32 // sequence number after its last byte
	by     string // "FIN" or "RST": the last such flag seen
	noted  bool   // data after the end was noted once
}

// tail is one direction's last delivered bytes.
type tail struct {
	f          *direction
	seq        uint32 // sequence number of buf[0]
	buf        []byte
	prev, next *tail // recency list, most recent first
}

// tails keeps the tails of the tailDirs most recently active directions.
// A list ordered by use finds the one to reuse in constant time: with more
// active directions than tailDirs (common), a miss happens on most
// segments, and scanning for the oldest cost a quarter of the run.
type tails struct {
	n    int  // tails in the list (each direction points to its own, see direction.tail)
	head tail // sentinel: head.next is the most recent, head.prev the oldest
	// free holds the tails of closed streams for reuse: connections come
	// and go, and a new 8 KiB buffer for each was a tenth of the bytes a
	// run allocated. At most tailDirs tails exist.
	free []*tail
}

// unlink takes tl out of the recency list.
func (t *tails) unlink(tl *tail) {
	tl.prev.next, tl.next.prev = tl.next, tl.prev
	tl.prev, tl.next = nil, nil
}

// toFront makes tl the most recently used.
func (t *tails) toFront(tl *tail) {
	if tl.prev != nil {
		t.unlink(tl)
	}
	tl.prev, tl.next = &t.head, t.head.next
	t.head.next.prev = tl
	t.head.next = tl
}

// drop forgets f's tail.
func (t *tails) drop(f *direction) {
	if tl := f.tail; tl != nil {
		t.unlink(tl)
		t.n--
		f.tail = nil
		tl.f, tl.buf = nil, tl.buf[:0]
		t.free = append(t.free, tl)
	}
}

// keepTail records bytes delivered in order to f, starting at seq.
func (e *engine) keepTail(f *direction, seq uint32, b []byte) {
	t := &e.tails
	if t.head.next == nil {
		t.head.prev, t.head.next = &t.head, &t.head
	}
	tl := f.tail
	if tl == nil {
		switch n := len(t.free); {
		case t.n >= tailDirs:
			tl = t.head.prev
			t.unlink(tl)
			tl.f.tail = nil
			tl.buf = tl.buf[:0]
		case n > 0:
			tl = t.free[n-1]
			t.free[n-1] = nil
			t.free = t.free[:n-1]
			t.n++
		default:
			tl = &tail{buf: make([]byte, 0, 2*tailKeep)}
			t.n++
		}
		tl.f, tl.seq = f, seq
		f.tail = tl
	}
	t.toFront(tl)
	if tl.seq+uint32(len(tl.buf)) != seq || len(b) >= tailKeep {
		tl.buf = tl.buf[:0]
		tl.seq = seq
		if len(b) > tailKeep {
			tl.seq += uint32(len(b) - tailKeep)
			b = b[len(b)-tailKeep:]
		}
	}
	// Room for twice what is kept, so the kept bytes move once per
	// tailKeep delivered, not on every segment.
	if len(tl.buf)+len(b) > cap(tl.buf) {
		over := len(tl.buf) + len(b) - tailKeep
		tl.buf = append(tl.buf[:0], tl.buf[over:]...)
		tl.seq += uint32(over)
	}
	tl.buf = append(tl.buf, b...)
}

// forgetTails drops the kept bytes of a closed stream.
func (e *engine) forgetTails(s *stream) {
	e.tails.drop(&s.dirs[0])
	e.tails.drop(&s.dirs[1])
}

// checkSegment notes what reassembly will silently drop of this segment.
func (e *engine) checkSegment(s *stream, tcp *layers.TCP, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, c *frameCtx) {
	i := 0
	if dir == reassembly.TCPDirServerToClient {
		i = 1
	}
	d, f := &s.ends[i], &s.dirs[i]
	if tcp.FIN {
		d.by = "FIN"
	}
	if tcp.RST {
		d.by = "RST"
	}
	n := min(c.real, len(tcp.Payload))
	if n == 0 {
		return
	}
	if d.ended && int32(tcp.Seq-d.endSeq) >= 0 {
		if !d.noted {
			d.noted = true
			s.note(f, c, fmt.Sprintf("%d bytes after the %s in frame %d ignored: the stream had ended (later ones are not noted)", n, d.by, c.num))
		}
		return
	}
	if nextSeq == -1 || !f.started {
		return
	}
	// Bytes before nextSeq were delivered already: compare what is kept.
	seq, next := tcp.Seq, uint32(nextSeq)
	if int32(next-seq) <= 0 {
		return
	}
	tl := f.tail
	if tl == nil {
		return
	}
	lo := seq
	if int32(tl.seq-lo) > 0 {
		lo = tl.seq
	}
	hi := seq + uint32(n)
	if int32(hi-next) > 0 {
		hi = next
	}
	if tEnd := tl.seq + uint32(len(tl.buf)); int32(hi-tEnd) > 0 {
		hi = tEnd
	}
	if int32(hi-lo) <= 0 {
		return
	}
	old := tl.buf[lo-tl.seq : hi-tl.seq]
	cur := tcp.Payload[lo-seq : hi-seq]
	if k := firstDiff(old, cur); k >= 0 {
		s.note(f, c, fmt.Sprintf("retransmission with different bytes at stream offset %d (frame %d): kept the first copy", lo+uint32(k)-d.base, c.num))
	}
}

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
