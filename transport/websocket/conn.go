package websocket

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxInflate caps the inflated size of one message.
const DefaultMaxInflate = 16 << 20

// dataChunk bounds the uncompressed payload delivered in one Data call.
const dataChunk = 32 << 10

// unmaskChunk bounds the compressed input unmasked at once.
const unmaskChunk = 4 << 10

// maxControl is the largest control frame payload (RFC 6455 §5.5).
const maxControl = 125

// Conn decodes one TCP connection carrying WebSocket. Set the exported
// limits before the first Write.
type Conn struct {
	MaxInflate int // inflated bytes per message; beyond, the message is cut (0: DefaultMaxInflate)
	MaxHeader  int // bytes of one HTTP header block (0: DefaultMaxHeader)

	sink     Sink
	info     Info
	key      string        // the client's Sec-WebSocket-Key
	offer    deflateParams // what the client offered
	deflate  deflateParams // what the server accepted (or the offer, when assumed)
	respSeen bool
	noShake  bool // AssumeUpgraded: no handshake will be seen
	dirs     [2]dirState
}

type phase uint8

const (
	phHandshake    phase = iota // reading the HTTP header block
	phAfterRequest              // client: request read, response not seen yet
	phFrames                    // reading frames
	phStopped                   // nothing more is decoded
)

type frameKind uint8

const (
	kindData frameKind = iota
	kindControl
	kindSkip // reserved opcode: payload skipped
)

// dirState is the decoder of one direction.
type dirState struct {
	d       Dir
	phase   phase
	started bool
	next    int64 // stream offset of the next byte expected

	hbuf []byte // HTTP header block so far
	hoff int64  // its stream offset

	hdr       [14]byte // frame header so far
	hlen      int
	foff      int64 // stream offset of the current frame
	inPayload bool
	fin       bool
	rsv       uint8
	op        uint8
	masked    bool
	key       [4]byte
	plen      uint64
	done      uint64 // payload bytes consumed (missing ones included)
	kind      frameKind
	ctl       []byte // control payload, at most maxControl bytes
	ctlLost   bool   // part of the control payload is missing

	inMsg      bool
	msg        MessageInfo
	moff       int64 // stream offset of the message's first frame
	inflating  bool  // the message's payload goes through inf
	msgStopped bool  // inflating this message stopped (limit, bad data, gap)
	msgOut     int   // bytes inflated for this message
	curEnd     int64 // stream offset after the compressed input fed so far
	inf        *inflater
	infBroken  bool // the deflate context is lost: later compressed messages cannot be inflated
	closed     bool // a close frame was seen

	out   []byte // uncompressed payload not yet delivered
	spans []Span
	tmp   []byte // unmasked compressed input
	span1 [1]Span
}

// NewConn returns a decoder that reports to sink.
func NewConn(sink Sink) *Conn {
	c := &Conn{sink: sink}
	c.dirs[ClientToServer].d = ClientToServer
	c.dirs[ServerToClient].d = ServerToClient
	return c
}

// Info is what the handshake negotiated so far. It does not allocate:
// Offered is shared (the Conn replaces it, never changes it in place), so
// callers must not modify it.
func (c *Conn) Info() Info {
	return c.info
}

// AssumeUpgraded makes the Conn decode frames from the first byte of each
// direction, for a capture that began after the handshake. Compressed
// messages cannot be inflated then (the negotiation and the deflate
// context are unknown): they are reported and not delivered. Call it
// before the first Write.
func (c *Conn) AssumeUpgraded() {
	c.noShake = true
	c.info.Upgraded, c.info.Assumed = true, true
	for i := range c.dirs {
		if s := &c.dirs[i]; s.phase == phHandshake && len(s.hbuf) == 0 {
			s.phase = phFrames
		}
	}
}

// Stopped reports whether decoding of direction d has stopped (a lost
// frame boundary, a refused upgrade, a cap): later bytes are ignored.
func (c *Conn) Stopped(d Dir) bool {
	return d <= ServerToClient && c.dirs[d].phase == phStopped
}

