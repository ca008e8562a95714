package dissect

import (
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDissect decodes every good sample packet once per iteration.
func BenchmarkDissect(b *testing.B) {
	files, _ := filepath.Glob("../samples/hex/v*.hex")
	type pkt struct {
		raw []byte
		v   Version
	}
	var pkts []pkt
	total := 0
	for _, f := range files {
		raw := sampleBytes(&testing.T{}, f)
		v := sampleVersion(filepath.Base(f))
		for len(raw) > 0 {
			fr := FrameHead(raw)
			if fr.Status != FrameComplete {
				break
			}
			pkts = append(pkts, pkt{raw[:fr.Total], v})
			total += fr.Total
			raw = raw[fr.Total:]
		}
	}
	if len(pkts) == 0 || !strings.HasSuffix(files[0], ".hex") {
		b.Fatal("no samples")
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range pkts {
			s := Session{Version: p.v, Source: SourceFlag}
			s.Dissect(p.raw, ToServer)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/packet")
}
