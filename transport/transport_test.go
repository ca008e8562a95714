package transport

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func varint(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

func packet(first byte, body []byte) []byte {
	return append(append([]byte{first}, varint(len(body))...), body...)
}

func str(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

func connect(id string) []byte {
	return packet(0x10, append(append(str("MQTT"), 4, 0x02, 0, 60), str(id)...))
}

func connect31(id string) []byte {
	return packet(0x10, append(append(str("MQIsdp"), 3, 0x02, 0, 60), str(id)...))
}

func publish(topic string, n int) []byte {
	return packet(0x30, append(str(topic), bytes.Repeat([]byte{'x'}, n)...))
}

var (
	connack  = []byte{0x20, 0x02, 0x00, 0x00}
	pingreq  = []byte{0xc0, 0x00}
	pingresp = []byte{0xd0, 0x00}
	upgrade  = []byte("GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
	plainGet    = []byte("GET / HTTP/1.1\r\nHost: example\r\n\r\n")
	clientHello = []byte{0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03}
)

func TestDetect(t *testing.T) {
	cases := []struct {
		name     string
		b        []byte
		mqttPort bool
		want     Content
	}{
		{"CONNECT", connect("a"), false, MQTT},
		{"CONNECT MQIsdp", connect31("a"), false, MQTT},
		{"CONNECT first byte only", connect("a")[:1], false, NeedMore},
		{"CONNECT cut in protocol name", connect("a")[:5], false, NeedMore},
		{"CONNECT other protocol name", packet(0x10, append(str("HTTP"), make([]byte, 10)...)), false, Other},
		{"HTTP upgrade", upgrade, false, WebSocket},
		{"HTTP upgrade cut", upgrade[:40], false, NeedMore},
		{"HTTP method cut", upgrade[:2], false, NeedMore},
		{"HTTP without upgrade", plainGet, true, HTTP},
		{"HTTP POST", []byte("POST /x HTTP/1.1\r\n\r\n"), false, HTTP},
		{"TLS ClientHello", clientHello, false, TLS},
		{"TLS cut after 3 bytes", clientHello[:3], false, NeedMore},
		{"TLS record not a hello", []byte{0x16, 0x03, 0x03, 0x00, 0x10, 0x02}, false, Other},
		{"PUBLISH on an MQTT port", publish("a/b", 3), true, MQTT},
		{"PUBLISH elsewhere", publish("a/b", 3), false, Other},
		{"random bytes on an MQTT port", []byte{0x00, 0x99, 0x12, 0x55, 0xaa}, true, Other},
		{"random bytes", []byte("SSH-2.0-OpenSSH_9.6\r\n"), false, Other},
		{"empty", nil, true, NeedMore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detect(tc.b, tc.mqttPort); got != tc.want {
				t.Errorf("Detect = %v, want %v", got, tc.want)
			}
		})
	}
}

// rec records what a chain delivers.
type rec struct {
	evs      []Event
	outcomes []Outcome
}

func (r *rec) sink(ev *Event) {
	c := *ev
	c.Data = slices.Clone(ev.Data)
	c.Spans = slices.Clone(ev.Spans)
	r.evs = append(r.evs, c)
}

func (r *rec) packets() [][]byte {
	var out [][]byte
	for _, e := range r.evs {
		if e.Kind == KindPacket {
			out = append(out, e.Data)
		}
	}
	return out
}

func (r *rec) notes() []string {
	var out []string
	for _, e := range r.evs {
		if e.Kind == KindNote {
			out = append(out, e.Message)
		}
	}
	return out
}

func newChain(r *rec, mqttPort bool) *Chain {
	return New(Config{MQTTPort: mqttPort, Sink: r.sink, Decided: func(o Outcome) { r.outcomes = append(r.outcomes, o) }})
}

// feed writes the client bytes cut at the given sizes, then the server bytes.
func feed(c *Chain, cli, srv []byte, sizes ...int) {
	var off int64
	for i := 0; len(cli) > 0; i++ {
		n := len(cli)
		if len(sizes) > 0 {
			n = min(n, sizes[i%len(sizes)])
		}
		c.Write(ToServer, off, cli[:n])
		off += int64(n)
		cli = cli[n:]
	}
	c.Write(ToClient, 0, srv)
	c.Close()
}

func TestChainPlainMQTT(t *testing.T) {
	for _, split := range []int{0, 1, 2, 3, 7} {
		t.Run(fmt.Sprintf("split %d", split), func(t *testing.T) {
			var r rec
			c := newChain(&r, false)
			cli := slices.Concat(connect("dev"), publish("t", 10), pingreq)
			var sizes []int
			if split > 0 {
				sizes = []int{split}
			}
			feed(c, cli, slices.Concat(connack, pingresp), sizes...)
			got := r.packets()
			want := [][]byte{connect("dev"), publish("t", 10), pingreq, connack, pingresp}
			if !slices.EqualFunc(got, want, bytes.Equal) {
				t.Fatalf("packets %x, want %x", got, want)
			}
			if !slices.Equal(r.outcomes, []Outcome{IsMQTT}) {
				t.Errorf("outcomes %v", r.outcomes)
			}
			// Spans are exactly each packet's bytes.
			wantSpan := Span{int64(len(connect("dev"))), int64(len(connect("dev")) + len(publish("t", 10)))}
			if ev := r.evs[1]; !ev.Exact || len(ev.Spans) != 1 || ev.Spans[0] != wantSpan {
				t.Errorf("publish spans %v exact %v, want %v", ev.Spans, ev.Exact, wantSpan)
			}
			if c.Info().Chain != "tcp" || !c.Info().Plain() {
				t.Errorf("info %+v", c.Info())
			}
		})
	}
}

func TestChainNamesWhatIsNotMQTT(t *testing.T) {
	cases := []struct {
		name     string
		cli      []byte
		mqttPort bool
		note     string
		outcome  Outcome
	}{
		{"HTTP on an MQTT port", plainGet, true, "HTTP, not MQTT", NotMQTT},
		{"garbage on an MQTT port", []byte("SSH-2.0-OpenSSH_9.6\r\n"), true, "not MQTT: no plausible fixed header", NotMQTT},
		{"HTTP elsewhere", plainGet, false, "", Ignored},
		{"garbage elsewhere", []byte("SSH-2.0-OpenSSH_9.6\r\n"), false, "", Ignored},
		{"PUBLISH first elsewhere", publish("a", 1), false, "", Ignored},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r rec
			c := newChain(&r, tc.mqttPort)
			feed(c, tc.cli, nil, 3)
			if len(r.packets()) != 0 {
				t.Errorf("packets %x", r.packets())
			}
			notes := r.notes()
			if tc.note == "" && len(notes) != 0 || tc.note != "" && (len(notes) != 1 || notes[0] != tc.note) {
				t.Errorf("notes %q, want %q", notes, tc.note)
			}
			if !slices.Equal(r.outcomes, []Outcome{tc.outcome}) {
				t.Errorf("outcomes %v, want %v", r.outcomes, tc.outcome)
			}
			if c.Active() {
				t.Error("the chain still wants bytes")
			}
		})
	}
}