// Buffered is the number of bytes the decoder holds, by capacity.
func (c *Conn) Buffered() int {
	n := 0
	for i := range c.dirs {
		s := &c.dirs[i]
		n += cap(s.hbuf) + s.hlen + cap(s.ctl) + cap(s.out) + cap(s.tmp)
		if s.inf != nil {
			n += s.inf.buffered()
		}
	}
	return n
}

// Shed gives up what the decoder holds because a memory budget is
// exhausted (why says which, for the events). An unfinished HTTP header
// block is dropped and its direction stops (EvShed, EvStopped). The
// inflater is dropped: mid-message, the rest of the message is lost to the
// layer above (EvGap); with context takeover, later compressed messages of
// the direction cannot be inflated (EvShed). Empty scratch buffers go too.
func (c *Conn) Shed(why string) {
	for i := range c.dirs {
		s := &c.dirs[i]
		if s.phase == phHandshake && len(s.hbuf) > 0 {
			n := len(s.hbuf)
			c.event(s, Span{s.hoff, s.hoff + int64(n)}, EvShed,
				fmt.Sprintf("%d bytes of an unfinished HTTP header block at stream offset %d dropped (%s)", n, s.hoff, why))
			c.stop(s, s.next, "its HTTP header block was dropped")
			continue
		}
		if s.inf != nil {
			held := s.inf.buffered()
			mid := s.inMsg && s.inflating && !s.msgStopped
			ctx := c.takeover(s.d) && !s.infBroken && s.inf.wlen > 0
			at := Span{s.next, s.next}
			if mid {
				s.msgStopped = true
				at = Span{s.moff, s.next}
			}
			if ctx {
				s.infBroken = true
			}
			switch {
			case mid && ctx:
				c.event(s, at, EvGap, fmt.Sprintf("permessage-deflate state of %d bytes dropped at stream offset %d (%s): the rest of this message and later compressed messages of this direction cannot be inflated", held, s.next, why))
			case mid:
				c.event(s, at, EvGap, fmt.Sprintf("permessage-deflate state of %d bytes dropped at stream offset %d (%s): the rest of this message cannot be inflated", held, s.next, why))
			case ctx:
				c.event(s, at, EvShed, fmt.Sprintf("permessage-deflate window of %d bytes dropped at stream offset %d (%s): later compressed messages of this direction cannot be inflated", held, s.next, why))
			}
			s.inf = nil
		}
		// Flushed at the end of every Write: empty here.
		s.out, s.tmp, s.spans = nil, nil, nil
	}
}

func (c *Conn) maxInflate() int {
	if c.MaxInflate > 0 {
		return c.MaxInflate
	}
	return DefaultMaxInflate
}

func (c *Conn) maxHeader() int {
	if c.MaxHeader > 0 {
		return c.MaxHeader
	}
	return DefaultMaxHeader
}

// Write takes in-order bytes of direction d starting at stream offset off.
// Bytes already seen are skipped; a hole before off counts as a gap.
func (c *Conn) Write(d Dir, off int64, b []byte) {
	if d > ServerToClient || len(b) == 0 {
		return
	}
	s := &c.dirs[d]
	if !s.started {
		s.started, s.next = true, off
	}
	end := off + int64(len(b))
	if end <= s.next {
		return
	}
	if off < s.next {
		b = b[s.next-off:]
		off = s.next
	}
	if off > s.next {
		c.gap(s, s.next, off-s.next)
	}
	for len(b) > 0 && s.phase != phStopped {
		n := 0
		switch s.phase {
		case phHandshake:
			n = c.handshake(s, off, b)
		case phAfterRequest:
			c.assumeUpgrade(s, off)
		case phFrames:
			n = c.frames(s, off, b)
		}
		b = b[n:]
		off += int64(n)
	}
	s.next = end
	c.flushData(s, false)
}

// Gap says n bytes of direction d from off are missing.
func (c *Conn) Gap(d Dir, off int64, n int) {
	if d > ServerToClient || n <= 0 {
		return
	}
	s := &c.dirs[d]
	if !s.started {
		s.started, s.next = true, off
	}
	end := off + int64(n)
	if end <= s.next {
		return
	}
	c.gap(s, s.next, end-s.next)
	s.next = end
	c.flushData(s, false)
}

