package capture

import (
	"context"
	"encoding/binary"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mqttdump/mqttdump/transport"
	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// Page limits for reassembly's out-of-order buffers (a page holds 1900
// bytes): about 32 MB in total, 4 MB per connection.
const (
	maxPagesTotal   = 16384
	maxPagesPerConn = 2048
	// frameRefCost is what one FrameRef is charged against MaxBuffered, so a
	// packet spread over millions of tiny segments hits the limit too.
	frameRefCost = 128
	// flushEvery is how often (capture time) old data and idle connections
	// are flushed.
	flushEvery = time.Second
)

// packetSource yields frames in capture order; io.EOF ends the input.
type packetSource interface {
	readPacket() (data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, err error)
}

// frameCtx travels with a segment's bytes through reassembly (as its
// AssemblerContext, and in CaptureInfo.AncillaryData, which is the only
// thing ScatterGather hands back per byte).
type frameCtx struct {
	ci   gopacket.CaptureInfo
	anc  [1]any
	num  int    // 1-based frame number
	seq  uint32 // TCP sequence number of the first payload byte
	real int    // payload bytes captured
	full int    // payload bytes on the wire (the rest was cut by the snaplen)
	lt   layers.LinkType
	data []byte // raw frame copy when Config.KeepFrames
	// clock is the engine clock at this frame: what reassembly sees as the
	// frame's time, so a timestamp jump cannot age every connection at once.
	clock time.Time
	held  bool // reassembly queued its data out of order (see orderer)
	// refs counts the byte-stream index entries that point here; pinned
	// says reassembly queued the frame's data (it keeps the pointer). A
	// frame neither pinned nor referenced, and no longer the current one,
	// goes back to the engine's free list (see recycle): one allocation
	// per frame was a third of all the bytes a run allocated.
	refs   int32
	pinned bool
	// payOff is where the TCP payload starts in the raw frame (-1 when
	// the segment was rebuilt, e.g. from IP fragments).
	payOff int
}

// GetCaptureInfo is what reassembly stores with the frame's bytes: the
// engine clock as the time, and c itself in AncillaryData.
func (c *frameCtx) GetCaptureInfo() gopacket.CaptureInfo {
	ci := c.ci
	ci.Timestamp = c.clock
	return ci
}

// engine turns frames into events. It is single-goroutine by design, so
// events come out in capture order.
type engine struct {
	cfg     Config
	fn      func(*Event) error
	err     error // first callback error: stops everything
	stats   Stats
	ports   [1024]uint64 // bit set of MQTT ports
	asm     *reassembly.Assembler
	frameNo int
	now     time.Time // timestamp of the current frame, as recorded
	// clock is the engine clock: monotone, one step per frame of at most
	// clockStep (see advance). Flush decisions use it, never now.
	clock     time.Time
	lastTS    time.Time
	clockStep time.Duration
	nextTick  time.Time
	nextIdle  time.Time
	conns     connTable
	frags     defrag
	tails     tails
	order     orderer
	inFlush   int
	evicting  bool
	buffered  int        // bytes held for connections, charged by capacity (see MaxBuffered)
	open      int        // connections not yet complete (spares are freed when none is)
	frames    []FrameRef // reused for Event.Frames
	carrier   [1]transport.Span
	cur       *frameCtx
	curSrc    netip.AddrPort
	curDst    netip.AddrPort
	seg       segment
	tcp       layers.TCP
	pad       []byte
	ev        Event
	spare     [][]byte             // packet buffers between uses (see memory)
	ignored   map[pairKey]struct{} // connections found not to be MQTT (see ignore.go)
	keys      *tlsdec.KeyLog       // Config.KeyLog, plus the secrets found in the capture
	ownKeys   bool                 // keys is ours (a copy made to add the capture's)
	// tlsScratch is the one buffer every TLS connection decrypts into
	// (one goroutine; the plaintext is not kept).
	tlsScratch tlsdec.Scratch
	free       []*frameCtx // frame contexts to reuse (see recycle)
	// streams holds every connection reassembly holds or the fast path
	// runs, by address pair (see fastpath.go).
	streams map[pairKey]*stream
	fsg     fastSG     // the fast path's ScatterGather, reused
	adopt   *stream    // the stream handOver gives reassembly (factory.New returns it)
	syncing *fastState // the direction handOver is bringing reassembly to
	// synthTCP and synthHdr are the empty segment handOver assembles.
	synthTCP layers.TCP
	synthHdr [20]byte
	noFast   bool // tests: every segment through reassembly, to compare
}

// maxFreeCtx bounds the free list of frame contexts.
const maxFreeCtx = 256

// newCtx is a zeroed frame context, reused when one is free.
func (e *engine) newCtx() *frameCtx {
	if n := len(e.free); n > 0 {
		c := e.free[n-1]
		e.free[n-1] = nil
		e.free = e.free[:n-1]
		return c
	}
	return &frameCtx{}
}

// recycle takes c back once nothing points to it: not the current frame,
// no index entry, never queued by reassembly.
func (e *engine) recycle(c *frameCtx) {
	if c.pinned || c.refs > 0 || c == e.cur || len(e.free) >= maxFreeCtx {
		return
	}
	*c = frameCtx{}
	e.free = append(e.free, c)
}

func newEngine(cfg Config, fn func(*Event) error) *engine {
	e := &engine{cfg: cfg.withDefaults(), fn: fn, clockStep: maxClockStep, streams: map[pairKey]*stream{}}
	e.keys = e.cfg.KeyLog
	for _, p := range e.cfg.Ports {
		e.ports[p/64] |= 1 << (p % 64)
	}
	pool := reassembly.NewStreamPool(&factory{e: e})
	e.asm = reassembly.NewAssembler(pool)
	e.asm.MaxBufferedPagesTotal = maxPagesTotal
	e.asm.MaxBufferedPagesPerConnection = maxPagesPerConn
	return e
}

func (e *engine) isPort(p uint16) bool { return e.ports[p/64]&(1<<(p%64)) != 0 }

// takeSecrets adds the Decryption Secrets Blocks src has read so far.
func (e *engine) takeSecrets(src packetSource) {
	if ss, ok := src.(secretSource); ok {
		for _, b := range ss.pendingSecrets() {
			e.addSecrets(b)
		}
	}
}

// run reads src to the end, the context's end or the first callback error.
// A read error comes back after everything before it has been delivered.
func (e *engine) run(ctx context.Context, src packetSource) error {
	var readErr error
	for i := 0; ; i++ {
		if i&63 == 0 && ctx.Err() != nil {
			e.stats.Interrupted = true
			break
		}
		data, ci, lt, err := src.readPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ctx.Err() != nil { // a live read ended by cancellation
				e.stats.Interrupted = true
				break
			}
			readErr = err
			break
		}
		e.takeSecrets(src)
		if !supportedLink(lt) {
			// A pcapng interface of a link type we cannot decode: its
			// frames are counted (and numbered), the others still read.
			e.frameNo++
			e.stats.Frames++
			e.stats.UnsupportedLink++
			continue
		}
		if e.stats.Frames == e.stats.UnsupportedLink { // pcapng: known only once a packet names its interface
			e.stats.LinkType = lt
		}
		e.handle(data, ci, lt)
		if e.err != nil {
			return e.err
		}
	}
	e.takeSecrets(src) // a block after the last frame still counts
	e.flushAllInOrder()
	if e.err != nil {
		return e.err
	}
	return readErr
}

