package capture

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// otherTraffic is a capture where MQTT is a small part: 200 HTTP downloads
// on port 80 and 100 SSH-like connections on port 22 beside one MQTT
// session of 2000 PUBLISHes.
func otherTraffic(b testing.TB) ([]byte, int) {
	body := bytes.Repeat([]byte("<html>lorem ipsum</html>\n"), 56) // 1400 bytes
	frames := 0
	capture := build(b, pcapgen.Options{}, func(w *pcapgen.Writer) {
		m := w.Conn(netip.MustParseAddrPort("127.0.0.1:50000"), netip.MustParseAddrPort("127.0.0.2:1883"))
		m.Handshake()
		m.Send(pcapgen.ToServer, connect("bench"))
		m.Send(pcapgen.ToClient, connack())
		for i := 0; i < 200; i++ {
			h := w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)}), 40000), netip.MustParseAddrPort("127.0.0.3:80"))
			h.Handshake()
			h.Send(pcapgen.ToServer, []byte("GET /index.html HTTP/1.1\r\nHost: web\r\n\r\n"))
			s := w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 2, byte(i >> 8), byte(i)}), 40000), netip.MustParseAddrPort("127.0.0.4:22"))
			if i < 100 {
				s.Handshake()
				s.Send(pcapgen.ToClient, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
			}
			for k := 0; k < 50; k++ {
				h.Send(pcapgen.ToClient, body)
				if i < 100 && k%5 == 0 {
					s.Send(pcapgen.ToServer, body[:600])
				}
				if k%5 == 0 {
					m.Send(pcapgen.ToServer, publish("sensor/1", 40))
				}
			}
			h.Close()
			if i < 100 {
				s.Close()
			}
		}
		m.Close()
		frames = w.Frames()
	})
	return capture, frames
}

// BenchmarkOtherTraffic measures frames/s on a capture that is mostly not
// MQTT: connections found not to be MQTT must cost little.
func BenchmarkOtherTraffic(b *testing.B) {
	capture, frames := otherTraffic(b)
	b.SetBytes(int64(len(capture)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n := 0
		_, err := ReadFrom(context.Background(), bytes.NewReader(capture), Config{}, func(ev *Event) error {
			if ev.Kind == EventPacket {
				n++
			}
			return nil
		})
		if err != nil || n != 2002 {
			b.Fatalf("%d packets, %v", n, err)
		}
	}
	b.ReportMetric(float64(frames*b.N)/time.Since(start).Seconds(), "frames/s")
}