func TestChainMidStreamResyncs(t *testing.T) {
	var r rec
	c := newChain(&r, true)
	c.MidStream(ToServer)
	p := publish("topic", 40)
	c.Write(ToServer, 0, slices.Concat(p[17:], pingreq, p))
	c.Close()
	if got := r.packets(); len(got) != 2 || !bytes.Equal(got[0], pingreq) || !bytes.Equal(got[1], p) {
		t.Fatalf("packets %x", got)
	}
	if n := r.notes(); len(n) != 1 || !strings.Contains(n[0], "picked up mid-connection") {
		t.Errorf("notes %q", n)
	}
}

func TestChainLowWater(t *testing.T) {
	var r rec
	c := newChain(&r, true)
	p := publish("t", 100)
	c.Write(ToServer, 0, connect("a"))
	if low := c.Low(ToServer); low != NoLow {
		t.Errorf("low %d after a whole packet, want none", low)
	}
	at := int64(len(connect("a")))
	c.Write(ToServer, at, p[:30])
	if low := c.Low(ToServer); low != at {
		t.Errorf("low %d with a packet in progress from %d", low, at)
	}
	if low := c.Low(ToClient); low != NoLow {
		t.Errorf("the other direction's low %d", low)
	}
	c.Write(ToServer, at+30, p[30:])
	if low := c.Low(ToServer); low != NoLow {
		t.Errorf("low %d after the packet completed", low)
	}
	// Held first bytes keep their offsets too.
	var r2 rec
	c2 := newChain(&r2, false)
	c2.Write(ToServer, 0, upgrade[:10])
	if low := c2.Low(ToServer); low != 0 {
		t.Errorf("low %d while deciding", low)
	}
}

// budget is a Memory with a hard cap, counting capacity.
type budget struct{ used, limit int }

func (b *budget) Grow(buf []byte, n int) ([]byte, bool) {
	need := len(buf) + n
	if need <= cap(buf) {
		return buf, true
	}
	if b.used-cap(buf)+need > b.limit {
		return buf, false
	}
	nb := make([]byte, len(buf), need)
	copy(nb, buf)
	b.used += need - cap(buf)
	return nb, true
}

func (b *budget) Release(buf []byte) { b.used -= cap(buf) }

