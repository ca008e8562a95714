package capture

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/transport"
)

var (
	cli = netip.MustParseAddrPort("127.0.0.1:50000")
	srv = netip.MustParseAddrPort("127.0.0.1:1883")
)

// varint encodes an MQTT remaining length.
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
	body := append(str("MQTT"), 4, 0x02, 0, 60)
	return packet(0x10, append(body, str(id)...))
}

func connack() []byte { return []byte{0x20, 0x02, 0x00, 0x00} }

func publish(topic string, n int) []byte {
	payload := bytes.Repeat([]byte{'x'}, n)
	return packet(0x30, append(str(topic), payload...))
}

func pingreq() []byte  { return []byte{0xc0, 0x00} }
func pingresp() []byte { return []byte{0xd0, 0x00} }

// got is a copy of an event that outlives the callback.
type got struct {
	Event
	frameNums []int
}

func copyEvent(ev *Event) got {
	g := got{Event: *ev}
	g.Data = append([]byte(nil), ev.Data...)
	g.Frames = append([]FrameRef(nil), ev.Frames...)
	g.Spans = append([]transport.Span(nil), ev.Spans...)
	for _, f := range ev.Frames {
		g.frameNums = append(g.frameNums, f.Number)
	}
	return g
}

// build makes a capture with pcapgen or fails the test.
func build(t testing.TB, opt pcapgen.Options, fill func(w *pcapgen.Writer)) []byte {
	t.Helper()
	b, err := pcapgen.Build(opt, fill)
	if err != nil {
		t.Fatalf("build capture: %v", err)
	}
	return b
}

// read runs ReadFrom over a capture and returns every event.
func read(t testing.TB, capture []byte, cfg Config) ([]got, Stats, error) {
	t.Helper()
	var evs []got
	st, err := ReadFrom(context.Background(), bytes.NewReader(capture), cfg, func(ev *Event) error {
		evs = append(evs, copyEvent(ev))
		return nil
	})
	return evs, st, err
}

// mustRead is read that fails the test on an error.
func mustRead(t testing.TB, capture []byte, cfg Config) ([]got, Stats) {
	t.Helper()
	evs, st, err := read(t, capture, cfg)
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	return evs, st
}

func kinds(evs []got, k EventKind) []got {
	var out []got
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// packetsOf returns the data of the packet events.
func packetsOf(evs []got) [][]byte {
	var out [][]byte
	for _, e := range kinds(evs, EventPacket) {
		out = append(out, e.Data)
	}
	return out
}

func samePackets(t *testing.T, got [][]byte, want ...[]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d packets, want %d:\n got %x\nwant %x", len(got), len(want), got, want)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("packet %d = %x, want %x", i, got[i], want[i])
		}
	}
}
