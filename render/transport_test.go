package render

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/mqttdump/mqttdump/transport"
)

// transportMetas are the transports the views draw, by golden name.
func transportMetas() map[string]*Meta {
	tls13 := &transport.Info{Chain: "tls", TLS: &transport.TLSInfo{Version: "TLS 1.3", Suite: "TLS_AES_128_GCM_SHA256",
		SNI: "broker.example", ALPN: "mqtt", Decrypting: true}}
	ws := &transport.Info{Chain: "websocket", WebSocket: &transport.WebSocketInfo{Subprotocol: "mqtt",
		Extensions: "permessage-deflate", Deflate: true}}
	both := &transport.Info{Chain: "tls+websocket", TLS: &transport.TLSInfo{Version: "TLS 1.2",
		Suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", SNI: "b\x1b[31m"}, WebSocket: &transport.WebSocketInfo{Subprotocol: "mqtt"}}
	with := func(t *transport.Info, m *transport.MessageInfo) *Meta {
		c := *testMeta
		c.Transport, c.WebSocket = t, m
		return &c
	}
	return map[string]*Meta{
		"tls13":        with(tls13, nil),
		"websocket":    with(ws, &transport.MessageInfo{Opcode: 2, Frames: 3, Masked: true, Compressed: true}),
		"tls_ws":       with(both, &transport.MessageInfo{Opcode: 1, Frames: 1}),
		"tcp_is_plain": with(&transport.Info{Chain: "tcp"}, nil),
	}
}

// TestGoldenTransport: the summary marker, the -V Transport line and the
// JSON transport object; plain TCP draws exactly what it drew before.
func TestGoldenTransport(t *testing.T) {
	pk := publishExample(t)
	for name, m := range transportMetas() {
		var out bytes.Buffer
		p := New(&out, goldenOptions)
		if err := p.Summary(pk, m); err != nil {
			t.Fatal(err)
		}
		if err := p.TransportLine(m); err != nil {
			t.Fatal(err)
		}
		if err := p.JSON(pk, m); err != nil {
			t.Fatal(err)
		}
		compareGolden(t, filepath.Join("testdata", "transport_"+name+".golden"), out.Bytes())
		line := out.Bytes()[bytes.LastIndexByte(out.Bytes()[:out.Len()-1], '\n')+1:]
		if !json.Valid(line) {
			t.Errorf("%s: invalid JSON %s", name, line)
		}
		if bytes.Contains(out.Bytes(), []byte("\x1b")) {
			t.Errorf("%s: raw escape reached the output", name)
		}
	}
	// Plain TCP: byte for byte what no transport gives.
	var plain, none bytes.Buffer
	pm := transportMetas()["tcp_is_plain"]
	for _, c := range []struct {
		out *bytes.Buffer
		m   *Meta
	}{{&plain, pm}, {&none, testMeta}} {
		p := New(c.out, goldenOptions)
		p.Summary(pk, c.m)
		p.TransportLine(c.m)
		p.JSON(pk, c.m)
	}
	if !bytes.Equal(plain.Bytes(), none.Bytes()) {
		t.Errorf("plain TCP changed the output:\n%s\n%s", plain.Bytes(), none.Bytes())
	}
}
