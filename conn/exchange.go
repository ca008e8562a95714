package conn

import (
	"fmt"
	"slices"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
)

// Kind is a kind of request/answer exchange.
type Kind uint8

const (
	KindConnect Kind = iota
	KindSubscribe
	KindUnsubscribe
	KindPing
	KindPublishQoS1
	KindPublishQoS2
	KindAuth
	numKinds
)

// KindNames are the exchange kinds as the stats report names them.
var KindNames = [numKinds]string{"connect", "subscribe", "unsubscribe", "ping", "publish_qos1", "publish_qos2", "auth"}

func (k Kind) String() string {
	if k < numKinds {
		return KindNames[k]
	}
	return "unknown"
}

// QoS 2 flow steps: what the flow waits for next.
const (
	awaitAnswer  = iota // PUBACK, PUBREC, SUBACK, UNSUBACK
	awaitPubrel         // the publisher's PUBREL after PUBREC
	awaitPubcomp        // the receiver's PUBCOMP after PUBREL
)

// request is a packet waiting for its answer.
type request struct {
	kind      Kind
	typ       uint8
	frame     int
	t         time.Time
	step      uint8
	flowFrame int // the PUBLISH of a QoS 2 flow
	flowT     time.Time
}

// idKey names an in-flight packet id: the sender's direction and the id
// (the two sides number their packets independently), packed into one
// word so the map hashes an integer, not a struct.
type idKey uint32

func inflightKey(dir dissect.Direction, id uint16) idKey { return idKey(dir)<<16 | idKey(id) }

func (k idKey) dir() dissect.Direction { return dissect.Direction(k >> 16) }

// maxInflight bounds the in-flight ids kept per connection; beyond it new
// requests are not tracked (counted as evicted).
const maxInflight = 4096

// maxPings bounds outstanding PINGREQs kept per connection.
const maxPings = 4

// exchanges is a connection's open requests.
type exchanges struct {
	inflight map[idKey]*request
	pubs     [3]int // open QoS 1/2 publishes by sender direction (Receive Maximum)
	connect  *request
	pings    []request
	auth     [3]*request // by sender direction
}

// answer is what pairing found for one packet.
type answer struct {
	kind      Kind
	reqFrame  int // the frame of the request answered
	latency   time.Duration
	flowFrame int
	flowTime  time.Duration
}

func opposite(d dissect.Direction) dissect.Direction {
	switch d {
	case dissect.ToServer:
		return dissect.ToClient
	case dissect.ToClient:
		return dissect.ToServer
	}
	return dissect.DirUnknown
}

// exchange pairs p with its request and registers p when it is one. It
// returns the answer (kind < numKinds) or ok false, and a packet-id reuse
// finding when a new request took an id still in flight.
func (pl *Pipeline) exchange(c *Conn, p *dissect.Packet, dir dissect.Direction, frame int, t time.Time) (ans answer, ok bool) {
	x := &c.ex
	if x.inflight == nil {
		x.inflight = map[idKey]*request{}
	}
	id := uint16(p.PacketID)
	switch p.Type {
	case dissect.TypeConnect:
		x.connect = &request{kind: KindConnect, typ: p.Type, frame: frame, t: t}
	case dissect.TypeConnack:
		if r := x.connect; r != nil {
			x.connect = nil
			x.auth[dissect.ToServer] = nil
			return answer{kind: KindConnect, reqFrame: r.frame, latency: t.Sub(r.t)}, true
		}
	case dissect.TypePingreq:
		if len(x.pings) < maxPings {
			x.pings = append(x.pings, request{kind: KindPing, typ: p.Type, frame: frame, t: t})
		} else {
			pl.evictions++
		}
	case dissect.TypePingresp:
		if len(x.pings) > 0 {
			r := x.pings[0]
			x.pings = append(x.pings[:0], x.pings[1:]...)
			return answer{kind: KindPing, reqFrame: r.frame, latency: t.Sub(r.t)}, true
		}
	case dissect.TypeAuth:
		var ans answer
		other := opposite(dir)
		if r := x.auth[other]; r != nil {
			x.auth[other] = nil
			ans, ok = answer{kind: KindAuth, reqFrame: r.frame, latency: t.Sub(r.t)}, true
		} else if r := x.connect; r != nil && dir == dissect.ToClient {
			// The server's first AUTH answers the CONNECT's authentication
			// method; CONNACK will still answer the CONNECT.
			ans, ok = answer{kind: KindAuth, reqFrame: r.frame, latency: t.Sub(r.t)}, true
		}
		// Continue (0x18) and Re-authenticate (0x19) expect an AUTH back.
		if p.Reason == 0x18 || p.Reason == 0x19 {
			x.auth[dir] = &request{kind: KindAuth, typ: p.Type, frame: frame, t: t}
		}
		return ans, ok
	case dissect.TypePublish:
		if p.QoS == 0 || p.QoS > 2 || p.PacketID < 0 {
			return
		}
		k := inflightKey(dir, id)
		kind := KindPublishQoS1
		if p.QoS == 2 {
			kind = KindPublishQoS2
		}
		if old := x.inflight[k]; old != nil {
			if p.Dup && old.typ == dissect.TypePublish {
				// A retransmission: the answer will answer this one.
				old.frame, old.t = frame, t
				return
			}
			pl.reused(p, dir, old)
		}
		pl.track(x, k, &request{kind: kind, typ: p.Type, frame: frame, t: t, flowFrame: frame, flowT: t})
	case dissect.TypeSubscribe, dissect.TypeUnsubscribe:
		if p.PacketID < 0 {
			return
		}
		kind := KindSubscribe
		if p.Type == dissect.TypeUnsubscribe {
			kind = KindUnsubscribe
		}
		k := inflightKey(dir, id)
		if old := x.inflight[k]; old != nil {
			pl.reused(p, dir, old)
		}
		pl.track(x, k, &request{kind: kind, typ: p.Type, frame: frame, t: t})
	case dissect.TypePuback, dissect.TypePubrec, dissect.TypePubcomp, dissect.TypeSuback, dissect.TypeUnsuback:
		if p.PacketID < 0 {
			return
		}
		k := inflightKey(opposite(dir), id)
		r := x.inflight[k]
		if r == nil || !answers(p.Type, r) {
			return
		}
		ans = answer{kind: r.kind, reqFrame: r.frame, latency: t.Sub(r.t)}
		switch {
		case p.Type == dissect.TypePubrec && p.Reason < 0x80:
			r.step, r.frame, r.t = awaitPubrel, frame, t
		case p.Type == dissect.TypePubcomp:
			ans.flowFrame, ans.flowTime = r.flowFrame, t.Sub(r.flowT)
			x.remove(k)
		default:
			x.remove(k)
		}
		return ans, true
	case dissect.TypePubrel:
		if p.PacketID < 0 {
			return
		}
		k := inflightKey(dir, id)
		r := x.inflight[k]
		if r == nil || r.step != awaitPubrel {
			return
		}
		ans = answer{kind: r.kind, reqFrame: r.frame, latency: t.Sub(r.t)}
		r.step, r.frame, r.t = awaitPubcomp, frame, t
		return ans, true
	}
	return
}

