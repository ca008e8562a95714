package capture

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// messyCapture is a capture of many interleaved MQTT connections with
// everything reassembly has to sort out: mid-stream starts, segments split
// anywhere, lost segments, data sent out of order and again (sometimes
// with other bytes), SYN retransmissions, FINs, RSTs, data after the end,
// long idle pauses and a port reused by a new connection.
func messyCapture(t testing.TB, seed uint64, rounds int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	return build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		type conn struct {
			c    *pcapgen.Conn
			done bool
		}
		var conns []*conn
		open := func(i int) *conn {
			cl := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(20000+i%40))
			sv := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), 1883)
			c := &conn{c: w.Conn(cl, sv)}
			if r.IntN(4) > 0 {
				c.c.Handshake()
				if r.IntN(10) == 0 {
					c.c.Handshake() // SYN again on a started connection
				}
			}
			c.c.Send(pcapgen.ToServer, connect(fmt.Sprintf("c%d", i)))
			c.c.Send(pcapgen.ToClient, connack())
			return c
		}
		for i := 0; i < 12; i++ {
			conns = append(conns, open(i))
		}
		for round := 0; round < rounds; round++ {
			c := conns[r.IntN(len(conns))]
			if c.done {
				if r.IntN(3) == 0 {
					c.c.Send(pcapgen.ToServer, publish("late", 5)) // after the end
				}
				if r.IntN(4) == 0 {
					*c = *open(len(conns) + round) // a new connection, maybe on a reused port
				}
				continue
			}
			d := pcapgen.Dir(r.IntN(2))
			msg := publish(fmt.Sprintf("t/%d", round%7), r.IntN(3000))
			switch k := r.IntN(40); {
			case k == 0: // lost segment
				c.c.Skip(d, len(msg))
			case k == 1: // out of order: the second half first
				base := c.c.Offset(d)
				h := len(msg) / 2
				c.c.SendAt(d, base+uint32(h), msg[h:])
				c.c.SendAt(d, base, msg[:h])
				c.c.Skip(d, len(msg))
			case k == 2: // sent twice
				base := c.c.Offset(d)
				c.c.SendSplit(d, msg, 1+r.IntN(1460))
				c.c.SendAt(d, base, msg[:min(len(msg), 1400)])
			case k == 3: // sent again with other bytes
				base := c.c.Offset(d)
				c.c.Send(d, msg[:min(len(msg), 1400)])
				other := bytes.Clone(msg[:min(len(msg), 1400)])
				other[len(other)-1] ^= 0xff
				c.c.SendAt(d, base, other)
				if len(msg) > 1400 {
					c.c.SendSplit(d, msg[1400:], 1460)
				}
			case k == 4:
				c.c.Close()
				c.done = true
			case k == 5:
				c.c.ResetFrom(d)
				c.done = true
			case k == 6:
				c.c.Fin(d)
				c.done = true
			case k == 7:
				w.Advance(time.Duration(r.IntN(300)) * time.Second) // idle: some connections are flushed
			case k < 12:
				c.c.Ack(d)
			case k < 14: // an ACK ahead of a lost segment
				c.c.Skip(d, 10)
				c.c.Ack(d)
			default:
				c.c.SendSplit(d, msg, 1+r.IntN(1460), 1460)
			}
		}
	})
}

