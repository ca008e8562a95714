package filter

import (
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
)

// BenchmarkMatch is the cost of a filter per packet (ns/op is ns/packet)
// over a dissected QoS 1 PUBLISH; Match must not allocate.
func BenchmarkMatch(b *testing.B) {
	p := packet(b, hexPublish, dissect.V311)
	for _, bc := range []struct{ name, expr string }{
		{"presence", "mqtt.topic"},
		{"int", "mqtt.qos == 1"},
		{"issue", `mqtt.msgtype == 3 && mqtt.qos > 0 && mqtt.topic matches "^sensors/"`},
		{"string", `mqtt.topic == "sensors/temp"`},
		{"contains", `mqtt.msg contains "t"`},
		{"slice", "mqtt.msg[0:2] == 7b:22"},
		{"set", "mqtt.msgtype in {1, 3, 8..10}"},
		{"meta", "ip.addr == 10.0.0.0/8 && tcp.port == 1883 && frame.time_relative < 2"},
		{"all_ne", `mqtt.topic != "x" && !mqtt.properties`},
	} {
		f, err := Compile(bc.expr)
		if err != nil {
			b.Fatal(err)
		}
		if !f.Match(p) {
			b.Fatalf("%s does not match the benchmark packet", bc.expr)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(p)
			}
		})
	}
}

// TestMatchDoesNotAllocate keeps the benchmark's promise in plain go test.
func TestMatchDoesNotAllocate(t *testing.T) {
	p := packet(t, hexSubscribe, dissect.V311)
	p.Gen = Generated{ResponseTo: 5, Latency: time.Millisecond}
	for _, e := range []string{
		`mqtt.topic == "c/d" && mqtt.sub.qos in {1..2}`, `mqtt.topic matches "^a"`, `count(mqtt.topic) == 2`,
		`len(mqtt.topic) == 3`, `mqtt[0] == 82`, `tcp.port == 1883 || ip.src == 10.1.2.3`, `mqtt.expert.bytes_left_over`,
		`mqtt.topic === "a/b"`, `frame.time_epoch > 1`, `mqtt.latency > 0.0001 && mqtt.response_to == 5`,
	} {
		f, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { f.Match(p) }); n != 0 {
			t.Errorf("%s: %v allocations per packet", e, n)
		}
	}
}
