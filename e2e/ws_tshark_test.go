package e2e

// The WebSocket differential against tshark (issue #7): real mosquitto
// WebSocket traffic (paho-mqtt 3.1.1 and 5.0 over transport="websockets",
// and a raw client that cuts MQTT packets across WebSocket messages) is
// read by `mqttdump -T json` and by tshark with a Lua script that hands
// the "mqtt" WebSocket subprotocol to the MQTT dissector (tshark 4.0 does
// not by default). Every mqtt.* value tshark reports must equal ours,
// packet by packet, except in one counted case:
//
//   tshark runs the MQTT dissector on each WebSocket message on its own,
//   with no reassembly across messages, so an MQTT packet whose bytes span
//   several messages is a partial or garbled PDU in each of their frames.
//   Differences in those frames (and only those) are allowed; there our
//   decode is checked instead: the raw client's packets must come out
//   byte for byte as sent, and every packet of every connection is
//   re-dissected by tshark from a plain-TCP capture of our packet bytes
//   and must match field for field.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/internal/tsharkjson"
)

// wsMQTTLua makes tshark dissect the "mqtt" WebSocket subprotocol as MQTT.
const wsMQTTLua = `DissectorTable.get("ws.protocol"):add("mqtt", Dissector.get("mqtt"))` + "\n"

// pahoWSWorkload: paho over WebSocket, MQTT 3.1.1 then 5.0 (properties):
// subscribe, QoS 0/1/2 publishes (received back), a 3000-byte payload
// (16-bit WebSocket length), a retained message, unsubscribe, disconnect.
const pahoWSWorkload = `
import sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
port = int(sys.argv[1])
def run(cid, proto):
    v5 = proto == mqtt.MQTTv5
    c = mqtt.Client(client_id=cid, transport="websockets", protocol=proto)
    kw = {}
    if v5:
        cp = Properties(PacketTypes.CONNECT)
        cp.SessionExpiryInterval = 30
        cp.ReceiveMaximum = 10
        kw["properties"] = cp
    c.connect("127.0.0.1", port, **kw)
    c.loop_start()
    c.subscribe(cid + "/#", qos=2)
    time.sleep(0.2)
    for qos in (0, 1, 2):
        props = None
        if v5:
            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = [("k", "v%d" % qos)]
            props.ContentType = "text/plain"
            props.MessageExpiryInterval = 60
        c.publish(cid + "/q%d" % qos, "message %d" % qos, qos=qos, properties=props).wait_for_publish()
    c.publish(cid + "/big", b"b" * 3000, qos=1).wait_for_publish()
    c.publish(cid + "/retained", "r", qos=1, retain=True).wait_for_publish()
    time.sleep(0.3)
    c.unsubscribe(cid + "/#")
    time.sleep(0.2)
    c.disconnect()
    c.loop_stop()
run("paho-ws-311", mqtt.MQTTv311)
run("paho-ws-5", mqtt.MQTTv5)
`

// wsFrame is a masked binary WebSocket frame carrying p.
func wsFrame(p []byte) []byte {
	key := [4]byte{9, 8, 7, 6}
	b := []byte{0x82}
	if len(p) < 126 {
		b = append(b, 0x80|byte(len(p)))
	} else {
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	}
	b = append(b, key[:]...)
	for i, x := range p {
		b = append(b, x^key[i%4])
	}
	return b
}

// wsSpanClient upgrades, sends CONNECT in one message, awaits the CONNACK,
// then sends stream cut into WebSocket messages at the offsets cuts (one
// write, so one segment, each).
func wsSpanClient(t *testing.T, port int, connect, stream []byte, cuts []int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", err, resp)
	}
	if _, err := c.Write(wsFrame(connect)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(br, make([]byte, 6)); err != nil { // server frame header + CONNACK
		t.Fatalf("connack: %v", err)
	}
	prev := 0
	for _, cut := range append(cuts, len(stream)) {
		if _, err := c.Write(wsFrame(stream[prev:cut])); err != nil {
			t.Fatal(err)
		}
		prev = cut
		time.Sleep(20 * time.Millisecond) // separate segments
	}
	time.Sleep(200 * time.Millisecond)
}

// wsMsg is one WebSocket data message as tshark saw it: its payload
// length and the frame it completed in.
type wsMsg struct{ length, frame int }

// wsDirKey names one direction of one connection: the client's port and
// whether the bytes go to the server.
type wsDirKey struct {
	client   int
	toServer bool
}

