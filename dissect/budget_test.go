package dissect

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
)

// densePublish is a PUBLISH of about size bytes made of two-byte Payload
// Format Indicator properties: a million fields per 2 MB, all legal but
// the repeats (each a protocol finding).
func densePublish(size int) []byte {
	n := size / 2
	body := make([]byte, 0, size+16)
	body = append(body, 0, 1, 't', 0, 1)
	body = enc.AppendVarint(body, uint32(2*n))
	for i := 0; i < n; i++ {
		body = append(body, enc.PropPayloadFormatIndicator, 0)
	}
	body = append(body, 'x')
	return enc.Raw(enc.TypePublish, 0x2, body)
}

// denseSubscribe is a SUBSCRIBE of about size bytes of one-letter filters.
func denseSubscribe(size int) []byte {
	body := make([]byte, 0, size+8)
	body = append(body, 0, 1, 0)
	for len(body)+4 <= size {
		body = append(body, 0, 1, 'a', 1)
	}
	return enc.Raw(enc.TypeSubscribe, 0x2, body)
}

// heapCost dissects raw with a fresh session and returns the bytes
// allocated and the live heap growth while the packet is still held.
func heapCost(t *testing.T, s *Session, raw []byte) (total, inuse uint64, p *Packet) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p = s.Dissect(raw, ToServer)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	inuse = 0
	if after.HeapInuse > before.HeapInuse {
		inuse = after.HeapInuse - before.HeapInuse
	}
	return after.TotalAlloc - before.TotalAlloc, inuse, p
}

// TestBudgetBoundsHugePackets: a 16 MB PUBLISH of eight million properties
// and an 8 MB SUBSCRIBE of two million filters, with the version known and
// guessed, in the full and the facts-only mode, cost a bounded tree and a
// small multiple of the packet in memory; the facts still hold.
func TestBudgetBoundsHugePackets(t *testing.T) {
	const mb = 1 << 20
	pub, sub := densePublish(16*mb-64), denseSubscribe(8*mb)
	for _, tc := range []struct {
		name      string
		raw       []byte
		ver       Version
		factsOnly bool
	}{
		{"publish-16MB-v5", pub, V5, false},
		{"publish-16MB-v5-facts", pub, V5, true},
		{"publish-16MB-guessed", pub, VersionUnknown, false},
		{"subscribe-8MB-v5", sub, V5, false},
		{"subscribe-8MB-guessed", sub, VersionUnknown, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(tc.ver)
			s.FactsOnly = tc.factsOnly
			total, inuse, p := heapCost(t, s, tc.raw)
			t.Logf("%d bytes: allocated %d KiB, live %d KiB, %d findings", len(tc.raw), total>>10, inuse>>10, len(p.Experts()))
			if err := p.Check(); err != nil && !tc.factsOnly {
				t.Fatalf("invariants: %v", err)
			}
			nodes := 0
			for _, f := range p.Fields {
				f.Walk(func(*Node) { nodes++ })
			}
			if nodes > DefaultMaxNodes+100 {
				t.Errorf("%d nodes kept, budget %d", nodes, DefaultMaxNodes)
			}
			if n := len(p.Experts()); n > DefaultMaxFindings+3 {
				t.Errorf("%d findings kept, budget %d", n, DefaultMaxFindings)
			}
			// Live memory: a few MB of tree, however many fields the packet holds.
			if inuse > 16*mb {
				t.Errorf("%d MiB live after dissecting %d MiB", inuse/mb, len(tc.raw)/mb)
			}
			// Allocated (garbage included): a small multiple of the packet.
			// A guess decodes three times, and a misaligned 3.1.1 parse of
			// a 5.0 SUBSCRIBE copies long bogus filters as text.
			if total > uint64(10*len(tc.raw)+32*mb) {
				t.Errorf("%d MiB allocated for a %d MiB packet", total/mb, len(tc.raw)/mb)
			}
			if tc.raw[0]>>4 == TypeSubscribe && len(p.Filters) > MaxFilters {
				t.Errorf("%d filters listed", len(p.Filters))
			}
			if tc.ver == V5 && tc.raw[0]>>4 == TypePublish && (p.Topic != "t" || p.Payload != 1) {
				t.Errorf("facts lost past the cut: topic %q payload %d", p.Topic, p.Payload)
			}
		})
	}
}

// TestBudgetAllocsPerPacket: the per-packet budget keeps allocations flat:
// a 2 MB packet of a million properties allocates about as often as one
// of ten thousand (the nodes past the budget come from no allocation).
func TestBudgetAllocsPerPacket(t *testing.T) {
	small, big := densePublish(20000), densePublish(2<<20)
	s := NewSession(V5)
	s.Arena = NewArena()
	a1 := testing.AllocsPerRun(3, func() { s.Dissect(small, ToServer) })
	a2 := testing.AllocsPerRun(3, func() { s.Dissect(big, ToServer) })
	t.Logf("allocations: %v for 20 kB, %v for 2 MB", a1, a2)
	if a2 > 2*a1+100 {
		t.Errorf("%v allocations for 2 MB, %v for 20 kB: the work past the budget allocates", a2, a1)
	}
}

