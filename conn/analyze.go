package conn

import (
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
)

// Generated fields the analyzers add to a packet's tree (length 0).
var (
	fResponseTo     = &dissect.FieldDef{Name: "Response to", Abbrev: "mqtt.response_to", Kind: dissect.KindUint}
	fLatency        = &dissect.FieldDef{Name: "Latency", Abbrev: "mqtt.latency", Kind: dissect.KindString}
	fFlowStart      = &dissect.FieldDef{Name: "Flow started in", Abbrev: "mqtt.flow_start", Kind: dissect.KindUint}
	fFlowTime       = &dissect.FieldDef{Name: "Flow time", Abbrev: "mqtt.flow_time", Kind: dissect.KindString}
	fForwardedFrom  = &dissect.FieldDef{Name: "Forwarded from", Abbrev: "mqtt.forwarded_from", Kind: dissect.KindUint}
	fForwardLatency = &dissect.FieldDef{Name: "Forward latency", Abbrev: "mqtt.forward_latency", Kind: dissect.KindString}
	fRetainedCopy   = &dissect.FieldDef{Name: "Retained copy for a new subscriber", Abbrev: "mqtt.retained_copy", Kind: dissect.KindBool}
	fWillOf         = &dissect.FieldDef{Name: "Will message of the CONNECT in", Abbrev: "mqtt.will_of", Kind: dissect.KindUint}
)

// analyze runs the analyzers over one packet of connection c, filling
// pl.an and, when the packet has a tree, adding generated fields.
func (pl *Pipeline) analyze(c *Conn, p *dissect.Packet, ev *capture.Event) {
	dir, t := ev.Dir, ev.Time
	if dir == dissect.ToServer || dir == dissect.ToClient {
		c.Packets[dir]++
		c.Bytes[dir] += len(p.Raw)
	}
	if c.Version == dissect.VersionUnknown || p.Type == dissect.TypeConnect {
		c.Version = p.Version
	}
	switch p.Type {
	case dissect.TypeConnect:
		pl.connect(c, p, ev)
	case dissect.TypeConnack:
		pl.connack(c, p)
	case dissect.TypeDisconnect:
		c.disc = &disconnect{dir: dir, reason: p.Reason, frame: ev.Frame}
	}
	if dir == dissect.ToServer {
		pl.keepAlive(c, p, t)
	}
	pl.checkLimits(c, p, dir)
	if ans, ok := pl.exchange(c, p, dir, ev.Frame, t); ok {
		pl.an.ResponseTo, pl.an.Latency = ans.reqFrame, ans.latency
		if ans.flowFrame > 0 {
			pl.an.FlowStart, pl.an.FlowTime = ans.flowFrame, ans.flowTime
		}
		if ans.kind == KindConnect {
			c.ConnectLatency = ans.latency
		}
		if p.Fields != nil && !c.sess.FactsOnly {
			p.AddGenerated(&dissect.Node{Def: fResponseTo, Value: uint64(ans.reqFrame)})
			lat := seconds(ans.latency)
			p.AddGenerated(&dissect.Node{Def: fLatency, Value: lat, Show: lat + " seconds"})
			if ans.flowFrame > 0 {
				p.AddGenerated(&dissect.Node{Def: fFlowStart, Value: uint64(ans.flowFrame)})
				ft := seconds(ans.flowTime)
				p.AddGenerated(&dissect.Node{Def: fFlowTime, Value: ft, Show: ft + " seconds"})
			}
		}
	}
	if p.Type == dissect.TypePublish {
		pl.fanOut(c, p, ev)
	}
	if dir < 3 {
		c.last[dir], c.lastFrame[dir] = t, ev.Frame
	}
}

// seconds writes d as seconds with nanosecond precision, trimmed.
func seconds(d time.Duration) string {
	if d < 0 || d >= exactSeconds {
		return secondsByFloat(d)
	}
	// In integers: the float formatting was most of what a filtered run
	// spent on latencies. Below exactSeconds the two agree to the digit.
	var buf [32]byte
	b := strconv.AppendInt(buf[:0], int64(d/time.Second), 10)
	if ns := int64(d % time.Second); ns != 0 {
		b = append(b, '.')
		for div := int64(1e8); ns != 0; div /= 10 {
			b = append(b, byte('0'+ns/div))
			ns %= div
		}
	}
	return string(b)
}

// exactSeconds bounds the durations whose float64 seconds still hold
// every nanosecond (an ulp under half a nanosecond).
const exactSeconds = 1e6 * time.Second