// wsMessages lists, per direction, the WebSocket data messages tshark
// found (continuation frames joined to their message).
func wsMessages(t *testing.T, tshark, pcap string, wsPort int) map[wsDirKey][]wsMsg {
	t.Helper()
	out := runQuiet(t, 60*time.Second, tshark, "-n", "-r", pcap, "-d", fmt.Sprintf("tcp.port==%d,http", wsPort),
		"-Y", "websocket", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "tcp.srcport", "-e", "tcp.dstport",
		"-e", "websocket.opcode", "-e", "websocket.fin", "-e", "websocket.payload_length",
		"-e", "websocket.payload_length_ext_16", "-e", "websocket.payload_length_ext_64")
	msgs := map[wsDirKey][]wsMsg{}
	open := map[wsDirKey]bool{} // a fragmented message is unfinished
	for _, line := range strings.Split(strings.TrimRight(out, "\r\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		col := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(col) != 8 {
			t.Fatalf("tshark websocket fields: %q", line)
		}
		frame, _ := strconv.Atoi(col[0])
		sp, _ := strconv.Atoi(col[1])
		dp, _ := strconv.Atoi(col[2])
		k := wsDirKey{client: sp, toServer: dp == wsPort}
		if !k.toServer {
			k.client = dp
		}
		ops, fins, lens := strings.Split(col[3], ","), strings.Split(col[4], ","), strings.Split(col[5], ",")
		// The extended lengths come in the order of the frames using them.
		ext := [2][]string{strings.Split(col[6], ","), strings.Split(col[7], ",")}
		if len(ops) != len(fins) || len(ops) != len(lens) {
			t.Fatalf("tshark websocket fields: %q", line)
		}
		for i := range ops {
			op, _ := strconv.Atoi(ops[i])
			n, _ := strconv.Atoi(lens[i])
			if n == 126 || n == 127 {
				e := &ext[n-126]
				if len(*e) == 0 || (*e)[0] == "" {
					t.Fatalf("tshark websocket fields: no extended length: %q", line)
				}
				n, _ = strconv.Atoi((*e)[0])
				*e = (*e)[1:]
			}
			if op >= 8 || (op != 0 && op != 1 && op != 2) {
				continue // control frames carry no MQTT bytes
			}
			if open[k] && len(msgs[k]) > 0 {
				last := &msgs[k][len(msgs[k])-1]
				last.length += n
				last.frame = frame
			} else {
				msgs[k] = append(msgs[k], wsMsg{length: n, frame: frame})
			}
			open[k] = fins[i] != "1"
		}
	}
	return msgs
}

// wsEndpoint splits "127.0.0.1:51681" into its address and port.
func wsEndpoint(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatalf("address %q: %v", s, err)
	}
	return ap
}

// wsSpanFrames walks each direction's MQTT packets (ours, in order)
// against its WebSocket messages and returns the frames of every message
// holding bytes of a packet that spans messages, and those packets.
func wsSpanFrames(t *testing.T, pkts []*packet, msgs map[wsDirKey][]wsMsg, wsPort int) (map[int]bool, []*packet) {
	t.Helper()
	type cursor struct {
		k   int   // current message
		off int64 // bytes of the direction before message k
		pos int64 // bytes of the direction before the next packet
	}
	cur := map[wsDirKey]*cursor{}
	frames := map[int]bool{}
	var spanning []*packet
	for _, p := range pkts {
		src, dst := wsEndpoint(t, p.Src), wsEndpoint(t, p.Dst)
		k := wsDirKey{client: int(src.Port()), toServer: int(dst.Port()) == wsPort}
		if !k.toServer {
			k.client = int(dst.Port())
		}
		c := cur[k]
		if c == nil {
			c = &cursor{}
			cur[k] = c
		}
		ms := msgs[k]
		from, to := c.pos, c.pos+int64(p.Length)
		c.pos = to
		// the message holding the packet's first byte
		for c.k < len(ms) && c.off+int64(ms[c.k].length) <= from {
			c.off += int64(ms[c.k].length)
			c.k++
		}
		if c.k >= len(ms) {
			t.Fatalf("%s: packet at byte %d of %v is past the %d WebSocket messages tshark found", p, from, k, len(ms))
		}
		if to <= c.off+int64(ms[c.k].length) {
			continue // inside one message
		}
		spanning = append(spanning, p)
		for i, off := c.k, c.off; i < len(ms) && off < to; i++ {
			frames[ms[i].frame] = true
			off += int64(ms[i].length)
		}
	}
	return frames, spanning
}

