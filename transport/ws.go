package transport

import (
	"sort"

	"github.com/mqttdump/mqttdump/transport/websocket"
)

// textFinding is the protocol finding on packets carried in text frames.
const textFinding = "[MQTT-6.0.0-1] MQTT Control Packets must be sent in WebSocket binary data frames, not text frames"

// wsLayer runs the HTTP Upgrade and WebSocket framing (package websocket)
// and hands the unwrapped payload to an MQTT framer per direction.
type wsLayer struct {
	c     *Chain
	conn  *websocket.Conn
	top   *framers
	inner bool       // over TLS: offsets are plaintext positions, mapped back
	pos   [2]int64   // next offset given to conn
	maps  [2]spanMap // inner: plaintext positions -> TCP spans
	done  [2]int64   // TCP offset up to which everything was handed on
	msg   [2]MessageInfo
	msgP  [2]*MessageInfo
	src   [1]Span
	spans []Span
}

func newWSLayer(c *Chain, r *router) layer {
	w := &wsLayer{c: c, inner: !r.outer}
	w.conn = websocket.NewConn(w)
	w.top = newFramers(c, false, false, false, "")
	if w.inner {
		c.setChain("tls+websocket")
	} else {
		c.setChain("websocket")
	}
	c.setWebSocket(WebSocketInfo{})
	if c.cfg.MQTTPort {
		c.decide(IsMQTT)
	}
	return w
}

func (w *wsLayer) write(d Dir, b []byte, src Source) {
	off := w.pos[d]
	if w.inner {
		w.maps[d].add(off, int64(len(b)), src.Spans)
	} else if len(src.Spans) > 0 {
		off = src.Spans[0].From
	}
	w.pos[d] = off + int64(len(b))
	w.conn.Write(websocket.Dir(d), off, b)
	w.sync()
}

func (w *wsLayer) gap(d Dir, n int) {
	w.conn.Gap(websocket.Dir(d), w.pos[d], n)
	w.pos[d] += int64(n)
	w.sync()
}

func (w *wsLayer) end(d Dir) { w.top.end(d) }
func (w *wsLayer) shed() {
	w.conn.Shed(w.c.budgetReason())
	w.top.shed()
}
func (w *wsLayer) finish() { w.top.finish() }

func (w *wsLayer) low(d Dir) int64 {
	low := w.top.low(d)
	if w.conn.Buffered() > 0 || w.inner {
		low = min(low, w.done[d])
	}
	return low
}

func (w *wsLayer) buffered() int { return w.conn.Buffered() }

// sync copies what the handshake said into the chain's Info.
func (w *wsLayer) sync() {
	in := w.conn.Info()
	w.c.setWebSocket(WebSocketInfo{Subprotocol: in.Subprotocol, Extensions: in.Extensions, Deflate: in.Deflate,
		Path: in.Path, Host: in.Host})
}

// tcpSpans maps spans of conn's offsets to TCP spans.
func (w *wsLayer) tcpSpans(d Dir, spans []websocket.Span) []Span {
	w.spans = w.spans[:0]
	for _, s := range spans {
		if w.inner {
			w.spans = w.maps[d].lookup(s.From, s.To, w.spans)
		} else {
			w.spans = addSpan(w.spans, Span{s.From, s.To})
		}
	}
	return w.spans
}

// Data implements websocket.Sink: payload goes to the framer.
func (w *wsLayer) Data(wd websocket.Dir, payload []byte, spans []websocket.Span, m websocket.MessageInfo, final bool) {
	d := Dir(wd) & 1
	if w.c.outcome == Undecided {
		w.c.decide(IsMQTT)
	}
	mi := MessageInfo{Opcode: m.Opcode, Frames: m.Frames, Masked: m.Masked, Compressed: m.Compressed}
	if w.msgP[d] == nil || w.msg[d] != mi {
		w.msg[d] = mi
		w.msgP[d] = &MessageInfo{Opcode: m.Opcode, Frames: m.Frames, Masked: m.Masked, Compressed: m.Compressed}
	}
	f := w.top.f[d]
	f.SetMessage(w.msgP[d])
	if m.Opcode == websocket.OpText {
		f.cfg.Finding = textFinding
	} else {
		f.cfg.Finding = ""
	}
	if !w.inner && !m.Compressed {
		// Unmasked bytes map 1:1 onto frame payload bytes: one exact chunk per span.
		for _, s := range spans {
			n := int(min(s.To-s.From, int64(len(payload))))
			f.Write(payload[:n], ExactAt(s.From, n, &w.src))
			payload = payload[n:]
		}
	} else {
		f.Write(payload, Source{Spans: w.tcpSpans(d, spans)})
	}
	if n := len(spans); n > 0 {
		end := spans[n-1].To
		if w.inner {
			w.maps[d].drop(end)
			if ts := w.tcpSpans(d, spans[n-1:]); len(ts) > 0 {
				end = ts[len(ts)-1].To
			}
		}
		w.done[d] = max(w.done[d], end)
	}
}

