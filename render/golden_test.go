package render

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenOptions are the options every golden view is drawn with; the limit
// is low enough that the long payload samples show the cut.
var goldenOptions = Options{MaxValueBytes: 32}

// views draws every packet of a sample in one of the four outputs.
var views = []struct {
	name string
	draw func(p *Printer, pk *dissect.Packet) error
}{
	{"breakdown", func(p *Printer, pk *dissect.Packet) error { return p.Breakdown(pk) }},
	{"summary", func(p *Printer, pk *dissect.Packet) error { return p.Summary(pk, nil) }},
	{"json", func(p *Printer, pk *dissect.Packet) error { return p.JSON(pk, nil) }},
	{"hex", func(p *Printer, pk *dissect.Packet) error { return p.Hex(pk) }},
}

// TestGoldenHandBuilt covers the trees built in tree_test.go; they do not
// depend on the dissector.
func TestGoldenHandBuilt(t *testing.T) {
	samples := map[string][]*dissect.Packet{
		"hand_connect":   {connectExample(t)},
		"hand_publish":   {publishExample(t)},
		"hand_publish5":  {publish5Example(t)},
		"hand_malformed": {malformedExample(t)},
	}
	for name, pks := range samples {
		checkGoldens(t, name, pks)
	}
}

// TestGoldenSamples runs every samples/hex/*.hex file through the dissector.
func TestGoldenSamples(t *testing.T) {
	files, err := filepath.Glob("../samples/hex/*.hex")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no samples/hex/*.hex yet")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hex")
		t.Run(name, func(t *testing.T) {
			pks, err := loadHexSample(f)
			if err != nil {
				t.Fatal(err)
			}
			checkGoldens(t, name, pks)
			checkInvariants(t, pks)
		})
	}
}

func checkGoldens(t *testing.T, name string, pks []*dissect.Packet) {
	t.Helper()
	for _, v := range views {
		var out bytes.Buffer
		p := New(&out, goldenOptions)
		for _, pk := range pks {
			if err := v.draw(p, pk); err != nil {
				t.Fatalf("%s %s: %v", name, v.name, err)
			}
		}
		compareGolden(t, filepath.Join("testdata", name+"."+v.name+".golden"), out.Bytes())
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./render -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./render -update rewrites it):\n%s", path, firstDiff(want, got))
	}
}

// firstDiff shows the first line where the outputs part.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

// loadHexSample reads a samples/hex file: hex text, '#' comment lines,
// packets simply concatenated; the name prefix gives the version.
func loadHexSample(path string) ([]*dissect.Packet, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sample: %w", err)
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, r := range line {
			if strings.ContainsRune("0123456789abcdefABCDEF", r) {
				digits.WriteRune(r)
			}
		}
	}
	raw, err := hex.DecodeString(digits.String())
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	s := dissect.NewSession(sampleVersion(filepath.Base(path)))
	var pks []*dissect.Packet
	for len(raw) > 0 {
		f := dissect.FrameHead(raw)
		n := f.Total
		if f.Status != dissect.FrameComplete {
			n = len(raw) // the rest, incomplete or malformed
		}
		pks = append(pks, s.Dissect(raw[:n], dissect.DirUnknown))
		raw = raw[n:]
	}
	return pks, nil
}

func sampleVersion(name string) dissect.Version {
	switch {
	case strings.HasPrefix(name, "v311_"):
		return dissect.V311
	case strings.HasPrefix(name, "v31_"):
		return dissect.V31
	case strings.HasPrefix(name, "v5_"):
		return dissect.V5
	}
	return dissect.VersionUnknown
}

// checkInvariants holds for every real packet, whatever the goldens say:
// JSON is valid, text is terminal-safe, the fast node text matches Text.
func checkInvariants(t *testing.T, pks []*dissect.Packet) {
	t.Helper()
	for _, pk := range pks {
		var out bytes.Buffer
		p := New(&out, Options{})
		if err := p.JSON(pk, nil); err != nil || !json.Valid(out.Bytes()) {
			t.Errorf("invalid JSON (%v): %s", err, out.Bytes())
		}
		out.Reset()
		_ = p.Breakdown(pk)
		_ = p.Summary(pk, nil)
		_ = p.Hex(pk)
		for _, line := range strings.Split(out.String(), "\n") {
			checkTerminalSafe(t, line)
		}
		for _, f := range pk.Fields {
			f.Walk(func(n *dissect.Node) {
				if got, want := string(appendNodeText(nil, n)), n.Text(); got != want {
					t.Errorf("appendNodeText = %q, Node.Text = %q", got, want)
				}
			})
		}
	}
}