// wsRedissect writes our packets, connection by connection, as plain MQTT
// over TCP port 1883 (each packet in its own segments, in our order) and
// compares tshark's dissection of that capture with our fields: it checks
// our decode of the WebSocket capture, spanning packets included.
func wsRedissect(ctx context.Context, t *testing.T, tshark string, pkts []*packet, ours []tsPacket, wsPort int) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "replay.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapgen.NewWriter(f, pcapgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conns := map[int]*pcapgen.Conn{}
	replay := make([]tsPacket, len(ours))
	for i, p := range pkts {
		src, dst := wsEndpoint(t, p.Src), wsEndpoint(t, p.Dst)
		d, client := pcapgen.ToServer, src
		if int(src.Port()) == wsPort {
			d, client = pcapgen.ToClient, dst
		}
		c := conns[int(client.Port())]
		if c == nil {
			c = w.Conn(client, netip.AddrPortFrom(client.Addr(), 1883))
			c.Handshake()
			conns[int(client.Port())] = c
		}
		raw, err := hex.DecodeString(p.Raw)
		if err != nil || len(raw) != p.Length {
			t.Fatalf("%s: raw %d bytes (%v), length %d", p, len(raw), err, p.Length)
		}
		c.SendSplit(d, raw, pcapgen.MaxSegment)
		replay[i] = ours[i]
		replay[i].Frame, replay[i].pos = w.Frames(), 0
	}
	for _, c := range conns {
		c.Close()
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	theirs, err := tsharkjson.Run(ctx, path, tsharkjson.Options{Tshark: tshark})
	if err != nil {
		t.Fatal(err)
	}
	if len(theirs) != len(replay) {
		t.Errorf("replay: tshark dissects %d MQTT packets from our %d packets' bytes", len(theirs), len(replay))
	}
	diffs, st, err := tsCompare("replay", theirs, replay)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range diffs {
		if i < tsMaxShown {
			t.Errorf("replay of our packets over plain TCP: %s", d)
		}
	}
	t.Logf("replay over plain TCP: %d packets, %d tshark values compared, %d equal", len(theirs), st.compared, st.equal)
	return st.equal
}

