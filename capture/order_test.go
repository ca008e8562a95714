package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// eventLine is an event as text, for comparing runs.
func eventLine(e got) string {
	return fmt.Sprintf("%d %v s%d d%d %x %v", e.Frame, e.Kind, e.Stream, e.Dir, e.Data, e.frameNums)
}

// TestDeterministicFlushOrder: connections flushed together (at the end,
// and by the idle flush) come out in the same order on every run, sorted
// by frame.
func TestDeterministicFlushOrder(t *testing.T) {
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		for i := range 40 {
			c := w.Conn(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(41000+i)), srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, publish("half", 100)[:20+i])
		}
		for range 150 { // the idle flush takes the first 40 together
			w.Advance(time.Second)
			tick(w)
		}
		for i := range 40 {
			c := w.Conn(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(42000+i)), srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, publish("end", 100)[:20+i])
		}
	})
	var first []string
	for run := range 20 {
		evs, _ := mustRead(t, capture, Config{})
		var lines []string
		prev := 0
		for _, e := range evs {
			lines = append(lines, eventLine(e))
			if e.Kind == EventPacket && e.Frame < prev {
				t.Fatalf("run %d: packet of frame %d after frame %d", run, e.Frame, prev)
			}
			if e.Kind == EventPacket {
				prev = e.Frame
			}
		}
		if run == 0 {
			first = lines
			if len(kinds(evs, EventPacket)) != 80 {
				t.Fatalf("%d packets, want 80", len(kinds(evs, EventPacket)))
			}
			continue
		}
		if !slices.Equal(lines, first) {
			t.Fatalf("run %d differs from run 0:\n%s\n---\n%s", run, strings.Join(lines, "\n"), strings.Join(first, "\n"))
		}
	}
}

// TestHeldDirectionInOrder: after a lost segment, the packets that arrived
// behind the hole are delivered in frame order with the answers to them,
// not after them.
func TestHeldDirectionInOrder(t *testing.T) {
	pub := packet(0x32, append(str("q/1"), 0, 7, 'x')) // QoS 1, id 7
	puback := []byte{0x40, 0x02, 0, 7}
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.Send(pcapgen.ToServer, connect("a"))
		c.Send(pcapgen.ToClient, connack())
		c.Skip(pcapgen.ToServer, 2) // a PINGREQ not captured
		c.Send(pcapgen.ToServer, pub)
		c.Send(pcapgen.ToClient, puback)
		for range 10 { // GapWait passes
			w.Advance(time.Second)
			tick(w)
		}
		c.Send(pcapgen.ToServer, pingreq())
		c.Send(pcapgen.ToClient, pingresp())
	})
	evs, _ := mustRead(t, capture, Config{})
	var order []string
	for _, e := range evs {
		if e.Kind == EventPacket {
			order = append(order, fmt.Sprintf("%x", e.Data[0]))
		} else {
			order = append(order, e.Kind.String())
		}
	}
	want := []string{"10", "20", "gap", "32", "40", "c0", "d0", "close"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}