func TestFramerBudget(t *testing.T) {
	var r rec
	mem := &budget{limit: 100}
	f := NewFramer(FramerConfig{Mem: mem, Sink: r.sink, Budget: 100})
	big := publish("t", 500)
	var sp [1]Span
	f.Write(big[:50], ExactAt(0, 50, &sp))
	f.Write(big[50:150], ExactAt(50, 100, &sp))
	f.Write(big[150:], ExactAt(150, len(big)-150, &sp))
	f.Write(pingreq, ExactAt(int64(len(big)), 2, &sp))
	f.Finish()
	if got := r.packets(); len(got) != 1 || !bytes.Equal(got[0], pingreq) {
		t.Errorf("packets %x, want only the PINGREQ", got)
	}
	if n := r.notes(); len(n) != 1 || !strings.Contains(n[0], "buffer limit") {
		t.Errorf("notes %q", n)
	}
	if mem.used != 0 {
		t.Errorf("%d bytes still charged", mem.used)
	}
}

func TestFramerHeldHeaderAcrossChunks(t *testing.T) {
	// Resynchronising: a plausible header split over chunks is held.
	var r rec
	f := NewFramer(FramerConfig{Sink: r.sink, Resync: true})
	p := publish("abc", 20)
	var sp [1]Span
	junk := []byte{0xff, 0xee}
	in := slices.Concat(junk, p)
	f.Write(in[:3], ExactAt(0, 3, &sp)) // junk + first header byte
	f.Write(in[3:], ExactAt(3, len(in)-3, &sp))
	f.Finish()
	if got := r.packets(); len(got) != 1 || !bytes.Equal(got[0], p) {
		t.Fatalf("packets %x", got)
	}
	for _, e := range r.evs {
		if e.Kind == KindPacket && (len(e.Spans) != 1 || e.Spans[0] != (Span{2, int64(len(in))})) {
			t.Errorf("spans %v", e.Spans)
		}
	}
}

func TestFramerPartialAtGap(t *testing.T) {
	var r rec
	f := NewFramer(FramerConfig{Sink: r.sink})
	p := publish("abc", 20)
	var sp [1]Span
	f.Write(p[:10], ExactAt(0, 10, &sp))
	f.Gap(5)
	f.Write(p[15:], ExactAt(15, len(p)-15, &sp)) // the rest of the packet is skipped
	f.Write(pingreq, ExactAt(int64(len(p)), 2, &sp))
	f.Finish()
	got := r.packets()
	if len(got) != 2 || !bytes.Equal(got[0], p[:10]) || !bytes.Equal(got[1], pingreq) {
		t.Fatalf("packets %x", got)
	}
	if !r.evs[0].Partial || r.evs[0].Declared != len(p) {
		t.Errorf("first %+v, want partial of %d", r.evs[0], len(p))
	}
}

func TestDerivedSpans(t *testing.T) {
	// Bytes derived from records: a packet's spans are the records' spans.
	var r rec
	f := NewFramer(FramerConfig{Sink: r.sink})
	p := publish("abc", 20)
	f.Write(p[:10], Source{Spans: []Span{{100, 140}}})
	f.Write(append(slices.Clone(p[10:]), pingreq...), Source{Spans: []Span{{140, 180}}})
	got := r.evs
	if len(got) != 2 || !slices.Equal(got[0].Spans, []Span{{100, 180}}) || !slices.Equal(got[1].Spans, []Span{{140, 180}}) || got[0].Exact {
		t.Errorf("events %+v", got)
	}
}

func FuzzDetect(f *testing.F) {
	for _, b := range [][]byte{connect("a"), connect31("b"), upgrade, plainGet, clientHello, publish("t", 3), []byte("SSH-2.0-x\r\n")} {
		f.Add(b, uint8(3), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, cut uint8, mqttPort bool) {
		// Detection never panics, and the chain delivers every byte it
		// decodes exactly once whatever the cut.
		Detect(b, mqttPort)
		DetectServer(b)
		var r rec
		c := newChain(&r, mqttPort)
		feed(c, b, b, int(cut)+1)
		total := 0
		for _, e := range r.evs {
			if e.Kind == KindPacket {
				total += len(e.Data)
			}
		}
		if total > 2*len(b) {
			t.Fatalf("%d bytes of packets from %d bytes of input", total, 2*len(b))
		}
		if c.Active() || c.Low(ToServer) != NoLow {
			t.Fatal("closed chain still active")
		}
	})
}

// TestFramerMaxPacketWhole: a packet over MaxPacket is skipped even when it
// arrives whole in one chunk, and its real size is said.
func TestFramerMaxPacketWhole(t *testing.T) {
	var r rec
	f := NewFramer(FramerConfig{Sink: r.sink, MaxPacket: 20})
	big := publish("t", 40)
	in := slices.Concat(big, pingreq)
	var sp [1]Span
	f.Write(in, ExactAt(0, len(in), &sp))
	f.Finish()
	if got := r.packets(); len(got) != 1 || !bytes.Equal(got[0], pingreq) {
		t.Errorf("packets %x, want only the PINGREQ", got)
	}
	want := fmt.Sprintf("Publish Message packet of %d bytes skipped: larger than the 20-byte packet limit", len(big))
	if n := r.notes(); len(n) != 1 || n[0] != want {
		t.Errorf("notes %q, want %q", n, want)
	}
}