func (c *Conn) gap(s *dirState, off, n int64) {
	sp := Span{off, off + n}
	switch s.phase {
	case phStopped:
		return
	case phHandshake:
		c.event(s, sp, EvGap, fmt.Sprintf("%d bytes missing in the HTTP handshake", n))
		c.stop(s, off+n, "the handshake is incomplete")
	case phAfterRequest:
		c.event(s, sp, EvGap, fmt.Sprintf("%d bytes missing after the upgrade request", n))
		c.stop(s, off+n, "the first frame boundary is unknown")
	case phFrames:
		if !s.inPayload || uint64(n) > s.plen-s.done {
			c.event(s, sp, EvGap, fmt.Sprintf("%d bytes missing across a frame header", n))
			c.stop(s, off+n, "frame boundaries are lost")
			return
		}
		c.event(s, sp, EvGap, fmt.Sprintf("%d bytes missing inside a frame payload: skipped", n))
		switch s.kind {
		case kindData:
			if s.inflating && !s.msgStopped {
				c.stopInflating(s, sp, "bytes missing from the compressed message")
			}
		case kindControl:
			s.ctlLost = true
		}
		s.done += uint64(n)
		if s.done == s.plen {
			c.endFrame(s, off+n)
		}
	}
}

// stop ends decoding of a direction.
func (c *Conn) stop(s *dirState, off int64, why string) {
	c.event(s, Span{off, off}, EvStopped, s.d.String()+" not decoded further: "+why)
	s.phase = phStopped
	s.hbuf, s.ctl, s.out, s.tmp, s.inf = nil, nil, nil, nil, nil
}

func (c *Conn) event(s *dirState, sp Span, kind EventKind, msg string) {
	c.flushData(s, false)
	c.sink.Event(s.d, sp, kind, msg)
}

// ---- handshake ----

func (c *Conn) handshake(s *dirState, off int64, b []byte) int {
	limit := c.maxHeader()
	old := len(s.hbuf)
	if old == 0 {
		s.hoff = off
	}
	take := max(0, min(len(b), limit-old)) // limits may be lowered mid-stream
	s.hbuf = append(s.hbuf, b[:take]...)
	from := max(0, old-3)
	e := headerEnd(s.hbuf[from:])
	if e < 0 {
		if len(s.hbuf) >= limit {
			c.event(s, Span{s.hoff, s.hoff + int64(len(s.hbuf))}, EvLimit,
				fmt.Sprintf("HTTP header block longer than %d bytes", limit))
			c.stop(s, off+int64(take), "the handshake is too long")
		}
		return take
	}
	e += from
	block := s.hbuf[:e]
	sp := Span{s.hoff, s.hoff + int64(e)}
	if s.d == ClientToServer {
		c.request(s, block, sp)
	} else {
		c.response(s, block, sp)
	}
	s.hbuf = nil
	return e - old
}

// quoteLine shows the start of a header line for a message.
func quoteLine(b []byte) string {
	if len(b) > 80 {
		return strconv.Quote(string(b[:80])) + "..."
	}
	return strconv.Quote(string(b))
}

