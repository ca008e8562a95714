package capture

import (
	"bytes"
	"time"
)

// IP fragment reassembly (IPv4 and IPv6), bounded against hostile
// fragments: at most maxDatagrams in flight, each at most maxDatagram bytes
// and maxFragments pieces, all of them together at most the byte budget;
// a datagram not complete within fragTimeout (engine clock) is dropped.
// Overlapping fragments keep the bytes that came first (what most stacks
// do); one that overlaps with different bytes is counted, since that is how
// fragment-based evasion works (the tiny-fragment and overlap attacks of
// RFC 1858 and RFC 3128 both need it). What is dropped is counted in Stats.

const (
	maxDatagrams = 1024
	maxDatagram  = 65535
	maxFragments = 256
	fragTimeout  = 30 * time.Second
	// minFragBudget is the byte budget when a quarter of MaxBuffered is less.
	minFragBudget = 1 << 20
)

// fragInfo is the fragment part of a segment (decFragment).
type fragInfo struct {
	id     uint32
	offset int    // in bytes
	more   bool   // more fragments follow
	data   []byte // this fragment's payload, captured in full
}

type fragKey struct {
	v6       bool
	src, dst [16]byte
	id       uint32
}

// datagram is one IP datagram being reassembled.
type datagram struct {
	key     fragKey
	born    time.Time // engine clock of its first fragment
	buf     []byte    // bytes so far, up to the highest end seen
	have    []span    // ranges received, sorted, merged
	pieces  int
	total   int // size once the last fragment came, else -1
	overlap bool
	idx     int // in defrag.order
}

type span struct{ from, to int }

// defrag holds the datagrams in flight, oldest first.
type defrag struct {
	byKey  map[fragKey]*datagram
	order  []*datagram // creation order (= engine clock order); nil: gone
	head   int
	bytes  int
	budget int
}

func newDefrag(budget int) defrag {
	return defrag{byKey: map[fragKey]*datagram{}, budget: max(minFragBudget, budget)}
}

// add takes one fragment. When it completes its datagram, the datagram's
// payload is returned (the caller owns it); dropped counts datagrams given
// up (timed out, over a bound), overlaps fragments that overlapped earlier
// ones with different bytes.
func (d *defrag) add(k fragKey, f fragInfo, now time.Time, st *Stats) []byte {
	d.expire(now, st)
	end := f.offset + len(f.data)
	if end > maxDatagram || (f.more && len(f.data)%8 != 0) {
		st.FragDropped++ // impossible fragment: drop it and its datagram
		if g := d.byKey[k]; g != nil {
			d.remove(g)
		}
		return nil
	}
	g := d.byKey[k]
	if g == nil {
		for len(d.byKey) >= maxDatagrams {
			d.dropOldest(st)
		}
		d.compact()
		g = &datagram{key: k, born: now, total: -1, idx: len(d.order)}
		d.byKey[k] = g
		d.order = append(d.order, g)
	}
	g.pieces++
	if g.pieces > maxFragments || (!f.more && g.total >= 0 && g.total != end) || (g.total >= 0 && end > g.total) {
		st.FragDropped++
		d.remove(g)
		return nil
	}
	if !f.more {
		g.total = end
	}
	if grow := end - len(g.buf); grow > 0 {
		for d.bytes+grow > d.budget && d.oldest() != nil && d.oldest() != g {
			d.dropOldest(st)
		}
		if d.bytes+grow > d.budget {
			st.FragDropped++
			d.remove(g)
			return nil
		}
		g.buf = append(g.buf, make([]byte, grow)...)
		d.bytes += grow
	}
	g.put(f.offset, f.data, st)
	if g.total >= 0 && len(g.have) == 1 && g.have[0] == (span{0, g.total}) {
		d.remove(g)
		st.Defragmented++
		return g.buf[:g.total]
	}
	return nil
}

// put copies the parts of data at off that are not there yet; parts
// already there are compared.
func (g *datagram) put(off int, data []byte, st *Stats) {
	end := off + len(data)
	pos := off
	for _, h := range g.have {
		if h.to <= pos || h.from >= end {
			continue
		}
		if h.from > pos {
			copy(g.buf[pos:h.from], data[pos-off:h.from-off])
		}
		lo, hi := max(pos, h.from), min(end, h.to)
		if !g.overlap && !bytes.Equal(g.buf[lo:hi], data[lo-off:hi-off]) {
			g.overlap = true
			st.FragOverlap++
		}
		pos = hi
	}
	if pos < end {
		copy(g.buf[pos:end], data[pos-off:])
	}
	// Merge [off, end) into the sorted ranges.
	merged := span{off, end}
	out := g.have[:0:0]
	placed := false
	for _, h := range g.have {
		switch {
		case h.to < merged.from:
			out = append(out, h)
		case h.from > merged.to:
			if !placed {
				out = append(out, merged)
				placed = true
			}
			out = append(out, h)
		default:
			merged = span{min(merged.from, h.from), max(merged.to, h.to)}
		}
	}
	if !placed {
		out = append(out, merged)
	}
	g.have = out
}

func (d *defrag) oldest() *datagram {
	for d.head < len(d.order) && d.order[d.head] == nil {
		d.head++
	}
	if d.head == len(d.order) {
		d.order, d.head = d.order[:0], 0
		return nil
	}
	return d.order[d.head]
}

// compact drops the holes of order once they outnumber the datagrams.
func (d *defrag) compact() {
	if len(d.order) < 64 || len(d.order) < 2*len(d.byKey) {
		return
	}
	kept := d.order[:0]
	for _, g := range d.order[d.head:] {
		if g != nil {
			g.idx = len(kept)
			kept = append(kept, g)
		}
	}
	clear(d.order[len(kept):])
	d.order, d.head = kept, 0
}

func (d *defrag) dropOldest(st *Stats) {
	if g := d.oldest(); g != nil {
		st.FragDropped++
		d.remove(g)
	}
}

// expire drops datagrams older than fragTimeout.
func (d *defrag) expire(now time.Time, st *Stats) {
	for g := d.oldest(); g != nil && now.Sub(g.born) > fragTimeout; g = d.oldest() {
		st.FragDropped++
		d.remove(g)
	}
}

func (d *defrag) remove(g *datagram) {
	if d.byKey[g.key] != g {
		return
	}
	delete(d.byKey, g.key)
	d.bytes -= len(g.buf)
	d.order[g.idx] = nil
}
