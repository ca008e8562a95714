// Package dissect turns the bytes of one MQTT control packet (plus the
// per-connection session state) into a field tree in which every node knows
// the bytes it came from. It does no I/O and knows nothing of capture files,
// colour or output formats.
package dissect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mqttdump/mqttdump/internal/hexenc"
)

// Kind is the type of value a field carries.
type Kind uint8

const (
	KindNone   Kind = iota // container or marker: no value of its own
	KindUint               // unsigned integer (also masked bit groups)
	KindBool               // one flag bit
	KindString             // UTF-8 text from the wire
	KindBytes              // binary data, shown as hex
)

func (k Kind) String() string {
	switch k {
	case KindUint:
		return "uint"
	case KindBool:
		return "bool"
	case KindString:
		return "string"
	case KindBytes:
		return "bytes"
	}
	return "none"
}

// Base says how an integer is shown.
type Base uint8

const (
	BaseDec Base = iota
	BaseHex
)

// FieldDef is declared once per field in a table (fields.go); nodes point at it.
type FieldDef struct {
	Name   string // display name, "Keep Alive"
	Abbrev string // Wireshark display-filter name, "mqtt.kalive"
	Kind   Kind
	Base   Base
	// Bits is the width of the integer a masked field lives in (8, 16, 32);
	// zero for fields that are not bit groups.
	Bits int
	Mask uint64
	// Width is the size in bits of an integer's wire type (8, 16, 32; 64
	// for a variable byte integer), for -G fields and range checks.
	Width int
	// Varint marks a variable byte integer (5.0 §1.5.5): remaining length,
	// property length, subscription identifier.
	Varint bool
	// Labels names integer values (packet types, QoS, reason codes).
	Labels map[uint64]string
	// True and False name a flag's two states; empty means "Set"/"Not set".
	True, False string
	// Sparse: the node's children need not cover all of its bytes (the
	// punctuation and white space between JSON tokens belong to no token).
	Sparse bool
}

// Label returns the name of v, if the field has one.
func (d *FieldDef) Label(v uint64) (string, bool) {
	if d.Labels == nil {
		return "", false
	}
	s, ok := d.Labels[v]
	return s, ok
}

// BoolText names a flag state.
func (d *FieldDef) BoolText(b bool) string {
	if b {
		if d.True != "" {
			return d.True
		}
		return "Set"
	}
	if d.False != "" {
		return d.False
	}
	return "Not set"
}

// Node is one decoded field instance.
type Node struct {
	Def    *FieldDef
	Offset int // from the first byte of the MQTT packet
	Length int // bytes covered; bit-group children share their parent's bytes
	// Value is uint64, bool, string, []byte or nil (containers).
	Value any
	// Show overrides the value text when the default rendering would be
	// wrong or unhelpful ("" = derive from Value and Def).
	Show string
	// Generated marks a value that is not on the wire (a topic resolved from
	// an alias); such a node has Length 0.
	Generated bool
	// PropID is the MQTT 5 property identifier for property nodes, else 0.
	PropID int
	// Source is the data source the node's Offset and Length point into:
	// nil for the packet itself, else bytes a payload decoder unpacked.
	Source   *DataSource
	Children []*Node
	Expert   []*Expert
}

// DataSource is bytes that are not on the wire as such but were unpacked
// from them (a decompressed payload). Nodes pointing into it have
// Node.Source set and offsets from its first byte.
type DataSource struct {
	Name string // "decompressed"
	Data []byte
}

// IsBitField reports whether the node is a bit group drawn over its parent's bytes.
func (n *Node) IsBitField() bool { return n.Def != nil && n.Def.Mask != 0 }

// ValueText is the value part of the node's display line, without the name:
// "60", "MQTT v3.1.1 (4)", "Set", "0xc2", "test/a", "01020a" (hex for bytes).
func (n *Node) ValueText() string { return string(n.AppendValueText(nil)) }

// Text is the node's display line: "Keep Alive: 60".
func (n *Node) Text() string { return string(n.AppendText(nil)) }

