package capture

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/transport"
)

func TestAnyPortByContent(t *testing.T) {
	web := netip.MustParseAddrPort("127.0.0.1:80")
	odd := netip.MustParseAddrPort("127.0.0.1:9999")
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		h := w.Conn(netip.MustParseAddrPort("127.0.0.1:40001"), web)
		h.Handshake()
		h.Send(pcapgen.ToServer, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		h.Send(pcapgen.ToClient, []byte("HTTP/1.1 200 OK\r\n\r\n"))
		c := w.Conn(netip.MustParseAddrPort("127.0.0.1:40002"), odd)
		c.Handshake()
		c.Send(pcapgen.ToServer, connect("dev"))
		c.Send(pcapgen.ToClient, connack())
		c.Send(pcapgen.ToServer, publish("a", 3))
		h.Send(pcapgen.ToServer, []byte("more"))
		c.Close()
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), connect("dev"), connack(), publish("a", 3))
	pk := kinds(evs, EventPacket)
	if pk[0].Stream != 0 || pk[1].Dst != cliAt(40002) || pk[0].Dir != dissect.ToServer || pk[0].Dst != odd {
		t.Errorf("first packet %+v", pk[0].Event)
	}
	if st.Connections != 1 || st.NotMQTT != 0 {
		t.Errorf("stats %+v: want 1 connection, the HTTP one not counted", st)
	}
	if st.OtherTCP != 6 {
		t.Errorf("OtherTCP %d, want the 6 frames of the HTTP connection", st.OtherTCP)
	}
	if len(kinds(evs, EventNote)) != 0 {
		t.Errorf("notes %+v", kinds(evs, EventNote))
	}
}

// TestAnyPortMidStreamConnect: a connection on another port with no SYN
// (a -w file holds only the frames of shown packets) is MQTT when its
// first bytes are a CONNECT; other mid-stream bytes there are not.
func TestAnyPortMidStreamConnect(t *testing.T) {
	odd := netip.MustParseAddrPort("127.0.0.1:27411")
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(netip.MustParseAddrPort("127.0.0.1:40003"), odd)
		c.Send(pcapgen.ToServer, connect("dev"))
		c.Send(pcapgen.ToClient, connack())
		c.Send(pcapgen.ToServer, publish("a", 3))
		o := w.Conn(netip.MustParseAddrPort("127.0.0.1:40004"), odd)
		o.Send(pcapgen.ToServer, publish("b", 3)) // plausible MQTT, but not a CONNECT
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), connect("dev"), connack(), publish("a", 3))
	if st.Connections != 1 {
		t.Errorf("stats %+v: want 1 connection", st)
	}
}

func cliAt(port uint16) netip.AddrPort { return netip.AddrPortFrom(cli.Addr(), port) }

func TestMQTTPortNotMQTTIsNamed(t *testing.T) {
	cases := []struct {
		name string
		cli  []byte
		srv  []byte
		note string
	}{
		{"HTTP", []byte("GET /index.html HTTP/1.1\r\nHost: broker\r\n\r\n"), []byte("HTTP/1.1 404 Not Found\r\n\r\n"), "HTTP, not MQTT"},
		{"SSH", []byte("SSH-2.0-OpenSSH_9.6\r\n"), nil, "not MQTT: no plausible fixed header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
				c := w.Conn(cli, srv)
				c.Handshake()
				c.SendSplit(pcapgen.ToServer, tc.cli, 5)
				if tc.srv != nil {
					c.Send(pcapgen.ToClient, tc.srv)
				}
				c.Send(pcapgen.ToServer, publish("looks/like/mqtt", 4)) // never decoded
				c.Close()
			})
			evs, st := mustRead(t, capture, Config{})
			if p := packetsOf(evs); len(p) != 0 {
				t.Fatalf("decoded %d bogus packets: %x", len(p), p)
			}
			notes := kinds(evs, EventNote)
			if len(notes) != 1 || notes[0].Message != tc.note {
				t.Fatalf("notes %+v, want one %q", notes, tc.note)
			}
			if notes[0].Frame != 4 || notes[0].Stream != 0 {
				t.Errorf("note at frame %d stream %d, want frame 4 (the first data) stream 0", notes[0].Frame, notes[0].Stream)
			}
			if st.NotMQTT != 1 || st.Connections != 1 {
				t.Errorf("stats %+v", st)
			}
			if len(kinds(evs, EventClose)) != 0 {
				t.Error("a connection that is not MQTT has no close event")
			}
		})
	}
}

// TestFrameAttribution: every frame that carried a byte of a packet is
// named, with where its payload starts in the frame and which stream
// offset that is, so a writer can find the packet's bytes in it.
func TestFrameAttribution(t *testing.T) {
	p := publish("topic", 3000)
	stream := slices.Concat(connect("a"), p)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.SendSplit(pcapgen.ToServer, stream, 1000, 7, 1400)
		c.Close()
	})
	evs, _ := mustRead(t, capture, Config{KeepFrames: true})
	pk := kinds(evs, EventPacket)
	if len(pk) != 2 {
		t.Fatalf("%d packets", len(pk))
	}
	for _, ev := range pk {
		if ev.PlainSpan().To-ev.PlainSpan().From != int64(len(ev.Data)) {
			t.Errorf("span %v for %d bytes", ev.PlainSpan(), len(ev.Data))
		}
		if ev.Transport == nil || !ev.Transport.Plain() || ev.Transport.Chain != "tcp" {
			t.Errorf("transport %+v", ev.Transport)
		}
		for _, f := range ev.Frames {
			payload := f.Data[f.PayloadOffset:]
			// The frame's payload is the stream from f.Seq on.
			from := f.Seq
			if !bytes.Equal(payload, stream[from:from+int64(len(payload))]) {
				t.Errorf("frame %d: payload at %d does not match the stream at %d", f.Number, f.PayloadOffset, f.Seq)
			}
			if f.Seq >= ev.PlainSpan().To || f.Seq+int64(len(payload)) <= ev.PlainSpan().From {
				t.Errorf("frame %d [%d,+%d) does not overlap the packet's span %v", f.Number, f.Seq, len(payload), ev.PlainSpan())
			}
		}
	}
	// The publish: frame 4 (bytes 0-999, shared with CONNECT), 5 (7 bytes), 6 and 7 (1400 each).
	if got := pk[1].frameNums; !slices.Equal(got, []int{4, 5, 6, 7}) {
		t.Errorf("publish frames %v", got)
	}
	if pk[0].Transport != pk[1].Transport {
		t.Error("the packets of a connection should share one Transport")
	}
}

