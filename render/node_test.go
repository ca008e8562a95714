package render

import (
	"io"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

// TestAppendNodeTextMatches keeps the allocation-free text in step with
// Node.Text over every node of the example trees and odd values.
func TestAppendNodeTextMatches(t *testing.T) {
	hexDef := &dissect.FieldDef{Name: "H", Kind: dissect.KindUint, Base: dissect.BaseHex}
	hex16 := &dissect.FieldDef{Name: "H16", Kind: dissect.KindUint, Base: dissect.BaseHex, Bits: 16, Labels: map[uint64]string{0xab: "ab"}}
	odd := []*dissect.Node{
		{Def: hexDef, Value: uint64(0x1234)},
		{Def: hexDef, Value: uint64(5)},
		{Def: hex16, Value: uint64(0xab)},
		{Def: hex16, Value: uint64(0x12345)},
		{Def: dProps, Value: ""},
		{Def: dProps, Value: []byte{}},
		{Def: dProps, Show: "shown"},
		{Def: dMsg, Value: []byte{}},
		{Def: dMsg},
		{Def: dTopic, Value: ""},
		{Def: dTopic, Value: 42}, // unexpected type: falls back to Text
		{Def: dRetain, Value: false},
	}
	var all []*dissect.Node
	for _, pk := range []*dissect.Packet{connectExample(t), publishExample(t), publish5Example(t), malformedExample(t)} {
		for _, f := range pk.Fields {
			f.Walk(func(n *dissect.Node) { all = append(all, n) })
		}
	}
	for _, n := range append(all, odd...) {
		if got, want := string(appendNodeText(nil, n)), n.Text(); got != want {
			t.Errorf("appendNodeText = %q, Node.Text = %q", got, want)
		}
	}
}

// appendNodeText writes what escaping Node.Text writes, for every node of
// a packet whose strings need escaping and of one whose do not.
func TestAppendNodeTextMatchesText(t *testing.T) {
	// PUBLISH QoS 0, topic "a\x1b[31mb\\", payload "hi\n"; then topic "ok".
	for _, raw := range [][]byte{
		{0x30, 0x0e, 0x00, 0x09, 'a', 0x1b, '[', '3', '1', 'm', 'b', '\\', 0xff, 'h', 'i', '\n'},
		{0x30, 0x06, 0x00, 0x02, 'o', 'k', 'h', 'i'},
	} {
		pk := dissect.NewSession(dissect.V311).Dissect(raw, dissect.ToServer)
		p := New(io.Discard, Options{})
		var walk func(ns []*dissect.Node)
		walk = func(ns []*dissect.Node) {
			for _, n := range ns {
				if n == nil {
					continue
				}
				want := string(appendEscaped([]byte("x"), nodeText(n)))
				if got := string(p.appendNodeText([]byte("x"), n)); got != want {
					t.Errorf("appendNodeText = %q, want %q", got, want)
				}
				walk(n.Children)
			}
		}
		walk(pk.Fields)
	}
}
