package e2e

import (
	"encoding/hex"
	"fmt"
	"slices"
)

// errorer is the part of *testing.T the checks use, so a test can also run
// them on tampered packets and see that they complain.
type errorer interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkRun checks mqttdump's packets for a played workload: every
// connection is one client, complete from CONNECT to DISCONNECT, with the
// right version; every PUBLISH carries the right topic, QoS and payload in
// order; every QoS 1/2 flow completes with matching packet ids; the
// subscription is granted; the real clients produced no expert findings.
func checkRun(t errorer, pkts []*packet, w *workload, port int) {
	t.Helper()
	if want := w.expectedPackets(); len(pkts) != want {
		t.Errorf("got %d MQTT packets, want %d", len(pkts), want)
	}
	checkEachPacket(t, pkts)

	conns := byConnection(pkts)
	clients := make(map[string][]*packet)
	for stream, cp := range conns {
		id, ok := cp[0].get("mqtt.clientid")
		if cp[0].Type != "connect" || !ok {
			t.Errorf("stream %d: first packet is not a CONNECT with a client id: %v", stream, cp[0])
			continue
		}
		if _, dup := clients[id]; dup {
			t.Errorf("client id %q on two streams", id)
		}
		clients[id] = cp
	}
	if len(conns) != len(w.pubs)+1 {
		t.Errorf("got %d connections, want %d (clients seen: %v)", len(conns), len(w.pubs)+1, keys(clients))
	}

	for _, p := range w.pubs {
		cp, ok := clients[p.clientID]
		if !ok {
			t.Errorf("no connection for publisher %s", p.clientID)
			continue
		}
		checkSession(t, cp, p.version, port)
		checkPublisher(t, cp, p, port)
	}
	if cp, ok := clients[w.subID]; !ok {
		t.Errorf("no connection for subscriber %s", w.subID)
	} else {
		checkSession(t, cp, w.subVersion, port)
		checkSubscriber(t, cp, w, port)
	}
}

// checkEachPacket checks what holds for every packet of a clean run.
func checkEachPacket(t errorer, pkts []*packet) {
	t.Helper()
	lastFrame := 0
	for _, p := range pkts {
		if p.Frame < lastFrame {
			t.Errorf("output not in capture order: frame %d after %d: %v", p.Frame, lastFrame, p)
		}
		lastFrame = p.Frame
		if code := slices.Index(typeNames, p.Type); code < 0 || code != p.TypeCode {
			t.Errorf("type %q with type_code %d: %v", p.Type, p.TypeCode, p)
		}
		if len(p.Raw) != 2*p.Length {
			t.Errorf("raw has %d hex digits, length is %d: %v", len(p.Raw), p.Length, p)
		}
		if len(p.Fields) == 0 {
			t.Errorf("no fields: %v", p)
		}
		for _, e := range p.Expert {
			if e.Severity != "note" {
				t.Errorf("expert finding on real client traffic: %s %s %q (%s): %v", e.Severity, e.Group, e.Message, e.Spec, p)
			}
		}
	}
}

// typeNames are the JSON type names by type code.
var typeNames = []string{
	"reserved", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp",
	"subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth",
}

// byConnection groups packets by TCP stream, keeping output order.
func byConnection(pkts []*packet) map[int][]*packet {
	m := make(map[int][]*packet)
	for _, p := range pkts {
		m[p.Stream] = append(m[p.Stream], p)
	}
	return m
}

// checkSession checks one connection's frame: CONNECT to the broker,
// accepted CONNACK back, DISCONNECT last, the version learned from the
// CONNECT on every packet, and complete QoS flows.
func checkSession(t errorer, cp []*packet, version string, port int) {
	t.Helper()
	if len(cp) < 3 {
		t.Errorf("connection with %d packets: %v", len(cp), cp)
		return
	}
	if !cp[0].toServer(port) {
		t.Errorf("CONNECT not sent to port %d: %v", port, cp[0])
	}
	if cp[1].Type != "connack" || cp[1].toServer(port) {
		t.Errorf("second packet is not a CONNACK from the broker: %v", cp[1])
	} else if rc := connackCode(cp[1]); rc != 0 {
		t.Errorf("CONNACK code %d, want 0: %v", rc, cp[1])
	}
	if last := cp[len(cp)-1]; last.Type != "disconnect" || !last.toServer(port) {
		t.Errorf("last packet is not the client's DISCONNECT: %v", last)
	}
	for _, p := range cp {
		if p.Version != version || p.VersionSource != "connect" {
			t.Errorf("version %q (%s), want %q (connect): %v", p.Version, p.VersionSource, version, p)
		}
	}
	checkFlows(t, cp, port)
}

