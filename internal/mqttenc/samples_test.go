package mqttenc

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/hexinput"
)

const samplesDir = "../../samples/hex"

// TestSamplesCommitted fails when samples/hex and the generator disagree;
// fix with `go run ./internal/mqttenc/gensamples`.
func TestSamplesCommitted(t *testing.T) {
	samples := Samples()
	want := map[string]string{"README.md": SamplesReadme(samples)}
	for _, s := range samples {
		want[s.Name+".hex"] = s.HexFile()
	}
	entries, err := os.ReadDir(samplesDir)
	if err != nil {
		t.Fatalf("read %s: %v (run go run ./internal/mqttenc/gensamples)", samplesDir, err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		have[name] = true
		w, ok := want[name]
		if !ok {
			if strings.HasSuffix(name, ".hex") {
				t.Errorf("%s is not produced by the generator", name)
			}
			continue
		}
		got, err := os.ReadFile(filepath.Join(samplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != w {
			t.Errorf("%s differs from the generator's output", name)
		}
	}
	for name := range want {
		if !have[name] {
			t.Errorf("%s is missing", name)
		}
	}
}

// TestSampleSet checks what the task promises of the set: the fixed bytes
// of DESIGN.md, every type in every version, all 27 properties.
func TestSampleSet(t *testing.T) {
	byName := map[string]Sample{}
	for _, s := range Samples() {
		if _, dup := byName[s.Name]; dup {
			t.Errorf("duplicate sample %s", s.Name)
		}
		if !strings.HasPrefix(s.Name, "v31_") && !strings.HasPrefix(s.Name, "v311_") &&
			!strings.HasPrefix(s.Name, "v5_") && !strings.HasPrefix(s.Name, "bad_") {
			t.Errorf("%s: no version prefix", s.Name)
		}
		byName[s.Name] = s
	}
	fixed := map[string]string{
		"v311_connect":   "10 26 00 04 4D 51 54 54 04 C2 00 3C 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6D 69 6E 00 08 70 61 73 73 77 6F 72 64",
		"v311_subscribe": "82 09 00 01 00 04 74 65 73 74 00",
		"v311_connack":   "20 02 00 00",
	}
	for name, h := range fixed {
		if got := byName[name].Bytes(); string(got) != string(unhex(t, h)) {
			t.Errorf("%s = % x, want %s", name, got, h)
		}
	}
	pub := byName["v311_publish_retain"].Bytes()
	if want := unhex(t, "31 15 00 06 74 65 73 74 2F 61"); len(pub) != 2+0x15 || string(pub[:len(want)]) != string(want) {
		t.Errorf("v311_publish_retain = % x", pub)
	}
	pub1 := byName["v311_publish_qos1_retain"].Bytes()
	if want := unhex(t, "33 17 00 06 74 65 73 74 2F 61 00 01"); len(pub1) != 2+0x17 || string(pub1[:len(want)]) != string(want) {
		t.Errorf("v311_publish_qos1_retain = % x", pub1)
	}

	types := map[string]map[byte]bool{"v31_": {}, "v311_": {}, "v5_": {}}
	for name, s := range byName {
		for prefix, seen := range types {
			if strings.HasPrefix(name, prefix) {
				for _, p := range s.Parts {
					seen[p.Bytes[0]>>4] = true
				}
			}
		}
	}
	for prefix, seen := range types {
		for typ := byte(1); typ <= 15; typ++ {
			if !seen[typ] {
				t.Errorf("no %s sample of packet type %d", prefix, typ)
			}
		}
	}

	ids := map[byte]bool{}
	for _, name := range []string{"v5_connect", "v5_connack", "v5_publish", "v5_disconnect", "v5_auth", "v5_subscribe"} {
		for _, id := range propertyIDs(t, byName[name].Bytes()) {
			ids[id] = true
		}
	}
	var missing []int
	for id := range PropertyWireTypes() {
		if !ids[id] {
			missing = append(missing, int(id))
		}
	}
	sort.Ints(missing)
	if len(missing) > 0 {
		t.Errorf("properties missing from the v5 samples: %#x", missing)
	}
}

// TestSamplesParse reads every sample the way the CLI will, through
// hexinput.Parse, and expects the generator's bytes.
func TestSamplesParse(t *testing.T) {
	for _, s := range Samples() {
		got, err := hexinput.Parse(s.HexFile())
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if !bytes.Equal(got, s.Bytes()) {
			t.Errorf("%s: parsed % x, want % x", s.Name, got, s.Bytes())
		}
	}
}
