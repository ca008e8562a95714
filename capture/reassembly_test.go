package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func TestSessionBasics(t *testing.T) {
	c1, ca, p1 := connect("abc"), connack(), publish("a/b", 10)
	var pubFrame int
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()                // 1-3
		c.Send(pcapgen.ToServer, c1) // 4
		c.Send(pcapgen.ToClient, ca) // 5
		c.Send(pcapgen.ToServer, p1) // 6
		pubFrame = w.Frames()
		c.Close() // 7-9
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), c1, ca, p1)
	pk := kinds(evs, EventPacket)
	if pk[0].Dir != dissect.ToServer || pk[1].Dir != dissect.ToClient || pk[2].Dir != dissect.ToServer {
		t.Errorf("directions %v %v %v", pk[0].Dir, pk[1].Dir, pk[2].Dir)
	}
	if pk[0].Src != cli || pk[0].Dst != srv || pk[1].Src != srv || pk[1].Dst != cli {
		t.Errorf("addresses %v->%v, %v->%v", pk[0].Src, pk[0].Dst, pk[1].Src, pk[1].Dst)
	}
	if pk[0].Frame != 4 || pk[1].Frame != 5 || pk[2].Frame != pubFrame {
		t.Errorf("frames %d %d %d", pk[0].Frame, pk[1].Frame, pk[2].Frame)
	}
	if !slices.Equal(pk[2].frameNums, []int{pubFrame}) {
		t.Errorf("publish frames %v", pk[2].frameNums)
	}
	if pk[0].Time.IsZero() || !pk[0].Time.Before(pk[2].Time) {
		t.Errorf("times %v %v", pk[0].Time, pk[2].Time)
	}
	closes := kinds(evs, EventClose)
	if len(closes) != 1 || evs[len(evs)-1].Kind != EventClose {
		t.Fatalf("want one close event at the end, got %d", len(closes))
	}
	if len(kinds(evs, EventGap))+len(kinds(evs, EventNote)) != 0 {
		t.Errorf("unexpected gap/note events: %+v", evs)
	}
	if st.Frames != 9 || st.Packets != 3 || st.Connections != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestOnePacketManySegments(t *testing.T) {
	p := publish("topic/x", 3000)
	var first, last int
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		first = w.Frames() + 1
		c.SendSplit(pcapgen.ToServer, p, 1, 1, 1, 500) // header bytes one by one
		last = w.Frames()
	})
	evs, _ := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), p)
	pk := kinds(evs, EventPacket)[0]
	if pk.Frame != last {
		t.Errorf("frame %d, want %d", pk.Frame, last)
	}
	want := []int{}
	for n := first; n <= last; n++ {
		want = append(want, n)
	}
	if !slices.Equal(pk.frameNums, want) {
		t.Errorf("frames %v, want %v", pk.frameNums, want)
	}
	if pk.Partial {
		t.Error("complete packet marked partial")
	}
}

func TestManyPacketsOneSegment(t *testing.T) {
	a, b, c := pingreq(), publish("t", 5), connect("x")
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		cn := w.Conn(cli, srv)
		cn.Handshake()
		cn.Send(pcapgen.ToServer, slices.Concat(c, a, b, a))
	})
	evs, _ := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), c, a, b, a)
	for _, e := range kinds(evs, EventPacket) {
		if e.Frame != 4 || !slices.Equal(e.frameNums, []int{4}) {
			t.Errorf("frame %d %v, want 4", e.Frame, e.frameNums)
		}
	}
}

func TestRemainingLengthSplit(t *testing.T) {
	p := publish("t", 300) // 2-byte remaining length
	q := pingreq()
	stream := slices.Concat(q, p, q)
	for cut := 1; cut < 6; cut++ {
		capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
			c := w.Conn(cli, srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, stream[:len(q)+cut])
			c.Send(pcapgen.ToServer, stream[len(q)+cut:])
		})
		evs, _ := mustRead(t, capture, Config{})
		samePackets(t, packetsOf(evs), q, p, q)
	}
}

