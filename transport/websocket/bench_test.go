package websocket

import (
	"compress/flate"
	"testing"
)

// benchStream is a client stream of one 1 MB binary message in 16 KiB
// masked frames, as a broker would see a large PUBLISH.
func benchStream(b *testing.B) (*stream, int) {
	cs := &stream{b: []byte(upgradeRequest("mqtt", ""))}
	start := len(cs.b)
	msg := make([]byte, 1<<20)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	for i := 0; i < len(msg); i += 16 << 10 {
		op := OpContinuation
		if i == 0 {
			op = OpBinary
		}
		cs.frame(i+16<<10 >= len(msg), op, false, testMask, msg[i:i+16<<10], false)
	}
	return cs, start
}

type discard struct{ n int }

func (d *discard) Data(_ Dir, p []byte, _ []Span, _ MessageInfo, _ bool) { d.n += len(p) }
func (d *discard) Event(Dir, Span, EventKind, string)                    {}

// BenchmarkBinaryStream feeds a 1 MB masked binary message in TCP-sized
// segments (1448 bytes).
func BenchmarkBinaryStream(b *testing.B) {
	cs, start := benchStream(b)
	resp := []byte(upgradeResponse("mqtt", ""))
	b.SetBytes(int64(len(cs.b) - start))
	b.ReportAllocs()
	for b.Loop() {
		sink := &discard{}
		c := NewConn(sink)
		c.Write(ClientToServer, 0, cs.b[:start])
		c.Write(ServerToClient, 0, resp)
		for i := start; i < len(cs.b); i += 1448 {
			c.Write(ClientToServer, int64(i), cs.b[i:min(i+1448, len(cs.b))])
		}
		if sink.n != 1<<20 {
			b.Fatalf("delivered %d bytes", sink.n)
		}
	}
}

// BenchmarkDeflateStream inflates 1 MB of MQTT-like JSON messages.
func BenchmarkDeflateStream(b *testing.B) {
	var msgs [][]byte
	total := 0
	for total < 1<<20 {
		m := []byte(`{"sensor":"temperature","unit":"celsius","value":21.5,"ts":1700000000}` + string(rune('a'+total%26)))
		msgs = append(msgs, m)
		total += len(m)
	}
	comp := deflateSync(b, flate.DefaultCompression, msgs...)
	cs := &stream{b: []byte(upgradeRequest("mqtt", "permessage-deflate"))}
	start := len(cs.b)
	for _, c := range comp {
		cs.frame(true, OpBinary, true, testMask, c, false)
	}
	resp := []byte(upgradeResponse("mqtt", "permessage-deflate"))
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		sink := &discard{}
		c := NewConn(sink)
		c.Write(ClientToServer, 0, cs.b[:start])
		c.Write(ServerToClient, 0, resp)
		for i := start; i < len(cs.b); i += 1448 {
			c.Write(ClientToServer, int64(i), cs.b[i:min(i+1448, len(cs.b))])
		}
		if sink.n != total {
			b.Fatalf("delivered %d bytes, want %d", sink.n, total)
		}
	}
}
