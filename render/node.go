package render

import "github.com/mqttdump/mqttdump/dissect"

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

// nodeText and valueTextSafe are dissect's formatter (which is safe for a
// nil Def): every view prints a node the same way.
func nodeText(n *dissect.Node) string { return n.Text() }

// appendNodeText appends n's display line, escaped, without the string
// nodeText allocates: written in place, and escaped from a copy only when
// it needs escaping (rarely).
func (p *Printer) appendNodeText(dst []byte, n *dissect.Node) []byte {
	start := len(dst)
	dst = n.AppendText(dst)
	if !needsEscape(unsafeString(dst[start:])) {
		return dst
	}
	p.text = append(p.text[:0], dst[start:]...)
	return appendEscaped(dst[:start], string(p.text))
}

func valueTextSafe(n *dissect.Node) string { return n.ValueText() }

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

// appendNodeText is dissect's allocation-free node text.
func appendNodeText(dst []byte, n *dissect.Node) []byte { return n.AppendText(dst) }
