package render

import (
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