func TestWebSocketTsharkDiff(t *testing.T) {
	needBinary(t)
	tshark, err := tsharkjson.Find()
	if os.Getenv("MQTTDUMP_REQUIRE_TSHARK") == "1" {
		if err != nil {
			t.Fatalf("MQTTDUMP_REQUIRE_TSHARK=1: %v", err)
		}
		// A differential that is required must not skip for want of root,
		// the broker or paho either.
		t.Setenv("MQTTDUMP_REQUIRE_E2E", "1")
	} else if err != nil {
		t.Skip(err)
	}
	needRoot(t)
	tools := needTools(t, "mosquitto", "tcpdump")
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paho.mqtt.client").Run(); err != nil {
		skipOrFail(t, "python3-paho-mqtt not installed (apt-get install python3-paho-mqtt)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// mosquitto 2.0.11 will not start with a websockets listener alone
	// (and binds it on every address whatever the listener line says).
	ports := startBrokerConf(ctx, t, tools["mosquitto"], "listener PORT 127.0.0.1\nlistener PORT 127.0.0.1\nprotocol websockets\n")
	ws := ports[1]

	// The raw client: two PUBLISHes, a PINGREQ and a DISCONNECT as one
	// byte stream cut so that each of the first three spans messages and
	// some messages end one packet and start the next.
	connect := mqttPacket(0x10, append(append(mqttStr("MQTT"), 4, 2, 0, 60), mqttStr("ws-span")...))
	pubA := mqttPacket(0x30, append(mqttStr("span/a"), bytes.Repeat([]byte("a"), 30)...))
	pubB := mqttPacket(0x32, append(append(mqttStr("span/b"), 0, 7), bytes.Repeat([]byte("b"), 290)...))
	ping, disc := []byte{0xc0, 0}, []byte{0xe0, 0}
	stream := bytes.Join([][]byte{pubA, pubB, ping, disc}, nil)
	a, b := len(pubA), len(pubA)+len(pubB)
	cuts := []int{10, a + 5, a + 200, b + 1}
	sent := [][]byte{connect, pubA, pubB, ping, disc}

	pcap := tcpdumpLo(ctx, t, tools["tcpdump"], ws, func() {
		out, err := exec.CommandContext(ctx, py, "-c", pahoWSWorkload, strconv.Itoa(ws)).CombinedOutput()
		if err != nil {
			t.Fatalf("paho over websockets: %v\n%s", err, out)
		}
		wsSpanClient(t, ws, connect, stream, cuts)
	})

	stdout, stderr, code := runMqttdump(t, "-r", pcap, "-T", "json")
	if code != 0 {
		t.Fatalf("mqttdump exit %d: %s", code, stderr)
	}
	all, err := parseNDJSON([]byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	var pkts []*packet // the lines tsReadOurs keeps, in the same order
	for _, p := range all {
		if p.Frame > 0 && p.Fields != nil {
			pkts = append(pkts, p)
		}
	}
	ours, err := tsReadOurs(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != len(pkts) {
		t.Fatalf("%d packets read for comparison, %d parsed", len(ours), len(pkts))
	}
	lua := filepath.Join(t.TempDir(), "ws-mqtt.lua")
	if err := os.WriteFile(lua, []byte(wsMQTTLua), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs, err := tsharkjson.Run(ctx, pcap, tsharkjson.Options{Tshark: tshark,
		Extra: []string{"-X", "lua_script:" + lua, "-d", fmt.Sprintf("tcp.port==%d,http", ws)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(theirs) == 0 {
		t.Fatal("tshark decoded no MQTT inside WebSocket: the Lua script did not take")
	}

	spanFrames, spanning := wsSpanFrames(t, pkts, wsMessages(t, tshark, pcap, ws), ws)

	// Our decode where tshark cannot judge: the raw client's packets as sent.
	var got [][]byte
	spanClient := clientOf(t, findClient(t, pkts, "ws-span"), ws)
	for _, p := range pkts {
		if p.toServer(ws) && clientOf(t, p, ws) == spanClient {
			raw, _ := hex.DecodeString(p.Raw)
			got = append(got, raw)
		}
	}
	if fmt.Sprintf("%x", got) != fmt.Sprintf("%x", sent) {
		t.Errorf("the raw client's packets:\n got %x\nwant %x", got, sent)
	}
	if len(spanning) < 3 {
		t.Errorf("%d packets span WebSocket messages, want at least the raw client's 3: %v", len(spanning), spanning)
	}

	diffs, st, err := tsCompare("websocket", theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	allowed := 0
	for _, d := range diffs {
		if spanFrames[d.frame] {
			if allowed < 8 {
				t.Logf("allowed (packet spans WebSocket messages): %s", d)
			}
			allowed++
			continue
		}
		t.Errorf("%s", d)
	}
	// Outside the spanning frames, tshark and we must see the same packets.
	theirsAt, oursAt := map[int]int{}, map[int]int{}
	for _, p := range theirs {
		theirsAt[p.Frame]++
	}
	for _, p := range ours {
		oursAt[p.Frame]++
	}
	for fr, n := range oursAt {
		if !spanFrames[fr] && theirsAt[fr] != n {
			t.Errorf("frame %d: %d MQTT packets, tshark %d", fr, n, theirsAt[fr])
		}
	}
	for fr, n := range theirsAt {
		if !spanFrames[fr] && oursAt[fr] != n {
			t.Errorf("frame %d: tshark %d MQTT packets, mqttdump %d", fr, n, oursAt[fr])
		}
	}
	if allowed == 0 {
		t.Error("no difference in the spanning frames: tshark reassembles across WebSocket messages now? revisit the rule")
	}
	equal := wsRedissect(ctx, t, tshark, pkts, ours, ws)
	t.Logf("websocket capture: tshark %d PDUs, mqttdump %d packets; %d values compared, %d equal; "+
		"%d differences allowed in %d frames holding %d MQTT packets that span WebSocket messages (checked by replay: %d values equal)",
		len(theirs), len(ours), st.compared, st.equal, allowed, len(spanFrames), len(spanning), equal)
	if st.equal < 200 {
		t.Errorf("only %d values equal: the comparison compared too little", st.equal)
	}
}

// findClient is our CONNECT with the client id.
func findClient(t *testing.T, pkts []*packet, id string) *packet {
	t.Helper()
	for _, p := range pkts {
		if p.Type == "connect" {
			if v, _ := p.get("mqtt.clientid"); v == id {
				return p
			}
		}
	}
	t.Fatalf("no CONNECT of %s", id)
	return nil
}

// clientOf is the client port of p's connection.
func clientOf(t *testing.T, p *packet, wsPort int) int {
	t.Helper()
	src, dst := wsEndpoint(t, p.Src), wsEndpoint(t, p.Dst)
	if int(src.Port()) == wsPort {
		return int(dst.Port())
	}
	return int(src.Port())
}
