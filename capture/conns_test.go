package capture

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func clientN(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 10 + byte(i>>16), byte(i >> 8), byte(i)}), 40000)
}

// TestSynFloodCapped: 30,000 connections that only shake hands are held at
// most MaxConns at a time; the oldest go first and are counted.
func TestSynFloodCapped(t *testing.T) {
	const conns, maxConns = 30000, 1000
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		keep := w.Conn(cli, srv)
		keep.Handshake()
		keep.Send(pcapgen.ToServer, connect("keeper"))
		for i := 0; i < conns; i++ {
			w.Conn(clientN(i), srv).Handshake()
			if i%500 == 0 { // the keeper stays active, so it is never the oldest
				keep.Send(pcapgen.ToServer, pingreq())
			}
		}
		keep.Send(pcapgen.ToServer, pingreq())
	})
	before := heapInUse()
	var keeper []string
	e := runEngine(t, capture, Config{MaxConns: maxConns}, func(ev *Event) error {
		if ev.Stream == 0 {
			keeper = append(keeper, ev.Kind.String())
		}
		return nil
	})
	grown := int64(heapInUse()) - int64(before)
	if e.conns.n > maxConns {
		t.Errorf("%d connections tracked, cap %d", e.conns.n, maxConns)
	}
	if want := conns + 1 - maxConns; e.stats.Evicted < want || e.stats.Evicted > want+maxConns/16 {
		t.Errorf("Evicted = %d, want about %d", e.stats.Evicted, want)
	}
	// Without the cap this is about 1.5 KB per connection: 45 MB.
	if limit := int64(maxConns * perConnOverhead * 2); grown > limit {
		t.Errorf("heap grew %d bytes, limit %d", grown, limit)
	}
	if slices.Contains(keeper, "close") {
		t.Errorf("the active connection was evicted: %v", keeper)
	}
	runtime.KeepAlive(capture)
}

// tick writes a frame on another port, so the engine clock advances.
func tick(w *pcapgen.Writer) {
	w.UDP(netip.MustParseAddrPort("127.0.0.1:5353"), netip.MustParseAddrPort("127.0.0.1:5354"), []byte("tick"))
}

// TestTimeJump: one frame stamped a year ahead (or behind) neither cuts a
// packet in flight nor stops the idle flush for the rest of the capture.
func TestTimeJump(t *testing.T) {
	for _, jump := range []time.Duration{365 * 24 * time.Hour, -365 * 24 * time.Hour} {
		t.Run(fmt.Sprint(jump), func(t *testing.T) {
			p := publish("in/flight", 2000)
			idle := netip.MustParseAddrPort("127.0.0.1:50002")
			last := netip.MustParseAddrPort("127.0.0.1:50003")
			capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
				a := w.Conn(cli, srv)
				a.Handshake()
				a.Send(pcapgen.ToServer, p[:700])
				w.Advance(jump)
				tick(w)
				w.Advance(-jump)
				a.Send(pcapgen.ToServer, p[700:1400])
				a.Send(pcapgen.ToServer, p[1400:])
				// After the jump a connection left with half a packet is
				// still flushed once idle long enough.
				b := w.Conn(idle, srv)
				b.Handshake()
				b.Send(pcapgen.ToServer, p[:10])
				for range 200 {
					w.Advance(time.Second)
					tick(w)
				}
				c := w.Conn(last, srv)
				c.Handshake()
				c.Send(pcapgen.ToServer, pingreq())
			})
			evs, _ := mustRead(t, capture, Config{})
			var order []string
			for _, e := range evs {
				order = append(order, fmt.Sprintf("%v/%d", e.Kind, e.Stream))
			}
			want := []string{"packet/0", "close/0", "packet/1", "close/1", "packet/2", "close/2"}
			if !slices.Equal(order, want) {
				t.Errorf("events %v, want %v", order, want)
			}
			pk := kinds(evs, EventPacket)
			if len(pk) == 0 || pk[0].Partial || len(pk[0].Data) != len(p) {
				t.Errorf("the PUBLISH in flight was cut: %d packets, the first partial or short", len(pk))
			}
		})
	}
}