func (c *Conn) request(s *dirState, block []byte, sp Span) {
	h, ok := parseHeaderBlock(block)
	_, target, okLine := parseRequestLine(h.start)
	if !ok || !okLine {
		c.event(s, sp, EvProtocol, "not an HTTP/1.1 GET request: "+quoteLine(h.start)+" (RFC 6455 §4.1)")
		c.stop(s, sp.To, "no upgrade request")
		return
	}
	c.info.Path, c.info.Host = target, h.get("host")
	c.info.Offered = splitList(h.get("sec-websocket-protocol"))
	c.key = h.get("sec-websocket-key")
	offeredExt := h.get("sec-websocket-extensions")
	c.offer = parseDeflate(offeredExt)
	if !c.respSeen {
		c.info.Subprotocol = strings.Join(c.info.Offered, ", ")
	}
	msg := "WebSocket upgrade request GET " + strconv.Quote(target)
	if c.info.Host != "" {
		msg += " host " + strconv.Quote(c.info.Host)
	}
	msg += ", subprotocols offered: " + orNone(wireText(strings.Join(c.info.Offered, ", ")))
	if offeredExt != "" {
		msg += ", extensions offered: " + wireText(offeredExt)
	}
	c.event(s, sp, EvUpgradeRequest, msg)

	if !hasToken(h.get("upgrade"), "websocket") {
		c.event(s, sp, EvProtocol, "request has no \"Upgrade: websocket\" (RFC 6455 §4.1)")
		c.stop(s, sp.To, "not a WebSocket upgrade")
		return
	}
	if !hasToken(h.get("connection"), "upgrade") {
		c.event(s, sp, EvProtocol, "request has no \"Connection: Upgrade\" (RFC 6455 §4.1)")
	}
	if v := h.get("sec-websocket-version"); v != "13" {
		c.event(s, sp, EvProtocol, "Sec-WebSocket-Version is "+strconv.Quote(v)+", not 13 (RFC 6455 §4.1)")
	}
	if !validKey(c.key) {
		c.event(s, sp, EvProtocol, "Sec-WebSocket-Key is not 16 bytes in base64 (RFC 6455 §4.1)")
	}
	mqtt := false
	for _, p := range c.info.Offered {
		mqtt = mqtt || IsMQTTSubprotocol(p)
	}
	if !mqtt {
		c.event(s, sp, EvNotMQTTSubprotocol, "the client offers no mqtt subprotocol (MQTT 5.0 [MQTT-6.0.0-3])")
	}
	if c.offer.bad != "" {
		c.event(s, sp, EvProtocol, "offer: "+c.offer.bad)
	}
	s.phase = phAfterRequest
	if c.respSeen {
		if c.info.Upgraded {
			s.phase = phFrames
		} else {
			c.stop(s, sp.To, "the upgrade was refused")
		}
	}
}

func validKey(k string) bool {
	if len(k) != 24 {
		return false
	}
	b := make([]byte, 18)
	n, err := base64Decode(b, k)
	return err == nil && n == 16
}

