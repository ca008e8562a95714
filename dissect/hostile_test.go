package dissect

import (
	"fmt"
	"strings"
	"testing"

	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
)

// Hostile input for the dissector: packets that are legal in size (far
// under 256 MB) but built to make it work hard.

// repeatedProps returns users User Properties interleaved with dups
// copies of each of the non-repeatable properties in single.
func repeatedProps(users, dups int, single []enc.Property) []enc.Property {
	var props []enc.Property
	for i := 0; i < users; i++ {
		props = append(props, enc.UserProperty(fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i)))
		if i < dups {
			props = append(props, single...)
		}
	}
	return props
}

// countDuplicateFindings counts "appears more than once" findings by the
// property name that starts their message.
func countDuplicateFindings(p *Packet) map[string]int {
	out := map[string]int{}
	for _, e := range p.Experts() {
		if name, ok := strings.CutSuffix(e.Message, " appears more than once"); ok {
			out[name]++
		}
	}
	return out
}

// TestHostileRepeatedProperties: PUBLISH and CONNECT (with will) carrying
// tens of thousands of User Properties (allowed any number of times) and
// thousands of copies of properties allowed once. Dissection finishes
// within the per-packet budget: the tree is cut after DefaultMaxNodes
// nodes (one node covers the rest, with a tree_cut note), at most
// DefaultMaxFindings duplicate findings are kept and a findings_capped
// note counts the rest exactly, the tree invariants hold, facts survive
// the cut, and the facts-only mode reports the same findings.
func TestHostileRepeatedProperties(t *testing.T) {
	const users, dups = 40000, 5000
	pubSingles := []enc.Property{enc.MessageExpiryInterval(60), enc.ContentType("text/plain"), enc.PayloadFormatIndicator(1)}
	connSingles := []enc.Property{enc.SessionExpiryInterval(10), enc.ReceiveMaximum(5)}
	willSingles := []enc.Property{enc.WillDelayInterval(1), enc.ResponseTopic("r")}
	cases := []struct {
		name    string
		raw     []byte
		dupes   int    // duplicate findings the packet deserves
		subject string // a fact the packet must still carry
	}{
		{"publish", enc.EncodePublish(enc.Publish{Version: enc.V5, QoS: 1, PacketID: 7, Topic: "hostile/props",
			Properties: repeatedProps(users, dups, pubSingles), Payload: []byte("payload")}),
			3 * (dups - 1), "hostile/props"},
		{"connect", enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, KeepAlive: 30, ClientID: "hostile-client",
			Properties: repeatedProps(users, dups, connSingles),
			Will:       &enc.Will{Topic: "will/t", Payload: []byte("bye"), Properties: repeatedProps(users/4, dups/5, willSingles)}}),
			2*(dups-1) + 2*(dups/5-1), "hostile-client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n := len(tc.raw); n < 1<<20 || n > 4<<20 {
				t.Fatalf("test packet is %d bytes, meant to be 1-4 MB", n)
			}
			// V5 as if the CONNECT was seen: without it, a PUBLISH full of
			// duplicated properties rightly parses cleaner as 3.1.1.
			p := NewSession(V5).Dissect(tc.raw, ToServer)
			if err := p.Check(); err != nil {
				t.Fatalf("invariants: %v", err)
			}
			if p.Malformed || p.Version != V5 || p.Missing != 0 {
				t.Fatalf("malformed %v, version %v, missing %d; findings %v", p.Malformed, p.Version, p.Missing, firstExperts(p, 5))
			}
			if p.Topic != tc.subject && p.ClientID != tc.subject {
				t.Errorf("topic %q client id %q, want %q", p.Topic, p.ClientID, tc.subject)
			}
			kept := 0
			for _, n := range countDuplicateFindings(p) {
				kept += n
			}
			byID := map[string][]*Expert{}
			for _, e := range p.Experts() {
				byID[e.ID] = append(byID[e.ID], e)
			}
			if kept == 0 || len(p.Experts()) > DefaultMaxFindings+3 {
				t.Errorf("%d duplicate findings kept, %d findings in all", kept, len(p.Experts()))
			}
			capped := byID[eiFindingsCapped.ID]
			if want := fmt.Sprintf("%d more findings not kept", tc.dupes-kept); len(capped) != 1 || !strings.HasPrefix(capped[0].Message, want) {
				t.Errorf("findings_capped %v, want one starting %q", capped, want)
			}
			if len(byID[eiTreeCut.ID]) == 0 {
				t.Errorf("no tree_cut note")
			}
			nodes := 0
			for _, f := range p.Fields {
				f.Walk(func(*Node) { nodes++ })
			}
			if nodes > DefaultMaxNodes+100 {
				t.Errorf("%d nodes kept, budget %d", nodes, DefaultMaxNodes)
			}
			lite := NewSession(V5)
			lite.FactsOnly = true
			if want, got := facts(p), facts(lite.Dissect(tc.raw, ToServer)); want != got {
				t.Errorf("facts-only mode differs (first 500 bytes):\nfull %.500s\nlite %.500s", want, got)
			}
		})
	}
}

// firstExperts returns up to n findings as text, for failure messages.
func firstExperts(p *Packet, n int) []string {
	var out []string
	for _, e := range p.Experts() {
		if len(out) == n {
			break
		}
		out = append(out, e.String())
	}
	return out
}

// maxTopic is a 65535-byte topic (the largest a 2-byte length allows),
// valid UTF-8 with multi-byte runes, so cutting it is not trivial.
func maxTopic() string {
	var b strings.Builder
	for b.Len() < 65535-3 {
		b.WriteString("a/é/")
	}
	s := b.String()
	return s + strings.Repeat("z", 65535-len(s))
}

// TestHostileMaxLengthTopic: a PUBLISH topic and a SUBSCRIBE / UNSUBSCRIBE
// filter of 65535 bytes are dissected whole, in 3.1.1 and 5.0, without
// findings.
func TestHostileMaxLengthTopic(t *testing.T) {
	topic := maxTopic()
	if len(topic) != 65535 {
		t.Fatalf("topic is %d bytes", len(topic))
	}
	for _, v := range []enc.Version{enc.V311, enc.V5} {
		pkts := map[string][]byte{
			"publish":     enc.EncodePublish(enc.Publish{Version: v, QoS: 2, PacketID: 9, Topic: topic, Payload: []byte("x")}),
			"subscribe":   enc.EncodeSubscribe(enc.Subscribe{Version: v, PacketID: 10, Subs: []enc.Subscription{{Filter: topic, QoS: 1}, {Filter: "b"}}}),
			"unsubscribe": enc.EncodeUnsubscribe(enc.Unsubscribe{Version: v, PacketID: 11, Filters: []string{topic}}),
		}
		for name, raw := range pkts {
			s := NewSession(Version(v))
			p := s.Dissect(raw, ToServer)
			if err := p.Check(); err != nil {
				t.Fatalf("%v %s: invariants: %v", v, name, err)
			}
			if ex := p.Experts(); len(ex) != 0 {
				t.Errorf("%v %s: findings %v", v, name, firstExperts(p, 5))
			}
			switch name {
			case "publish":
				if p.Topic != topic || p.Payload != 1 {
					t.Errorf("%v publish: topic of %d bytes, payload %d", v, len(p.Topic), p.Payload)
				}
			default:
				if len(p.Filters) == 0 || p.Filters[0] != topic {
					t.Errorf("%v %s: %d filters, first %d bytes", v, name, len(p.Filters), len(firstOr(p.Filters)))
				}
			}
		}
	}
}

func firstOr(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}
