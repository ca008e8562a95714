package websocket

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestLengthForms(t *testing.T) {
	for _, tc := range []struct {
		n    int
		hdr  string // header bytes before the mask key, hex
		mask bool
	}{
		{0, "8200", false},
		{0, "8280", true},
		{125, "827d", false},
		{125, "82fd", true},
		{126, "827e007e", false},
		{126, "82fe007e", true},
		{65535, "827effff", false},
		{65535, "82feffff", true},
		{65536, "827f0000000000010000", false},
		{65536, "82ff0000000000010000", true},
	} {
		payload := bytes.Repeat([]byte{0xa5, 0x5a, 0x01}, tc.n/3+1)[:tc.n]
		var key []byte
		d := ServerToClient
		if tc.mask {
			key, d = testMask, ClientToServer
		}
		c, r, cs, ss := upgraded(t, "mqtt", "", "")
		s := ss
		if d == ClientToServer {
			s = cs
		}
		start := len(s.b)
		s.frame(true, OpBinary, false, key, payload, true)
		want, _ := hex.DecodeString(tc.hdr)
		if got := s.b[start : start+len(want)]; !bytes.Equal(got, want) {
			t.Fatalf("n=%d: builder wrote header % x, table says % x", tc.n, got, want)
		}
		feed(c, d, s, start, 1<<20)
		checkData(t, r, d, s)
		r.mustNot(t, EvProtocol)
		if len(r.msgs[d]) != 1 || r.infos[0].Masked != tc.mask || r.infos[0].Opcode != OpBinary {
			t.Fatalf("n=%d mask=%v: messages %d infos %+v", tc.n, tc.mask, len(r.msgs[d]), r.infos)
		}
	}
}

// A length beyond 4 GiB streams without allocating: the bulk is a gap.
func TestHugeLengthStreams(t *testing.T) {
	c, r, cs, _ := upgraded(t, "mqtt", "", "")
	const n = 1<<32 + 5
	hdr := []byte{0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 5}
	hdr = append(hdr, testMask...)
	off := int64(len(cs.b))
	c.Write(ClientToServer, off, hdr)
	off += int64(len(hdr))
	c.Write(ClientToServer, off, []byte{1 ^ testMask[0], 2 ^ testMask[1], 3 ^ testMask[2]})
	c.Gap(ClientToServer, off+3, n-6)
	c.Write(ClientToServer, off+n-3, []byte{4 ^ testMask[(n-3)&3], 5 ^ testMask[(n-2)&3], 6 ^ testMask[(n-1)&3]})
	// Then a normal frame.
	next := &stream{}
	next.frame(true, OpBinary, false, testMask, []byte("ok"), true)
	c.Write(ClientToServer, off+n, next.b)
	if got := string(r.data[ClientToServer]); got != "\x01\x02\x03\x04\x05\x06ok" {
		t.Fatalf("payload %q", got)
	}
	r.must(t, EvGap, "inside a frame payload")
	r.mustNot(t, EvStopped)
	if b := c.Buffered(); b > 64<<10 {
		t.Fatalf("Buffered %d after a 4 GiB frame", b)
	}
	if r.offs[ClientToServer][3] != off+n-3 {
		t.Fatalf("offset after the gap %d, want %d", r.offs[ClientToServer][3], off+n-3)
	}
}

func TestLength64MSB(t *testing.T) {
	c, r, cs, _ := upgraded(t, "mqtt", "", "")
	b := []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 9, 9, 9}
	c.Write(ClientToServer, int64(len(cs.b)), b)
	e := r.must(t, EvProtocol, "most significant bit")
	if !strings.Contains(e.msg, "RFC 6455 §5.2") {
		t.Fatalf("no RFC reference: %q", e.msg)
	}
	r.must(t, EvStopped, "")
	if len(r.data[ClientToServer]) != 0 {
		t.Fatalf("data delivered after an invalid length")
	}
}

func TestNonMinimalLength(t *testing.T) {
	c, r, cs, _ := upgraded(t, "mqtt", "", "")
	b := append([]byte{0x82, 0xfe, 0, 5}, testMask...)
	b = append(b, 1^testMask[0], 2^testMask[1], 3^testMask[2], 4^testMask[3], 5^testMask[0])
	c.Write(ClientToServer, int64(len(cs.b)), b)
	r.must(t, EvProtocol, "minimal form")
	if string(r.data[ClientToServer]) != "\x01\x02\x03\x04\x05" {
		t.Fatalf("payload % x", r.data[ClientToServer])
	}
}

