package capture

import (
	"net/netip"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/transport"
)

// direction is one direction's in-order byte stream (the tcp stage): every
// byte has a stream offset (0 = the direction's first byte), and a compact
// index maps offsets to the frames that carried them. The transport chain
// above asks for the frames behind the spans of what it delivers; entries
// below the lowest offset any layer still needs are dropped.
type direction struct {
	dir      dissect.Direction
	tdir     transport.Dir
	src, dst netip.AddrPort
	started  bool   // the first bytes (or SYN) were seen
	pos      uint32 // TCP sequence number of the next byte expected
	off      int64  // stream offset of the next byte

	index []indexEntry // ascending, non-overlapping; live from head on
	head  int

	// carried is the stream offset up to which frames went out with a
	// packet. With Config.KeepFrames on TLS and WebSocket connections the
	// index is kept from there, so the next packet's frames include the
	// transport's own (handshake, upgrade, control frames, other records)
	// and a -w file can be decoded again.
	carried int64

	tail *tail // its last delivered bytes, while among the most recent (see tails)
}

// maxCarrierGap bounds how far the index is kept back for transport
// frames: past it (a flood of WebSocket pings, say) they are let go and
// the -w file lacks them.
const maxCarrierGap = 1 << 20

// indexEntry says that stream bytes [from, to) came in frame c, whose
// first payload byte has stream offset seq.
type indexEntry struct {
	from, to int64
	seq      int64
	c        *frameCtx
}

// entryCost is what an index entry is charged against MaxBuffered: the
// entry, plus the frame copy it pins.
func entryCost(c *frameCtx) int { return frameRefCost + len(c.data) }

// attribute records that the n bytes at the stream's current offset came
// in frame c, rel bytes into its payload.
func (d *direction) attribute(e *engine, c *frameCtx, n, rel int) {
	if n <= 0 {
		return
	}
	if k := len(d.index); k > d.head {
		last := &d.index[k-1]
		if last.c == c && last.to == d.off {
			last.to += int64(n)
			return
		}
	}
	d.index = append(d.index, indexEntry{from: d.off, to: d.off + int64(n), seq: d.off - int64(rel), c: c})
	c.refs++
	e.buffered += entryCost(c)
}

// dropBelow forgets the entries wholly below offset low.
func (d *direction) dropBelow(e *engine, low int64) {
	for d.head < len(d.index) && d.index[d.head].to <= low {
		c := d.index[d.head].c
		e.buffered -= entryCost(c)
		d.index[d.head] = indexEntry{}
		c.refs--
		e.recycle(c)
		d.head++
	}
	switch {
	case d.head == len(d.index):
		d.index, d.head = d.index[:0], 0
		if cap(d.index) > 64 {
			d.index = nil // an idle connection keeps no big index
		}
	case d.head > 32 && d.head > len(d.index)/2:
		n := copy(d.index, d.index[d.head:])
		clear(d.index[n:])
		d.index, d.head = d.index[:n], 0
	}
}

// frames appends the frames carrying any byte of spans, in byte order,
// each once per run.
func (d *direction) frames(spans []transport.Span, out []FrameRef) []FrameRef {
	live := d.index[d.head:]
	last := 0
	for _, s := range spans {
		// first entry ending after s.From
		lo, hi := 0, len(live)
		for lo < hi {
			m := (lo + hi) / 2
			if live[m].to <= s.From {
				lo = m + 1
			} else {
				hi = m
			}
		}
		for i := lo; i < len(live) && live[i].from < s.To; i++ {
			c := live[i].c
			if c.num == last {
				continue
			}
			last = c.num
			ci := c.ci
			ci.AncillaryData = nil
			out = append(out, FrameRef{Number: c.num, CI: ci, LinkType: c.lt, Data: c.data,
				PayloadOffset: c.payOff, Seq: live[i].seq})
		}
	}
	return out
}

// frameAt is the frame that carried stream byte off (nil if unknown).
func (d *direction) frameAt(off int64) *frameCtx {
	live := d.index[d.head:]
	lo, hi := 0, len(live)
	for lo < hi {
		m := (lo + hi) / 2
		if live[m].to <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(live) && live[lo].from <= off {
		return live[lo].c
	}
	return nil
}

// release drops the whole index.
func (d *direction) release(e *engine) { d.dropBelow(e, transport.NoLow) }

// memory is transport.Memory over the engine's budget and its few spare
// buffers. Every buffer is charged by capacity, spares included.
type memory struct{ e *engine }

// minSpare is the smallest buffer worth keeping for reuse.
const minSpare = 512

// maxSpares bounds the spare buffers; each is at most Config.MaxPacket.
const maxSpares = 8

func (m memory) Grow(buf []byte, n int) ([]byte, bool) {
	e := m.e
	need := len(buf) + n
	if need <= cap(buf) {
		return buf, true
	}
	for i, s := range e.spare {
		if cap(s) >= need {
			e.spare[i] = e.spare[len(e.spare)-1]
			e.spare = e.spare[:len(e.spare)-1]
			nb := append(s[:0], buf...)
			m.Release(buf)
			return nb, true
		}
	}
	want := need
	if cap(buf) > 0 {
		want = max(need, 2*cap(buf))
	}
	if e.buffered+want > e.cfg.MaxBuffered {
		want = need
	}
	for e.buffered+want > e.cfg.MaxBuffered && len(e.spare) > 0 {
		m.dropSpare()
	}
	if e.buffered+want > e.cfg.MaxBuffered {
		return buf, false
	}
	nb := make([]byte, len(buf), want)
	copy(nb, buf)
	e.buffered += want
	m.Release(buf)
	return nb, true
}

func (m memory) Release(buf []byte) {
	e := m.e
	if cap(buf) == 0 {
		return
	}
	if cap(buf) < minSpare {
		e.buffered -= cap(buf)
		return
	}
	if len(e.spare) < maxSpares {
		e.spare = append(e.spare, buf[:0])
		return
	}
	// Keep the larger buffers: they serve every smaller need too.
	small := 0
	for i, s := range e.spare {
		if cap(s) < cap(e.spare[small]) {
			small = i
		}
	}
	if cap(buf) > cap(e.spare[small]) {
		e.buffered -= cap(e.spare[small])
		e.spare[small] = buf[:0]
		return
	}
	e.buffered -= cap(buf)
}

// dropSpare frees the last spare buffer.
func (m memory) dropSpare() {
	e := m.e
	k := len(e.spare) - 1
	e.buffered -= cap(e.spare[k])
	e.spare[k] = nil
	e.spare = e.spare[:k]
}

// dropSpares frees every spare (when no connection is open).
func (m memory) dropSpares() {
	for len(m.e.spare) > 0 {
		m.dropSpare()
	}
}
