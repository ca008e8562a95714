package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// benchCapture builds a deterministic capture of about size bytes: conns
// interleaved MQTT 3.1.1 and 5.0 connections publishing at QoS 0 and 1,
// payloads mostly small, some large (split at a 1460-byte MSS). It returns
// the capture and the number of MQTT packets in it.
func benchCapture(tb testing.TB, size, conns int) ([]byte, int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	payload := bytes.Repeat([]byte(`{"temp":21.5,"hum":40,"ok":true}`), 2048)
	server := netip.MustParseAddrPort("127.0.0.1:1883")
	packets := 0
	var b bytes.Buffer
	w, err := pcapgen.NewWriter(&b, pcapgen.Options{Step: 100_000})
	if err != nil {
		tb.Fatal(err)
	}
	type state struct {
		c   *pcapgen.Conn
		v   mqttenc.Version
		pid uint16
	}
	open := make([]*state, conns)
	for i := range open {
		s := &state{c: w.Conn(netip.AddrPortFrom(server.Addr(), uint16(20000+i)), server), v: mqttenc.V311}
		if i%2 == 1 {
			s.v = mqttenc.V5
		}
		s.c.Handshake()
		s.c.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: s.v, CleanStart: true, KeepAlive: 60, ClientID: fmt.Sprintf("bench-%d", i)}))
		s.c.Send(pcapgen.ToClient, mqttenc.EncodeConnack(mqttenc.Connack{Version: s.v}))
		packets += 2
		open[i] = s
	}
	for b.Len() < size && w.Err() == nil {
		s := open[rng.IntN(conns)]
		n := 1 + rng.IntN(100)
		if rng.IntN(50) == 0 {
			n = 1000 + rng.IntN(len(payload)-1000)
		}
		qos := byte(rng.IntN(2))
		s.pid++
		s.c.SendSplit(pcapgen.ToServer, mqttenc.EncodePublish(mqttenc.Publish{
			Version: s.v, QoS: qos, Topic: "bench/sensor/temp", PacketID: s.pid, Payload: payload[:n]}), 1460)
		packets++
		if qos == 1 {
			s.c.Send(pcapgen.ToClient, mqttenc.EncodePuback(mqttenc.Ack{Version: s.v, PacketID: s.pid}))
			packets++
		}
	}
	for _, s := range open {
		s.c.Send(pcapgen.ToServer, mqttenc.EncodeDisconnect(mqttenc.Disconnect{Version: s.v}))
		s.c.Close()
		packets++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes(), packets
}

// readAll runs the capture package over data; with dissecting set it also
// dissects every packet, one session per stream, as the CLI does.
func readAll(data []byte, dissecting bool) (int, error) {
	packets := 0
	sessions := map[int]*dissect.Session{}
	_, err := capture.ReadFrom(context.Background(), bytes.NewReader(data), capture.Config{}, func(ev *capture.Event) error {
		switch ev.Kind {
		case capture.EventPacket:
			packets++
			if dissecting {
				s := sessions[ev.Stream]
				if s == nil {
					s = dissect.NewSession(dissect.VersionUnknown)
					sessions[ev.Stream] = s
				}
				s.Dissect(ev.Data, ev.Dir)
			}
		case capture.EventClose:
			delete(sessions, ev.Stream)
		}
		return nil
	})
	return packets, err
}

// TestBenchCaptureReadsBack keeps the benchmarks honest: the capture
// package must find every packet the builder wrote.
func TestBenchCaptureReadsBack(t *testing.T) {
	data, want := benchCapture(t, 1<<20, 20)
	got, err := readAll(data, true)
	if err != nil || got != want {
		t.Fatalf("capture found %d MQTT packets (err %v), builder wrote %d", got, err, want)
	}
}

func BenchmarkCapture(b *testing.B) {
	data, want := benchCapture(b, 4<<20, 100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if got, err := readAll(data, false); err != nil || got != want {
			b.Fatalf("got %d packets (err %v), want %d", got, err, want)
		}
	}
}

func BenchmarkCaptureAndDissect(b *testing.B) {
	data, want := benchCapture(b, 4<<20, 100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if got, err := readAll(data, true); err != nil || got != want {
			b.Fatalf("got %d packets (err %v), want %d", got, err, want)
		}
	}
}

// BenchmarkGenerate measures pcapgen itself (bytes of capture written per second).
func BenchmarkGenerate(b *testing.B) {
	var n int
	for b.Loop() {
		data, _ := benchCapture(b, 4<<20, 100)
		n = len(data)
	}
	b.SetBytes(int64(n))
}