func secondsByFloat(d time.Duration) string {
	s := fmt.Sprintf("%.9f", d.Seconds())
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// connect records what a CONNECT sets up: identity, keep alive, will,
// the limits the client puts on the server; a takeover of an open
// connection with the same client id; a persistent session's open
// requests carried over.
func (pl *Pipeline) connect(c *Conn, p *dissect.Packet, ev *capture.Event) {
	if c.HasConnect && c.ClientID != p.ClientID {
		pl.dropClient(c)
	}
	c.HasConnect, c.ClientID = true, p.ClientID
	if ka, ok := fieldUint(p, "mqtt.kalive"); ok {
		c.KeepAlive = int(ka)
	}
	cs, _ := fieldUint(p, "mqtt.conflag.cleansess")
	c.CleanStart = cs == 1
	w, _ := fieldUint(p, "mqtt.conflag.willflag")
	c.HasWill = w == 1
	c.will = nil
	if c.HasWill {
		topic := ""
		if n := p.Find("mqtt.willtopic"); n != nil {
			topic, _ = n.Value.(string)
		}
		c.will = &fanEntry{key: fanKey{topic: maphash.String(pl.fan.seed, topic), payload: pl.fan.hash(fieldBytes(p, "mqtt.willmsg"))}, frame: ev.Frame, will: true}
	}
	c.lim[dissect.ToClient] = limitsFrom(p)
	c.lim[dissect.ToServer] = limits{receiveMax: 65535, retain: true, wildcard: true, subID: true, shared: true, maxQoS: 2}
	if p.ClientID == "" {
		return
	}
	if old := pl.byClient[p.ClientID]; old != nil && old != c && !old.ended {
		old.takenBy, old.takenOn = ev.Frame, ev.Stream
		if !c.CleanStart {
			// The session moves to the new connection with its open ids.
			c.ex.adopt(&old.ex)
		}
	}
	pl.byClient[p.ClientID] = c
	if !c.CleanStart {
		if s := pl.persisted.take(p.ClientID); s != nil {
			c.ex.adopt(&s.ex)
		}
	} else {
		pl.persisted.take(p.ClientID) // a clean start discards the session
	}
}

func (pl *Pipeline) dropClient(c *Conn) {
	if pl.byClient[c.ClientID] == c {
		delete(pl.byClient, c.ClientID)
	}
}

// connack records the server's keep alive and limits.
func (pl *Pipeline) connack(c *Conn, p *dissect.Packet) {
	if p.Version != dissect.V5 {
		return
	}
	if ka, ok := propUint(p, propServerKA); ok {
		c.KeepAlive = int(ka)
	}
	c.lim[dissect.ToServer] = limitsFrom(p)
}

// keepAlive flags a client silent for longer than 1.5 × its keep alive
// (the server may close the connection then; 3.1.2.10).
func (pl *Pipeline) keepAlive(c *Conn, p *dissect.Packet, t time.Time) {
	if c.KeepAlive <= 0 || p.Type == dissect.TypeConnect {
		return
	}
	last := c.last[dissect.ToServer]
	if last.IsZero() {
		return
	}
	gap := t.Sub(last)
	limit := time.Duration(c.KeepAlive) * 1500 * time.Millisecond
	if gap <= limit {
		return
	}
	p.Flag(nil, dissect.RuleKeepAlive, fmt.Sprintf("client silent for %s s, more than 1.5 × keep alive (%d s)", seconds(gap), c.KeepAlive))
	pl.findings["keepalive_exceeded"]++
}

// end settles connection c at a close event.
func (pl *Pipeline) end(c *Conn, ev *capture.Event, how string) error {
	return pl.endAt(c, how)
}

// endAt reports how c ended, with the findings about its end: requests
// left unanswered, keep-alive expiry, takeover.
func (pl *Pipeline) endAt(c *Conn, how string) error {
	if c.ended {
		return nil
	}
	c.ended = true
	pl.dropClient(c)
	if c.sess != nil {
		c.sess.Release() // its topic aliases leave the shared budget
	}
	var parts []string
	if c.disc != nil {
		d := "DISCONNECT from " + side(c.disc.dir)
		if c.disc.reason >= 0 {
			d += " (" + reasonText(c.disc.reason) + ")"
		}
		parts = append(parts, d)
	}
	kind := "end"
	switch {
	case c.takenBy > 0:
		kind = "takeover"
		parts = append(parts, fmt.Sprintf("session taken over by the CONNECT in frame %d (stream %d) with client id %q", c.takenBy, c.takenOn, c.ClientID))
		pl.findings["takeover"]++
	case c.KeepAlive > 0 && serverClosed(c, how) && pl.last.Sub(c.last[dissect.ToServer]) >= time.Duration(c.KeepAlive)*1500*time.Millisecond && !c.last[dissect.ToServer].IsZero():
		kind = "keepalive"
		parts = append(parts, fmt.Sprintf("keep-alive expiry: the broker closed after %s s of client silence (keep alive %d s)",
			seconds(pl.last.Sub(c.last[dissect.ToServer])), c.KeepAlive))
		pl.findings["keepalive_expiry"]++
	}
	parts = append(parts, how)
	c.End = strings.Join(parts, ", ")
	// A persistent session keeps its open publishes for the next
	// connection of the client; the rest is unanswered now.
	if c.HasConnect && !c.CleanStart && c.ClientID != "" {
		if ev := pl.persisted.put(c); ev != nil {
			pl.evictions++
			if err := pl.unanswered(c, ev.open(), "session evicted: "); err != nil {
				return err
			}
		}
	} else if err := pl.unanswered(c, c.ex.open(), ""); err != nil {
		return err
	}
	if c.will != nil && (c.disc == nil || c.disc.reason == 0x04) {
		// The broker publishes the will now.
		w := *c.will
		w.t = pl.last
		pl.fan.add(w)
	}
	if kind != "end" || pl.cfg.Ends {
		return pl.connNotice(c, kind, "connection end: "+c.End)
	}
	if pl.cfg.Stats != nil {
		pl.cfg.Stats.notice(c, kind)
	}
	return nil
}

// unanswered reports and counts requests that got no answer.
func (pl *Pipeline) unanswered(c *Conn, open []request, prefix string) error {
	if len(open) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString("no answer to ")
	for i, r := range open {
		pl.counts.Unanswered[r.kind]++
		if pl.cfg.Stats != nil {
			pl.cfg.Stats.unanswered(r.kind)
		}
		if i < 8 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s in frame %d", typeName(r.typ), r.frame)
		}
	}
	if len(open) > 8 {
		fmt.Fprintf(&b, " and %d more", len(open)-8)
	}
	pl.findings["unanswered"] += len(open)
	return pl.connNotice(c, "unanswered", b.String())
}