// Splitting a stream anywhere — inside a header, inside the mask key, at
// every mask phase of the payload — must not change what comes out.
func TestSplitEverywhere(t *testing.T) {
	build := func() (*Conn, *recorder, *stream) {
		c, r, cs, _ := upgraded(t, "mqtt", "", "")
		cs.frame(false, OpBinary, false, testMask, []byte("\x10\x0d\x00\x04MQ"), true)
		cs.frame(true, OpPing, false, testMask, []byte("ab"), false)
		cs.frame(true, OpContinuation, false, testMask, []byte("TT\x04\x02\x00\x3c\x00\x01x"), true)
		cs.frame(true, OpBinary, false, testMask, bytes.Repeat([]byte{0xc0, 0x00, 7}, 50), true) // 150: 16-bit length
		return c, r, cs
	}
	_, _, ref := build()
	start := len(upgradeRequest("mqtt", ""))
	var want []string
	for split := start; split <= len(ref.b); split++ {
		c, r, cs := build()
		c.Write(ClientToServer, int64(start), cs.b[start:split])
		c.Write(ClientToServer, int64(split), cs.b[split:])
		checkData(t, r, ClientToServer, cs)
		var got []string
		for _, e := range r.events {
			got = append(got, e.kind.String()+" "+e.msg)
		}
		if want == nil {
			want = got
		} else if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("split at %d: events\n%s\nwant\n%s", split, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(r.msgs[ClientToServer]) != 2 {
			t.Fatalf("split at %d: %d messages", split, len(r.msgs[ClientToServer]))
		}
	}
	// Every byte on its own.
	c, r, cs := build()
	feed(c, ClientToServer, cs, start, 1)
	checkData(t, r, ClientToServer, cs)
}

func TestFragmentsWithControlFrames(t *testing.T) {
	c, r, _, ss := upgraded(t, "mqtt", "", "")
	start := len(ss.b)
	ss.frame(false, OpBinary, false, nil, []byte("\x20\x02"), true)
	ss.frame(true, OpPing, false, nil, []byte("1234"), false)
	ss.frame(false, OpContinuation, false, nil, []byte("\x00"), true)
	ss.frame(true, OpPong, false, nil, nil, false)
	ss.frame(true, OpContinuation, false, nil, []byte("\x00"), true)
	feed(c, ServerToClient, ss, start, 1<<20)
	checkData(t, r, ServerToClient, ss)
	r.must(t, EvPing, "ping (4 bytes)")
	r.must(t, EvPong, "pong (0 bytes)")
	r.mustNot(t, EvProtocol)
	if len(r.msgs[ServerToClient]) != 1 || string(r.msgs[ServerToClient][0]) != "\x20\x02\x00\x00" {
		t.Fatalf("messages %q", r.msgs[ServerToClient])
	}
	if r.infos[0].Frames != 3 {
		t.Fatalf("frames %d, want 3", r.infos[0].Frames)
	}
	// Order: data of the first fragment, then the ping, then the rest.
	var order []string
	for _, call := range r.calls {
		if strings.HasPrefix(call, "D 1") || strings.HasPrefix(call, "E 1 ping") || strings.HasPrefix(call, "E 1 pong") {
			order = append(order, call[:strings.IndexByte(call[4:], ' ')+4])
		}
	}
	want := "D 1 2|E 1 ping|D 1 1|E 1 pong|D 1 1"
	if got := strings.Join(order, "|"); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

func TestControlFrameViolations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(s *stream)
		want  string
	}{
		{"fragmented ping", func(s *stream) { s.frame(false, OpPing, false, nil, nil, false) }, "MUST NOT be fragmented"},
		{"long ping", func(s *stream) { s.frame(true, OpPing, false, nil, make([]byte, 126), false) }, "at most 125"},
		{"reserved opcode", func(s *stream) { s.frame(true, 0x3, false, nil, []byte("x"), false) }, "reserved data opcode 0x3"},
		{"reserved control", func(s *stream) { s.frame(true, 0xb, false, nil, []byte("x"), false) }, "reserved control opcode 0xb"},
		{"stray continuation", func(s *stream) { s.frame(true, OpContinuation, false, nil, []byte("x"), true) }, "no message to continue"},
		{"unfinished message", func(s *stream) {
			s.frame(false, OpBinary, false, nil, []byte("x"), true)
			s.frame(true, OpBinary, false, nil, []byte("y"), true)
		}, "fragmented message is unfinished"},
		{"rsv1 without deflate", func(s *stream) { s.frame(true, OpBinary, true, nil, []byte("x"), true) }, "not negotiated"},
		{"rsv2", func(s *stream) {
			s.frame(true, OpBinary, false, nil, []byte("x"), true)
			s.b[len(s.b)-3] |= 0x20
		}, "RSV2/RSV3"},
		{"data after close", func(s *stream) {
			s.frame(true, OpClose, false, nil, []byte{3, 0xe8}, false)
			s.frame(true, OpBinary, false, nil, []byte("x"), true)
		}, "after a close frame"},
	} {
		c, r, _, ss := upgraded(t, "mqtt", "", "")
		start := len(ss.b)
		tc.build(ss)
		feed(c, ServerToClient, ss, start, 1<<20)
		if _, ok := r.find(EvProtocol, tc.want); !ok {
			t.Errorf("%s: no protocol event %q; events:\n%s", tc.name, tc.want, r.eventList())
		}
		checkData(t, r, ServerToClient, ss)
	}
}

