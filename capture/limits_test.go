package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func TestOversizePacketSkipped(t *testing.T) {
	big, small := publish("big", 5000), publish("s", 3)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.SendSplit(pcapgen.ToServer, append(append([]byte{}, small...), append(big, small...)...), 1000)
		c.Close()
	})
	evs, st := mustRead(t, capture, Config{MaxPacket: 1024})
	samePackets(t, packetsOf(evs), small, small)
	notes := kinds(evs, EventNote)
	if len(notes) != 1 || notes[0].Declared != len(big) || notes[0].Data[0] != 0x30 || !strings.Contains(notes[0].Message, "Publish") {
		t.Fatalf("notes %+v", notes)
	}
	if notes[0].Frame != 4 || st.Oversize != 1 {
		t.Errorf("oversize note at frame %d, stats %d", notes[0].Frame, st.Oversize)
	}
}

// Thousands of connections announce the largest packet and send a little of
// its body: nothing beyond the caps may be held.
func TestHugeDeclaredLengthsStayBounded(t *testing.T) {
	huge := []byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0, 1, 'a'}
	medium := append([]byte{0x30}, varint(60000)...)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		for i := 0; i < 2000; i++ {
			c := w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, byte(i >> 8), byte(i)}), 40000), srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, huge)
			c.Send(pcapgen.ToServer, bytes.Repeat([]byte{'z'}, 1000))
			d := w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)}), 40000), srv)
			d.Send(pcapgen.ToServer, append(append([]byte{}, medium...), make([]byte, 1000)...))
		}
	})
	cfg := Config{MaxPacket: 100000, MaxBuffered: 500000}
	e := newEngine(cfg, func(*Event) error { return nil })
	src, err := openSource(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	for {
		data, ci, lt, err := src.readPacket()
		if err != nil {
			break
		}
		e.handle(data, ci, lt)
		peak = max(peak, e.buffered)
	}
	if peak > cfg.MaxBuffered {
		t.Errorf("peak buffered %d over %d", peak, cfg.MaxBuffered)
	}
	if e.stats.Oversize < 2000 {
		t.Errorf("oversize %d, want at least the 2000 huge ones", e.stats.Oversize)
	}
	e.closeAll()
	if e.buffered != 0 {
		t.Errorf("buffered %d after the flush", e.buffered)
	}
}

func TestCallbackErrorStops(t *testing.T) {
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		for i := 0; i < 10; i++ {
			c.Send(pcapgen.ToServer, pingreq())
		}
	})
	stop := errors.New("enough")
	n := 0
	_, err := ReadFrom(context.Background(), bytes.NewReader(capture), Config{}, func(ev *Event) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("err %v after %d events", err, n)
	}
}

func TestCancelFlushesInFlight(t *testing.T) {
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Send(pcapgen.ToServer, publish("t", 100)[:50])
		for i := 0; i < 2000; i++ {
			c.Ack(pcapgen.ToClient)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var evs []got
	st, err := ReadFrom(ctx, bytes.NewReader(capture), Config{}, func(ev *Event) error {
		evs = append(evs, copyEvent(ev))
		return nil
	})
	if err != nil || !st.Interrupted || st.Frames != 0 {
		t.Fatalf("err %v, stats %+v", err, st)
	}
	// Cancelled part-way: reading stops, the partial packet still comes out.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	evs = nil
	r := &cancelAfter{r: bytes.NewReader(capture), n: len(capture) / 2, cancel: cancel}
	st, err = ReadFrom(ctx, r, Config{}, func(ev *Event) error {
		evs = append(evs, copyEvent(ev))
		return nil
	})
	if err != nil || !st.Interrupted || st.Frames >= 2001 {
		t.Fatalf("err %v, stats %+v", err, st)
	}
	if pk := kinds(evs, EventPacket); len(pk) != 1 || !pk[0].Partial || len(pk[0].Data) != 50 {
		t.Fatalf("events %+v", evs)
	}
}

// cancelAfter cancels a context once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 4096)])
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestPcapWriterRoundTrip(t *testing.T) {
	p := publish("t", 3000)
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.Send(pcapgen.ToServer, connect("x"))
		c.Ack(pcapgen.ToClient)
		c.SendSplit(pcapgen.ToServer, slices.Concat(pingreq(), p, pingreq()), 1000)
		c.Close()
	})
	var out bytes.Buffer
	var pw *PcapWriter
	var want [][]byte
	st, err := ReadFrom(context.Background(), bytes.NewReader(capture), Config{KeepFrames: true}, func(ev *Event) error {
		if ev.Kind != EventPacket {
			return nil
		}
		if pw == nil {
			var err error
			if pw, err = NewPcapWriter(&out, ev.Frames[0].LinkType, 0); err != nil {
				return err
			}
		}
		want = append(want, append([]byte(nil), ev.Data...))
		return pw.WriteEvent(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			break
		}
		frames++
	}
	if frames != 5 { // connect + 4 data segments, each once
		t.Errorf("wrote %d frames, want 5 (of %d)", frames, st.Frames)
	}
	evs, _ := mustRead(t, out.Bytes(), Config{})
	samePackets(t, packetsOf(evs), want...)
	if _, err := NewPcapWriter(&out, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := (&PcapWriter{last: map[streamDir]int{}, link: 1}).WriteEvent(&Event{Frames: []FrameRef{{Number: 1, LinkType: 1}}}); err == nil {
		t.Error("a frame without data must be an error")
	}
}

func TestBufferedReturnsToZero(t *testing.T) {
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		for i := 0; i < 50; i++ {
			c := w.Conn(netip.AddrPortFrom(cli.Addr(), uint16(30000+i)), srv)
			c.Handshake()
			c.SendSplit(pcapgen.ToServer, publish("x", 5000), 700)
			c.Send(pcapgen.ToServer, publish("y", 100)[:20])
			c.Skip(pcapgen.ToServer, 30)
			c.Send(pcapgen.ToServer, pingreq())
		}
	})
	e := newEngine(Config{KeepFrames: true}, func(*Event) error { return nil })
	src, _ := openSource(bytes.NewReader(capture))
	if err := e.run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if e.buffered != 0 {
		t.Errorf("buffered %d after the end", e.buffered)
	}
}
