package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
)

// rawClient is an MQTT client written packet by packet, so the test
// decides exactly what is sent and when (and what is not: no PINGREQ).
type rawClient struct {
	t  *testing.T
	c  net.Conn
	r  *bufio.Reader
	v  mqttenc.Version
	id string
}

func dialRaw(t *testing.T, port int, v mqttenc.Version, id string, clean bool, keepAlive uint16, props ...mqttenc.Property) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatalf("dial broker: %v", err)
	}
	rc := &rawClient{t: t, c: c, r: bufio.NewReader(c), v: v, id: id}
	rc.send(mqttenc.EncodeConnect(mqttenc.Connect{Version: v, ClientID: id, CleanStart: clean, KeepAlive: keepAlive, Properties: props}))
	if typ, _ := rc.read(); typ != mqttenc.TypeConnack {
		t.Fatalf("%s: want CONNACK, got type %d", id, typ)
	}
	return rc
}

func (rc *rawClient) send(b []byte) {
	rc.t.Helper()
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatalf("%s: write: %v", rc.id, err)
	}
	// A little time between packets keeps latencies above the clock's grain
	// and the order of the capture the order of the test.
	time.Sleep(2 * time.Millisecond)
}

// read returns the next packet's type and body (after the fixed header).
func (rc *rawClient) read() (byte, []byte) {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := rc.r.ReadByte()
	if err != nil {
		rc.t.Fatalf("%s: read: %v", rc.id, err)
	}
	n, shift := 0, 0
	for i := 0; i < 4; i++ {
		b, err := rc.r.ReadByte()
		if err != nil {
			rc.t.Fatalf("%s: read length: %v", rc.id, err)
		}
		n |= int(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			break
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(rc.r, body); err != nil {
		rc.t.Fatalf("%s: read body: %v", rc.id, err)
	}
	return first >> 4, append([]byte{first}, body...)
}

// expect reads one packet and requires its type.
func (rc *rawClient) expect(typ byte) []byte {
	rc.t.Helper()
	got, b := rc.read()
	if got != typ {
		rc.t.Fatalf("%s: want packet type %d, got %d", rc.id, typ, got)
	}
	return b
}

// publishID reads the packet id of a QoS > 0 PUBLISH (first byte included in b).
func publishID(b []byte) uint16 {
	tl := int(b[1])<<8 | int(b[2])
	return uint16(b[3+tl])<<8 | uint16(b[4+tl])
}

// receive takes one PUBLISH from the broker and completes its QoS flow.
func (rc *rawClient) receive() []byte {
	rc.t.Helper()
	b := rc.expect(mqttenc.TypePublish)
	switch qos := b[0] >> 1 & 3; qos {
	case 1:
		rc.send(mqttenc.EncodePuback(mqttenc.Ack{Version: rc.v, PacketID: publishID(b)}))
	case 2:
		id := publishID(b)
		rc.send(mqttenc.EncodePubrec(mqttenc.Ack{Version: rc.v, PacketID: id}))
		rc.expect(mqttenc.TypePubrel)
		rc.send(mqttenc.EncodePubcomp(mqttenc.Ack{Version: rc.v, PacketID: id}))
	}
	return b
}

// publish sends a PUBLISH and completes its QoS flow.
func (rc *rawClient) publish(topic string, qos byte, id uint16, retain bool, payload string) {
	rc.t.Helper()
	rc.send(mqttenc.EncodePublish(mqttenc.Publish{Version: rc.v, QoS: qos, Retain: retain, Topic: topic, PacketID: id, Payload: []byte(payload)}))
	switch qos {
	case 1:
		rc.expect(mqttenc.TypePuback)
	case 2:
		rc.expect(mqttenc.TypePubrec)
		rc.send(mqttenc.EncodePubrel(mqttenc.Ack{Version: rc.v, PacketID: id}))
		rc.expect(mqttenc.TypePubcomp)
	}
}

func (rc *rawClient) subscribe(id uint16, filter string, qos byte) {
	rc.t.Helper()
	rc.send(mqttenc.EncodeSubscribe(mqttenc.Subscribe{Version: rc.v, PacketID: id, Subs: []mqttenc.Subscription{{Filter: filter, QoS: qos}}}))
	rc.expect(mqttenc.TypeSuback)
}

func (rc *rawClient) ping() {
	rc.t.Helper()
	rc.send(mqttenc.EncodePingreq())
	rc.expect(mqttenc.TypePingresp)
}

func (rc *rawClient) disconnect() {
	rc.send(mqttenc.EncodeDisconnect(mqttenc.Disconnect{Version: rc.v}))
	rc.c.Close()
}

// convPacket is one NDJSON line with the analyzers' keys.
type convPacket struct {
	Frame          int      `json:"frame"`
	Time           string   `json:"time"`
	Src            string   `json:"src"`
	Dst            string   `json:"dst"`
	Stream         int      `json:"stream"`
	Type           string   `json:"type"`
	Raw            string   `json:"raw"`
	ResponseTo     int      `json:"response_to"`
	Latency        *float64 `json:"latency"`
	FlowStart      int      `json:"flow_start"`
	FlowTime       *float64 `json:"flow_time"`
	ForwardedFrom  int      `json:"forwarded_from"`
	ForwardLatency *float64 `json:"forward_latency"`
	RetainedCopy   bool     `json:"retained_copy"`
	t              time.Time
	p              *packet
}

// TestConversations is issue #8 end to end: real mosquitto sessions on
// loopback, captured with tcpdump, then read back: every answer names its
// request and latency, the broker's forwards name the inbound PUBLISH,
// a persistent session, a takeover and a keep-alive expiry are named.
func TestConversations(t *testing.T) {
	needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "tcpdump")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b := startBroker(ctx, t, tools["mosquitto"])
	dir := t.TempDir()
	pcap := filepath.Join(dir, "conv.pcap")
	tdErr := filepath.Join(dir, "tcpdump.err")
	td := startProc(ctx, t, "", nil, createFile(t, tdErr), tools["tcpdump"], "-i", "lo", "-U", "--immediate-mode", "-s", "0", "-w", pcap, "tcp", "port", strconv.Itoa(b.port))
	if err := waitForFile(tdErr, "listening on", 15*time.Second, td); err != nil {
		t.Fatalf("tcpdump not capturing: %v", err)
	}
	time.Sleep(200 * time.Millisecond)

	payloads := map[string]bool{}
	for _, v := range []mqttenc.Version{mqttenc.V311, mqttenc.V5} {
		tag := "v" + strconv.Itoa(int(v))
		sub := dialRaw(t, b.port, v, "sub-"+tag, true, 60)
		sub.subscribe(1, "conv/"+tag+"/#", 2)
		pub := dialRaw(t, b.port, v, "pub-"+tag, true, 60)
		for q := byte(0); q <= 2; q++ {
			payload := fmt.Sprintf("%s-qos%d", tag, q)
			payloads[payload] = true
			pub.publish("conv/"+tag+"/q"+strconv.Itoa(int(q)), q, uint16(10+q), false, payload)
			sub.receive()
		}
		pub.ping()
		pub.disconnect()
		sub.disconnect()
	}
	// A retained message read by a later subscriber.
	ret := dialRaw(t, b.port, mqttenc.V311, "retainer", true, 60)
	ret.publish("conv/retained", 1, 1, true, "kept")
	ret.disconnect()
	late := dialRaw(t, b.port, mqttenc.V311, "late", true, 60)
	late.subscribe(1, "conv/retained", 1)
	if got := late.receive(); got[0]&1 != 1 {
		t.Fatalf("retained copy without the retain flag: % x", got)
	}
	late.disconnect()

	// A persistent session: a QoS 1 message received but not acknowledged
	// before the connection drops is sent again (DUP) on the next one.
	ps := dialRaw(t, b.port, mqttenc.V311, "persist", false, 60)
	ps.subscribe(1, "conv/persist", 1)
	feeder := dialRaw(t, b.port, mqttenc.V311, "feeder", true, 60)
	feeder.publish("conv/persist", 1, 1, false, "first")
	ps.expect(mqttenc.TypePublish) // not acknowledged
	ps.c.Close()
	time.Sleep(100 * time.Millisecond)
	feeder.publish("conv/persist", 1, 2, false, "queued")
	feeder.disconnect()
	ps2 := dialRaw(t, b.port, mqttenc.V311, "persist", false, 60)
	for i := 0; i < 2; i++ {
		ps2.receive()
	}
	ps2.disconnect()

	// A session takeover.
	old := dialRaw(t, b.port, mqttenc.V5, "taken", true, 60)
	taker := dialRaw(t, b.port, mqttenc.V5, "taken", true, 60)
	// mosquitto may send DISCONNECT (Session taken over) before closing.
	old.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, old.r)
	old.c.Close()
	taker.disconnect()

	// A client that stops sending until the broker drops it.
	sleepy := dialRaw(t, b.port, mqttenc.V311, "sleepy", true, 1)
	sleepy.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	silent := time.Now()
	if _, err := sleepy.r.ReadByte(); err == nil {
		t.Fatal("sleepy: the broker sent something instead of closing")
	} else {
		t.Logf("sleepy: broker closed after %v: %v", time.Since(silent), err)
	}
	sleepy.c.Close()

	time.Sleep(time.Second) // the last frames reach tcpdump
	if err := td.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := td.wait(10 * time.Second); err != nil {
		t.Logf("tcpdump: %v", err)
	}

	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(pcap); err == nil {
				keep := filepath.Join(os.TempDir(), "mqttdump-conversations.pcap")
				if os.WriteFile(keep, b, 0o644) == nil {
					t.Logf("capture kept in %s", keep)
				}
			}
		}
	})
	out, stderr, code := runMqttdump(t, "-r", pcap, "--port", strconv.Itoa(b.port), "-T", "json")
	if code != 0 {
		t.Fatalf("mqttdump: exit %d\n%s", code, stderr)
	}
	pkts := parseConv(t, out)
	byFrame := map[int][]*convPacket{}
	for _, p := range pkts {
		byFrame[p.Frame] = append(byFrame[p.Frame], p)
	}
	answerOf := map[string][]string{
		"connack": {"connect"}, "puback": {"publish"}, "pubrec": {"publish"}, "pubrel": {"pubrec"}, "pubcomp": {"pubrel"},
		"suback": {"subscribe"}, "unsuback": {"unsubscribe"}, "pingresp": {"pingreq"},
	}
	answers := 0
	for _, p := range pkts {
		want, isAnswer := answerOf[p.Type]
		if !isAnswer {
			if p.ResponseTo != 0 {
				t.Errorf("%s in frame %d has response_to %d", p.Type, p.Frame, p.ResponseTo)
			}
			continue
		}
		if p.ResponseTo == 0 || p.Latency == nil {
			t.Errorf("%s in frame %d names no request: %+v", p.Type, p.Frame, p)
			continue
		}
		answers++
		req := findReq(byFrame[p.ResponseTo], want[0], p)
		if req == nil {
			t.Errorf("%s in frame %d: response_to %d is not a %s of the other side", p.Type, p.Frame, p.ResponseTo, want[0])
			continue
		}
		if id := p.p.getInt("mqtt.msgid"); p.Type != "connack" && p.Type != "pingresp" && id != req.p.getInt("mqtt.msgid") {
			t.Errorf("%s id %d answers %s id %d", p.Type, id, req.Type, req.p.getInt("mqtt.msgid"))
		}
		if d := p.t.Sub(req.t).Seconds() - *p.Latency; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s in frame %d: latency %v, frame times differ by %v", p.Type, p.Frame, *p.Latency, p.t.Sub(req.t).Seconds())
		}
		if p.Type == "pubcomp" && (p.FlowTime == nil || p.FlowStart == 0) {
			t.Errorf("PUBCOMP in frame %d without flow_time", p.Frame)
		}
	}
	if answers < 30 {
		t.Errorf("only %d answers paired", answers)
	}
	// Fan-out: every delivery of a test payload names the inbound PUBLISH.
	forwards, dupPaired := 0, false
	for _, p := range pkts {
		if p.Type != "publish" || !strings.HasSuffix(p.Src, ":"+strconv.Itoa(b.port)) {
			continue
		}
		msg, _ := p.p.get("mqtt.msg")
		if p.ForwardedFrom == 0 {
			t.Errorf("broker PUBLISH in frame %d (%s) names no inbound PUBLISH", p.Frame, msg)
			continue
		}
		forwards++
		in := byFrame[p.ForwardedFrom]
		if len(in) == 0 || in[0].Type != "publish" {
			t.Errorf("forwarded_from %d is not a PUBLISH", p.ForwardedFrom)
			continue
		}
		inMsg, _ := in[0].p.get("mqtt.msg")
		if inMsg != msg {
			t.Errorf("frame %d forwards %q but frame %d carried %q", p.Frame, msg, p.ForwardedFrom, inMsg)
		}
		if d := p.t.Sub(in[0].t).Seconds() - *p.ForwardLatency; d > 1e-9 || d < -1e-9 {
			t.Errorf("forward_latency %v, frame times differ by %v", *p.ForwardLatency, p.t.Sub(in[0].t).Seconds())
		}
		if strings.Contains(p.p.Raw, "6b657074") != p.RetainedCopy { // "kept"
			t.Errorf("frame %d: retained_copy %v", p.Frame, p.RetainedCopy)
		}
		if dup, _ := p.p.get("mqtt.dupflag"); dup == "true" {
			dupPaired = true
		}
	}
	if forwards < 9 {
		t.Errorf("only %d forwards matched", forwards)
	}
	// The DUP retransmission on the resumed session is answered and paired.
	for _, p := range pkts {
		if p.Type == "puback" && p.ResponseTo > 0 {
			if r := byFrame[p.ResponseTo]; len(r) > 0 {
				if dup, _ := r[0].p.get("mqtt.dupflag"); dup == "true" {
					dupPaired = true
				}
			}
		}
	}
	if !dupPaired {
		t.Errorf("no DUP retransmission of the persistent session was seen and paired")
	}

	// How each connection ended, from the statistics.
	sout, serr, code := runMqttdump(t, "stats", "-r", pcap, "--port", strconv.Itoa(b.port), "-T", "json")
	if code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, serr)
	}
	var st struct {
		Packets struct {
			ByType map[string]int `json:"by_type"`
		} `json:"packets"`
		Exchanges map[string]struct {
			Count      int `json:"count"`
			Unanswered int `json:"unanswered"`
		} `json:"exchanges"`
		Clients []struct {
			ClientID string `json:"client_id"`
			End      string `json:"end"`
		} `json:"clients"`
		Findings map[string]int `json:"findings"`
	}
	if err := json.Unmarshal([]byte(sout), &st); err != nil {
		t.Fatalf("stats json: %v\n%s", err, sout)
	}
	for _, k := range []string{"connect", "subscribe", "ping", "publish_qos1", "publish_qos2"} {
		if st.Exchanges[k].Count == 0 {
			t.Errorf("stats: no %s exchanges", k)
		}
	}
	ends := map[string]string{}
	for _, c := range st.Clients {
		ends[c.ClientID] = c.End
	}
	for id, want := range map[string]string{
		"sleepy": "keep-alive expiry", "taken": "DISCONNECT from the client", "pub-v4": "DISCONNECT from the client",
		"persist": "DISCONNECT from the client",
	} {
		if !strings.Contains(ends[id], want) {
			t.Errorf("client %s ended %q, want %q", id, ends[id], want)
		}
	}
	if st.Findings["mqttdump.takeover"] != 1 || st.Findings["mqttdump.keepalive_expiry"] != 1 {
		t.Errorf("findings: %v", st.Findings)
	}
	if !strings.Contains(serr, "frames read") {
		t.Errorf("stats stderr: %q", serr)
	}
	// The takeover and the expiry are said in the packet view too.
	_, text, _ := runMqttdump(t, "-r", pcap, "--port", strconv.Itoa(b.port), "-T", "json")
	for _, want := range []string{"[takeover] connection end: session taken over", "[keepalive] connection end: keep-alive expiry"} {
		if !strings.Contains(text, want) {
			t.Errorf("notices lack %q:\n%s", want, text)
		}
	}
	// The ladder draws every client.
	lad, lerr, code := runMqttdump(t, "ladder", "-r", pcap, "--port", strconv.Itoa(b.port))
	if code != 0 {
		t.Fatalf("ladder: exit %d\n%s", code, lerr)
	}
	for _, id := range []string{"sub-v4", "pub-v5", "sleepy", "┌", "└"} {
		if !strings.Contains(lad, id) {
			t.Errorf("ladder lacks %q", id)
		}
	}
	mer, _, _ := runMqttdump(t, "ladder", "-r", pcap, "--port", strconv.Itoa(b.port), "-T", "mermaid", "--client", "sleepy")
	if !strings.HasPrefix(mer, "sequenceDiagram\n") || !strings.Contains(mer, "sleepy") || strings.Contains(mer, "pub-v5") {
		t.Errorf("mermaid ladder for --client sleepy:\n%s", mer)
	}
}

func parseConv(t *testing.T, out string) []*convPacket {
	t.Helper()
	plain, err := parseNDJSON([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var pkts []*convPacket
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var p convPacket
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if p.t, err = time.Parse(time.RFC3339Nano, p.Time); err != nil {
			t.Fatalf("line %d time: %v", i+1, err)
		}
		p.p = plain[i]
		pkts = append(pkts, &p)
	}
	return pkts
}

// findReq picks, among the packets of a frame, the request of type want
// sent the other way from answer a.
func findReq(cands []*convPacket, want string, a *convPacket) *convPacket {
	for _, c := range cands {
		if c.Type == want && c.Src == a.Dst && c.Dst == a.Src {
			return c
		}
	}
	return nil
}