func TestClose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		close   string // EvClose message
		viol    string // EvProtocol substring, "" for none
	}{
		{"code and reason", append([]byte{0x03, 0xe8}, "bye"...), `close 1000 (normal) "bye"`, ""},
		{"no body", nil, "close (no status code)", ""},
		{"one byte", []byte{0x03}, "close (malformed 1-byte body)", "1-byte body"},
		{"bad utf-8", []byte{0x03, 0xe9, 0xff, 'x'}, `close 1001 (going away) "\xffx"`, "not valid UTF-8"},
		{"reserved code", []byte{0x03, 0xed}, "close 1005 (no status)", "must not be sent"},
		{"private code", []byte{0x0f, 0xa0}, "close 4000 (private)", ""},
	} {
		c, r, cs, _ := upgraded(t, "mqtt", "", "")
		start := len(cs.b)
		cs.frame(true, OpClose, false, testMask, tc.payload, false)
		feed(c, ClientToServer, cs, start, 1<<20)
		r.must(t, EvClose, tc.close)
		if tc.viol == "" {
			r.mustNot(t, EvProtocol)
		} else {
			r.must(t, EvProtocol, tc.viol)
		}
	}
}

func TestMaskRules(t *testing.T) {
	c, r, cs, ss := upgraded(t, "mqtt", "", "")
	cstart, sstart := len(cs.b), len(ss.b)
	cs.frame(true, OpBinary, false, nil, []byte("\xc0\x00"), true)
	ss.frame(true, OpBinary, false, testMask, []byte("\xd0\x00"), true)
	feed(c, ClientToServer, cs, cstart, 1<<20)
	feed(c, ServerToClient, ss, sstart, 1<<20)
	e := r.must(t, EvProtocol, "client frame is not masked")
	if e.d != ClientToServer || !strings.Contains(e.msg, "RFC 6455 §5.1") {
		t.Fatalf("event %+v", e)
	}
	e = r.must(t, EvProtocol, "server frame is masked")
	if e.d != ServerToClient || !strings.Contains(e.msg, "RFC 6455 §5.1") {
		t.Fatalf("event %+v", e)
	}
	// Both still decoded.
	checkData(t, r, ClientToServer, cs)
	checkData(t, r, ServerToClient, ss)
}

func TestTextFramesDelivered(t *testing.T) {
	c, r, cs, _ := upgraded(t, "mqtt", "", "")
	start := len(cs.b)
	cs.frame(true, OpText, false, testMask, []byte("\xc0\x00"), true)
	feed(c, ClientToServer, cs, start, 1<<20)
	checkData(t, r, ClientToServer, cs)
	if r.infos[0].Opcode != OpText {
		t.Fatalf("opcode %d", r.infos[0].Opcode)
	}
}