func TestOutOfOrderAndRetransmission(t *testing.T) {
	p1, p2, p3 := publish("a", 100), publish("b", 200), publish("c", 300)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.Send(pcapgen.ToServer, p1)                            // 4
		c.SendAt(pcapgen.ToServer, uint32(len(p1)+len(p2)), p3) // 5: early
		c.SendAt(pcapgen.ToServer, uint32(len(p1)), p2[:50])    // 6
		c.SendAt(pcapgen.ToServer, 0, p1)                       // 7: retransmission
		c.SendAt(pcapgen.ToServer, uint32(len(p1)), p2)         // 8: overlapping retransmission
		c.SendAt(pcapgen.ToServer, uint32(len(p1)+len(p2)), p3) // 9: retransmission
		c.Skip(pcapgen.ToServer, len(p2)+len(p3))
		c.Send(pcapgen.ToServer, pingreq()) // 10
		c.Close()
	})
	evs, _ := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), p1, p2, p3, pingreq())
	if g := kinds(evs, EventGap); len(g) != 0 {
		t.Errorf("gaps: %+v", g)
	}
	pk := kinds(evs, EventPacket)
	if !slices.Equal(pk[1].frameNums, []int{6, 8}) {
		t.Errorf("p2 frames %v, want [6 8]", pk[1].frameNums)
	}
	if pk[2].Frame != 5 {
		t.Errorf("p3 last byte in frame %d, want 5", pk[2].Frame)
	}
}

func TestMidStreamResync(t *testing.T) {
	p := publish("topic", 40)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv) // no handshake
		c.Send(pcapgen.ToServer, slices.Concat(p[17:], pingreq(), p))
		c.Send(pcapgen.ToClient, pingresp())
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), pingreq(), p, pingresp())
	notes := kinds(evs, EventNote)
	if len(notes) != 1 || !strings.Contains(notes[0].Message, fmt.Sprintf("skipping %d bytes", len(p)-17)) {
		t.Fatalf("notes %+v", notes)
	}
	if evs[0].Kind != EventNote {
		t.Errorf("note should come first, got %v", evs[0].Kind)
	}
	if st.Connections != 1 {
		t.Errorf("connections %d", st.Connections)
	}
}

func TestLostSegmentBetweenPackets(t *testing.T) {
	a, b, c := publish("a", 30), publish("b", 40), publish("c", 50)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		cn := w.Conn(cli, srv)
		cn.Handshake()
		cn.Send(pcapgen.ToServer, a)
		cn.Skip(pcapgen.ToServer, len(b)+7) // b and 7 bytes of garbage lost
		cn.Send(pcapgen.ToServer, slices.Concat([]byte{0, 0, 0}, c, a))
		cn.Close()
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), a, c, a)
	gaps := kinds(evs, EventGap)
	if len(gaps) != 1 || gaps[0].Missing != len(b)+7 {
		t.Fatalf("gaps %+v", gaps)
	}
	if notes := kinds(evs, EventNote); len(notes) != 1 || !strings.Contains(notes[0].Message, "skipping 3 bytes") {
		t.Errorf("notes %+v", notes)
	}
	if st.Gaps != 1 {
		t.Errorf("stats gaps %d", st.Gaps)
	}
}

func TestLostSegmentInsidePacket(t *testing.T) {
	big, next := publish("big", 1000), publish("n", 5)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		cn := w.Conn(cli, srv)
		cn.Handshake()
		cn.Send(pcapgen.ToServer, big[:400])
		cn.Skip(pcapgen.ToServer, 300)
		// The rest of big and a packet that is not plausible as a header
		// start on its own: framing must find it by length, not by luck.
		cn.Send(pcapgen.ToServer, slices.Concat(big[700:], next))
		cn.Close()
	})
	evs, _ := mustRead(t, capture, Config{})
	pk := kinds(evs, EventPacket)
	if len(pk) != 2 {
		t.Fatalf("packets %d: %+v", len(pk), evs)
	}
	if !pk[0].Partial || len(pk[0].Data) != 400 || pk[0].Declared != len(big) {
		t.Errorf("first: partial=%v len=%d declared=%d", pk[0].Partial, len(pk[0].Data), pk[0].Declared)
	}
	samePackets(t, [][]byte{pk[1].Data}, next)
	if len(kinds(evs, EventNote)) != 0 {
		t.Errorf("no resync note expected: %+v", kinds(evs, EventNote))
	}
}

