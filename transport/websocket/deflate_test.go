package websocket

import (
	"bytes"
	"compress/flate"
	"math/rand"
	"strings"
	"testing"
)

// deflateEach compresses every message with a fresh writer (no context
// takeover), trailing 00 00 ff ff stripped.
func deflateEach(t testing.TB, msgs ...[]byte) [][]byte {
	var out [][]byte
	for _, m := range msgs {
		out = append(out, deflateSync(t, flate.DefaultCompression, m)[0])
	}
	return out
}

func mqttPublishes(r *rand.Rand, n int) [][]byte {
	var msgs [][]byte
	for i := 0; i < n; i++ {
		payload := []byte(`{"sensor":"temperature","unit":"celsius","value":` + strings.Repeat("2", 1+r.Intn(40)) + `}`)
		topic := "building/floor3/room12/temperature"
		p := []byte{0x30, byte(2 + len(topic) + len(payload)), 0, byte(len(topic))}
		p = append(p, topic...)
		msgs = append(msgs, append(p, payload...))
	}
	return msgs
}

// compressedStream frames compressed messages; the first is split across
// two frames (RSV1 on the first frame only).
func compressedStream(s *stream, key []byte, comp [][]byte) {
	for i, c := range comp {
		if i == 0 && len(c) > 4 {
			s.frame(false, OpBinary, true, key, c[:3], false)
			s.frame(true, OpContinuation, false, key, c[3:], false)
			continue
		}
		s.frame(true, OpBinary, true, key, c, false)
	}
}

func TestDeflate(t *testing.T) {
	r0 := rand.New(rand.NewSource(7))
	msgs := mqttPublishes(r0, 20)
	msgs = append(msgs, testData(r0, 100000)) // longer than the window and an output chunk
	for _, tc := range []struct {
		name     string
		respExt  string
		takeover bool // how the test data is made
		wantErr  string
	}{
		{"context takeover", "permessage-deflate", true, ""},
		{"no context takeover", "permessage-deflate; client_no_context_takeover; server_no_context_takeover", false, ""},
		{"takeover data, no takeover negotiated", "permessage-deflate; client_no_context_takeover; server_no_context_takeover", true, "distance too far back"},
		{"window bits", "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15", true, ""},
	} {
		for _, chunk := range []int{1, 5, 1460, 1 << 20} {
			var comp [][]byte
			if tc.takeover {
				comp = deflateSync(t, flate.DefaultCompression, msgs...)
			} else {
				comp = deflateEach(t, msgs...)
			}
			c, r, cs, ss := upgraded(t, "mqtt", "permessage-deflate; client_max_window_bits", tc.respExt)
			cstart, sstart := len(cs.b), len(ss.b)
			compressedStream(cs, testMask, comp)
			compressedStream(ss, nil, comp)
			feed(c, ClientToServer, cs, cstart, chunk)
			feed(c, ServerToClient, ss, sstart, chunk)
			if tc.wantErr != "" {
				r.must(t, EvDeflate, tc.wantErr)
				break
			}
			r.mustNot(t, EvDeflate)
			r.mustNot(t, EvProtocol)
			for _, d := range []Dir{ClientToServer, ServerToClient} {
				if len(r.msgs[d]) != len(msgs) {
					t.Fatalf("%s chunk %d %s: %d messages, want %d", tc.name, chunk, d, len(r.msgs[d]), len(msgs))
				}
				for i := range msgs {
					if !bytes.Equal(r.msgs[d][i], msgs[i]) {
						t.Fatalf("%s chunk %d %s message %d: got %q want %q", tc.name, chunk, d, i, head(r.msgs[d][i]), head(msgs[i]))
					}
				}
			}
			for _, m := range r.infos {
				if !m.Compressed {
					t.Fatalf("%s: message info %+v", tc.name, m)
				}
			}
			if r.infos[0].Frames != 2 {
				t.Fatalf("first message has %d frames, want 2", r.infos[0].Frames)
			}
			if b := c.Buffered(); b > maxDeflateBuffered {
				t.Fatalf("Buffered %d", b)
			}
		}
	}
}

// A compressed message's Data calls carry one span from the message's
// first frame to the input consumed so far.
func TestDeflateSpans(t *testing.T) {
	comp := deflateSync(t, flate.DefaultCompression, []byte("hello hello hello"))
	c, _, cs, _ := upgraded(t, "mqtt", "permessage-deflate", "permessage-deflate")
	var spans []Span
	var finals []bool
	c.sink = sinkFunc(func(d Dir, p []byte, sp []Span, m MessageInfo, final bool) {
		spans = append(spans, sp...)
		finals = append(finals, final)
	})
	start := len(cs.b)
	compressedStream(cs, testMask, comp)
	feed(c, ClientToServer, cs, start, 1<<20)
	if len(spans) == 0 || !finals[len(finals)-1] {
		t.Fatalf("spans %v finals %v", spans, finals)
	}
	last := spans[len(spans)-1]
	if last != (Span{int64(start), int64(len(cs.b))}) {
		t.Fatalf("final span %v, want {%d %d}", last, start, len(cs.b))
	}
	for _, s := range spans {
		if s.From != int64(start) || s.To > int64(len(cs.b)) {
			t.Fatalf("span %v outside the message [%d,%d)", s, start, len(cs.b))
		}
	}
}