// handle processes one frame.
func (e *engine) handle(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) {
	if c := e.cur; c != nil {
		e.cur = nil
		e.recycle(c)
	}
	e.frameNo++
	e.stats.Frames++
	if e.stats.FirstTime.IsZero() {
		e.stats.FirstTime = ci.Timestamp
	}
	e.stats.LastTime = ci.Timestamp
	e.now = ci.Timestamp
	e.advance(ci.Timestamp)
	defer e.afterFrame()

	s := &e.seg
	r := decodeFrame(lt, data, s)
	if r == decFragment {
		r = e.defragment(s)
		if r == decFragment {
			return // waits for the rest of its datagram
		}
	}
	switch r {
	case decOther:
		e.stats.NonTCP++
		return
	case decTruncated:
		e.stats.Truncated++
		return
	}
	// Every TCP connection is looked at: MQTT is found by content on any
	// port, and a connection found not to be MQTT is dropped by its stream.
	sp, dp := binary.BigEndian.Uint16(s.tcp[0:]), binary.BigEndian.Uint16(s.tcp[2:])
	if e.ignoredFrame(netip.AddrPortFrom(s.src, sp), netip.AddrPortFrom(s.dst, dp), s.tcp) {
		e.stats.OtherTCP++
		return
	}
	if err := e.tcp.DecodeFromBytes(s.tcp, gopacket.NilDecodeFeedback); err != nil {
		e.stats.NonTCP++
		return
	}
	hl := int(e.tcp.DataOffset) * 4
	c := e.newCtx()
	*c = frameCtx{num: e.frameNo, seq: e.tcp.Seq, real: len(e.tcp.Payload), full: s.wireLen - hl, lt: lt, clock: e.clock, payOff: payloadOffset(data, s.tcp, hl)}
	if e.tcp.SYN {
		c.seq++
	}
	c.ci = ci
	c.ci.AncillaryData = c.anc[:]
	c.anc[0] = c
	if c.real < c.full {
		// Cut by the snaplen: reassembly gets placeholder bytes so the
		// stream moves on at once; the framer reports them as a gap.
		e.stats.Truncated++
		if cap(e.pad) < c.full {
			e.pad = make([]byte, c.full)
		}
		e.pad = e.pad[:c.full]
		clear(e.pad[copy(e.pad, e.tcp.Payload):])
		e.tcp.Payload = e.pad
	}
	if e.cfg.KeepFrames {
		c.data = append([]byte(nil), data...)
	}
	e.cur = c
	e.curSrc, e.curDst = netip.AddrPortFrom(s.src, sp), netip.AddrPortFrom(s.dst, dp)
	et := layers.EndpointIPv4
	if s.v6 {
		et = layers.EndpointIPv6
	}
	if e.fast(c) {
		return
	}
	e.asm.AssembleWithContext(gopacket.NewFlow(et, s.srcRaw, s.dstRaw), &e.tcp, c)
}

