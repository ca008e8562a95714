package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/tsharkjson"
)

// tcpdumpLo captures tcp port port on lo into a pcap while run runs.
func tcpdumpLo(ctx context.Context, t *testing.T, tcpdump string, port int, run func()) string {
	t.Helper()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "run.pcap")
	tdErr := filepath.Join(dir, "tcpdump.err")
	td := startProc(ctx, t, "", nil, createFile(t, tdErr), tcpdump,
		"-U", "--immediate-mode", "-s", "8192", "-B", "16384", "-Z", "root", "-i", "lo", "-w", pcap, "tcp port "+strconv.Itoa(port))
	if err := waitForFile(tdErr, "listening on", 15*time.Second, td); err != nil {
		t.Fatalf("tcpdump not capturing: %v", err)
	}
	run()
	waitStable(pcap, 0, 500*time.Millisecond, 10*time.Second)
	if err := td.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := td.wait(15 * time.Second); err != nil {
		msg, _ := os.ReadFile(tdErr)
		t.Fatalf("tcpdump: %v\n%s", err, msg)
	}
	if msg, _ := os.ReadFile(tdErr); !strings.Contains(string(msg), "\n0 packets dropped by kernel") {
		t.Fatalf("tcpdump lost packets; the capture cannot be checked:\n%s", msg)
	}
	return pcap
}

// startBrokerConf starts mosquitto with the given listener lines (PORT is
// replaced by free ports, one per occurrence) and returns those ports.
func startBrokerConf(ctx context.Context, t *testing.T, mosquitto, listeners string) []int {
	t.Helper()
	dir := t.TempDir()
	var ports []int
	for strings.Contains(listeners, "PORT") {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, p)
		listeners = strings.Replace(listeners, "PORT", strconv.Itoa(p), 1)
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	body := listeners + "allow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "mosquitto.log")
	p := startProc(ctx, t, "", nil, createFile(t, logPath), mosquitto, "-c", conf)
	for _, port := range ports {
		if err := waitListening(port, 10*time.Second, p); err != nil {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("mosquitto: %v\n%s", err, b)
		}
	}
	return ports
}

// transportOf is the JSON transport object of a packet line.
type transportOf struct {
	Type      string `json:"type"`
	Transport *struct {
		Chain string `json:"chain"`
		TLS   *struct {
			Version string `json:"version"`
			Suite   string `json:"cipher_suite"`
			SNI     string `json:"sni"`
		} `json:"tls"`
		WebSocket *struct {
			Subprotocol string `json:"subprotocol"`
			Frames      int    `json:"frames"`
			Masked      bool   `json:"masked"`
		} `json:"websocket"`
	} `json:"transport"`
	Fields []node `json:"fields"`
}

func transports(t *testing.T, out string) []transportOf {
	t.Helper()
	var res []transportOf
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var p transportOf
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("not JSON: %v: %s", err, line)
		}
		res = append(res, p)
	}
	return res
}

// mqttPacket builds a fixed header and body.
func mqttPacket(first byte, body []byte) []byte {
	var rl []byte
	for n := len(body); ; {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		rl = append(rl, b)
		if n == 0 {
			break
		}
	}
	return append(append([]byte{first}, rl...), body...)
}

