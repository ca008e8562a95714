package capture

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// BenchmarkIdleFlushSpan reads the same frames (2,000 long-lived, never idle long enough to close:
// connections, each sending a PINGREQ in turn) spread over 72 s and over
// 7,200 s of capture time. The idle flush must cost in proportion to what
// it flushes, so both take about the same time.
func BenchmarkIdleFlushSpan(b *testing.B) {
	const conns, rounds = 2000, 20
	for _, span := range []time.Duration{72 * time.Second, 7200 * time.Second} {
		step := span / (conns * rounds)
		capture := build(b, pcapgen.Options{Step: step}, func(w *pcapgen.Writer) {
			cs := make([]*pcapgen.Conn, conns)
			for i := range cs {
				cs[i] = w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 3, byte(i >> 8), byte(i)}), 40000), srv)
				cs[i].Handshake()
			}
			for range rounds {
				for _, c := range cs {
					c.Send(pcapgen.ToServer, pingreq())
				}
			}
		})
		b.Run(fmt.Sprint(span), func(b *testing.B) {
			b.SetBytes(int64(len(capture)))
			for b.Loop() {
				if _, err := ReadFrom(context.Background(), bytes.NewReader(capture), Config{IdleFlush: 3 * time.Hour}, func(*Event) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