// answers reports whether a packet of type typ is the next step of r.
func answers(typ uint8, r *request) bool {
	switch typ {
	case dissect.TypePuback:
		return r.kind == KindPublishQoS1
	case dissect.TypePubrec:
		return r.kind == KindPublishQoS2 && r.step == awaitAnswer
	case dissect.TypePubcomp:
		return r.kind == KindPublishQoS2 && r.step == awaitPubcomp
	case dissect.TypeSuback:
		return r.kind == KindSubscribe
	case dissect.TypeUnsuback:
		return r.kind == KindUnsubscribe
	}
	return false
}

func (pl *Pipeline) track(x *exchanges, k idKey, r *request) {
	if _, ok := x.inflight[k]; !ok && len(x.inflight) >= maxInflight {
		pl.evictions++
		return
	}
	x.remove(k)
	x.put(k, r)
}

func isPublish(k Kind) bool { return k == KindPublishQoS1 || k == KindPublishQoS2 }

func (x *exchanges) put(k idKey, r *request) {
	if x.inflight == nil {
		x.inflight = map[idKey]*request{}
	}
	x.inflight[k] = r
	if isPublish(r.kind) && k.dir() < 3 {
		x.pubs[k.dir()]++
	}
}

func (x *exchanges) remove(k idKey) {
	if r := x.inflight[k]; r != nil {
		if isPublish(r.kind) && k.dir() < 3 {
			x.pubs[k.dir()]--
		}
		delete(x.inflight, k)
	}
}

// reused reports a packet id taken again while its exchange is open, on
// the packet identifier. A broker's PUBLISH breaks the server's rule,
// anything else the client's.
func (pl *Pipeline) reused(p *dissect.Packet, dir dissect.Direction, old *request) {
	r := dissect.RulePacketIDInUseClient
	if dir == dissect.ToClient && p.Type == dissect.TypePublish {
		r = dissect.RulePacketIDInUseServer
	}
	p.Flag(fieldNode(p, "mqtt.msgid"), r,
		fmt.Sprintf("packet identifier %d reused while still in flight (%s in frame %d)", p.PacketID, typeName(old.typ), old.frame))
	pl.findings["packet_id_in_use"]++
}

// open lists the connection's unanswered requests in frame order.
func (x *exchanges) open() []request {
	var out []request
	if x.connect != nil {
		out = append(out, *x.connect)
	}
	out = append(out, x.pings...)
	for _, r := range x.auth {
		if r != nil {
			out = append(out, *r)
		}
	}
	for _, r := range x.inflight {
		out = append(out, *r)
	}
	sortRequests(out)
	return out
}

func sortRequests(rs []request) {
	slices.SortFunc(rs, func(a, b request) int { return a.frame - b.frame })
}

var wireNames = [16]string{"Reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"}

func typeName(t uint8) string { return wireNames[t&0x0f] }
