package capture

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// The in-order fast path. Most segments of most connections arrive in
// order, and for those reassembly's work (two lookups of a large key, a
// lock, its bookkeeping) was a sixth of a run. A connection starts on the
// fast path: the engine does for its segments exactly what reassembly
// would (the same calls to Accept and ReassembledSG, with the same
// arguments), keeping reassembly's sequence state per direction itself.
// The first segment that needs more (data out of order or again, a FIN, a
// RST, a SYN with data or on a started direction) hands the connection to
// reassembly for the rest of its life: reassembly is given one empty
// segment per started direction, at the sequence number it would have
// reached, so its state is what it would have been had it seen every
// segment, and then the segment itself.
//
// Reassembly never sees a fast connection, so the engine closes the idle
// ones itself, in the same flushes and with the same test (see flush).

// fastState is reassembly's state of one direction, kept while the
// connection is on the fast path.
type fastState struct {
	started bool   // reassembly would have a next sequence number
	next    uint32 // that number
}

// fastSG is the ScatterGather of one in-order segment.
type fastSG struct {
	dir   reassembly.TCPFlowDirection
	start bool
	data  []byte
	ci    gopacket.CaptureInfo
}

func (g *fastSG) Lengths() (int, int) { return len(g.data), 0 }
func (g *fastSG) Fetch(l int) []byte  { return g.data[:l] }
func (g *fastSG) KeepFrom(int)        {}
func (g *fastSG) Stats() reassembly.TCPAssemblyStats {
	return reassembly.TCPAssemblyStats{Chunks: 1, Packets: 1}
}
func (g *fastSG) Info() (reassembly.TCPFlowDirection, bool, bool, int) {
	return g.dir, g.start, false, 0
}
func (g *fastSG) CaptureInfo(off int) gopacket.CaptureInfo {
	if off < 0 || off >= len(g.data) {
		return gopacket.CaptureInfo{}
	}
	return g.ci
}

// fast handles the current segment (e.tcp, frame c, addresses
// e.curSrc → e.curDst) on the fast path and reports whether it did; when
// it did not, reassembly must be given the segment.
func (e *engine) fast(c *frameCtx) bool {
	if e.noFast {
		return false
	}
	t := &e.tcp
	k := keyFor(e.curSrc, e.curDst)
	s, ok := e.streams[k]
	if !ok {
		// A new connection: on the fast path unless its first segment
		// already needs reassembly.
		if t.FIN || t.RST || (t.SYN && len(t.Payload) > 0) {
			return false
		}
		s = e.newStream(t)
		s.fast = true
	} else if !s.fast {
		return false
	}
	i := 0
	if s.dirs[0].src != e.curSrc {
		i = 1
	}
	fs := &s.fstate[i]
	if !s.closed && s.chain.Active() && !fastFits(t, fs) {
		e.handOver(s, c)
		return false
	}
	dir := reassembly.TCPDirClientToServer
	if i == 1 {
		dir = reassembly.TCPDirServerToClient
	}
	next := reassembly.Sequence(-1)
	if fs.started {
		next = reassembly.Sequence(fs.next)
	}
	start := !fs.started && t.SYN
	ci := c.GetCaptureInfo()
	if !s.Accept(t, ci, dir, next, &start, c) {
		return true
	}
	seq := t.Seq
	if !fs.started {
		// Accept forces the start of a direction not started yet.
		if t.SYN {
			seq++
		}
		fs.started, fs.next = true, seq
	}
	if len(t.Payload) == 0 && !t.SYN {
		return true // an ACK: nothing for the stream
	}
	e.fsg = fastSG{dir: dir, start: t.SYN, data: t.Payload, ci: ci}
	s.ReassembledSG(&e.fsg, c)
	fs.next = seq + uint32(len(t.Payload))
	return true
}

// fastFits reports whether reassembly would take segment t of a direction
// in state fs without queueing, trimming or ending anything.
func fastFits(t *layers.TCP, fs *fastState) bool {
	switch {
	case t.FIN || t.RST:
		return false
	case !fs.started:
		return !t.SYN || len(t.Payload) == 0
	case t.SYN:
		return false
	case len(t.Payload) == 0:
		return int32(t.Seq-fs.next) <= 0 // an ACK ahead of the stream is queued
	}
	return t.Seq == fs.next
}

// handOver gives connection s to reassembly: an empty segment per started
// direction brings reassembly to the state it would have reached, the
// first one in the direction of the connection's first segment (which
// reassembly calls client to server).
func (e *engine) handOver(s *stream, c *frameCtx) {
	s.fast = false
	e.adopt = s
	for i := range s.dirs {
		fs := &s.fstate[i]
		if i == 1 && !fs.started {
			break
		}
		d := &s.dirs[i]
		e.syncing = fs
		e.assembleEmpty(d.src, d.dst, fs.next, c)
	}
	e.syncing, e.adopt = nil, nil
}

// assembleEmpty hands reassembly an empty ACK from src to dst at seq.
func (e *engine) assembleEmpty(src, dst netip.AddrPort, seq uint32, c *frameCtx) {
	h := e.synthHdr[:]
	clear(h)
	binary.BigEndian.PutUint16(h[0:], src.Port())
	binary.BigEndian.PutUint16(h[2:], dst.Port())
	binary.BigEndian.PutUint32(h[4:], seq)
	h[12] = 5 << 4 // header length: 20 bytes
	h[13] = 0x10   // ACK
	if err := e.synthTCP.DecodeFromBytes(h, gopacket.NilDecodeFeedback); err != nil {
		return // cannot happen: the header is well formed
	}
	var flow gopacket.Flow
	if a, b := src.Addr(), dst.Addr(); a.Is4() {
		a4, b4 := a.As4(), b.As4()
		flow = gopacket.NewFlow(layers.EndpointIPv4, a4[:], b4[:])
	} else {
		a16, b16 := a.As16(), b.As16()
		flow = gopacket.NewFlow(layers.EndpointIPv6, a16[:], b16[:])
	}
	e.asm.AssembleWithContext(flow, &e.synthTCP, c)
}

// closeIdleFast ends the fast connections last seen before tc (all of them
// when all is set), as reassembly's flush ends the connections it holds.
func (e *engine) closeIdleFast(tc time.Time, all bool) {
	for ent := e.conns.head; ent != nil; ent = ent.next {
		if !all && !ent.lastSeen.Before(tc) {
			return
		}
		if s := ent.s; s.fast && !s.closed {
			s.ReassemblyComplete(nil)
		}
	}
}
