package dissect

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// FuzzDissect: any bytes, any version: no panic, and the tree invariants
// hold (nodes inside parents, ascending siblings, leaves cover every byte).
func FuzzDissect(f *testing.F) {
	for _, c := range cases {
		for _, v := range []byte{0, 3, 4, 5} {
			f.Add(v, mustHex(f, c.hex))
		}
	}
	f.Fuzz(func(t *testing.T, v byte, raw []byte) {
		s := NewSession(Version(v % 6))
		for i := 0; i < 2; i++ { // twice: the second run sees learned state
			p := s.Dissect(raw, ToServer)
			if err := p.Check(); err != nil {
				t.Fatalf("invariants: %v", err)
			}
			_ = p.InfoText()
			for _, n := range p.Fields {
				n.Walk(func(n *Node) { _ = n.Text() })
			}
		}
	})
}

// frameAll cuts a byte stream delivered in chunks into packets the way a
// TCP reader must: append, frame, cut, repeat.
func frameAll(chunks [][]byte) (pkts [][]byte, rest []byte, bad bool) {
	var buf []byte
	for _, ch := range chunks {
		buf = append(buf, ch...)
		for {
			f := FrameHead(buf)
			if f.Status == FrameMalformed {
				return pkts, buf, true
			}
			if f.Status != FrameComplete {
				break
			}
			pkts = append(pkts, append([]byte(nil), buf[:f.Total]...))
			buf = buf[f.Total:]
		}
	}
	return pkts, buf, false
}

// FuzzFrame: splitting a stream anywhere (even inside the remaining-length
// bytes) yields the same packets as framing it whole.
func FuzzFrame(f *testing.F) {
	var stream []byte
	for _, c := range cases {
		stream = append(stream, mustHex(f, c.hex)...)
	}
	f.Add(stream, []byte{1, 2, 3})
	f.Add(mustHex(f, "30 ff 7f"), []byte{2})
	f.Add(mustHex(f, designConnect+"c000d000"), []byte{1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		whole, restW, badW := frameAll([][]byte{stream})
		var chunks [][]byte
		pos := 0
		for _, c := range cuts {
			n := int(c)
			if pos+n > len(stream) {
				break
			}
			chunks = append(chunks, stream[pos:pos+n])
			pos += n
		}
		chunks = append(chunks, stream[pos:])
		split, restS, badS := frameAll(chunks)
		// After a malformed length the split side stops early, so its rest is a prefix.
		if badW != badS || len(whole) != len(split) || !bytes.HasPrefix(restW, restS) || (!badW && !bytes.Equal(restW, restS)) {
			t.Fatalf("whole: %d packets rest %x bad %v; split: %d packets rest %x bad %v", len(whole), restW, badW, len(split), restS, badS)
		}
		for i := range whole {
			if !bytes.Equal(whole[i], split[i]) {
				t.Fatalf("packet %d differs", i)
			}
		}
	})
}

// facts is what the facts-only mode must reproduce exactly.
func facts(p *Packet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %v %v rl=%d miss=%d info=%q id=%d qos=%d r=%v d=%v topic=%q filters=%q client=%q reason=%d payload=%d malformed=%v\n",
		p.Type, p.Flags, p.Version, p.VersionSource, p.RemainingLength, p.Missing, p.InfoText(), p.PacketID, p.QoS,
		p.Retain, p.Dup, p.Topic, p.Filters, p.ClientID, p.Reason, p.Payload, p.Malformed)
	for _, e := range p.Experts() {
		fmt.Fprintf(&b, "%s\n", e)
	}
	return b.String()
}

// checkFactsOnly dissects raw twice on fresh sessions, with and without the
// tree, and compares the facts.
func checkFactsOnly(t testing.TB, v Version, raw []byte) {
	t.Helper()
	full := NewSession(v)
	lite := NewSession(v)
	lite.FactsOnly = true
	for i := 0; i < 2; i++ {
		want := facts(full.Dissect(raw, ToServer))
		got := facts(lite.Dissect(raw, ToServer))
		if want != got {
			t.Fatalf("facts-only differs for % x:\nfull: %s\nlite: %s", raw, want, got)
		}
	}
}

func TestFactsOnlyMatchesFull(t *testing.T) {
	for _, c := range cases {
		for _, v := range []Version{VersionUnknown, V31, V311, V5} {
			checkFactsOnly(t, v, mustHex(t, c.hex))
		}
	}
}

func FuzzFactsOnly(f *testing.F) {
	for _, c := range cases {
		f.Add(byte(5), mustHex(f, c.hex))
		f.Add(byte(0), mustHex(f, c.hex))
	}
	f.Fuzz(func(t *testing.T, v byte, raw []byte) {
		checkFactsOnly(t, Version(v%6), raw)
	})
}

// FuzzTinyBudget dissects with a budget of a few nodes and findings, so
// every list is cut: the tree invariants hold, the kept tree and findings
// stay within the budget, and the facts-only mode agrees.
func FuzzTinyBudget(f *testing.F) {
	for _, c := range cases {
		f.Add(byte(5), byte(6), byte(1), mustHex(f, c.hex))
	}
	f.Fuzz(func(t *testing.T, v, nodes, findings byte, raw []byte) {
		mk := func(facts bool) *Session {
			s := NewSession(Version(v % 6))
			s.MaxNodes, s.MaxFindings, s.FactsOnly = int(nodes%32)+1, int(findings%4)+1, facts
			return s
		}
		p := mk(false).Dissect(raw, ToServer)
		if err := p.Check(); err != nil {
			t.Fatalf("invariants for % x: %v", raw, err)
		}
		if n := len(p.Experts()); n > int(findings%4)+1+4 {
			t.Fatalf("%d findings over a budget of %d", n, findings%4+1)
		}
		if want, got := facts(p), facts(mk(true).Dissect(raw, ToServer)); want != got {
			t.Fatalf("facts-only differs for % x:\nfull: %s\nlite: %s", raw, want, got)
		}
	})
}