func TestHandshakeSplitEverywhere(t *testing.T) {
	req := upgradeRequest("mqtt, mqttv3.1", "permessage-deflate; client_max_window_bits")
	resp := upgradeResponse("mqtt", "permessage-deflate; server_no_context_takeover")
	var wantEvents string
	for split := 0; split <= len(req)+len(resp); split++ {
		r := &recorder{t: t}
		c := NewConn(r)
		if split <= len(req) {
			c.Write(ClientToServer, 0, []byte(req[:split]))
			c.Write(ClientToServer, int64(split), []byte(req[split:]))
			c.Write(ServerToClient, 0, []byte(resp))
		} else {
			s := split - len(req)
			c.Write(ClientToServer, 0, []byte(req))
			c.Write(ServerToClient, 0, []byte(resp[:s]))
			c.Write(ServerToClient, int64(s), []byte(resp[s:]))
		}
		var got []string
		for _, e := range r.events {
			got = append(got, e.kind.String()+" "+e.msg)
		}
		g := strings.Join(got, "\n")
		if split == 0 {
			wantEvents = g
			if !strings.Contains(g, "upgrade-request WebSocket upgrade request GET \"/mqtt\"") ||
				!strings.Contains(g, "upgrade-accepted WebSocket upgrade: subprotocol mqtt, extensions permessage-deflate; server_no_context_takeover") {
				t.Fatalf("events:\n%s", g)
			}
			r.mustNot(t, EvProtocol)
		} else if g != wantEvents {
			t.Fatalf("split %d: events\n%s\nwant\n%s", split, g, wantEvents)
		}
		in := c.Info()
		if !in.Upgraded || in.Status != 101 || in.Subprotocol != "mqtt" || !in.Deflate || !in.ServerNoContextTakeover ||
			in.ClientNoContextTakeover || in.Path != "/mqtt" || in.Host != "broker.example:8080" ||
			strings.Join(in.Offered, "|") != "mqtt|mqttv3.1" {
			t.Fatalf("split %d: info %+v", split, in)
		}
		if e := r.events[0]; e.s != (Span{0, int64(len(req))}) {
			t.Fatalf("request span %v", e.s)
		}
	}
}

func TestRefusedUpgrade(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	req := upgradeRequest("mqtt", "")
	resp := "HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nnope!"
	c.Write(ClientToServer, 0, []byte(req))
	c.Write(ServerToClient, 0, []byte(resp))
	c.Write(ClientToServer, int64(len(req)), []byte{0x82, 0x80, 1, 2, 3, 4})
	e := r.must(t, EvUpgradeRefused, `"HTTP/1.1 400 Bad Request"`)
	if e.d != ServerToClient {
		t.Fatalf("refusal from %s", e.d)
	}
	in := c.Info()
	if in.Status != 400 || in.Upgraded {
		t.Fatalf("info %+v", in)
	}
	if len(r.data[ClientToServer])+len(r.data[ServerToClient]) != 0 {
		t.Fatalf("data decoded after a refusal")
	}
	r.mustNot(t, EvAssumedUpgrade)
}

func TestNotMQTTSubprotocol(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	req := upgradeRequest("chat", "")
	resp := upgradeResponse("chat", "")
	c.Write(ClientToServer, 0, []byte(req))
	c.Write(ServerToClient, 0, []byte(resp))
	r.must(t, EvNotMQTTSubprotocol, "offers no mqtt")
	r.must(t, EvNotMQTTSubprotocol, `subprotocol "chat" is not mqtt`)
	ss := &stream{b: []byte(resp)}
	ss.frame(true, OpBinary, false, nil, []byte("hello"), true)
	feed(c, ServerToClient, ss, len(resp), 1<<20)
	checkData(t, r, ServerToClient, ss)
	if c.Info().Subprotocol != "chat" {
		t.Fatalf("subprotocol %q", c.Info().Subprotocol)
	}
}

func TestNoSubprotocolSelected(t *testing.T) {
	c, r, _, _ := upgraded(t, "", "", "")
	_ = c
	r.must(t, EvNotMQTTSubprotocol, "no subprotocol was selected")
}