func serverClosed(c *Conn, how string) bool {
	if c.disc != nil && c.disc.dir == dissect.ToClient {
		return true
	}
	return strings.HasPrefix(how, "FIN from the broker") || strings.HasPrefix(how, "RST from the broker")
}

// closeText says who closed the TCP connection.
func closeText(ev *capture.Event, c *Conn) string {
	switch {
	case ev.RstBy != dissect.DirUnknown:
		return "RST from " + side(ev.RstBy)
	case ev.FinBy != dissect.DirUnknown:
		return "FIN from " + side(ev.FinBy)
	}
	return "closed"
}

// side names the sender of a direction.
func side(d dissect.Direction) string {
	switch d {
	case dissect.ToServer:
		return "the client"
	case dissect.ToClient:
		return "the broker"
	}
	return "an unknown side"
}

func reasonText(r int) string {
	if r < 0 {
		return "no reason code"
	}
	if s, ok := disconnectReasons[r]; ok {
		return fmt.Sprintf("0x%02x %s", r, s)
	}
	return fmt.Sprintf("0x%02x", r)
}

var disconnectReasons = map[int]string{
	0x00: "Normal disconnection", 0x04: "Disconnect with Will Message", 0x80: "Unspecified error",
	0x81: "Malformed Packet", 0x82: "Protocol Error", 0x83: "Implementation specific error",
	0x87: "Not authorized", 0x89: "Server busy", 0x8B: "Server shutting down",
	0x8D: "Keep Alive timeout", 0x8E: "Session taken over", 0x8F: "Topic Filter invalid",
	0x90: "Topic Name invalid", 0x93: "Receive Maximum exceeded", 0x94: "Topic Alias invalid",
	0x95: "Packet too large", 0x96: "Message rate too high", 0x97: "Quota exceeded",
	0x98: "Administrative action", 0x99: "Payload format invalid", 0x9A: "Retain not supported",
	0x9B: "QoS not supported", 0x9C: "Use another server", 0x9D: "Server moved",
	0x9E: "Shared Subscriptions not supported", 0x9F: "Connection rate exceeded",
	0xA0: "Maximum connect time", 0xA1: "Subscription Identifiers not supported",
	0xA2: "Wildcard Subscriptions not supported",
}
