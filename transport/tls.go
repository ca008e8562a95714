package transport

import (
	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// tlsLayer runs TLS record decryption (package tlsdec) and hands the
// plaintext to an inner router, which finds MQTT or WebSocket in it.
type tlsLayer struct {
	c     *Chain
	conn  *tlsdec.Conn
	inner *router
	pos   [2]int64 // next TCP offset of each direction
	done  [2]int64 // TCP offset up to which every record was handed on
	named bool
}

func newTLSLayer(c *Chain, r *router) layer {
	t := &tlsLayer{c: c}
	t.inner = &router{c: c, tls: t}
	t.conn = tlsdec.NewConn(c.cfg.KeyLog, t)
	t.conn.SetMemory(c.cfg.Mem, c.budgetReason())
	t.conn.SetScratch(c.cfg.TLSScratch)
	c.setChain("tls")
	c.setTLS(TLSInfo{})
	return t
}

func (t *tlsLayer) describe() string { return describeTLS(t.c.info.TLS) }

func (t *tlsLayer) write(d Dir, b []byte, src Source) {
	off := t.pos[d]
	if len(src.Spans) > 0 {
		off = src.Spans[0].From
	}
	t.pos[d] = off + int64(len(b))
	t.conn.Write(tlsdec.Dir(d), off, b)
	t.sync()
}

func (t *tlsLayer) gap(d Dir, n int) {
	t.conn.Gap(tlsdec.Dir(d), t.pos[d], n)
	t.pos[d] += int64(n)
	t.sync()
}

func (t *tlsLayer) end(d Dir) { t.inner.end(d) }

// shed drops the partial records and handshake messages tlsdec holds
// (with a note each), then what the layers above hold.
func (t *tlsLayer) shed() {
	t.conn.Shed(t.c.budgetReason())
	t.inner.shed()
}

func (t *tlsLayer) finish() {
	t.inner.finish()
	t.conn.Release()
	if t.c.outcome == Undecided {
		t.nameEncrypted(ToServer, Span{}, "")
	}
}

func (t *tlsLayer) low(d Dir) int64 { return min(t.inner.low(d), t.done[d]) }

func (t *tlsLayer) buffered() int { return t.conn.Buffered() + t.inner.buffered() }

func (t *tlsLayer) sync() {
	in := t.conn.Info()
	t.c.setTLS(TLSInfo{Version: in.Version, Suite: in.Suite, SuiteID: in.SuiteID, SNI: in.SNI, ALPN: in.ALPN,
		Decrypting: in.Decrypting, Problem: in.Problem})
}

// nameEncrypted says, once, that the connection is TLS not decrypted.
func (t *tlsLayer) nameEncrypted(d Dir, at Span, msg string) {
	if t.named {
		return
	}
	t.named = true
	t.sync()
	if t.c.cfg.KeyLog == nil || msg == "" {
		msg = t.describe() + ", not decrypted: give --tls-keylog FILE"
		if t.c.cfg.KeyLog != nil {
			msg = t.describe() + ", not decrypted: " + t.c.info.TLS.Problem
		}
	}
	t.c.name(d, at, Encrypted, msg)
}

// Data implements tlsdec.Sink: plaintext goes to the inner router.
func (t *tlsLayer) Data(td tlsdec.Dir, plain []byte, s tlsdec.Span) {
	d := Dir(td) & 1
	t.sync()
	t.inner.write(d, plain, Source{Spans: []Span{{s.From, s.To}}})
	t.done[d] = max(t.done[d], s.To)
}

// Event implements tlsdec.Sink.
func (t *tlsLayer) Event(td tlsdec.Dir, s tlsdec.Span, kind tlsdec.EventKind, msg string) {
	d := Dir(td) & 1
	t.sync()
	sp := Span{s.From, s.To}
	if kind != tlsdec.EvGap {
		t.done[d] = max(t.done[d], s.To)
	}
	switch kind {
	case tlsdec.EvHandshake:
		return
	case tlsdec.EvNoKeys, tlsdec.EvUndecryptable:
		if t.c.outcome == Undecided {
			t.nameEncrypted(d, sp, msg)
			return
		}
	case tlsdec.EvNotTLS:
		if t.c.outcome == Undecided {
			t.c.name(d, sp, NotMQTT, "not MQTT: "+msg)
			return
		}
	case tlsdec.EvGap:
		t.inner.gap(d, 1<<30)
	}
	if t.c.outcome == IsMQTT {
		ev := Event{Kind: KindNote, Dir: d, Message: "TLS: " + msg}
		if sp.To > sp.From {
			ev.Spans = []Span{sp}
		}
		t.c.cfg.Sink(&ev)
	}
}
