package dissect

import (
	"path/filepath"
	"testing"
)

// Every definition is in the registry under its abbreviation, and
// definitions sharing an abbreviation share its kind, so a filter or -e
// sees one type per name.
func TestRegistryOneKindPerAbbrev(t *testing.T) {
	for _, d := range fieldTable {
		r, ok := Lookup(d.Abbrev)
		if !ok {
			t.Errorf("%s (%q) is not registered", d.Abbrev, d.Name)
			continue
		}
		if r.Kind != d.Kind {
			t.Errorf("%s: kinds %s and %s", d.Abbrev, r.Kind, d.Kind)
		}
	}
	for _, p := range propSpecs {
		if r, ok := Lookup(p.def.Abbrev); !ok || r != p.def {
			t.Errorf("property %s: registry has %v", p.def.Abbrev, r)
		}
	}
	if _, ok := Lookup("mqtt.nosuchfield"); ok {
		t.Error("Lookup found a field that does not exist")
	}
	seen := map[string]bool{}
	for _, d := range Fields() {
		if seen[d.Abbrev] {
			t.Errorf("Fields lists %s twice", d.Abbrev)
		}
		seen[d.Abbrev] = true
		if d.Kind == KindUint && d.Width == 0 {
			t.Errorf("%s: integer without a width", d.Abbrev)
		}
	}
}

// Every node the decoders make over the samples carries a registered
// definition of the registered kind, and its value has the Go type of
// that kind (what the typed accessors return).
func TestRegistryCoversTrees(t *testing.T) {
	files, _ := filepath.Glob("../samples/hex/*.hex")
	for _, f := range files {
		raw := sampleBytes(t, f)
		s := NewSession(sampleVersion(filepath.Base(f)))
		for len(raw) > 0 {
			fr := FrameHead(raw)
			n := fr.Total
			if fr.Status != FrameComplete {
				n = len(raw)
			}
			p := s.Dissect(raw[:n], ToServer)
			for _, top := range p.Fields {
				top.Walk(func(n *Node) {
					r, ok := Lookup(n.Def.Abbrev)
					if !ok || r.Kind != n.Def.Kind {
						t.Errorf("%s: node %s not registered with its kind", f, n.Def.Abbrev)
						return
					}
					var typed bool
					switch n.Def.Kind {
					case KindUint:
						_, typed = n.Uint()
					case KindBool:
						_, typed = n.Bool()
					case KindString:
						_, typed = n.Str()
					case KindBytes:
						_, typed = n.Bytes()
					case KindNone:
						typed = true
					}
					if !typed && n.Value != nil {
						t.Errorf("%s: %s value %T does not fit kind %s", f, n.Def.Abbrev, n.Value, n.Def.Kind)
					}
				})
			}
			raw = raw[n:]
		}
	}
}