// wireText shows header text as it is when it is plain printable ASCII,
// else quoted with escapes: it may hold terminal control sequences.
func wireText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return strconv.Quote(s)
		}
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (c *Conn) response(s *dirState, block []byte, sp Span) {
	h, ok := parseHeaderBlock(block)
	status, okLine := parseStatusLine(h.start)
	if !ok || !okLine {
		c.event(s, sp, EvProtocol, "not an HTTP/1.x response: "+quoteLine(h.start))
		c.stop(s, sp.To, "no upgrade response")
		return
	}
	c.respSeen = true
	c.info.Status = status
	cl := &c.dirs[ClientToServer]
	if status != 101 {
		c.info.Upgraded, c.info.Assumed = false, false
		c.event(s, sp, EvUpgradeRefused, "WebSocket upgrade refused: "+quoteLine(h.start))
		c.stop(s, sp.To, "the upgrade was refused")
		if cl.phase == phAfterRequest || cl.phase == phFrames {
			c.stop(cl, cl.next, "the upgrade was refused")
		}
		return
	}
	c.info.Upgraded, c.info.Assumed = true, false
	sub := h.get("sec-websocket-protocol")
	c.info.Subprotocol = sub
	ext := h.get("sec-websocket-extensions")
	c.info.Extensions = ext
	p := parseDeflate(ext)
	c.deflate = p
	c.info.Deflate = p.found
	c.info.ClientNoContextTakeover, c.info.ServerNoContextTakeover = p.clientNoContextTakeover, p.serverNoContextTakeover
	c.info.ClientMaxWindowBits, c.info.ServerMaxWindowBits = p.clientMaxWindowBits, p.serverMaxWindowBits

	c.event(s, sp, EvUpgradeAccepted, "WebSocket upgrade: subprotocol "+orNone(wireText(sub))+", extensions "+orNone(wireText(ext)))
	if !hasToken(h.get("upgrade"), "websocket") {
		c.event(s, sp, EvProtocol, "101 response has no \"Upgrade: websocket\" (RFC 6455 §4.1)")
	}
	if !hasToken(h.get("connection"), "upgrade") {
		c.event(s, sp, EvProtocol, "101 response has no \"Connection: Upgrade\" (RFC 6455 §4.1)")
	}
	if c.key != "" && h.get("sec-websocket-accept") != acceptKey(c.key) {
		c.event(s, sp, EvProtocol, "Sec-WebSocket-Accept does not match the request's key (RFC 6455 §4.1)")
	}
	if !IsMQTTSubprotocol(sub) {
		what := "no subprotocol was selected"
		if sub != "" {
			what = "subprotocol " + strconv.Quote(sub) + " is not mqtt"
		}
		c.event(s, sp, EvNotMQTTSubprotocol, what+" (MQTT 5.0 [MQTT-6.0.0-4])")
	}
	if sub != "" && len(c.info.Offered) > 0 && !contains(c.info.Offered, sub) {
		c.event(s, sp, EvProtocol, "the server selected subprotocol "+strconv.Quote(sub)+" that the client did not offer (RFC 6455 §4.1)")
	}
	if p.found && cl.phase != phHandshake && !c.offer.found {
		c.event(s, sp, EvProtocol, "the server accepted permessage-deflate that the client did not offer (RFC 6455 §9.1)")
	}
	if p.bad != "" {
		c.event(s, sp, EvProtocol, p.bad)
	}
	s.phase = phFrames
	if cl.phase == phAfterRequest {
		cl.phase = phFrames
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// assumeUpgrade starts decoding client frames when the response is not
// (yet) seen: the capture may hold only one direction.
func (c *Conn) assumeUpgrade(s *dirState, off int64) {
	c.info.Upgraded, c.info.Assumed = true, true
	if c.offer.found {
		c.deflate = c.offer
	}
	msg := "no upgrade response seen: client frames decoded as if the upgrade succeeded"
	if c.offer.found {
		msg += " with the offered permessage-deflate"
	}
	c.event(s, Span{off, off}, EvAssumedUpgrade, msg)
	s.phase = phFrames
}

// ---- frames ----

// frameHeaderLen is the length of the frame header that starts with h.
func frameHeaderLen(h []byte) int {
	if len(h) < 2 {
		return 2
	}
	n := 2
	switch h[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h[1]&0x80 != 0 {
		n += 4
	}
	return n
}

func (c *Conn) frames(s *dirState, off int64, b []byte) int {
	i := 0
	for i < len(b) && s.phase == phFrames {
		if !s.inPayload {
			if s.hlen == 0 {
				s.foff = off + int64(i)
			}
			s.hdr[s.hlen] = b[i]
			s.hlen++
			i++
			if s.hlen == frameHeaderLen(s.hdr[:s.hlen]) {
				c.startFrame(s, off+int64(i))
			}
			continue
		}
		n := len(b) - i
		if rem := s.plen - s.done; uint64(n) > rem {
			n = int(rem)
		}
		c.payload(s, off+int64(i), b[i:i+n])
		i += n
		if s.done == s.plen {
			c.endFrame(s, off+int64(i))
		}
	}
	return i
}

// addOff is off+n, saturated: a hostile length must not wrap an offset.
func addOff(off int64, n uint64) int64 {
	if off >= 0 && n > uint64(math.MaxInt64-off) {
		return math.MaxInt64
	}
	return off + int64(n)
}

func (c *Conn) startFrame(s *dirState, hdrEnd int64) {
	h := s.hdr[:s.hlen]
	s.hlen = 0
	fin, rsv, op, masked := h[0]&0x80 != 0, h[0]&0x70, h[0]&0x0f, h[1]&0x80 != 0
	var plen uint64
	p := 2
	var lenNote string
	switch l7 := h[1] & 0x7f; l7 {
	case 126:
		plen, p = uint64(binary.BigEndian.Uint16(h[2:])), 4
		if plen < 126 {
			lenNote = fmt.Sprintf("payload length %d in the 16-bit form (RFC 6455 §5.2: the minimal form MUST be used)", plen)
		}
	case 127:
		plen, p = binary.BigEndian.Uint64(h[2:]), 10
		if plen>>63 != 0 {
			c.event(s, Span{s.foff, hdrEnd}, EvProtocol,
				fmt.Sprintf("64-bit payload length 0x%016x has its most significant bit set (RFC 6455 §5.2)", plen))
			c.stop(s, hdrEnd, "the frame length is invalid")
			return
		}
		if plen <= 0xffff {
			lenNote = fmt.Sprintf("payload length %d in the 64-bit form (RFC 6455 §5.2: the minimal form MUST be used)", plen)
		}
	default:
		plen = uint64(l7)
	}
	if masked {
		copy(s.key[:], h[p:p+4])
	}
	s.fin, s.rsv, s.op, s.masked, s.plen, s.done = fin, rsv, op, masked, plen, 0
	s.inPayload = true
	sp := Span{s.foff, addOff(hdrEnd, plen)}
	viol := func(msg string) { c.event(s, sp, EvProtocol, msg) }

	if lenNote != "" {
		viol(lenNote)
	}
	if s.d == ClientToServer && !masked {
		viol("client frame is not masked (RFC 6455 §5.1: a client MUST mask every frame it sends)")
	}
	if s.d == ServerToClient && masked {
		viol("server frame is masked (RFC 6455 §5.1: a server MUST NOT mask any frame it sends)")
	}
	if rsv&0x30 != 0 {
		viol("RSV2/RSV3 set with no extension that defines them (RFC 6455 §5.2)")
	}
	switch {
	case op >= 8:
		s.kind = kindControl
		s.ctl, s.ctlLost = s.ctl[:0], false
		if op > OpPong {
			s.kind = kindSkip
			viol(fmt.Sprintf("reserved control opcode 0x%x (RFC 6455 §5.2): payload skipped", op))
		}
		if !fin {
			viol("fragmented control frame (RFC 6455 §5.5: control frames MUST NOT be fragmented)")
		}
		if plen > maxControl {
			viol(fmt.Sprintf("control frame payload of %d bytes (RFC 6455 §5.5: at most 125)", plen))
		}
		if rsv&0x40 != 0 {
			viol("RSV1 set on a control frame (RFC 7692 §6.1)")
		}
	case op == OpText || op == OpBinary:
		if s.closed {
			viol("data frame after a close frame (RFC 6455 §5.5.1)")
		}
		if s.inMsg {
			viol("new data frame while a fragmented message is unfinished (RFC 6455 §5.4)")
			c.endMessage(s, s.foff, true)
		}
		c.startMessage(s, op, masked, rsv&0x40 != 0)
	case op == OpContinuation:
		if s.inMsg {
			s.msg.Frames++
			if rsv&0x40 != 0 {
				viol("RSV1 set on a continuation frame (RFC 7692 §6.1)")
			}
		} else {
			viol("continuation frame with no message to continue (RFC 6455 §5.4)")
			c.startMessage(s, op, masked, false)
		}
		s.kind = kindData
	default:
		s.kind = kindSkip
		viol(fmt.Sprintf("reserved data opcode 0x%x (RFC 6455 §5.2): payload skipped", op))
	}
	if plen == 0 {
		c.endFrame(s, hdrEnd)
	}
}

func (c *Conn) deflateOn() bool {
	return c.info.Deflate || (c.info.Assumed && c.offer.found)
}

// takeover reports whether d's compressor keeps its context across messages.
func (c *Conn) takeover(d Dir) bool {
	if d == ClientToServer {
		return !c.deflate.clientNoContextTakeover
	}
	return !c.deflate.serverNoContextTakeover
}

func (c *Conn) startMessage(s *dirState, op uint8, masked, rsv1 bool) {
	s.kind = kindData
	s.inMsg = true
	s.msg = MessageInfo{Opcode: op, Frames: 1, Masked: masked}
	s.moff = s.foff
	s.inflating, s.msgStopped, s.msgOut = false, false, 0
	if !rsv1 {
		return
	}
	sp := Span{s.foff, s.foff}
	if c.noShake && !c.info.Deflate {
		s.msg.Compressed, s.msgStopped = true, true
		c.event(s, sp, EvDeflate, "compressed message not inflated: the handshake and its permessage-deflate parameters were not seen")
		return
	}
	if !c.deflateOn() {
		c.event(s, sp, EvProtocol, "RSV1 set but permessage-deflate was not negotiated (RFC 6455 §5.2): payload delivered as sent")
		return
	}
	s.msg.Compressed = true
	if s.infBroken {
		c.event(s, sp, EvDeflate, "compressed message not inflated: the deflate context was lost before it")
		s.msgStopped = true
		return
	}
	if s.inf == nil {
		s.inf = &inflater{flush: func(p []byte) bool { return c.inflated(s, p) }}
	}
	s.inf.startMessage(c.takeover(s.d))
	s.inflating = true
}

// unmask copies p to dst, unmasking from payload position pos, eight
// bytes at a time (8 is a multiple of the key's 4, so the phase holds).
func (s *dirState) unmask(dst, p []byte, pos uint64) []byte {
	n0 := len(dst)
	dst = append(dst, p...)
	if !s.masked {
		return dst
	}
	var k [4]byte
	for i := range k {
		k[i] = s.key[(pos+uint64(i))&3]
	}
	q := dst[n0:]
	k64 := uint64(binary.LittleEndian.Uint32(k[:]))
	k64 |= k64 << 32
	i := 0
	for ; i+8 <= len(q); i += 8 {
		binary.LittleEndian.PutUint64(q[i:], binary.LittleEndian.Uint64(q[i:])^k64)
	}
	for ; i < len(q); i++ {
		q[i] ^= k[i&3]
	}
	return dst
}

func (c *Conn) payload(s *dirState, off int64, p []byte) {
	switch s.kind {
	case kindControl:
		if room := maxControl - len(s.ctl); room > 0 {
			s.ctl = s.unmask(s.ctl, p[:min(room, len(p))], s.done)
		}
		s.done += uint64(len(p))
	case kindSkip:
		s.done += uint64(len(p))
	case kindData:
		if s.msg.Compressed {
			c.compressed(s, off, p)
			return
		}
		for len(p) > 0 {
			n := min(len(p), dataChunk-len(s.out))
			s.out = s.unmask(s.out, p[:n], s.done)
			if k := len(s.spans); k > 0 && s.spans[k-1].To == off {
				s.spans[k-1].To += int64(n)
			} else {
				s.spans = append(s.spans, Span{off, off + int64(n)})
			}
			s.done += uint64(n)
			off += int64(n)
			p = p[n:]
			if len(s.out) >= dataChunk {
				c.flushData(s, false)
			}
		}
	}
}

func (c *Conn) compressed(s *dirState, off int64, p []byte) {
	for len(p) > 0 {
		n := min(len(p), unmaskChunk)
		if s.inflating && !s.msgStopped {
			s.tmp = s.unmask(s.tmp[:0], p[:n], s.done)
			s.curEnd = off + int64(n)
			c.feed(s, Span{s.moff, s.curEnd}, s.tmp)
		}
		s.done += uint64(n)
		off += int64(n)
		p = p[n:]
	}
}

var syncTail = [4]byte{0, 0, 0xff, 0xff}

// feed inflates in and delivers what comes out.
func (c *Conn) feed(s *dirState, sp Span, in []byte) {
	err := s.inf.feed(in)
	if err == nil {
		err = s.inf.flushOut()
	}
	switch {
	case err == nil:
	case err == errStop:
		// inflated reported the limit.
	default:
		c.stopInflating(s, sp, "permessage-deflate: "+err.Error())
	}
}

// inflated delivers inflated bytes, up to the per-message cap.
func (c *Conn) inflated(s *dirState, p []byte) bool {
	limit := c.maxInflate()
	ok := true
	if s.msgOut+len(p) > limit {
		p, ok = p[:max(0, limit-s.msgOut)], false
	}
	s.msgOut += len(p)
	if len(p) > 0 {
		s.span1[0] = Span{s.moff, s.curEnd}
		c.sink.Data(s.d, p, s.span1[:], s.msg, false)
	}
	if !ok {
		c.event(s, Span{s.moff, s.curEnd}, EvLimit, fmt.Sprintf("message inflates to more than %d bytes: the rest is not inflated", limit))
		c.stopInflating(s, Span{s.moff, s.curEnd}, "")
	}
	return ok
}

// stopInflating gives up on the current compressed message; with context
// takeover the later messages depend on it, so they are lost too.
func (c *Conn) stopInflating(s *dirState, sp Span, why string) {
	s.msgStopped = true
	lost := c.takeover(s.d)
	if lost {
		s.infBroken = true
	}
	if why == "" && !lost {
		return
	}
	msg := why
	if lost {
		if msg != "" {
			msg += "; "
		}
		msg += "with context takeover, later compressed messages of this direction cannot be inflated"
	} else {
		msg += "; the rest of this message is not inflated"
	}
	c.event(s, sp, EvDeflate, msg)
}

func (c *Conn) endFrame(s *dirState, end int64) {
	s.inPayload = false
	switch s.kind {
	case kindControl:
		c.control(s, Span{s.foff, end})
	case kindData:
		if s.fin {
			c.endMessage(s, end, false)
		}
	}
}

// endMessage delivers the end of the current message. aborted: a new
// message began before this one's last frame.
func (c *Conn) endMessage(s *dirState, end int64, aborted bool) {
	s.inMsg = false
	if !s.msg.Compressed {
		c.flushData(s, true)
		return
	}
	sp := Span{s.moff, end}
	if s.inflating && !s.msgStopped && !aborted {
		s.curEnd = end
		c.feed(s, sp, syncTail[:])
		if !s.msgStopped && s.inf.state != stHeader && s.inf.state != stDone {
			c.stopInflating(s, sp, "permessage-deflate: the message ends inside a deflate block")
		}
	}
	if aborted && s.inflating && !s.msgStopped {
		c.stopInflating(s, sp, "permessage-deflate: the message was cut off")
	}
	s.span1[0] = sp
	c.sink.Data(s.d, nil, s.span1[:], s.msg, true)
}

// flushData delivers pending uncompressed payload; final always calls Data.
func (c *Conn) flushData(s *dirState, final bool) {
	if !final && len(s.out) == 0 {
		return
	}
	c.sink.Data(s.d, s.out, s.spans, s.msg, final)
	s.out, s.spans = s.out[:0], s.spans[:0]
}

var closeNames = map[uint16]string{
	1000: "normal", 1001: "going away", 1002: "protocol error", 1003: "unsupported data",
	1005: "no status", 1006: "abnormal closure", 1007: "invalid payload data", 1008: "policy violation",
	1009: "message too big", 1010: "mandatory extension", 1011: "internal error", 1012: "service restart",
	1013: "try again later", 1014: "bad gateway", 1015: "TLS handshake failure",
}

func closeName(code uint16) string {
	if n, ok := closeNames[code]; ok {
		return n
	}
	switch {
	case code >= 3000 && code < 4000:
		return "registered"
	case code >= 4000 && code < 5000:
		return "private"
	}
	return "unknown"
}

// sendableClose reports whether an endpoint may put code in a close frame
// (RFC 6455 §7.4.1, §7.4.2).
func sendableClose(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code < 5000:
		return true
	}
	return false
}

func (c *Conn) control(s *dirState, sp Span) {
	incomplete := ""
	if s.ctlLost || s.plen > maxControl {
		incomplete = ", payload incomplete"
	}
	switch s.op {
	case OpPing:
		c.event(s, sp, EvPing, fmt.Sprintf("ping (%d bytes%s)", s.plen, incomplete))
	case OpPong:
		c.event(s, sp, EvPong, fmt.Sprintf("pong (%d bytes%s)", s.plen, incomplete))
	case OpClose:
		s.closed = true
		p := s.ctl
		switch {
		case s.plen == 0:
			c.event(s, sp, EvClose, "close (no status code)")
		case s.plen == 1:
			c.event(s, sp, EvClose, "close (malformed 1-byte body)")
			c.event(s, sp, EvProtocol, "close frame with a 1-byte body (RFC 6455 §5.5.1: a body starts with a 2-byte status code)")
		case len(p) < 2:
			c.event(s, sp, EvClose, "close (status code missing"+incomplete+")")
		default:
			code := binary.BigEndian.Uint16(p)
			reason := p[2:]
			msg := fmt.Sprintf("close %d (%s)", code, closeName(code))
			if len(reason) > 0 {
				msg += " " + strconv.Quote(string(reason))
			}
			if incomplete != "" {
				msg += " (" + incomplete[2:] + ")"
			}
			c.event(s, sp, EvClose, msg)
			if !sendableClose(code) {
				c.event(s, sp, EvProtocol, fmt.Sprintf("close code %d must not be sent (RFC 6455 §7.4)", code))
			}
			if incomplete == "" && !utf8.Valid(reason) {
				c.event(s, sp, EvProtocol, "close reason is not valid UTF-8 (RFC 6455 §5.5.1)")
			}
		}
	}
}