func TestSnaplenTruncation(t *testing.T) {
	small, big := publish("s", 5), publish("big/topic", 500)
	capture := build(t, pcapgen.Options{SnapLen: 14 + 20 + 20 + 30}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.Send(pcapgen.ToServer, small)
		c.Send(pcapgen.ToServer, big)
		c.Send(pcapgen.ToServer, small)
		c.Close()
	})
	evs, st := mustRead(t, capture, Config{})
	pk := kinds(evs, EventPacket)
	if len(pk) != 3 {
		t.Fatalf("packets: %+v", evs)
	}
	samePackets(t, [][]byte{pk[0].Data, pk[2].Data}, small, small)
	if !pk[1].Partial || len(pk[1].Data) != 30 || pk[1].Declared != len(big) {
		t.Errorf("truncated packet: partial=%v len=%d declared=%d", pk[1].Partial, len(pk[1].Data), pk[1].Declared)
	}
	gaps := kinds(evs, EventGap)
	if len(gaps) != 1 || gaps[0].Missing != len(big)-30 || !strings.Contains(gaps[0].Message, "truncated by snaplen") {
		t.Errorf("gaps %+v", gaps)
	}
	if st.Truncated != 1 {
		t.Errorf("truncated %d", st.Truncated)
	}
}

func TestNeverClosedFlushedByCaptureTime(t *testing.T) {
	other := netip.MustParseAddrPort("127.0.0.1:50001")
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(cli, srv)
		a.Handshake()
		a.Send(pcapgen.ToServer, publish("a", 10)[:5]) // never completed
		// Three minutes of other traffic: the engine clock advances by at
		// most a second per frame, so a silence alone does not age it.
		for range 180 {
			w.Advance(time.Second)
			w.UDP(netip.MustParseAddrPort("127.0.0.1:5353"), netip.MustParseAddrPort("127.0.0.1:5354"), []byte("tick"))
		}
		b := w.Conn(other, srv)
		b.Handshake()
		b.Send(pcapgen.ToServer, pingreq())
	})
	evs, st := mustRead(t, capture, Config{})
	var order []string
	for _, e := range evs {
		order = append(order, fmt.Sprintf("%v/%d", e.Kind, e.Stream))
	}
	want := []string{"packet/0", "close/0", "packet/1", "close/1"}
	if !slices.Equal(order, want) {
		t.Fatalf("events %v, want %v", order, want)
	}
	if !evs[0].Partial || len(evs[0].Data) != 5 {
		t.Errorf("first should be partial 5 bytes: %+v", evs[0])
	}
	if st.Connections != 2 {
		t.Errorf("connections %d", st.Connections)
	}
}

func TestServerSideByPort(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1884")
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		// Mid-stream, and the server speaks first.
		c := w.Conn(cli, srv)
		c.Send(pcapgen.ToClient, connack())
		c.Send(pcapgen.ToServer, pingreq())
		// Both ports are MQTT ports: the lower one is the server.
		d := w.Conn(a, srv)
		d.Handshake()
		d.Send(pcapgen.ToServer, pingreq())
		d.Send(pcapgen.ToClient, pingresp())
	})
	evs, st := mustRead(t, capture, Config{Ports: []uint16{1884, 1883}})
	pk := kinds(evs, EventPacket)
	if len(pk) != 4 || st.Connections != 2 {
		t.Fatalf("packets %d, connections %d", len(pk), st.Connections)
	}
	want := []struct {
		stream int
		dir    dissect.Direction
		src    netip.AddrPort
	}{{0, dissect.ToClient, srv}, {0, dissect.ToServer, cli}, {1, dissect.ToServer, a}, {1, dissect.ToClient, srv}}
	for i, w := range want {
		if pk[i].Stream != w.stream || pk[i].Dir != w.dir || pk[i].Src != w.src {
			t.Errorf("packet %d: stream %d dir %v src %v, want %+v", i, pk[i].Stream, pk[i].Dir, pk[i].Src, w)
		}
	}
}

func TestSequenceWrapAndReusedAddresses(t *testing.T) {
	p := publish("wrap", 500)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.SetISN(0xffffff00, 0xfffffff0)
		c.Handshake()
		c.SendSplit(pcapgen.ToServer, p, 100)
		c.Send(pcapgen.ToClient, slices.Concat(pingresp(), p))
		c.Close()
		// Same addresses again: a new connection, a new stream.
		d := w.Conn(cli, srv)
		d.SetISN(1000, 2000)
		d.Handshake()
		d.Send(pcapgen.ToServer, pingreq())
		d.Close()
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), p, pingresp(), p, pingreq())
	if st.Connections != 2 || len(kinds(evs, EventClose)) != 2 || kinds(evs, EventPacket)[3].Stream != 1 {
		t.Errorf("connections %d, events %+v", st.Connections, evs)
	}
	if len(kinds(evs, EventGap)) != 0 {
		t.Errorf("gaps at the wrap: %+v", kinds(evs, EventGap))
	}
}
