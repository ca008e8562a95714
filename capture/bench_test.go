package capture

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// benchCapture is a few MB of MQTT traffic: 20 connections, mixed packet
// sizes, some packets split over segments, some segments with several
// packets, plus non-MQTT frames.
func benchCapture(b *testing.B) []byte {
	return build(b, pcapgen.Options{}, func(w *pcapgen.Writer) {
		conns := make([]*pcapgen.Conn, 20)
		for i := range conns {
			conns[i] = w.Conn(netip.AddrPortFrom(cli.Addr(), uint16(40000+i)), srv)
			conns[i].Handshake()
			conns[i].Send(pcapgen.ToServer, connect("bench"))
			conns[i].Send(pcapgen.ToClient, connack())
		}
		for r := 0; r < 400; r++ {
			for i, c := range conns {
				switch r % 4 {
				case 0:
					c.Send(pcapgen.ToServer, publish("sensors/temp", 100+i))
				case 1:
					c.SendSplit(pcapgen.ToServer, publish("bulk/data", 4000), 1448)
				case 2:
					c.Send(pcapgen.ToServer, append(append(pingreq(), publish("a", 20)...), pingreq()...))
				case 3:
					c.Send(pcapgen.ToClient, pingresp())
					w.UDP(netip.MustParseAddrPort("127.0.0.1:5353"), netip.MustParseAddrPort("127.0.0.1:5353"), []byte("other"))
				}
			}
		}
		for _, c := range conns {
			c.Close()
		}
	})
}

func BenchmarkReadFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.pcap")
	data := benchCapture(b)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, err := ReadFile(context.Background(), path, Config{}, func(ev *Event) error {
			if ev.Kind == EventPacket {
				n++
			}
			return nil
		})
		if err != nil || n != 20*2+400/4*20*(1+1+3+1) {
			b.Fatalf("err %v, %d packets", err, n)
		}
	}
}

// BenchmarkEngine is the capture stage alone (frames in, events out) on
// benchCapture, with the in-order fast path and with every segment through
// gopacket's reassembly: the difference is what the fast path saves.
func BenchmarkEngine(b *testing.B) {
	data := benchCapture(b)
	for _, mode := range []struct {
		name   string
		noFast bool
	}{{"fast", false}, {"reassembly", true}} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				e := newEngine(Config{}, func(ev *Event) error {
					if ev.Kind == EventPacket {
						n++
					}
					return nil
				})
				e.noFast = mode.noFast
				src, err := openSource(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if err := e.run(context.Background(), src); err != nil || n != 20*2+400/4*20*(1+1+3+1) {
					b.Fatalf("err %v, %d packets", err, n)
				}
			}
		})
	}
}
