package payload_test

import (
	"reflect"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/payload"
)

// fuzzPayload decodes b as the payload of a PUBLISH on topic with the
// rules, with and without a tree: it must not panic, the tree must keep
// its invariants, and both modes must make the same findings and preview.
func fuzzPayload(t *testing.T, topic string, rs []string, b []byte) {
	pkt := pub(topic, b)
	var got [2]*dissect.Packet
	var exp [2][]string
	for i, facts := range []bool{false, true} {
		set := payload.New(payload.Options{Rules: rules(t, rs), MaxDecompressed: 1 << 16, MaxNodes: 512})
		sess := dissect.NewSession(dissect.V311)
		sess.Payload = set.ForConnection()
		sess.FactsOnly = facts
		// a birth first, so alias and seq state is exercised too
		sess.Dissect(pub("spBv1.0/G1/NBIRTH/E1", nbirth(0, 0)), dissect.ToServer)
		p := sess.Dissect(pkt, dissect.ToServer)
		if !facts {
			if err := p.Check(); err != nil {
				t.Fatalf("tree invariant: %v", err)
			}
		}
		got[i], exp[i] = p, expertTexts(p)
	}
	if got[0].Preview != got[1].Preview {
		t.Fatalf("preview %q with tree, %q facts-only", got[0].Preview, got[1].Preview)
	}
	if !reflect.DeepEqual(exp[0], exp[1]) {
		t.Fatalf("findings differ:\ntree:  %q\nfacts: %q", exp[0], exp[1])
	}
}

func seeds(f *testing.F) {
	for _, s := range samples() {
		for _, p := range s.pkts[1:] {
			pk := dissect.NewSession(dissect.V311).Dissect(p, dissect.ToServer)
			if n := pk.Find("mqtt.msg"); n != nil {
				f.Add(n.Value.([]byte))
			}
		}
	}
}

func FuzzJSON(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzPayload(t, "j", []string{"j=json"}, b) })
}

func FuzzSparkplug(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzPayload(t, "spBv1.0/G1/NDATA/E1", nil, b) })
}

func FuzzProtobuf(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzPayload(t, "p", []string{"p=protobuf"}, b) })
}

func FuzzCompressed(f *testing.F) {
	seeds(f)
	f.Add(gz([]byte(`{"a":1}`)))
	f.Add(zl([]byte(`hello`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzPayload(t, "g", []string{"g=gzip"}, b)
		fuzzPayload(t, "z", []string{"z=zlib"}, b)
	})
}

// FuzzSniff lets the content decide (JSON, text, hex, gzip, zlib).
func FuzzSniff(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzPayload(t, "s", nil, b) })
}
