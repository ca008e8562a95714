package dissect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleBytes reads a samples/hex file: '#' comment lines, then hex.
func sampleBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var hexText strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			hexText.WriteString(line)
		}
	}
	return mustHex(t, hexText.String())
}

func sampleVersion(name string) Version {
	name = strings.TrimPrefix(name, "bad_")
	switch {
	case strings.HasPrefix(name, "v311_"):
		return V311
	case strings.HasPrefix(name, "v31_"):
		return V31
	case strings.HasPrefix(name, "v5_"):
		return V5
	}
	return VersionUnknown
}

// Every sample dissects into a consistent tree; good samples have no
// findings at all, bad_ samples at least one protocol or malformed finding.
func TestSamples(t *testing.T) {
	files, _ := filepath.Glob("../samples/hex/*.hex")
	if len(files) < 45 {
		t.Fatalf("found %d sample hex files, expected at least one per type and version", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw := sampleBytes(t, f)
			s := NewSession(sampleVersion(name))
			var findings []string
			for len(raw) > 0 {
				fr := FrameHead(raw)
				n := fr.Total
				if fr.Status != FrameComplete {
					n = len(raw)
				}
				checkFactsOnly(t, sampleVersion(name), raw[:n])
				p := s.Dissect(raw[:n], ToServer)
				if err := p.Check(); err != nil {
					t.Fatalf("invariants: %v", err)
				}
				for _, e := range p.Experts() {
					if e.Severity != SevNote {
						findings = append(findings, e.String())
					}
				}
				raw = raw[n:]
			}
			bad := strings.HasPrefix(name, "bad_") || strings.Contains(name, "reserved15")
			if bad && len(findings) == 0 {
				t.Errorf("bad sample decoded without findings")
			}
			if !bad && len(findings) > 0 {
				t.Errorf("findings in a good sample:\n%s", strings.Join(findings, "\n"))
			}
		})
	}
}

// The MQTT 5 samples together carry all 27 properties.
func TestSamplesCoverEveryProperty(t *testing.T) {
	files, _ := filepath.Glob("../samples/hex/v5_*.hex")
	seen := map[int]bool{}
	for _, f := range files {
		raw := sampleBytes(t, f)
		s := NewSession(V5)
		for len(raw) > 0 {
			fr := FrameHead(raw)
			if fr.Status != FrameComplete {
				break
			}
			p := s.Dissect(raw[:fr.Total], ToServer)
			for _, n := range p.Fields {
				n.Walk(func(n *Node) {
					if n.PropID != 0 {
						seen[n.PropID] = true
					}
				})
			}
			raw = raw[fr.Total:]
		}
	}
	for id, spec := range propSpecs {
		if !seen[int(id)] {
			t.Errorf("no v5 sample carries property 0x%02x %s", id, spec.name)
		}
	}
}