func mqttStr(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

// wsSplitClient connects to a WebSocket listener and sends CONNECT, then a
// PUBLISH cut over three WebSocket messages and a DISCONNECT, the way
// MQTT.js may write them.
func wsSplitClient(t *testing.T, port int, topic string, payload []byte) {
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
	frame := func(p []byte) []byte {
		key := [4]byte{1, 2, 3, 4}
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
	connect := mqttPacket(0x10, append(append(mqttStr("MQTT"), 4, 2, 0, 60), mqttStr("ws-split")...))
	if _, err := c.Write(frame(connect)); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, 6) // server frame header + CONNACK
	if _, err := io.ReadFull(br, hdr); err != nil {
		t.Fatalf("connack: %v", err)
	}
	pub := mqttPacket(0x30, append(mqttStr(topic), payload...))
	for _, part := range [][]byte{pub[:3], pub[3:40], pub[40:]} {
		if _, err := c.Write(frame(part)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // separate segments
	}
	if _, err := c.Write(frame([]byte{0xe0, 0})); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
}

const pahoWS = `
import sys, time
import paho.mqtt.client as mqtt
c = mqtt.Client(client_id="paho-ws", transport="websockets")
c.connect("127.0.0.1", int(sys.argv[1]))
c.loop_start()
for i in range(3):
    c.publish("paho/ws", "message %d" % i, qos=1).wait_for_publish()
c.disconnect()
c.loop_stop()
`

// TestWebSocketLive: mosquitto's websockets listener, paho-mqtt over
// WebSocket and a client that cuts a PUBLISH over three messages; the
// capture is read with no --port and every packet is found.
func TestWebSocketLive(t *testing.T) {
	needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "tcpdump")
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paho.mqtt.client").Run(); err != nil {
		skipOrFail(t, "python3-paho-mqtt not installed (apt-get install python3-paho-mqtt)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// mosquitto will not start with a websockets listener alone.
	ports := startBrokerConf(ctx, t, tools["mosquitto"], "listener PORT 127.0.0.1\nlistener PORT 127.0.0.1\nprotocol websockets\n")
	ws := ports[1]
	payload := bytes.Repeat([]byte("split "), 50)
	pcap := tcpdumpLo(ctx, t, tools["tcpdump"], ws, func() {
		out, err := exec.CommandContext(ctx, py, "-c", pahoWS, strconv.Itoa(ws)).CombinedOutput()
		if err != nil {
			t.Fatalf("paho over websockets: %v\n%s", err, out)
		}
		wsSplitClient(t, ws, "split/topic", payload)
	})
	stdout, stderr, code := runMqttdump(t, "-r", pcap, "-T", "json")
	if code != 0 {
		t.Fatalf("mqttdump exit %d: %s", code, stderr)
	}
	pk := transports(t, stdout)
	count := map[string]int{}
	for _, p := range pk {
		count[p.Type]++
		if p.Transport == nil || p.Transport.Chain != "websocket" || p.Transport.WebSocket == nil ||
			p.Transport.WebSocket.Subprotocol != "mqtt" {
			t.Errorf("%s: transport %+v", p.Type, p.Transport)
		}
	}
	// paho: CONNECT, CONNACK, 3 x (PUBLISH, PUBACK), DISCONNECT;
	// the split client: CONNECT, CONNACK, PUBLISH, DISCONNECT.
	want := map[string]int{"connect": 2, "connack": 2, "publish": 4, "puback": 3, "disconnect": 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s packets, want %d (all: %v)\n%s", count[k], k, n, count, stderr)
		}
	}
	found := false
	for _, p := range pk {
		if p.Type == "publish" && strings.Contains(fmt.Sprint(p.Fields), "split/topic") {
			found = true
		}
	}
	if !found {
		t.Error("the PUBLISH cut over three WebSocket messages was not decoded")
	}
	if !strings.Contains(stderr, "2 connections") {
		t.Errorf("end of run: %s", stderr)
	}
}

// writeCert makes a self-signed certificate for 127.0.0.1 and writes it
// and its key as PEM files.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "broker.test"},
		DNSNames: []string{"broker.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// mosquitto drops root for its own user: it must be able to read them.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o644); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// tlsClient speaks MQTT 3.1.1 over TLS: CONNECT, a QoS 1 PUBLISH (PUBACK
// awaited), PINGREQ, DISCONNECT; the key log goes to keys.
func tlsClient(t *testing.T, port int, version uint16, keys io.Writer) {
	t.Helper()
	conf := &tls.Config{InsecureSkipVerify: true, ServerName: "broker.test", KeyLogWriter: keys,
		MinVersion: version, MaxVersion: version}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), conf)
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	read := func(n int) {
		if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	write := func(b []byte) {
		if _, err := c.Write(b); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	write(mqttPacket(0x10, append(append(mqttStr("MQTT"), 4, 2, 0, 60), mqttStr("tls-client")...)))
	read(4)
	write(mqttPacket(0x32, append(append(mqttStr("tls/topic"), 0, 1), bytes.Repeat([]byte("x"), 3000)...)))
	read(4)
	write([]byte{0xc0, 0})
	read(2)
	write([]byte{0xe0, 0})
	time.Sleep(100 * time.Millisecond)
}

// readMQTT reads one MQTT packet (fixed header, length, body) from r.
func readMQTT(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b := make([]byte, 1, 5)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("read: %v", err)
	}
	n, shift := 0, 0
	for i := 0; i < 4; i++ {
		var c [1]byte
		if _, err := io.ReadFull(r, c[:]); err != nil {
			t.Fatalf("read: %v", err)
		}
		b = append(b, c[0])
		n |= int(c[0]&0x7f) << shift
		shift += 7
		if c[0]&0x80 == 0 {
			break
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatalf("read: %v", err)
	}
	return append(b, body...)
}

// tlsClient5 speaks MQTT 5.0 over TLS with properties in every packet
// that takes them: CONNECT, SUBSCRIBE (SUBACK), a QoS 1 PUBLISH with
// correlation data (PUBACK, and the broker's copy), DISCONNECT. The
// correlation data is text: tshark 4.0 reads Binary Data as a string, so
// a NUL would end it there.
func tlsClient5(t *testing.T, port int, version uint16, keys io.Writer) {
	t.Helper()
	conf := &tls.Config{InsecureSkipVerify: true, ServerName: "broker.test", KeyLogWriter: keys,
		MinVersion: version, MaxVersion: version}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), conf)
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	write := func(b []byte) {
		if _, err := c.Write(b); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	write(enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, KeepAlive: 30, ClientID: "tls-five",
		Properties: []enc.Property{enc.SessionExpiryInterval(60), enc.ReceiveMaximum(20), enc.MaximumPacketSize(1 << 20),
			enc.UserProperty("site", "lab")}}))
	readMQTT(t, c) // CONNACK
	write(enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1,
		Properties: []enc.Property{enc.SubscriptionIdentifier(7), enc.UserProperty("sub", "1")},
		Subs:       []enc.Subscription{{Filter: "tls/five/#", QoS: 1, NoLocal: false, RetainHandling: 1}}}))
	readMQTT(t, c) // SUBACK
	write(enc.EncodePublish(enc.Publish{Version: enc.V5, QoS: 1, PacketID: 2, Topic: "tls/five/a",
		Properties: []enc.Property{enc.PayloadFormatIndicator(1), enc.MessageExpiryInterval(120), enc.ContentType("text/plain"),
			enc.ResponseTopic("tls/five/reply"), enc.CorrelationData([]byte("corr-42")), enc.UserProperty("k", "v")},
		Payload: bytes.Repeat([]byte("five "), 400)}))
	for range 2 { // PUBACK and our own message back, in either order
		readMQTT(t, c)
	}
	write(enc.EncodeDisconnect(enc.Disconnect{Version: enc.V5, Reason: 0, Full: true,
		Properties: []enc.Property{enc.SessionExpiryInterval(0)}}))
	time.Sleep(100 * time.Millisecond)
}

