package payload_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/payload"
)

// BenchmarkDissect measures what payload decoding adds to dissecting one
// PUBLISH, per payload kind, with the tree (-V, JSON) and facts-only
// (summary lines), against the same packet without a decoder.
func BenchmarkDissect(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	binary := make([]byte, 1024)
	rng.Read(binary)
	var js strings.Builder
	js.WriteString(`{"readings":[`)
	for i := 0; i < 40; i++ {
		if i > 0 {
			js.WriteString(",")
		}
		js.WriteString(`{"id":12,"t":21.5,"ok":true}`)
	}
	js.WriteString(`]}`)
	cases := []struct {
		name  string
		pkts  [][]byte // the first ones set up state
		topic string
	}{
		{"json-1KB", [][]byte{pub("j", []byte(js.String()))}, "j"},
		{"binary-1KB", [][]byte{pub("b", binary)}, "b"},
		{"text-1KB", [][]byte{pub("t", []byte(strings.Repeat("hello ", 170)))}, "t"},
		{"sparkplug-ndata", [][]byte{pub("spBv1.0/G1/NBIRTH/E1", nbirth(0, 0)), pub("spBv1.0/G1/NDATA/E1", ndata(1, 1, 2, 3))}, ""},
		{"gzip-json", [][]byte{pub("z", gz([]byte(js.String())))}, "z"},
	}
	for _, c := range cases {
		for _, facts := range []bool{false, true} {
			for _, dec := range []bool{false, true} {
				name := c.name + map[bool]string{false: "/tree", true: "/facts"}[facts] + map[bool]string{false: "/none", true: "/decoded"}[dec]
				b.Run(name, func(b *testing.B) {
					sess := dissect.NewSession(dissect.V311)
					sess.Arena, sess.FactsOnly = dissect.NewArena(), facts
					if dec {
						sess.Payload = payload.New(payload.Options{}).ForConnection()
					}
					for _, p := range c.pkts[:len(c.pkts)-1] {
						sess.Dissect(p, dissect.ToServer)
					}
					last := c.pkts[len(c.pkts)-1]
					b.SetBytes(int64(len(last)))
					b.ReportAllocs()
					for i := 0; i < b.N; i++ {
						sess.Dissect(last, dissect.ToServer)
					}
				})
			}
		}
	}
}