// maxDeflateBuffered is the documented bound with both directions
// inflating: window, output chunk, unmask chunk and a step's carry each.
const maxDeflateBuffered = 2 * (winSize + outChunk + unmaskChunk + maxCarry + maxControl + 14)

type sinkFunc func(d Dir, p []byte, sp []Span, m MessageInfo, final bool)

func (f sinkFunc) Data(d Dir, p []byte, sp []Span, m MessageInfo, final bool) { f(d, p, sp, m, final) }
func (f sinkFunc) Event(Dir, Span, EventKind, string)                         {}

// A small message that inflates to gigabytes is cut at MaxInflate, and
// memory stays bounded while it is read.
func TestDecompressionBomb(t *testing.T) {
	zeros := make([]byte, DefaultMaxInflate+1<<20)
	for _, tc := range []struct {
		name, ext string
		next      bool // the following message still inflates
	}{
		{"takeover", "permessage-deflate", false},
		{"no takeover", "permessage-deflate; client_no_context_takeover", true},
	} {
		var comp [][]byte
		if tc.next {
			comp = deflateEach(t, zeros, []byte("after"))
		} else {
			comp = deflateSync(t, flate.BestCompression, zeros, []byte("after"))
		}
		if len(comp[0]) > 64<<10 {
			t.Fatalf("bomb is %d bytes compressed", len(comp[0]))
		}
		c, r, cs, _ := upgraded(t, "mqtt", "permessage-deflate", tc.ext)
		start := len(cs.b)
		compressedStream(cs, testMask, comp)
		maxBuf := 0
		for i := start; i < len(cs.b); i += 512 {
			c.Write(ClientToServer, int64(i), cs.b[i:min(i+512, len(cs.b))])
			maxBuf = max(maxBuf, c.Buffered())
		}
		if maxBuf > maxDeflateBuffered {
			t.Errorf("%s: Buffered reached %d", tc.name, maxBuf)
		}
		r.must(t, EvLimit, "more than 16777216 bytes")
		if len(r.msgs[ClientToServer]) != 2 || len(r.msgs[ClientToServer][0]) != DefaultMaxInflate {
			t.Fatalf("%s: %d messages, first %d bytes", tc.name, len(r.msgs[ClientToServer]), len(r.msgs[ClientToServer][0]))
		}
		if got := string(r.msgs[ClientToServer][1]); tc.next && got != "after" {
			t.Fatalf("%s: message after the bomb %q", tc.name, got)
		}
		if !tc.next {
			r.must(t, EvDeflate, "context was lost")
		}
	}
}

func TestMaxInflateOption(t *testing.T) {
	comp := deflateEach(t, bytes.Repeat([]byte("x"), 5000))
	c, r, cs, _ := upgraded(t, "mqtt", "permessage-deflate", "permessage-deflate; client_no_context_takeover")
	c.MaxInflate = 1000
	start := len(cs.b)
	compressedStream(cs, testMask, comp)
	feed(c, ClientToServer, cs, start, 1<<20)
	r.must(t, EvLimit, "more than 1000 bytes")
	if n := len(r.data[ClientToServer]); n != 1000 {
		t.Fatalf("delivered %d bytes", n)
	}
}

func TestDeflateAssumedFromOffer(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	cs := &stream{b: []byte(upgradeRequest("mqtt", "permessage-deflate; client_no_context_takeover"))}
	start := len(cs.b)
	comp := deflateEach(t, []byte("\x10\x10\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x00"), []byte("\xc0\x00"))
	compressedStream(cs, testMask, comp)
	feed(c, ClientToServer, cs, 0, start)
	r.must(t, EvAssumedUpgrade, "offered permessage-deflate")
	if len(r.msgs[ClientToServer]) != 2 || string(r.msgs[ClientToServer][1]) != "\xc0\x00" {
		t.Fatalf("messages %q", r.msgs[ClientToServer])
	}
}

func TestDeflateGap(t *testing.T) {
	comp := deflateEach(t, testData(rand.New(rand.NewSource(3)), 2000), []byte("next"))
	c, r, cs, _ := upgraded(t, "mqtt", "permessage-deflate", "permessage-deflate; client_no_context_takeover")
	start := len(cs.b)
	compressedStream(cs, testMask, comp)
	c.Write(ClientToServer, int64(start), cs.b[start:start+20])
	c.Gap(ClientToServer, int64(start+20), 10)
	c.Write(ClientToServer, int64(start+30), cs.b[start+30:])
	r.must(t, EvDeflate, "bytes missing from the compressed message")
	if n := len(r.msgs[ClientToServer]); n != 2 || string(r.msgs[ClientToServer][1]) != "next" {
		t.Fatalf("messages %d %q", n, r.msgs[ClientToServer])
	}
}
