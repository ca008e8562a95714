package transport

import (
	"fmt"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// Config sets up the chain of one connection.
type Config struct {
	// MQTTPort: the connection is on an MQTT port, so what is not MQTT is
	// named (a note, Outcome NotMQTT or Encrypted) rather than ignored, and
	// any plausible fixed header counts as MQTT.
	MQTTPort  bool
	MaxPacket int
	Budget    int            // the limit Mem enforces, for notes
	Mem       Memory         // nil: HeapMemory
	KeyLog    *tlsdec.KeyLog // TLS secrets; nil: TLS is described, not decrypted
	// TLSScratch is the decryption buffer shared by the chains of one
	// goroutine; nil: each TLS connection has its own.
	TLSScratch *tlsdec.Scratch
	Sink       func(*Event)
	// Decided is told once what the connection turned out to be.
	Decided func(Outcome)
}

// Outcome is what a connection turned out to be.
type Outcome uint8

const (
	Undecided Outcome = iota
	IsMQTT            // MQTT is being decoded (over TCP, TLS and/or WebSocket)
	NotMQTT           // on an MQTT port but not MQTT (named in a note)
	Encrypted         // on an MQTT port, TLS that is not decrypted (named in a note)
	Ignored           // not MQTT, on another port: dropped silently
)

// layer is one stage of a chain above the byte streams.
type layer interface {
	write(d Dir, b []byte, src Source)
	gap(d Dir, n int)
	end(d Dir) // the direction ended (FIN or RST)
	shed()     // the budget is exhausted: give up what is held
	finish()
	low(d Dir) int64
	buffered() int
}

// Chain is the transport chain of one TCP connection: it detects what the
// connection carries from its first bytes and runs the layers that unwrap
// it down to MQTT packets.
type Chain struct {
	cfg     Config
	info    *Info // replaced, never changed, once handed out (events outlive their callback)
	outcome Outcome
	mid     [2]bool // the direction was picked up mid-connection
	top     *router
	done    bool
	span    [1]Span // Write's source span: layers copy spans, never keep them (one allocation less per segment)
}

// New makes the chain of a connection.
func New(cfg Config) *Chain {
	if cfg.Mem == nil {
		cfg.Mem = HeapMemory{}
	}
	c := &Chain{cfg: cfg, info: &Info{Chain: "tcp"}}
	c.top = &router{c: c, outer: true}
	return c
}

// Info is the connection's description so far. It is never changed once
// handed out: when a handshake tells more, the chain makes a new one.
func (c *Chain) Info() *Info { return c.info }

// setChain names the layers.
func (c *Chain) setChain(name string) {
	if c.info.Chain != name {
		n := *c.info
		n.Chain = name
		c.info = &n
	}
}

// setTLS records what the TLS handshake said.
func (c *Chain) setTLS(t TLSInfo) {
	if c.info.TLS == nil || *c.info.TLS != t {
		n := *c.info
		n.TLS = &t
		c.info = &n
	}
}

// setWebSocket records what the HTTP Upgrade said.
func (c *Chain) setWebSocket(w WebSocketInfo) {
	if c.info.WebSocket == nil || *c.info.WebSocket != w {
		n := *c.info
		n.WebSocket = &w
		c.info = &n
	}
}

// Outcome says what the connection turned out to be so far.
func (c *Chain) Outcome() Outcome { return c.outcome }

// Active reports whether the chain still wants bytes.
func (c *Chain) Active() bool {
	return !c.done && (c.outcome == Undecided || c.outcome == IsMQTT)
}

// MidStream says direction d begins without its SYN (a capture started
// during the connection): content detection cannot rely on its first bytes.
func (c *Chain) MidStream(d Dir) { c.mid[d&1] = true }

// Write takes in-order plain TCP bytes of direction d at stream offset off.
func (c *Chain) Write(d Dir, off int64, b []byte) {
	if !c.Active() || len(b) == 0 {
		return
	}
	c.top.write(d&1, b, ExactAt(off, len(b), &c.span))
}

// Gap reports n bytes missing from direction d (the gap event itself is
// the caller's).
func (c *Chain) Gap(d Dir, n int) {
	if !c.Active() {
		return
	}
	c.top.gap(d&1, n)
}

// End says direction d ended (FIN or RST): its partial packet is delivered.
func (c *Chain) End(d Dir) {
	if !c.Active() {
		return
	}
	c.top.end(d & 1)
}

// Shed makes the layers give up what they hold because the buffer budget
// is exhausted.
func (c *Chain) Shed() {
	if !c.Active() {
		return
	}
	c.top.shed()
}

// Close ends both directions: anything held is decided, partial packets are
// delivered, every buffer is given back.
func (c *Chain) Close() {
	if c.done {
		return
	}
	c.top.finish()
	c.done = true
}

// Low is the lowest stream offset of direction d a layer still holds bytes
// of (NoLow when none): stream bytes below it are not needed again.
func (c *Chain) Low(d Dir) int64 {
	if c.done || !c.Active() {
		return NoLow
	}
	return c.top.low(d & 1)
}

// Buffered is the bytes the layers hold outside Mem (their own buffers).
func (c *Chain) Buffered() int {
	if c.done {
		return 0
	}
	return c.top.buffered()
}

// budgetReason says why a layer sheds, in the framer's words.
func (c *Chain) budgetReason() string { return budgetFull(c.cfg.Budget) }

// budgetFull is the reason every layer gives for what it drops when the
// buffers of all connections reach budget bytes.
func budgetFull(budget int) string {
	return fmt.Sprintf("the %d-byte buffer limit across connections is reached", budget)
}

func (c *Chain) decide(o Outcome) {
	if c.outcome != Undecided && c.outcome != IsMQTT {
		return
	}
	first := c.outcome == Undecided
	c.outcome = o
	if c.cfg.Decided != nil && (first || o != IsMQTT) {
		c.cfg.Decided(o)
	}
}

// name reports what a connection on an MQTT port is instead of MQTT, once.
func (c *Chain) name(d Dir, at Span, o Outcome, msg string) {
	if c.outcome != Undecided && c.outcome != IsMQTT {
		return
	}
	if !c.cfg.MQTTPort {
		c.decide(Ignored)
		return
	}
	ev := Event{Kind: KindNote, Dir: d, Message: msg}
	if at.To > at.From {
		ev.Spans = []Span{at}
	}
	c.decide(o)
	c.cfg.Sink(&ev)
}

// router holds the first bytes of both directions until it can tell what
// they are, then hands them (and all later bytes) to the layer it picked.
// The outer router sees TCP bytes; an inner one sees decrypted bytes.
type router struct {
	c     *Chain
	outer bool
	tls   *tlsLayer // inner: the TLS layer below (for naming)
	next  layer
	hold  [2]held
	dead  bool
	// a chunk judged before it is held
	pend    []byte
	pendDir Dir
	pendSrc Source
}

// view is what direction d has shown so far.
func (r *router) view(d Dir) []byte {
	if r.pend != nil && d == r.pendDir {
		return r.pend
	}
	return r.hold[d].b
}

type held struct {
	b     []byte
	spans []Span
	exact bool
	gap   bool // a gap came before any byte: treat as mid-stream
}

func (r *router) write(d Dir, b []byte, src Source) {
	if r.next != nil {
		r.next.write(d, b, src)
		return
	}
	if r.dead {
		return
	}
	h := &r.hold[d]
	if len(h.b) == 0 {
		// Judge the chunk where it lies: the common case holds nothing.
		r.pend, r.pendDir, r.pendSrc = b, d, src
		r.decide(d, false)
		r.pend = nil
		if r.next != nil {
			r.next.write(d, b, src)
		}
		if r.next != nil || r.dead {
			return
		}
	}
	if len(h.b)+len(b) <= MaxSniff {
		if nb, ok := r.c.cfg.Mem.Grow(h.b, len(b)); ok {
			h.b = append(nb, b...)
			r.addSpans(h, b, src)
			r.decide(d, false)
			return
		}
	}
	// Cannot hold more: judge on what there is, then pass the chunk on.
	if len(h.b) == 0 {
		r.pend, r.pendDir, r.pendSrc = b, d, src
		r.decide(d, true)
		r.pend = nil
	} else {
		r.decide(d, true)
	}
	if r.next != nil {
		r.next.write(d, b, src)
	}
}

// advance is src without its first n bytes (of a chunk of size total).
func advance(src Source, n, total int) Source {
	if !src.Exact || len(src.Spans) != 1 {
		return src
	}
	s := src.Spans[0]
	return Source{Spans: []Span{{s.From + int64(n), s.To}}, Exact: true}
}

func (r *router) addSpans(h *held, b []byte, src Source) {
	if len(h.b) == len(b) {
		h.exact = src.Exact
	}
	h.exact = h.exact && src.Exact
	for _, s := range src.Spans {
		h.spans = addSpan(h.spans, s)
	}
}

func (r *router) gap(d Dir, n int) {
	if r.next != nil {
		r.next.gap(d, n)
		return
	}
	if r.dead {
		return
	}
	if len(r.hold[d].b) == 0 {
		r.hold[d].gap = true
		return
	}
	r.decide(d, true)
	if r.next != nil {
		r.next.gap(d, n)
	}
}

func (r *router) end(d Dir) {
	if r.next == nil && !r.dead && len(r.hold[d].b) > 0 {
		r.decide(d, true)
	}
	if r.next != nil {
		r.next.end(d)
	}
}

func (r *router) shed() {
	if r.next == nil && !r.dead {
		for _, d := range [2]Dir{ToServer, ToClient} {
			if r.next == nil && !r.dead && len(r.hold[d].b) > 0 {
				r.decide(d, true)
			}
		}
	}
	if r.next != nil {
		r.next.shed()
	}
}

func (r *router) finish() {
	if r.next == nil && !r.dead {
		d := ToServer
		if len(r.hold[d].b) == 0 {
			d = ToClient
		}
		if len(r.hold[d].b) > 0 {
			r.decide(d, true)
		}
	}
	r.release()
	if r.next != nil {
		r.next.finish()
	}
}

func (r *router) low(d Dir) int64 {
	if r.next != nil {
		return r.next.low(d)
	}
	if h := &r.hold[d]; len(h.b) > 0 && len(h.spans) > 0 {
		return h.spans[0].From
	}
	return NoLow
}

func (r *router) buffered() int {
	if r.next != nil {
		return r.next.buffered()
	}
	return 0
}

func (r *router) release() {
	for i := range r.hold {
		if r.hold[i].b != nil {
			r.c.cfg.Mem.Release(r.hold[i].b)
		}
		r.hold[i] = held{}
	}
}

// first is the one-byte span at the start of what d holds.
func (r *router) first(d Dir) Span {
	s := r.hold[d].spans
	if r.pend != nil && d == r.pendDir {
		s = r.pendSrc.Spans
	}
	if len(s) > 0 {
		return Span{s[0].From, s[0].From + 1}
	}
	return Span{}
}

// decide looks at what is held (d got the last bytes; final: no more bytes
// will come before a decision is needed) and picks the next layer.
func (r *router) decide(d Dir, final bool) {
	c := r.c
	mqttPort := c.cfg.MQTTPort
	cli, srv := r.view(ToServer), r.view(ToClient)
	cliGap, srvGap := r.hold[ToServer].gap, r.hold[ToClient].gap
	var what Content
	from := ToServer
	switch {
	case len(cli) > 0 && r.outer && (c.mid[ToServer] || cliGap):
		// Picked up mid-connection: only the port can say it is MQTT, or
		// first bytes that only a connection's start has (a CONNECT, an
		// HTTP upgrade, a ClientHello: a -w file holds no SYN, but it
		// starts there).
		switch {
		case !mqttPort && !cliGap:
			what = Detect(cli, false)
		case !mqttPort:
			what = Other
		case LooksTLSRecord(cli):
			what = TLS
		default:
			what = MQTT
		}
	case len(cli) > 0:
		what = Detect(cli, mqttPort)
	case len(srv) > 0 && mqttPort:
		from = ToClient
		if r.outer && (c.mid[ToClient] || srvGap) && !LooksTLSRecord(srv) {
			what = MQTT
		} else {
			what = DetectServer(srv)
		}
	case len(srv) > 0:
		what = Other
		from = ToClient
	default:
		return
	}
	if what == NeedMore {
		if !final {
			return
		}
		what = finalGuess(r.view(from), mqttPort)
	}
	at := r.first(from)
	switch what {
	case MQTT:
		r.next = newFramers(c, r.outer, r.outer && c.mid[ToServer] || cliGap, r.outer && c.mid[ToClient] || srvGap, "")
		c.decide(IsMQTT)
	case WebSocket:
		r.next = newWSLayer(c, r)
		if r.next == nil {
			r.reject(from, at, NotMQTT, "WebSocket, not decoded")
			return
		}
	case TLS:
		if !r.outer {
			r.reject(from, at, NotMQTT, "TLS inside TLS, not MQTT")
			return
		}
		r.next = newTLSLayer(c, r)
		if r.next == nil {
			r.reject(from, at, Encrypted, "TLS, not decrypted")
			return
		}
	case HTTP:
		r.reject(from, at, NotMQTT, r.prefix()+"HTTP, not MQTT")
		return
	default:
		r.reject(from, at, NotMQTT, r.prefix()+"not MQTT: no plausible fixed header")
		return
	}
	r.replay()
}

// prefix names the layer below an inner router, for notes.
func (r *router) prefix() string {
	if r.tls != nil {
		return r.tls.describe() + ", decrypted: "
	}
	return ""
}

func (r *router) reject(d Dir, at Span, o Outcome, msg string) {
	r.dead = true
	r.release()
	r.c.name(d, at, o, msg)
}

// replay hands the held bytes to the next layer, client side first.
func (r *router) replay() {
	for _, d := range [2]Dir{ToServer, ToClient} {
		h := r.hold[d]
		r.hold[d] = held{}
		if len(h.b) > 0 {
			src := Source{Spans: h.spans, Exact: h.exact && len(h.spans) == 1}
			r.next.write(d, h.b, src)
			r.c.cfg.Mem.Release(h.b)
		}
	}
}

// framers is the top layer: an MQTT framer per direction.
type framers struct {
	f [2]*Framer
}

func newFramers(c *Chain, outer, midCli, midSrv bool, finding string) *framers {
	fs := &framers{}
	for d, mid := range [2]bool{midCli, midSrv} {
		fs.f[d] = NewFramer(FramerConfig{Dir: Dir(d), MaxPacket: c.cfg.MaxPacket, Mem: c.cfg.Mem, Sink: c.cfg.Sink,
			Resync: mid, MidStream: mid && outer, Budget: c.cfg.Budget, Finding: finding})
	}
	return fs
}

func (fs *framers) write(d Dir, b []byte, src Source) { fs.f[d].Write(b, src) }
func (fs *framers) gap(d Dir, n int)                  { fs.f[d].Gap(n) }
func (fs *framers) end(d Dir)                         { fs.f[d].Finish() }
func (fs *framers) shed()                             { fs.f[0].Shed(); fs.f[1].Shed() }
func (fs *framers) finish()                           { fs.f[0].Finish(); fs.f[1].Finish() }
func (fs *framers) low(d Dir) int64                   { return fs.f[d].Low() }
func (fs *framers) buffered() int                     { return 0 }

// describeTLS is the text naming a TLS connection in notes and headers:
// "TLS 1.3 (SNI broker.example)".
func describeTLS(t *TLSInfo) string {
	s := "TLS"
	if t != nil && t.Version != "" {
		s = t.Version
	}
	if t != nil && t.SNI != "" {
		s += fmt.Sprintf(" (SNI %s)", t.SNI)
	}
	return s
}

// finalGuess judges bytes that stay undecided because no more will come.
func finalGuess(b []byte, mqttPort bool) Content {
	for _, m := range methods {
		if len(b) > len(m) && string(b[:len(m)]) == string(m) {
			return HTTP
		}
	}
	if mqttPort && len(b) > 0 && b[0] != 0x16 && dissect.Plausible(b) {
		return MQTT // a few bytes that might be a fixed header: the framer judges
	}
	return Other
}
