package render

import (
	"encoding/hex"
	"strconv"

	"github.com/mqttdump/mqttdump/dissect"
)

// noDef stands in for a missing definition so a damaged tree still prints.
var noDef = &dissect.FieldDef{Name: "?"}

func defOf(n *dissect.Node) *dissect.FieldDef {
	if n.Def == nil {
		return noDef
	}
	return n.Def
}

// isBitField is Node.IsBitField, safe for a nil Def.
func isBitField(n *dissect.Node) bool { return n.Def != nil && n.Def.Mask != 0 }

// hasTreeChildren reports whether n has children of its own bytes (not bit
// groups): such a node is drawn as a header over them.
func hasTreeChildren(n *dissect.Node) bool {
	for _, c := range n.Children {
		if c != nil && !isBitField(c) {
			return true
		}
	}
	return false
}

// nodeText is Node.Text without panicking on a nil Def.
func nodeText(n *dissect.Node) string {
	if n.Def == nil {
		return noDef.Name + ": " + valueTextSafe(n)
	}
	return n.Text()
}

func valueTextSafe(n *dissect.Node) string {
	if n.Def == nil {
		if n.Show != "" {
			return n.Show
		}
		switch v := n.Value.(type) {
		case uint64:
			return strconv.FormatUint(v, 10)
		case string:
			return v
		}
		return ""
	}
	return n.ValueText()
}

// span returns the node's bytes clipped to what its data source holds:
// raw (the packet) or the unpacked bytes the node points into.
func span(raw []byte, n *dissect.Node) []byte {
	if n.Source != nil {
		raw = n.Source.Data
	}
	start, end := n.Offset, n.Offset+n.Length
	if n.Length <= 0 || start < 0 || start >= len(raw) {
		return nil
	}
	if end > len(raw) || end < start {
		end = len(raw)
	}
	return raw[start:end]
}

// orEmpty lets a nil packet print as an empty one rather than panic.
func orEmpty(pk *dissect.Packet) *dissect.Packet {
	if pk == nil {
		return &dissect.Packet{}
	}
	return pk
}

// appendNodeText appends what Node.Text returns, without allocating: JSON
// writes it for every node of every packet. TestAppendNodeTextMatches keeps
// the two in step.
func appendNodeText(dst []byte, n *dissect.Node) []byte {
	d := defOf(n)
	if n.Def == nil || !simpleValue(n.Value) {
		return append(dst, nodeText(n)...)
	}
	dst = append(dst, d.Name...)
	if d.Kind == dissect.KindNone && n.Show == "" && emptyValue(n.Value) {
		return dst
	}
	dst = append(dst, ": "...)
	if n.Show != "" {
		return append(dst, n.Show...)
	}
	switch v := n.Value.(type) {
	case bool:
		return append(dst, d.BoolText(v)...)
	case string:
		return append(dst, v...)
	case []byte:
		return hex.AppendEncode(dst, v)
	case uint64:
		label, ok := d.Label(v)
		if ok {
			dst = append(dst, label...)
			dst = append(dst, " ("...)
		}
		if d.Base == dissect.BaseHex {
			w := 2
			if d.Bits > 0 {
				w = (d.Bits + 3) / 4
			}
			dst = append(dst, "0x"...)
			dst = appendHexMin(dst, v, w)
		} else {
			dst = strconv.AppendUint(dst, v, 10)
		}
		if ok {
			dst = append(dst, ')')
		}
	}
	return dst
}

// emptyValue reports whether the value's text is empty.
func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []byte:
		return len(x) == 0
	}
	return false
}

// simpleValue reports whether appendNodeText knows the value's type.
func simpleValue(v any) bool {
	switch v.(type) {
	case nil, bool, string, []byte, uint64:
		return true
	}
	return false
}

// appendHexMin writes v in lowercase hex, zero-padded to at least w digits
// (fmt's "%0*x").
func appendHexMin(dst []byte, v uint64, w int) []byte {
	digits := 1
	for x := v >> 4; x != 0; x >>= 4 {
		digits++
	}
	return appendHexN(dst, v, max(digits, w))
}