// connackCode is the CONNACK return code (3.1.1) or reason code (5.0),
// -1 when neither field is present.
func connackCode(p *packet) int {
	if n := p.getInt("mqtt.conack.val"); n >= 0 {
		return n
	}
	return p.getInt("mqtt.connack.reason_code")
}

// flowKey names an in-flight QoS 1/2 message: the direction of its PUBLISH
// and its packet identifier.
type flowKey struct {
	toServer bool
	id       int
}

// checkFlows follows every QoS 1 and QoS 2 exchange of one connection in
// output order: PUBLISH -> PUBACK, or PUBLISH -> PUBREC -> PUBREL ->
// PUBCOMP, each step in the right direction with the same packet id, and
// nothing left in flight at the end.
func checkFlows(t errorer, cp []*packet, port int) {
	t.Helper()
	next := make(map[flowKey]string) // what the flow waits for
	step := func(p *packet, k flowKey, want, then string) {
		if got := next[k]; got != want {
			t.Errorf("%s for id %d while waiting for %q: %v", p.Type, k.id, got, p)
			return
		}
		if then == "" {
			delete(next, k)
		} else {
			next[k] = then
		}
	}
	for _, p := range cp {
		dir := p.toServer(port)
		id := p.getInt("mqtt.msgid")
		switch p.Type {
		case "publish":
			qos := p.getInt("mqtt.qos")
			if qos == 0 {
				if id >= 0 {
					t.Errorf("QoS 0 PUBLISH with packet id %d: %v", id, p)
				}
				continue
			}
			if id <= 0 {
				t.Errorf("QoS %d PUBLISH without a packet id: %v", qos, p)
				continue
			}
			k := flowKey{dir, id}
			if busy, ok := next[k]; ok {
				t.Errorf("packet id %d reused while waiting for %s: %v", id, busy, p)
			}
			next[k] = map[int]string{1: "puback", 2: "pubrec"}[qos]
		case "puback":
			step(p, flowKey{!dir, id}, "puback", "")
		case "pubrec":
			step(p, flowKey{!dir, id}, "pubrec", "pubrel")
		case "pubrel":
			step(p, flowKey{dir, id}, "pubrel", "pubcomp")
		case "pubcomp":
			step(p, flowKey{!dir, id}, "pubcomp", "")
		}
	}
	for k, v := range next {
		t.Errorf("stream %d: flow of packet id %d (to server: %v) never got its %s", cp[0].Stream, k.id, k.toServer, v)
	}
}

// checkPublisher checks a publisher connection: its PUBLISHes in order,
// and nothing published towards it.
func checkPublisher(t errorer, cp []*packet, p pubSpec, port int) {
	t.Helper()
	if id, _ := cp[0].get("mqtt.clientid"); id != p.clientID {
		t.Errorf("client id %q, want %q", id, p.clientID)
	}
	var sent []*packet
	for _, pk := range cp {
		if pk.Type == "publish" {
			if !pk.toServer(port) {
				t.Errorf("%s: PUBLISH towards a publisher: %v", p.clientID, pk)
				continue
			}
			sent = append(sent, pk)
		}
	}
	checkPublishes(t, p.clientID, sent, p)
}