// defragment adds the fragment in s to its datagram; once complete, s
// holds the datagram's TCP segment.
func (e *engine) defragment(s *segment) decodeResult {
	if e.frags.byKey == nil {
		e.frags = newDefrag(e.cfg.MaxBuffered / 4)
	}
	k := fragKey{v6: s.v6, id: s.frag.id}
	copy(k.src[:], s.srcRaw)
	copy(k.dst[:], s.dstRaw)
	dg := e.frags.add(k, s.frag, e.clock, &e.stats)
	if dg == nil {
		return decFragment
	}
	return tcpPart(dg, len(dg), s)
}

// afterFrame runs the flushes a frame may make due and delivers the
// events that are in order.
func (e *engine) afterFrame() {
	e.tick()
	e.evict()
	e.releasePending(false)
}

// deliver hands ev to the callback unless an earlier one failed.
func (e *engine) deliver(ev *Event) {
	if e.err != nil {
		return
	}
	switch ev.Kind {
	case EventPacket:
		e.stats.Packets++
	case EventGap:
		e.stats.Gaps++
	}
	if !e.direct() {
		e.queue(ev)
		return
	}
	e.err = e.fn(ev)
}

// factory creates a stream per TCP connection on the MQTT ports.
type factory struct{ e *engine }

func (f *factory) New(_, _ gopacket.Flow, tcp *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	if s := f.e.adopt; s != nil {
		return s // a fast connection handed over (see handOver)
	}
	return f.e.newStream(tcp)
}

// newStream starts a connection whose first segment is tcp, between
// e.curSrc and e.curDst.
func (e *engine) newStream(tcp *layers.TCP) *stream {
	s := &stream{e: e, index: -1, open: true, syn: tcp.SYN, key: keyFor(e.curSrc, e.curDst)}
	e.streams[s.key] = s
	e.open++
	sp, dp := uint16(tcp.SrcPort), uint16(tcp.DstPort)
	mqttPort := e.isPort(sp) || e.isPort(dp)
	toServer := e.isPort(dp) && (!e.isPort(sp) || dp <= sp)
	if !mqttPort {
		// No port says which side is the server: the SYN's sender is the client.
		toServer = !tcp.SYN || !tcp.ACK
	}
	s.init(toServer, e.curSrc, e.curDst)
	e.addConn(s)
	if mqttPort {
		s.number() // named even if it turns out not to be MQTT
	}
	s.chain = transport.New(transport.Config{MQTTPort: mqttPort, MaxPacket: e.cfg.MaxPacket, Budget: e.cfg.MaxBuffered,
		Mem: memory{e}, KeyLog: e.keys, TLSScratch: &e.tlsScratch, Sink: s.deliver, Decided: s.decided})
	return s
}

// payloadOffset is where the TCP payload (after a header of hl bytes)
// starts in frame, or -1 when tcp does not lie inside frame.
func payloadOffset(frame, tcp []byte, hl int) int {
	off := cap(frame) - cap(tcp)
	if off < 0 || off >= len(frame) || len(tcp) == 0 || &frame[off] != &tcp[0] {
		return -1
	}
	return off + hl
}