// mangle drops, swaps and repeats frames of a capture at random.
func mangle(t testing.TB, capture []byte, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	rd, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		ci   gopacket.CaptureInfo
		data []byte
	}
	var recs []rec
	for {
		data, ci, err := rd.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch r.IntN(50) {
		case 0: // lost
			continue
		case 1: // captured twice
			recs = append(recs, rec{ci, data})
		case 2: // swapped with the one before
			if n := len(recs); n > 0 {
				recs = append(recs, recs[n-1])
				recs[n-1] = rec{ci, data}
				continue
			}
		}
		recs = append(recs, rec{ci, data})
	}
	var out bytes.Buffer
	wr := pcapgo.NewWriter(&out)
	if err := wr.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, x := range recs {
		if err := wr.WritePacket(x.ci, x.data); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// eventsOf runs the engine over a capture, with or without the fast path,
// and returns every event as text, the counts and the run's error.
func eventsOf(t testing.TB, capture []byte, cfg Config, noFast bool) ([]string, Stats, error) {
	t.Helper()
	var out []string
	e := newEngine(cfg, func(ev *Event) error {
		g := copyEvent(ev)
		out = append(out, fmt.Sprintf("%d s%d %v %v>%v f%d %v len%d %q miss%d part%v decl%d %q fin%v rst%v syn%v frames%v spans%v",
			g.Kind, g.Stream, g.Dir, g.Src, g.Dst, g.Frame, g.Time.UnixNano(), g.FrameLen, g.Data, g.Missing, g.Partial,
			g.Declared, g.Message, g.FinBy, g.RstBy, g.SYN, g.frameNums, g.Spans))
		return nil
	})
	e.noFast = noFast
	src, err := openSource(bytes.NewReader(capture))
	if err != nil {
		return nil, Stats{}, err
	}
	err = e.run(context.Background(), src)
	return out, e.stats, err
}

// sameEvents fails the test at the first difference between the two runs.
func sameEvents(t testing.TB, name string, slow, fast []string, slowStats, fastStats Stats) {
	t.Helper()
	if slowStats != fastStats {
		t.Errorf("%s: stats differ:\nreassembly %+v\nfast path  %+v", name, slowStats, fastStats)
	}
	for i := 0; i < max(len(slow), len(fast)); i++ {
		if i >= len(slow) || i >= len(fast) || slow[i] != fast[i] {
			at := func(evs []string) string {
				if i < len(evs) {
					return evs[i]
				}
				return "(none)"
			}
			t.Fatalf("%s: event %d of %d/%d differs:\nreassembly %s\nfast path  %s", name, i, len(slow), len(fast), at(slow), at(fast))
		}
	}
}

// TestFastPathSameAsReassembly: the fast path changes nothing. Every
// event (bytes, frames, gaps, notes, closes, their order) and every count
// is what reassembly alone gives, on messy captures and on mangled ones,
// with the default limits and with tight ones (evictions, shedding).
func TestFastPathSameAsReassembly(t *testing.T) {
	cfgs := []Config{{}, {MaxConns: 5, MaxBuffered: 64 << 10, IdleFlush: 20 * time.Second, GapWait: time.Second}}
	for seed := uint64(1); seed <= 12; seed++ {
		base := messyCapture(t, seed, 1500)
		for m, capture := range [][]byte{base, mangle(t, base, seed)} {
			for ci, cfg := range cfgs {
				slow, slowStats, err := eventsOf(t, capture, cfg, true)
				if err != nil {
					t.Fatal(err)
				}
				fast, fastStats, err := eventsOf(t, capture, cfg, false)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("seed %d, mangled %v, config %d", seed, m == 1, ci)
				sameEvents(t, name, slow, fast, slowStats, fastStats)
				if len(slow) < 100 {
					t.Fatalf("%s: only %d events: the capture does not test much", name, len(slow))
				}
			}
		}
	}
}

// FuzzFastPathSameAsReassembly: on any input the fast path and reassembly
// alone give the same events, counts and error.
func FuzzFastPathSameAsReassembly(f *testing.F) {
	for seed := uint64(1); seed <= 4; seed++ {
		base := messyCapture(f, seed, 12)
		f.Add(base)
		f.Add(mangle(f, base, seed))
	}
	f.Fuzz(func(t *testing.T, capture []byte) {
		cfg := Config{MaxConns: 4, MaxBuffered: 32 << 10, IdleFlush: 10 * time.Second, GapWait: time.Second}
		slow, slowStats, slowErr := eventsOf(t, capture, cfg, true)
		fast, fastStats, fastErr := eventsOf(t, capture, cfg, false)
		if (slowErr == nil) != (fastErr == nil) || (slowErr != nil && slowErr.Error() != fastErr.Error()) {
			t.Fatalf("errors differ: reassembly %v, fast path %v", slowErr, fastErr)
		}
		sameEvents(t, "fuzz", slow, fast, slowStats, fastStats)
	})
}