// checkSubscriber checks the subscriber connection: SUBSCRIBE and a
// granting SUBACK with the same id, then every publisher's messages
// relayed in order with their QoS.
func checkSubscriber(t errorer, cp []*packet, w *workload, port int) {
	t.Helper()
	subID := -1
	var byTopic = make(map[string][]*packet)
	sawSuback := false
	for _, p := range cp {
		switch p.Type {
		case "subscribe":
			if !p.toServer(port) {
				t.Errorf("SUBSCRIBE from the broker: %v", p)
			}
			if f, _ := p.get("mqtt.topic"); f != w.filter {
				t.Errorf("SUBSCRIBE filter %q, want %q: %v", f, w.filter, p)
			}
			subID = p.getInt("mqtt.msgid")
		case "suback":
			sawSuback = true
			if id := p.getInt("mqtt.msgid"); id != subID || id <= 0 {
				t.Errorf("SUBACK id %d, SUBSCRIBE id %d: %v", id, subID, p)
			}
			if g := grantedQoS(p); g != 2 {
				t.Errorf("SUBACK grants %d, want 2: %v", g, p)
			}
		case "publish":
			if p.toServer(port) {
				t.Errorf("subscriber published: %v", p)
				continue
			}
			topic, _ := p.get("mqtt.topic")
			byTopic[topic] = append(byTopic[topic], p)
		}
	}
	if subID < 0 || !sawSuback {
		t.Errorf("subscriber: SUBSCRIBE seen %v, SUBACK seen %v", subID >= 0, sawSuback)
	}
	for _, p := range w.pubs {
		checkPublishes(t, w.subID+" <- "+p.topic, byTopic[p.topic], p)
		delete(byTopic, p.topic)
	}
	for topic, ps := range byTopic {
		t.Errorf("subscriber got %d PUBLISHes on unexpected topic %q", len(ps), topic)
	}
}

// grantedQoS is the SUBACK's first granted QoS (3.1.1) or reason code
// (5.0; 0-2 grant that QoS).
func grantedQoS(p *packet) int {
	if n := p.getInt("mqtt.suback.qos"); n >= 0 {
		return n
	}
	return p.getInt("mqtt.suback.reason_code")
}

// checkPublishes compares PUBLISH packets with what p sent: same count,
// topic, QoS, payload in order, and the user property on MQTT 5 ones.
func checkPublishes(t errorer, who string, got []*packet, p pubSpec) {
	t.Helper()
	if len(got) != len(p.payloads) {
		t.Errorf("%s: %d PUBLISHes on %s, want %d", who, len(got), p.topic, len(p.payloads))
	}
	for i, pk := range got {
		if i >= len(p.payloads) {
			break
		}
		if topic, _ := pk.get("mqtt.topic"); topic != p.topic {
			t.Errorf("%s: topic %q, want %q: %v", who, topic, p.topic, pk)
		}
		if q := pk.getInt("mqtt.qos"); q != p.qos {
			t.Errorf("%s: QoS %d, want %d: %v", who, q, p.qos, pk)
		}
		want := hex.EncodeToString([]byte(p.payloads[i]))
		if msg, _ := pk.get("mqtt.msg"); msg != want {
			t.Errorf("%s: message %d payload %q, want %q (%q): %v", who, i, msg, want, p.payloads[i], pk)
		}
		if p.userProp && pk.Version == "5.0" && !hasUserProperty(pk, propKey, propValue) {
			t.Errorf("%s: user property %s=%s missing (keys %v, values %v): %v",
				who, propKey, propValue, pk.flat["mqtt.prop_key"], pk.flat["mqtt.prop_value"], pk)
		}
	}
}

// hasUserProperty reports whether the packet has the key/value pair.
func hasUserProperty(p *packet, key, value string) bool {
	ks, vs := p.flat["mqtt.prop_key"], p.flat["mqtt.prop_value"]
	for i := range ks {
		if ks[i] == key && i < len(vs) && vs[i] == value {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// countByType counts packets per JSON type name.
func countByType(pkts []*packet) map[string]int {
	m := make(map[string]int)
	for _, p := range pkts {
		m[p.Type]++
	}
	return m
}

// describeCounts renders counts in type-code order, for messages.
func describeCounts(m map[string]int) string {
	s := ""
	for _, name := range typeNames {
		if m[name] > 0 {
			s += fmt.Sprintf("%s=%d ", name, m[name])
		}
	}
	return s
}