// TestBudgetOptions: a session's own budget applies; the cut node covers
// the rest of its list and the decode after it goes on (the payload).
func TestBudgetOptions(t *testing.T) {
	raw := densePublish(2000)
	s := NewSession(V5)
	s.MaxNodes, s.MaxFindings = 50, 5
	p := s.Dissect(raw, ToServer)
	if err := p.Check(); err != nil {
		t.Fatalf("invariants: %v", err)
	}
	var ids []string
	for _, e := range p.Experts() {
		ids = append(ids, e.ID)
	}
	all := strings.Join(ids, " ")
	if !strings.Contains(all, "mqtt.expert.tree_cut") || !strings.Contains(all, "mqtt.expert.findings_capped") {
		t.Errorf("findings %v: want tree_cut and findings_capped", ids)
	}
	if len(ids) != 5+2 {
		t.Errorf("%d findings, want 5 kept + tree_cut + findings_capped", len(ids))
	}
	if p.Payload != 1 || p.Find("mqtt.msg") == nil {
		t.Errorf("payload after the cut: %d bytes, node %v", p.Payload, p.Find("mqtt.msg"))
	}
}

// aliasPublish sets alias to a topic of n bytes starting with tag.
func aliasPublish(alias uint16, tag string, n int) []byte {
	topic := tag + strings.Repeat("x", n-len(tag))
	return enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: topic, Properties: []enc.Property{enc.TopicAlias(alias)}, Payload: []byte("p")})
}

func aliasUse(alias uint16) []byte {
	return enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: "", Properties: []enc.Property{enc.TopicAlias(alias)}, Payload: []byte("p")})
}

// TestAliasTablesCapped: 4,000 aliases to 65 KB topics keep the tables
// within MaxAliasBytes; the oldest are forgotten first, each time with an
// alias_evicted note; recent ones still resolve.
func TestAliasTablesCapped(t *testing.T) {
	s := NewSession(V5)
	s.MaxAliasBytes = 1 << 20
	evictions := 0
	for i := 1; i <= 4000; i++ {
		p := s.Dissect(aliasPublish(uint16(i), fmt.Sprintf("%05d/", i), 65000), ToServer)
		for _, e := range p.Experts() {
			if e.ID == "mqtt.expert.alias_evicted" {
				evictions++
				if e.Severity != SevNote {
					t.Fatalf("eviction is %v", e.Severity)
				}
			}
		}
		if s.AliasBytes() > s.MaxAliasBytes {
			t.Fatalf("after alias %d: %d bytes in the tables, cap %d", i, s.AliasBytes(), s.MaxAliasBytes)
		}
	}
	if evictions < 3900 {
		t.Errorf("%d eviction notes", evictions)
	}
	if p := s.Dissect(aliasUse(4000), ToServer); !strings.HasPrefix(p.Topic, "04000/") {
		t.Errorf("newest alias resolves to %.10q", p.Topic)
	}
	p := s.Dissect(aliasUse(1), ToServer)
	if p.Topic != "" || len(p.Experts()) == 0 || p.Experts()[0].ID != "mqtt.unknown_topic_alias" {
		t.Errorf("evicted alias 1: topic %.10q, findings %v", p.Topic, firstExperts(p, 3))
	}
	// A CONNECT resets the tables and their charge.
	s.Dissect(enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, ClientID: "c"}), ToServer)
	if s.AliasBytes() != 0 {
		t.Errorf("after CONNECT: %d alias bytes", s.AliasBytes())
	}
}

// TestAliasBudgetShared: sessions sharing an AliasBudget stay within it
// together, and Release gives a session's bytes back.
func TestAliasBudgetShared(t *testing.T) {
	budget := &AliasBudget{Max: 512 << 10}
	a, b := NewSession(V5), NewSession(V5)
	a.Aliases, b.Aliases = budget, budget
	for i := 1; i <= 50; i++ {
		a.Dissect(aliasPublish(uint16(i), "a", 30000), ToServer)
		b.Dissect(aliasPublish(uint16(i), "b", 30000), ToClient)
		if budget.Used() > budget.Max {
			t.Fatalf("shared budget %d over %d", budget.Used(), budget.Max)
		}
		if budget.Used() != a.AliasBytes()+b.AliasBytes() {
			t.Fatalf("budget %d, sessions %d + %d", budget.Used(), a.AliasBytes(), b.AliasBytes())
		}
	}
	a.Release()
	if budget.Used() != b.AliasBytes() || a.AliasBytes() != 0 {
		t.Errorf("after release: budget %d, a %d, b %d", budget.Used(), a.AliasBytes(), b.AliasBytes())
	}
}

// TestAliasReplaceKeepsCharge: setting the same alias again charges the
// new topic only.
func TestAliasReplaceKeepsCharge(t *testing.T) {
	s := NewSession(V5)
	for i := 0; i < 1000; i++ {
		s.Dissect(aliasPublish(7, fmt.Sprint(i), 1000), ToServer)
	}
	if want := aliasCost(strings.Repeat("x", 1000)); s.AliasBytes() != want {
		t.Errorf("%d alias bytes after re-setting one alias, want %d", s.AliasBytes(), want)
	}
	if len(s.aliasOrder)-s.aliasHead != 1 {
		t.Errorf("eviction queue holds %d keys for one alias", len(s.aliasOrder)-s.aliasHead)
	}
}
