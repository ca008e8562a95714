package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// skipOrFail skips, or fails when MQTTDUMP_REQUIRE_E2E=1 (as CI runs).
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("MQTTDUMP_REQUIRE_E2E") == "1" {
		t.Fatalf("MQTTDUMP_REQUIRE_E2E=1 but %s", why)
	}
	t.Skip(why)
}

func lookMosquitto() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	return exec.LookPath("/usr/sbin/mosquitto") // Debian's, off a non-root PATH
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startWSBroker starts mosquitto with a WebSocket listener on loopback and
// returns its port. mosquitto 2.0.11 refuses to start with a websockets
// listener alone ("Unable to start any listening sockets"), so a plain
// MQTT listener is configured beside it.
func startWSBroker(t *testing.T, mosquitto string) int {
	dir := t.TempDir()
	var lastErr error
	// A free port can be taken between probing and binding: try again.
	for try := 0; try < 3; try++ {
		ws, plain := freePort(t), freePort(t)
		if ws == plain {
			continue
		}
		port, log, err := tryWSBroker(t, mosquitto, dir, ws, plain)
		if err == nil {
			return port
		}
		if strings.Contains(log, "Websockets support not available") {
			skipOrFail(t, "this mosquitto was built without websockets support: "+strings.TrimSpace(log))
		}
		lastErr = fmt.Errorf("%w; log:\n%s", err, log)
	}
	t.Fatalf("mosquitto with a websockets listener: %v", lastErr)
	return 0
}

// tryWSBroker starts one broker; on failure it is stopped and its log returned.
func tryWSBroker(t *testing.T, mosquitto, dir string, ws, plain int) (int, string, error) {
	conf := filepath.Join(dir, fmt.Sprintf("ws-%d.conf", ws))
	body := fmt.Sprintf("listener %d 127.0.0.1\nlistener %d 127.0.0.1\nprotocol websockets\nallow_anonymous true\nlog_dest stderr\nlog_type all\n", plain, ws)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, fmt.Sprintf("ws-%d.log", ws))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, mosquitto, "-c", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		logf.Close()
		skipOrFail(t, "mosquitto does not start: "+err.Error())
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() { cancel(); <-done; logf.Close() }
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ws))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-done:
			stop()
			log, _ := os.ReadFile(logPath)
			return 0, string(log), fmt.Errorf("mosquitto exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Cleanup(stop)
			return ws, "", nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	log, _ := os.ReadFile(logPath)
	return 0, string(log), fmt.Errorf("port %d not listening after 10 s", ws)
}

// chunk is bytes seen on the wire, in the order they were seen.
type chunk struct {
	d Dir
	b []byte
}

// tape records both directions of a client connection.
type tape struct {
	mu     sync.Mutex
	chunks []chunk
	conn   net.Conn
}

func (tp *tape) Write(b []byte) (int, error) {
	tp.mu.Lock()
	tp.chunks = append(tp.chunks, chunk{ClientToServer, append([]byte(nil), b...)})
	tp.mu.Unlock()
	return tp.conn.Write(b)
}

func (tp *tape) Read(b []byte) (int, error) {
	n, err := tp.conn.Read(b)
	if n > 0 {
		tp.mu.Lock()
		tp.chunks = append(tp.chunks, chunk{ServerToClient, append([]byte(nil), b[:n]...)})
		tp.mu.Unlock()
	}
	return n, err
}

// wsFrame is a masked client frame.
func wsFrame(op byte, key [4]byte, p []byte) []byte {
	b := []byte{0x80 | op}
	switch {
	case len(p) < 126:
		b = append(b, 0x80|byte(len(p)))
	default:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	}
	b = append(b, key[:]...)
	for i, c := range p {
		b = append(b, c^key[i&3])
	}
	return b
}

// serverBytes is everything the server sent so far.
func serverBytes(tp *tape) []byte {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var out []byte
	for _, c := range tp.chunks {
		if c.d == ServerToClient {
			out = append(out, c.b...)
		}
	}
	return out
}

func TestMosquittoWebSocket(t *testing.T) {
	mosq, err := lookMosquitto()
	if err != nil {
		skipOrFail(t, "mosquitto not found (apt-get install mosquitto)")
	}
	port := startWSBroker(t, mosq)
	nc, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	tp := &tape{conn: nc}

	req := "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:" + strconv.Itoa(port) + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
	if _, err := tp.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	waitServer := func(what string, ok func(b []byte) bool) {
		t.Helper()
		for !ok(serverBytes(tp)) {
			if _, err := tp.Read(buf); err != nil {
				t.Fatalf("waiting for %s: %v; got %q", what, err, serverBytes(tp))
			}
		}
	}
	var hdrLen int
	waitServer("the 101 response", func(b []byte) bool {
		hdrLen = bytes.Index(b, []byte("\r\n\r\n")) + 4
		return hdrLen >= 4
	})
	if resp := serverBytes(tp); !bytes.HasPrefix(resp, []byte("HTTP/1.1 101")) {
		t.Fatalf("response %q", resp)
	}

	connect := []byte{0x10, 0x12, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 6, 'w', 's', '-', 'e', '2', 'e'}
	connect[1] = byte(len(connect) - 2)
	key := [4]byte{0x9a, 0x01, 0x77, 0xe4}
	// CONNECT split across two WebSocket messages (MQTT 5.0 §6: a packet may span messages).
	var sent []byte
	for _, part := range [][]byte{connect[:7], connect[7:]} {
		if _, err := tp.Write(wsFrame(OpBinary, key, part)); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, part...)
	}
	// The CONNACK: 82 04 20 02 00 00.
	waitServer("the CONNACK", func(b []byte) bool { return len(b) >= hdrLen+6 })
	for _, pkt := range [][]byte{{0xc0, 0}, {0xe0, 0}} { // PINGREQ, DISCONNECT
		if pkt[0] == 0xe0 {
			waitServer("the PINGRESP", func(b []byte) bool { return len(b) >= hdrLen+10 })
		}
		if _, err := tp.Write(wsFrame(OpBinary, key, pkt)); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, pkt...)
	}
	// Read what the broker still sends until it closes.
	for {
		if _, err := tp.Read(buf); err != nil {
			break
		}
	}

	r := &recorder{t: t}
	c := NewConn(r)
	var off [2]int64
	for _, ch := range tp.chunks {
		c.Write(ch.d, off[ch.d], ch.b)
		off[ch.d] += int64(len(ch.b))
	}
	r.mustNot(t, EvProtocol)
	r.must(t, EvUpgradeAccepted, "subprotocol mqtt")
	if got := r.data[ClientToServer]; !bytes.Equal(got, sent) {
		t.Fatalf("client payload\n got % x\nwant % x", got, sent)
	}
	if n := len(r.msgs[ClientToServer]); n != 4 {
		t.Fatalf("client messages %d, want 4 (CONNECT in two, PINGREQ, DISCONNECT)", n)
	}
	srv := r.data[ServerToClient]
	if !bytes.HasPrefix(srv, []byte{0x20, 0x02, 0x00, 0x00}) {
		t.Fatalf("server payload % x, want a CONNACK (20 02 00 00) first", srv)
	}
	if !bytes.Contains(srv[4:], []byte{0xd0, 0x00}) {
		t.Fatalf("server payload % x has no PINGRESP", srv)
	}
	if in := c.Info(); in.Status != 101 || in.Subprotocol != "mqtt" || in.Assumed {
		t.Fatalf("info %+v", in)
	}
	t.Logf("%d chunks; client %d bytes, server %d bytes; events:\n%s", len(tp.chunks), off[0], off[1], r.eventList())
}