// TestIndexDroppedBelowLowWater: once a packet is delivered, nothing keeps
// its frames: what is charged goes back to the spares between packets.
func TestIndexDroppedBelowLowWater(t *testing.T) {
	p := publish("t", 5000)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.Send(pcapgen.ToServer, connect("a"))
		c.SendSplit(pcapgen.ToServer, p, 600)
		c.Send(pcapgen.ToServer, pingreq())
	})
	e := newEngine(Config{KeepFrames: true}, func(ev *Event) error { return nil })
	src, err := openSource(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	var held []int
	for {
		d, ci, lt, err := src.readPacket()
		if err != nil {
			break
		}
		e.handle(d, ci, lt)
		held = append(held, e.buffered-sparesCharged(e))
	}
	// frames 1-3 handshake, 4 CONNECT, 5-13 the publish, 14 PINGREQ
	if len(held) != 14 || held[3] != 0 || held[13] != 0 {
		t.Errorf("charged after each frame %v: want 0 after the CONNECT and after the PINGREQ", held)
	}
	for i := 4; i < 12 && i < len(held); i++ {
		if held[i] <= held[i-1] && i > 4 {
			t.Errorf("frame %d: the publish in progress should hold more (index entries and frame copies): %v", i+1, held)
		}
	}
}

func TestDirectionIndex(t *testing.T) {
	e := newEngine(Config{}, func(*Event) error { return nil })
	var d direction
	a, b, c := &frameCtx{num: 1}, &frameCtx{num: 2}, &frameCtx{num: 3}
	d.attribute(e, a, 10, 0)
	d.off += 10
	d.attribute(e, b, 5, 0)
	d.off += 5
	d.attribute(e, b, 5, 5) // the same frame again: one entry
	d.off += 5
	d.attribute(e, c, 10, 2)
	d.off += 10
	if n := len(d.index); n != 3 || e.buffered != 3*frameRefCost {
		t.Fatalf("%d entries, %d charged", n, e.buffered)
	}
	nums := func(spans ...transport.Span) []int {
		var out []int
		for _, f := range d.frames(spans, nil) {
			out = append(out, f.Number)
		}
		return out
	}
	if got := nums(transport.Span{From: 9, To: 11}); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("frames of [9,11) %v", got)
	}
	if got := nums(transport.Span{From: 12, To: 30}); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("frames of [12,30) %v", got)
	}
	if f := d.frames([]transport.Span{{From: 25, To: 26}}, nil); len(f) != 1 || f[0].Seq != 18 {
		t.Errorf("frame 3 starts its payload at stream offset 18: %+v", f)
	}
	if d.frameAt(14) != b || d.frameAt(30) != nil {
		t.Error("frameAt")
	}
	d.dropBelow(e, 20)
	if got := nums(transport.Span{From: 0, To: 30}); !slices.Equal(got, []int{3}) || e.buffered != frameRefCost {
		t.Errorf("after dropping below 20: %v, %d charged", got, e.buffered)
	}
	d.release(e)
	if e.buffered != 0 || len(d.index) != 0 {
		t.Errorf("after release: %d charged", e.buffered)
	}
}

func sparesCharged(e *engine) int {
	n := 0
	for _, s := range e.spare {
		n += cap(s)
	}
	return n
}

// TestBudgetByCapacity: buffers are charged by capacity, spares included.
func TestBudgetByCapacity(t *testing.T) {
	e := newEngine(Config{MaxBuffered: 10000}, func(*Event) error { return nil })
	m := memory{e}
	b, ok := m.Grow(nil, 1000)
	if !ok || e.buffered != cap(b) || cap(b) < 1000 {
		t.Fatalf("grow: ok %v, charged %d for cap %d", ok, e.buffered, cap(b))
	}
	b = append(b, make([]byte, 1000)...)
	b2, ok := m.Grow(b, 1)
	if !ok || e.buffered != cap(b2)+cap(b) || len(e.spare) != 1 {
		t.Fatalf("regrow: charged %d for cap %d and the old buffer kept as a spare (%d)", e.buffered, cap(b2), cap(b))
	}
	m.Release(b2)
	if e.buffered != cap(b2)+cap(b) || len(e.spare) != 2 {
		t.Errorf("a released buffer is kept as a spare and stays charged: %d, %d spares", e.buffered, len(e.spare))
	}
	if _, ok := m.Grow(nil, 9000); !ok {
		t.Error("spares should be freed to make room")
	}
	if _, ok := m.Grow(nil, 20000); ok {
		t.Error("a buffer over the budget must be refused")
	}
	if !strings.Contains(transport.MQTT.String(), "MQTT") {
		t.Error("content names")
	}
}
