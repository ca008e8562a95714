package capture

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// FuzzReadPcap feeds arbitrary bytes as a capture file: no panic, no packet
// larger than the cap, buffers within the budget.
func FuzzReadPcap(f *testing.F) {
	f.Add(build(f, pcapgen.Options{}, func(w *pcapgen.Writer) { session(w, w.Iface0(), cli, srv) }))
	f.Add(build(f, pcapgen.Options{Format: pcapgen.PCAPNG, Link: pcapgen.Link{Kind: pcapgen.SLL2}}, func(w *pcapgen.Writer) {
		session(w, w.Iface0(), cli6, srv6)
	}))
	f.Add([]byte("not a capture"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Config{MaxPacket: 4096, MaxBuffered: 1 << 16, KeepFrames: true}
		e := newEngine(cfg, func(ev *Event) error {
			if ev.Kind == EventPacket && len(ev.Data) > cfg.MaxPacket {
				t.Fatalf("packet of %d bytes over the %d cap", len(ev.Data), cfg.MaxPacket)
			}
			return nil
		})
		src, err := openSource(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 100000; i++ {
			d, ci, lt, err := src.readPacket()
			if err != nil || !supportedLink(lt) {
				break
			}
			e.handle(d, ci, lt)
			if e.buffered > cfg.MaxBuffered {
				t.Fatalf("buffered %d over %d", e.buffered, cfg.MaxBuffered)
			}
		}
		e.closeAll()
		if e.buffered != 0 {
			t.Fatalf("buffered %d after the end", e.buffered)
		}
	})
}

// fuzzPackets builds valid MQTT packets from spec: each packet takes a type
// byte and a 2-byte length (up to 4095 body bytes; the body repeats spec).
func fuzzPackets(spec []byte) [][]byte {
	var out [][]byte
	for i := 0; i+3 <= len(spec) && len(out) < 64; i += 3 {
		n := (int(spec[i+1])<<8 | int(spec[i+2])) & 0xfff
		body := make([]byte, n)
		for k := range body {
			body[k] = spec[(i+k)%len(spec)]
		}
		out = append(out, packet(spec[i], body))
	}
	return out
}

// FuzzStream cuts a valid MQTT byte stream into arbitrary in-order segments:
// the packets that come out must be exactly the ones that went in.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0x30, 0x01, 0x00, 0xc0, 0, 0}, []byte{0, 1, 2})
	f.Add([]byte{0x10, 0x00, 0x20, 0x82, 0x0f, 0xff}, []byte{0})
	f.Add([]byte{0x30, 0x00, 0x7f, 0x30, 0x00, 0x80, 0x30, 0x3f, 0xff}, []byte{1, 126, 127, 200})
	f.Fuzz(func(t *testing.T, spec, cuts []byte) {
		pkts := fuzzPackets(spec)
		if len(pkts) == 0 {
			return
		}
		// A client's first packet is CONNECT: what follows is framed
		// whatever it is (the chain decides on the first bytes only).
		pkts = append([][]byte{connect("fuzz")}, pkts...)
		sizes := []int{1460}
		if len(cuts) > 0 {
			sizes = sizes[:0]
			for _, c := range cuts[:min(len(cuts), 64)] {
				sizes = append(sizes, int(c)+1)
			}
		}
		stream := bytes.Join(pkts, nil)
		capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
			c := w.Conn(cli, srv)
			c.Handshake()
			c.SendSplit(pcapgen.ToServer, stream, sizes...)
			c.Close()
		})
		var got [][]byte
		_, err := ReadFrom(context.Background(), bytes.NewReader(capture), Config{}, func(ev *Event) error {
			switch ev.Kind {
			case EventPacket:
				got = append(got, append([]byte(nil), ev.Data...))
			case EventGap, EventNote:
				t.Errorf("unexpected %v: %s", ev.Kind, ev.Message)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(pkts) {
			t.Fatalf("got %d packets, want %d", len(got), len(pkts))
		}
		for i := range pkts {
			if !bytes.Equal(got[i], pkts[i]) {
				t.Fatalf("packet %d differs: %x, want %x", i, got[i], pkts[i])
			}
		}
	})
}

// FuzzPcapWriter runs the -w path on any capture: every frame of every
// delivered packet is written once, in frame order, byte for byte, and the
// result is a pcap file that reads back.
func FuzzPcapWriter(f *testing.F) {
	f.Add(build(f, pcapgen.Options{}, func(w *pcapgen.Writer) { session(w, w.Iface0(), cli, srv) }))
	f.Add(build(f, pcapgen.Options{Format: pcapgen.PCAPNG, Link: pcapgen.Link{Kind: pcapgen.SLL}}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		c.SendSplit(pcapgen.ToServer, append(publish("a", 3000), pingreq()...), 700)
		c.SendAt(pcapgen.ToServer, 0, publish("b", 10))
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		var pw *PcapWriter
		want := map[int][]byte{}
		_, _ = ReadFrom(context.Background(), bytes.NewReader(data), Config{KeepFrames: true, MaxPacket: 1 << 16, MaxBuffered: 1 << 20}, func(ev *Event) error {
			if ev.Kind != EventPacket || len(ev.Frames) == 0 {
				return nil
			}
			if pw == nil {
				var err error
				if pw, err = NewPcapWriter(&out, ev.Frames[0].LinkType, 0); err != nil {
					return err
				}
			}
			for _, fr := range ev.Frames {
				if fr.LinkType == pw.link {
					want[fr.Number] = append([]byte(nil), fr.Data...)
				}
			}
			return pw.WriteEvent(ev)
		})
		if pw == nil {
			return
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		nums := make([]int, 0, len(want))
		for n := range want {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		r, err := pcapgo.NewReader(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("written file: %v", err)
		}
		for i := 0; ; i++ {
			b, _, err := r.ReadPacketData()
			if err != nil {
				if i != len(nums) {
					t.Fatalf("%d frames written, want %d (%v)", i, len(nums), err)
				}
				return
			}
			if i >= len(nums) || !bytes.Equal(b, want[nums[i]]) {
				t.Fatalf("written frame %d is not frame %d of the input", i+1, nums[min(i, len(nums)-1)])
			}
		}
	})
}