// TestTLSLive: mosquitto with a TLS listener (1.2 and 1.3 forced in turn)
// and a Go client writing a key log; `mqttdump -r --tls-keylog` decodes
// every packet, and tshark with the same keys finds the same ones.
func TestTLSLive(t *testing.T) {
	needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "tcpdump")
	for _, v := range []struct {
		name, conf string
		version    uint16
	}{{"TLS 1.2", "tlsv1.2", tls.VersionTLS12}, {"TLS 1.3", "tlsv1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir := t.TempDir()
			cert, key := writeCert(t, dir)
			ports := startBrokerConf(ctx, t, tools["mosquitto"], fmt.Sprintf(
				"listener PORT 127.0.0.1\ncertfile %s\nkeyfile %s\ntls_version %s\n", cert, key, v.conf))
			keys := filepath.Join(dir, "keys.log")
			kf := createFile(t, keys)
			pcap := tcpdumpLo(ctx, t, tools["tcpdump"], ports[0], func() { tlsClient(t, ports[0], v.version, kf) })
			kf.Close()
			stdout, stderr, code := runMqttdump(t, "-r", pcap, "--tls-keylog", keys, "--port", strconv.Itoa(ports[0]), "-T", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got []string
			for _, p := range transports(t, stdout) {
				got = append(got, p.Type)
				if p.Transport == nil || p.Transport.TLS == nil || p.Transport.TLS.Version != v.name || p.Transport.TLS.SNI != "broker.test" {
					t.Errorf("%s: transport %+v", p.Type, p.Transport)
				}
			}
			want := "connect connack publish puback pingreq pingresp disconnect"
			if strings.Join(got, " ") != want {
				t.Errorf("packets %v, want %s\n%s", got, want, stderr)
			}
			// Without the key log the connection is named, not decoded.
			stdout, stderr, _ = runMqttdump(t, "-r", pcap, "--port", strconv.Itoa(ports[0]))
			if !strings.Contains(stdout, v.name+" (SNI broker.test), not decrypted: give --tls-keylog FILE") || !strings.Contains(stderr, "1 TLS not decrypted") {
				t.Errorf("without keys:\n%s\n%s", stdout, stderr)
			}
			pkts, _ := jsonRun(t, "-r", pcap, "--tls-keylog", keys, "--port", strconv.Itoa(ports[0]))
			tsArgs := []string{"-o", "tls.keylog_file:" + keys, "-d", fmt.Sprintf("tcp.port==%d,tls", ports[0]), "-d", fmt.Sprintf("tls.port==%d,mqtt", ports[0])}
			checkAgainstTsharkArgs(t, pcap, pkts, tsArgs...)
			checkFieldsAgainstTshark(ctx, t, pcap, tsArgs, "-r", pcap, "--tls-keylog", keys, "--port", strconv.Itoa(ports[0]), "-T", "json")

			// MQTT 5.0 over the same listener: properties field for field.
			keys5 := filepath.Join(dir, "keys5.log")
			kf5 := createFile(t, keys5)
			pcap5 := tcpdumpLo(ctx, t, tools["tcpdump"], ports[0], func() { tlsClient5(t, ports[0], v.version, kf5) })
			kf5.Close()
			tsArgs[1] = "tls.keylog_file:" + keys5
			checkFieldsAgainstTshark(ctx, t, pcap5, tsArgs, "-r", pcap5, "--tls-keylog", keys5, "--port", strconv.Itoa(ports[0]), "-T", "json")
		})
	}
}

