package capture

import (
	"bytes"
	"compress/flate"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// shedConnClient is the client address of hostile connection i.
func shedConnClient(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 30, byte(i >> 8), byte(i)}), 40000)
}

// runPeak reads capture frame by frame and returns the events, the
// highest budget charge seen after any frame, and the charge at the end.
func runPeak(t *testing.T, capture []byte, cfg Config) (evs []got, peak, end int) {
	t.Helper()
	e := newEngine(cfg, func(ev *Event) error {
		evs = append(evs, copyEvent(ev))
		return nil
	})
	src, err := openSource(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, lt, err := src.readPacket()
		if err != nil {
			break
		}
		e.handle(data, ci, lt)
		peak = max(peak, e.buffered)
	}
	e.closeAll()
	return evs, peak, e.buffered
}

// shedNotes are the notes that say something was dropped for the budget.
func shedNotes(evs []got) []got {
	var out []got
	for _, n := range kinds(evs, EventNote) {
		if strings.Contains(n.Message, "buffer limit across connections is reached") {
			out = append(out, n)
		}
	}
	return out
}

// bigRecordConversation is tlsConversation (TLS 1.3) with full-size
// records from the start (no dynamic record sizing): each inner write is
// one record when it fits.
func bigRecordConversation(t *testing.T, inner [][]byte, reply []byte) (*wire, []byte) {
	t.Helper()
	a, b := net.Pipe()
	w := &wire{}
	var keys bytes.Buffer
	cert := selfSigned(t, "broker.example")
	srvConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, DynamicRecordSizingDisabled: true}
	cliConf := &tls.Config{InsecureSkipVerify: true, ServerName: "broker.example", KeyLogWriter: &keys,
		MinVersion: tls.VersionTLS13, DynamicRecordSizingDisabled: true}
	cl := tls.Client(recConn{a, w, true}, cliConf)
	sv := tls.Server(recConn{b, w, false}, srvConf)
	done := make(chan error, 1)
	go func() {
		for _, p := range inner {
			if _, err := io.ReadFull(sv, make([]byte, len(p))); err != nil {
				done <- err
				return
			}
			if _, err := sv.Write(reply); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for _, p := range inner {
		if _, err := cl.Write(p); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(cl, make([]byte, len(reply))); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	return w, keys.Bytes()
}

// Many TLS connections each stop inside a 15 KB record: the records are
// charged to the budget and given up (with a note) when it is full.
// Before, tlsdec held every partial record (an 18 KiB buffer each) whatever
// the budget said.
func TestPartialTLSRecordsShed(t *testing.T) {
	inner := [][]byte{connect("shed"), publish("big", 15000)}
	w, keys := bigRecordConversation(t, inner, connack())
	kl, err := tlsdec.ParseKeyLog(bytes.NewReader(keys))
	if err != nil {
		t.Fatal(err)
	}
	// The last client write is the PUBLISH's record: cut its last 50 bytes,
	// and nothing after it.
	last := -1
	for i, wr := range w.writes {
		if wr.toServer {
			last = i
		}
	}
	const conns = 200
	capture := build(t, pcapgen.Options{}, func(pw *pcapgen.Writer) {
		for i := range conns {
			c := pw.Conn(shedConnClient(i), netip.AddrPortFrom(srv.Addr(), 8883))
			c.Handshake()
			for _, wr := range w.writes[:last+1] {
				d, b := pcapgen.ToClient, wr.b
				if wr.toServer {
					d = pcapgen.ToServer
				}
				if &wr.b[0] == &w.writes[last].b[0] {
					b = b[:len(b)-50]
				}
				c.SendSplit(d, b, 1400)
			}
		}
	})
	cfg := Config{KeyLog: kl, MaxBuffered: 1 << 20}
	evs, peak, end := runPeak(t, capture, cfg)
	// One connection's share on top: a record and what the framer holds.
	if limit := cfg.MaxBuffered + 64<<10; peak > limit {
		t.Errorf("peak charge %d over the budget %d", peak, limit)
	}
	if end != 0 {
		t.Errorf("charge %d after the flush", end)
	}
	notes := shedNotes(evs)
	if len(notes) == 0 {
		t.Fatal("no note says a TLS record was given up for the budget")
	}
	if m := notes[0].Message; !strings.HasPrefix(m, "TLS: ") || !strings.Contains(m, "record at stream offset") {
		t.Errorf("note %q does not say what was dropped and where", m)
	}
	// The connections seen while there was room decode their CONNECT and
	// CONNACK; later ones find the budget held by the partial records of
	// earlier ones (their hellos are then not buffered: named, not decoded).
	if n, want := len(packetsOf(evs)), 2*cfg.MaxBuffered/(20<<10); n < want {
		t.Errorf("%d packets, want at least %d", n, want)
	}
}

// wsUpgrade is a client upgrade request offering permessage-deflate, and
// the server's acceptance.
const (
	wsRequest = "GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
	wsResponse = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
)

// wsClientFrame is a masked client frame header for a payload of n bytes
// (rsv1: compressed), followed by the masked payload p.
func wsClientFrame(rsv1 bool, n int, p []byte) []byte {
	b0 := byte(0x82)
	if rsv1 {
		b0 |= 0x40
	}
	b := []byte{b0}
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := [4]byte{1, 2, 3, 4}
	b = append(b, key[:]...)
	for i, x := range p {
		b = append(b, x^key[i&3])
	}
	return b
}

// deflated is p compressed as one permessage-deflate message (the
// trailing 00 00 ff ff removed).
func deflated(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(p)
	fw.Flush()
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// Many WebSocket connections each stop inside a big compressed message
// (the inflate window and output held) or a big plain one (the message
// buffer held): the layer's buffers are charged and given up, with a
// note, when the budget is full. Before, they stayed whatever the budget.
func TestPartialWebSocketMessagesShed(t *testing.T) {
	// A PUBLISH of 100 KB of varied text, compressed; its first 40 KB.
	var body []byte
	for i := 0; len(body) < 100000; i++ {
		body = append(body, []byte(strings.Repeat(string(rune('a'+i%26)), i%50+1))...)
	}
	pub := publish("z", len(body))
	pub = append(pub[:len(pub)-len(body)], body...)
	comp := deflated(t, pub)
	plainPart := pub[:40000]
	const conns = 100
	capture := build(t, pcapgen.Options{}, func(pw *pcapgen.Writer) {
		for i := range conns {
			c := pw.Conn(shedConnClient(i), netip.AddrPortFrom(srv.Addr(), 8080))
			c.Handshake()
			c.Send(pcapgen.ToServer, []byte(wsRequest))
			c.Send(pcapgen.ToClient, []byte(wsResponse))
			cn := connect("ws")
			c.Send(pcapgen.ToServer, wsClientFrame(false, len(cn), cn))
			if i%2 == 0 {
				part := comp[:min(len(comp)*2/3, 40000)]
				c.SendSplit(pcapgen.ToServer, wsClientFrame(true, len(comp), part), 1400)
			} else {
				c.SendSplit(pcapgen.ToServer, wsClientFrame(false, len(pub), plainPart), 1400)
			}
		}
	})
	cfg := Config{MaxBuffered: 1 << 20, Ports: []uint16{8080}}
	evs, peak, end := runPeak(t, capture, cfg)
	if limit := cfg.MaxBuffered + 128<<10; peak > limit {
		t.Errorf("peak charge %d over the budget %d", peak, limit)
	}
	if end != 0 {
		t.Errorf("charge %d after the flush", end)
	}
	notes := shedNotes(evs)
	var deflate bool
	for _, n := range notes {
		deflate = deflate || (strings.HasPrefix(n.Message, "WebSocket: permessage-deflate") && strings.Contains(n.Message, "dropped at stream offset"))
	}
	if !deflate {
		t.Errorf("no note says an inflate state was given up for the budget (%d budget notes)", len(notes))
	}
	if n := len(packetsOf(evs)); n < conns {
		t.Errorf("%d packets, want at least the %d CONNECTs", n, conns)
	}
}