// Event implements websocket.Sink: the handshake decides whether the
// connection is MQTT; the rest become notes.
func (w *wsLayer) Event(wd websocket.Dir, s websocket.Span, kind websocket.EventKind, msg string) {
	d := Dir(wd) & 1
	w.sync()
	at := w.tcpSpans(d, []websocket.Span{s})
	var sp Span
	if len(at) > 0 {
		sp = at[len(at)-1]
	}
	switch kind {
	case websocket.EvUpgradeRequest:
		offered := false
		for _, p := range w.conn.Info().Offered {
			offered = offered || websocket.IsMQTTSubprotocol(p)
		}
		if offered {
			w.c.decide(IsMQTT)
		} else if !w.c.cfg.MQTTPort {
			w.c.decide(Ignored)
		}
		return
	case websocket.EvUpgradeAccepted, websocket.EvPing, websocket.EvPong:
		return
	case websocket.EvUpgradeRefused, websocket.EvNotMQTTSubprotocol:
		if w.c.outcome == Undecided || !w.c.cfg.MQTTPort {
			w.c.name(d, sp, NotMQTT, "WebSocket: "+msg+", not MQTT")
			return
		}
	case websocket.EvGap:
		w.top.gap(d, 1<<30)
	}
	if w.c.outcome == IsMQTT {
		ev := Event{Kind: KindNote, Dir: d, Message: "WebSocket: " + msg}
		if sp.To > sp.From {
			ev.Spans = []Span{sp}
		}
		w.c.cfg.Sink(&ev)
	}
}

// spanMap maps plaintext positions (what a layer above TLS sees as its
// offsets) to the TCP spans of the records that carried them. Entries
// below what was delivered are dropped; the rest are capped: past
// maxSpanEntries the older half is merged pairwise (their TCP spans
// joined, so a lookup there may name a few more frames than carried the
// bytes), and an entry keeps at most maxEntrySpans spans (beyond, one
// span covering them all). A message of many tiny records, or a direction
// whose WebSocket decoding stopped, cannot grow it without bound.
type spanMap struct {
	e []mapEntry
}

const (
	maxSpanEntries = 1024
	maxEntrySpans  = 4
)

type mapEntry struct {
	from, to int64 // plaintext positions
	spans    []Span
}

func (m *spanMap) add(from, n int64, spans []Span) {
	if n <= 0 {
		return
	}
	if len(m.e) >= maxSpanEntries {
		m.merge()
	}
	e := mapEntry{from: from, to: from + n}
	for _, s := range spans {
		e.spans = addSpan(e.spans, s)
	}
	e.spans = capSpans(e.spans)
	m.e = append(m.e, e)
}

// merge joins the entries of the older half two by two.
func (m *spanMap) merge() {
	half := len(m.e) / 2
	k := 0
	for i := 0; i < half; i += 2 {
		e := m.e[i]
		if i+1 < half {
			n := m.e[i+1]
			e.to = n.to
			for _, s := range n.spans {
				e.spans = addSpan(e.spans, s)
			}
			e.spans = capSpans(e.spans)
		}
		m.e[k] = e
		k++
	}
	k += copy(m.e[k:], m.e[half:])
	clear(m.e[k:])
	m.e = m.e[:k]
}

// capSpans bounds the spans of one entry: too many become one span from
// the first to the last (they are ascending).
func capSpans(spans []Span) []Span {
	if len(spans) <= maxEntrySpans {
		return spans
	}
	return append(spans[:0], Span{spans[0].From, spans[len(spans)-1].To})
}

func (m *spanMap) lookup(from, to int64, out []Span) []Span {
	lo := sort.Search(len(m.e), func(i int) bool { return m.e[i].to > from }) // first entry ending after from
	for _, e := range m.e[lo:] {
		if e.from >= to {
			break
		}
		for _, s := range e.spans {
			out = addSpan(out, s)
		}
	}
	return out
}

// drop forgets the positions below p.
func (m *spanMap) drop(p int64) {
	i := 0
	for i < len(m.e) && m.e[i].to <= p {
		i++
	}
	if i > 0 {
		n := copy(m.e, m.e[i:])
		clear(m.e[n:])
		m.e = m.e[:n]
	}
}