// checkAgainstTsharkArgs compares frame numbers and packet types with
// tshark run with extra arguments (e.g. a TLS key log).
func checkAgainstTsharkArgs(t *testing.T, capture string, pkts []*packet, extra ...string) {
	t.Helper()
	tshark, err := lookTool("tshark")
	if err != nil {
		if os.Getenv("MQTTDUMP_REQUIRE_TSHARK") == "1" {
			t.Fatal("MQTTDUMP_REQUIRE_TSHARK=1 but tshark not found")
		}
		t.Log("tshark not found: no differential check")
		return
	}
	args := append([]string{"-r", capture, "-Y", "mqtt", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "mqtt.msgtype"}, extra...)
	want, err := parseTsharkPDUs(runQuiet(t, 60*time.Second, tshark, args...))
	if err != nil {
		t.Fatalf("tshark output: %v", err)
	}
	if len(want) != len(pkts) {
		t.Errorf("tshark found %d MQTT packets, mqttdump %d: %v", len(want), len(pkts), want)
		return
	}
	for i, p := range pkts {
		if (pduRef{p.Frame, p.TypeCode}) != want[i] {
			t.Errorf("packet %d: mqttdump frame %d type %d, tshark frame %d type %d", i, p.Frame, p.TypeCode, want[i].frame, want[i].typ)
		}
	}
}

// checkFieldsAgainstTshark compares every mqtt.* value tshark (run with
// extra arguments) reports with mqttdump's field of the same name, packet
// by packet, as the plain differential does (tsCompare): no difference is
// allowed.
func checkFieldsAgainstTshark(ctx context.Context, t *testing.T, capture string, extra []string, ourArgs ...string) {
	t.Helper()
	tshark, err := tsharkjson.Find()
	if err != nil {
		if os.Getenv("MQTTDUMP_REQUIRE_TSHARK") == "1" {
			t.Fatalf("MQTTDUMP_REQUIRE_TSHARK=1: %v", err)
		}
		t.Log("tshark not found: no field differential")
		return
	}
	theirs, err := tsharkjson.Run(ctx, capture, tsharkjson.Options{Tshark: tshark, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runMqttdump(t, ourArgs...)
	if code != 0 {
		t.Fatalf("mqttdump exit %d: %s", code, stderr)
	}
	ours, err := tsReadOurs(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if len(theirs) != len(ours) || len(ours) == 0 {
		t.Errorf("tshark dissects %d MQTT packets, mqttdump %d", len(theirs), len(ours))
	}
	diffs, st, err := tsCompare(filepath.Base(capture), theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range diffs {
		if i < tsMaxShown {
			t.Errorf("%s", d)
		}
	}
	if st.compared == 0 || st.equal != st.compared {
		t.Errorf("%d of %d tshark values equal", st.equal, st.compared)
	}
	t.Logf("field differential: %d packets, %d tshark values compared, %d equal", len(theirs), st.compared, st.equal)
}