func TestBadAcceptKey(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	c.Write(ClientToServer, 0, []byte(upgradeRequest("mqtt", "")))
	resp := strings.Replace(upgradeResponse("mqtt", ""), acceptKey(testKey), "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1)
	c.Write(ServerToClient, 0, []byte(resp))
	r.must(t, EvProtocol, "Sec-WebSocket-Accept")
}

func TestOnlyClientDirection(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	cs := &stream{b: []byte(upgradeRequest("mqtt", ""))}
	cs.frame(true, OpBinary, false, testMask, []byte("\x10\x00"), true)
	c.Write(ClientToServer, 0, cs.b)
	r.must(t, EvAssumedUpgrade, "no upgrade response seen")
	checkData(t, r, ClientToServer, cs)
	if in := c.Info(); !in.Upgraded || !in.Assumed || in.Subprotocol != "mqtt" || in.Status != 0 {
		t.Fatalf("info %+v", in)
	}
}

func TestHeaderTooLong(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	req := "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 9000)
	for i := 0; i < len(req); i += 100 {
		c.Write(ClientToServer, int64(i), []byte(req[i:min(i+100, len(req))]))
	}
	r.must(t, EvLimit, "longer than 8192")
	r.must(t, EvStopped, "")
	if b := c.Buffered(); b != 0 {
		t.Fatalf("Buffered %d after stop", b)
	}
}

func TestGaps(t *testing.T) {
	t.Run("in payload", func(t *testing.T) {
		c, r, cs, _ := upgraded(t, "mqtt", "", "")
		start := len(cs.b)
		cs.frame(true, OpBinary, false, testMask, []byte("0123456789"), true)
		cs.frame(true, OpBinary, false, testMask, []byte("ab"), true)
		hdr := 6
		c.Write(ClientToServer, int64(start), cs.b[start:start+hdr+3])
		c.Gap(ClientToServer, int64(start+hdr+3), 4)
		c.Write(ClientToServer, int64(start+hdr+7), cs.b[start+hdr+7:])
		if got := string(r.data[ClientToServer]); got != "012789ab" {
			t.Fatalf("payload %q", got)
		}
		r.must(t, EvGap, "4 bytes missing inside a frame payload")
	})
	t.Run("in header", func(t *testing.T) {
		c, r, cs, _ := upgraded(t, "mqtt", "", "")
		start := len(cs.b)
		cs.frame(true, OpBinary, false, testMask, []byte("0123"), true)
		cs.frame(true, OpBinary, false, testMask, []byte("ab"), true)
		c.Write(ClientToServer, int64(start), cs.b[start:start+1])
		c.Gap(ClientToServer, int64(start+1), 2)
		c.Write(ClientToServer, int64(start+3), cs.b[start+3:])
		r.must(t, EvGap, "across a frame header")
		r.must(t, EvStopped, "")
		if len(r.data[ClientToServer]) != 0 {
			t.Fatalf("data after a lost header: %q", r.data[ClientToServer])
		}
	})
	t.Run("implicit by offset", func(t *testing.T) {
		c, r, cs, _ := upgraded(t, "mqtt", "", "")
		start := len(cs.b)
		cs.frame(true, OpBinary, false, testMask, []byte("0123456789"), true)
		c.Write(ClientToServer, int64(start), cs.b[start:start+8])
		c.Write(ClientToServer, int64(start+10), cs.b[start+10:])
		if got := string(r.data[ClientToServer]); got != "01456789" {
			t.Fatalf("payload %q", got)
		}
		r.must(t, EvGap, "2 bytes missing")
	})
	t.Run("retransmission overlap", func(t *testing.T) {
		c, r, cs, _ := upgraded(t, "mqtt", "", "")
		start := len(cs.b)
		cs.frame(true, OpBinary, false, testMask, []byte("0123456789"), true)
		c.Write(ClientToServer, int64(start), cs.b[start:start+10])
		c.Write(ClientToServer, int64(start+5), cs.b[start+5:])
		checkData(t, r, ClientToServer, cs)
	})
}

func TestSniff(t *testing.T) {
	req := upgradeRequest("mqtt", "")
	for _, tc := range []struct {
		in   string
		want Verdict
	}{
		{"", NeedMore},
		{"G", NeedMore},
		{"GET", NeedMore},
		{"GET /mqtt HTTP/1.1\r\nHost: x\r\n", NeedMore},
		{req, Yes},
		{strings.Replace(req, "Upgrade: websocket", "uPgRaDe: WebSocket", 1), Yes},
		{req[:len(req)-2] + "\n", Yes}, // bare LF ending
		{"GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n", No},
		{"POST /mqtt HTTP/1.1\r\n", No},
		{"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c", No},
		{"GET /mqtt HTTP/1.0\r\nUpgrade: websocket\r\n\r\n", No},
		{"GET /mqtt SPDY\r\n", No},
		{"GET /" + strings.Repeat("a", 9000), No},
		{"GET /mqtt HTTP/1.1\r\nX: " + strings.Repeat("a", 9000), No},
	} {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%.40q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestIsHTTP(t *testing.T) {
	for in, want := range map[string]bool{
		"GET / HTTP/1.1": true, "POST /x": true, "HTTP/1.1 200 OK": true, "PRI * HTTP/2.0": true,
		"\x10\x0c\x00\x04MQTT": false, "GE": false, "": false, "\x16\x03\x01": false,
	} {
		if got := IsHTTP([]byte(in)); got != want {
			t.Errorf("IsHTTP(%q) = %v", in, got)
		}
	}
}

func TestWireTextEscaped(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	c.Write(ClientToServer, 0, []byte(upgradeRequest("mqtt", "")))
	c.Write(ServerToClient, 0, []byte(upgradeResponse("mqtt\x1b[31m", "x\u202e")))
	for _, e := range r.events {
		if strings.ContainsAny(e.msg, "\x1b\u202e") {
			t.Fatalf("raw control text in %q", e.msg)
		}
	}
	r.must(t, EvUpgradeAccepted, `subprotocol "mqtt\x1b[31m"`)
}

// Lowering the limits mid-stream must not break anything.
func TestLimitsLoweredMidStream(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	req := upgradeRequest("mqtt", "permessage-deflate")
	c.Write(ClientToServer, 0, []byte(req[:100]))
	c.MaxHeader = 50
	c.Write(ClientToServer, 100, []byte(req[100:]))
	r.must(t, EvLimit, "longer than 50")
	if !c.Stopped(ClientToServer) || c.Stopped(ServerToClient) {
		t.Fatalf("stopped: %v %v", c.Stopped(ClientToServer), c.Stopped(ServerToClient))
	}

	comp := deflateEach(t, bytes.Repeat([]byte("y"), 100000))
	c2, r2, cs, _ := upgraded(t, "mqtt", "permessage-deflate", "permessage-deflate")
	start := len(cs.b)
	compressedStream(cs, testMask, comp)
	c2.Write(ClientToServer, int64(start), cs.b[start:start+len(cs.b[start:])/2])
	c2.MaxInflate = 10
	c2.Write(ClientToServer, int64(start+len(cs.b[start:])/2), cs.b[start+len(cs.b[start:])/2:])
	r2.must(t, EvLimit, "more than 10 bytes")
}

func TestInfoDoesNotAllocate(t *testing.T) {
	c, _, _, _ := upgraded(t, "mqtt", "", "")
	if n := testing.AllocsPerRun(100, func() { _ = c.Info() }); n != 0 {
		t.Fatalf("Info allocates %v times", n)
	}
}

func TestHandshakeViolations(t *testing.T) {
	req := upgradeRequest("mqtt", "")
	resp := upgradeResponse("mqtt", "")
	for _, tc := range []struct {
		name      string
		req, resp string
		kind      EventKind
		want      string
		stopped   Dir // direction expected stopped, or 9 for none
	}{
		{"no upgrade header", strings.Replace(req, "Upgrade: websocket\r\n", "", 1), "", EvProtocol, `no "Upgrade: websocket"`, ClientToServer},
		{"no connection header", strings.Replace(req, "Connection: Upgrade\r\n", "", 1), resp, EvProtocol, `no "Connection: Upgrade"`, 9},
		{"version", strings.Replace(req, "Version: 13", "Version: 8", 1), resp, EvProtocol, "not 13", 9},
		{"key", strings.Replace(req, testKey, "short", 1), "", EvProtocol, "not 16 bytes", 9},
		{"not a GET", "PUT /mqtt HTTP/1.1\r\nHost: x\r\n\r\n", "", EvProtocol, "not an HTTP/1.1 GET request", ClientToServer},
		{"not HTTP response", req, "SSH-2.0-OpenSSH\r\n\r\n", EvProtocol, "not an HTTP/1.x response", ServerToClient},
		{"bad deflate offer", upgradeRequest("mqtt", "permessage-deflate; client_max_window_bits=99"), "", EvProtocol, "invalid client_max_window_bits", 9},
		{"unknown deflate param", req, upgradeResponse("mqtt", "permessage-deflate; foo"), EvProtocol, "unknown permessage-deflate parameter", 9},
		{"deflate not offered", req, upgradeResponse("mqtt", "permessage-deflate"), EvProtocol, "did not offer", 9},
		{"subprotocol not offered", req, upgradeResponse("mqttv3.1", ""), EvProtocol, "did not offer", 9},
		{"response without upgrade", req, strings.Replace(resp, "Upgrade: websocket\r\n", "", 1), EvProtocol, `101 response has no "Upgrade`, 9},
		{"response without connection", req, strings.Replace(resp, "Connection: Upgrade\r\n", "", 1), EvProtocol, `101 response has no "Connection`, 9},
		{"folded header", strings.Replace(req, "Sec-WebSocket-Protocol: mqtt", "Sec-WebSocket-Protocol: chat,\r\n mqtt", 1), resp, EvUpgradeAccepted, "subprotocol mqtt", 9},
	} {
		r := &recorder{t: t}
		c := NewConn(r)
		c.Write(ClientToServer, 0, []byte(tc.req))
		c.Write(ServerToClient, 0, []byte(tc.resp))
		if _, ok := r.find(tc.kind, tc.want); !ok {
			t.Errorf("%s: no %s event %q; events:\n%s", tc.name, tc.kind, tc.want, r.eventList())
		}
		for _, d := range []Dir{ClientToServer, ServerToClient} {
			if got := c.Stopped(d); got != (d == tc.stopped) {
				t.Errorf("%s: %s stopped = %v", tc.name, d, got)
			}
		}
	}
}

func TestHandshakeGaps(t *testing.T) {
	req := upgradeRequest("mqtt", "")
	r := &recorder{t: t}
	c := NewConn(r)
	c.Write(ClientToServer, 0, []byte(req[:20]))
	c.Gap(ClientToServer, 20, 5)
	r.must(t, EvGap, "missing in the HTTP handshake")
	if !c.Stopped(ClientToServer) {
		t.Fatal("client not stopped after a gap in its request")
	}

	r = &recorder{t: t}
	c = NewConn(r)
	c.Write(ClientToServer, 0, []byte(req))
	c.Gap(ClientToServer, int64(len(req)), 5)
	r.must(t, EvGap, "missing after the upgrade request")
	if !c.Stopped(ClientToServer) {
		t.Fatal("client not stopped after a gap before its first frame")
	}
	// Gaps of stopped directions, or of bytes already seen, are ignored.
	c.Gap(ClientToServer, 0, 10)
	c.Gap(ClientToServer, int64(len(req))+5, 10)
	if n := len(r.events); n != 3 {
		t.Fatalf("%d events:\n%s", n, r.eventList())
	}
}

func TestStringers(t *testing.T) {
	for k := EvUpgradeRequest; k <= EvStopped; k++ {
		if strings.Contains(k.String(), "?") {
			t.Errorf("event kind %d has no name", k)
		}
	}
	if EventKind(200).String() != "event?" || Verdict(9).String() != "verdict?" || Yes.String() != "yes" {
		t.Error("stringers")
	}
}

func TestAssumeUpgraded(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	c.AssumeUpgraded()
	cs, ss := &stream{}, &stream{}
	cs.frame(true, OpBinary, false, testMask, []byte("\x30\x03\x00\x01t"), true)
	cs.frame(true, OpBinary, true, testMask, []byte("\x32\x34\x00"), false) // compressed: skipped
	cs.frame(true, OpBinary, false, testMask, []byte("\xc0\x00"), true)
	ss.frame(true, OpBinary, false, nil, []byte("\xd0\x00"), true)
	// Offsets as a capture that began mid-connection would give them.
	cs.offs = shift(cs.offs, 5000)
	ss.offs = shift(ss.offs, 7000)
	c.Write(ClientToServer, 5000, cs.b)
	c.Write(ServerToClient, 7000, ss.b)
	checkData(t, r, ClientToServer, cs)
	checkData(t, r, ServerToClient, ss)
	r.must(t, EvDeflate, "handshake and its permessage-deflate parameters were not seen")
	r.mustNot(t, EvProtocol)
	if in := c.Info(); !in.Upgraded || !in.Assumed {
		t.Fatalf("info %+v", in)
	}
	if len(r.msgs[ClientToServer]) != 3 {
		t.Fatalf("%d client messages", len(r.msgs[ClientToServer]))
	}
}

func shift(offs []int64, by int64) []int64 {
	for i := range offs {
		offs[i] += by
	}
	return offs
}
