package websocket

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// recorder is a Sink that keeps everything it is told.
type recorder struct {
	data   [2][]byte  // payload per direction
	offs   [2][]int64 // stream offset of every uncompressed payload byte
	calls  []string   // "D dir len final" / "E dir kind msg", in order
	events []event
	msgs   [2][][]byte // completed messages per direction
	cur    [2][]byte
	infos  []MessageInfo
	t      testing.TB
}

type event struct {
	d    Dir
	s    Span
	kind EventKind
	msg  string
}

func (r *recorder) Data(d Dir, p []byte, spans []Span, m MessageInfo, final bool) {
	r.data[d] = append(r.data[d], p...)
	r.cur[d] = append(r.cur[d], p...)
	if !m.Compressed {
		n := int64(0)
		for _, s := range spans {
			if s.To < s.From {
				r.t.Errorf("span %v runs backwards", s)
			}
			for o := s.From; o < s.To; o++ {
				r.offs[d] = append(r.offs[d], o)
			}
			n += s.Len()
		}
		if n != int64(len(p)) {
			r.t.Errorf("spans %v cover %d bytes, payload has %d", spans, n, len(p))
		}
	} else if len(spans) != 1 {
		r.t.Errorf("compressed data with %d spans", len(spans))
	}
	r.calls = append(r.calls, fmt.Sprintf("D %d %d %v", d, len(p), final))
	if final {
		r.msgs[d] = append(r.msgs[d], r.cur[d])
		r.cur[d] = nil
		r.infos = append(r.infos, m)
	}
}

func (r *recorder) Event(d Dir, s Span, k EventKind, msg string) {
	r.events = append(r.events, event{d, s, k, msg})
	r.calls = append(r.calls, fmt.Sprintf("E %d %s %s", d, k, msg))
}

func (r *recorder) kinds() []EventKind {
	var ks []EventKind
	for _, e := range r.events {
		ks = append(ks, e.kind)
	}
	return ks
}

// find returns the first event of kind k whose message contains sub.
func (r *recorder) find(k EventKind, sub string) (event, bool) {
	for _, e := range r.events {
		if e.kind == k && strings.Contains(e.msg, sub) {
			return e, true
		}
	}
	return event{}, false
}

func (r *recorder) must(t *testing.T, k EventKind, sub string) event {
	t.Helper()
	e, ok := r.find(k, sub)
	if !ok {
		t.Fatalf("no %s event containing %q; events:\n%s", k, sub, r.eventList())
	}
	return e
}

func (r *recorder) mustNot(t *testing.T, k EventKind) {
	t.Helper()
	if e, ok := r.find(k, ""); ok {
		t.Fatalf("unexpected %s event %q; events:\n%s", k, e.msg, r.eventList())
	}
}

func (r *recorder) eventList() string {
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "  %s %v %s: %s\n", e.d, e.s, e.kind, e.msg)
	}
	return b.String()
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

func upgradeRequest(protocols, extensions string) string {
	s := "GET /mqtt HTTP/1.1\r\nHost: broker.example:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n"
	if protocols != "" {
		s += "Sec-WebSocket-Protocol: " + protocols + "\r\n"
	}
	if extensions != "" {
		s += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	return s + "\r\n"
}

func upgradeResponse(protocol, extensions string) string {
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(testKey) + "\r\n"
	if protocol != "" {
		s += "Sec-WebSocket-Protocol: " + protocol + "\r\n"
	}
	if extensions != "" {
		s += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	return s + "\r\n"
}

// stream builds one direction's bytes and remembers the stream offset of
// every data payload byte.
type stream struct {
	b    []byte
	offs []int64
	data []byte
}

var testMask = []byte{0x37, 0xfa, 0x21, 0x3d}

// frame appends a frame. key nil: unmasked. data: count the payload as
// message data (for the offset check).
func (s *stream) frame(fin bool, op byte, rsv1 bool, key []byte, payload []byte, data bool) {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	s.b = append(s.b, b0)
	var m byte
	if key != nil {
		m = 0x80
	}
	n := len(payload)
	switch {
	case n < 126:
		s.b = append(s.b, m|byte(n))
	case n <= 0xffff:
		s.b = append(s.b, m|126)
		s.b = binary.BigEndian.AppendUint16(s.b, uint16(n))
	default:
		s.b = append(s.b, m|127)
		s.b = binary.BigEndian.AppendUint64(s.b, uint64(n))
	}
	if key != nil {
		s.b = append(s.b, key...)
	}
	for i, c := range payload {
		if data {
			s.offs = append(s.offs, int64(len(s.b)))
			s.data = append(s.data, c)
		}
		if key != nil {
			c ^= key[i&3]
		}
		s.b = append(s.b, c)
	}
}

// upgraded returns a Conn that has seen a successful handshake and the
// client and server streams positioned after it.
func upgraded(t testing.TB, protocol, reqExt, respExt string) (*Conn, *recorder, *stream, *stream) {
	r := &recorder{t: t}
	c := NewConn(r)
	req, resp := upgradeRequest("mqtt", reqExt), upgradeResponse(protocol, respExt)
	c.Write(ClientToServer, 0, []byte(req))
	c.Write(ServerToClient, 0, []byte(resp))
	cs := &stream{b: []byte(req)}
	ss := &stream{b: []byte(resp)}
	return c, r, cs, ss
}

// feed writes s.b from from onwards in pieces of at most n bytes.
func feed(c *Conn, d Dir, s *stream, from, n int) {
	for i := from; i < len(s.b); i += n {
		c.Write(d, int64(i), s.b[i:min(i+n, len(s.b))])
	}
}

func checkData(t *testing.T, r *recorder, d Dir, s *stream) {
	t.Helper()
	if !bytes.Equal(r.data[d], s.data) {
		t.Fatalf("%s payload: got %d bytes, want %d\n got % x\nwant % x", d, len(r.data[d]), len(s.data), head(r.data[d]), head(s.data))
	}
	if len(r.offs[d]) != len(s.offs) {
		t.Fatalf("%s: spans map %d bytes, want %d", d, len(r.offs[d]), len(s.offs))
	}
	for i := range s.offs {
		if r.offs[d][i] != s.offs[i] {
			t.Fatalf("%s payload byte %d: span offset %d, want %d", d, i, r.offs[d][i], s.offs[i])
		}
	}
}

func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