// AppendText appends the node's display line. It is the one text formatter
// of a node (breakdown, hex legend, JSON "show" all use it) and allocates
// nothing for the value types the decoder makes. A node without a
// definition (a damaged hand-built tree) is named "?".
func (n *Node) AppendText(dst []byte) []byte {
	d := n.def()
	dst = append(dst, d.Name...)
	if d.Kind == KindNone && n.Show == "" && emptyValue(n.Value) {
		return dst
	}
	dst = append(dst, ": "...)
	return n.AppendValueText(dst)
}

// AppendValueText appends what ValueText returns.
func (n *Node) AppendValueText(dst []byte) []byte {
	if n.Show != "" {
		return append(dst, n.Show...)
	}
	d := n.def()
	switch v := n.Value.(type) {
	case nil:
		return dst
	case bool:
		return append(dst, d.BoolText(v)...)
	case string:
		return append(dst, v...)
	case []byte:
		return hexenc.AppendEncode(dst, v)
	case uint64:
		label, ok := d.Label(v)
		if ok {
			dst = append(dst, label...)
			dst = append(dst, " ("...)
		}
		dst = d.AppendUint(dst, v)
		if ok {
			dst = append(dst, ')')
		}
		return dst
	}
	return fmt.Append(dst, n.Value)
}

// AppendUint writes v in the field's base, as tshark prints it: decimal,
// or "0x" and at least as many hex digits as the field's bit width needs.
func (d *FieldDef) AppendUint(dst []byte, v uint64) []byte {
	if d.Base != BaseHex {
		return strconv.AppendUint(dst, v, 10)
	}
	w := 2
	if d.Bits > 0 {
		w = (d.Bits + 3) / 4
	}
	digits := 1
	for x := v >> 4; x != 0; x >>= 4 {
		digits++
	}
	dst = append(dst, "0x"...)
	for i := max(digits, w) - 1; i >= 0; i-- {
		dst = append(dst, "0123456789abcdef"[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

// noDef stands in for a missing definition so a damaged tree still prints.
var noDef = &FieldDef{Name: "?"}

func (n *Node) def() *FieldDef {
	if n.Def == nil {
		return noDef
	}
	return n.Def
}

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

// Uint returns the value of an integer field (and of a flag, as 0 or 1).
func (n *Node) Uint() (uint64, bool) {
	switch v := n.Value.(type) {
	case uint64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Bool returns the value of a flag.
func (n *Node) Bool() (bool, bool) {
	v, ok := n.Value.(bool)
	return v, ok
}

// Str returns the value of a text field.
func (n *Node) Str() (string, bool) {
	v, ok := n.Value.(string)
	return v, ok
}

// Bytes returns the value of a binary field.
func (n *Node) Bytes() ([]byte, bool) {
	v, ok := n.Value.([]byte)
	return v, ok
}

// Walk calls fn for n and every descendant, depth first, parents before children.
// A nil node (a hand-built tree may hold one) is skipped.
func (n *Node) Walk(fn func(*Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Children {
		c.Walk(fn)
	}
}

// Severity of an expert finding.
type Severity uint8

const (
	SevNote      Severity = iota // worth knowing: version guessed, unknown alias
	SevProtocol                  // parsed, but the spec forbids it
	SevMalformed                 // cannot continue decoding
)

// Group is the name used in JSON and text output.
func (s Severity) Group() string {
	switch s {
	case SevProtocol:
		return "protocol"
	case SevMalformed:
		return "malformed"
	}
	return "note"
}

// Expert is a finding about the bytes, attached to the node it concerns.
type Expert struct {
	// ID is the stable id of the kind of finding (see ExpertIDs):
	// "mqtt.unknown_version", "mqtt.expert.invalid_utf8".
	ID       string
	Severity Severity
	// Message is plain text as found (wire text raw, not escaped): every
	// view escapes it once for its own output.
	Message string
	// Spec is the rule in the packet's version: a normative statement id,
	// "MQTT-3.1.2-3", or a section, "5.0 §2.2.2.2".
	Spec   string
	Offset int
	Length int

	ref *specRef // resolved into Spec once the packet's version is final
}

func (e *Expert) String() string {
	var b strings.Builder
	b.WriteString(e.Severity.Group())
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Spec != "" {
		b.WriteString(" [")
		b.WriteString(e.Spec)
		b.WriteString("]")
	}
	return b.String()
}
