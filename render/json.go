package render

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/hexenc"
)

// JSON writes the packet as one NDJSON line. The encoder is hand-written
// over a reused buffer: it runs once per packet on large captures.
func (p *Printer) JSON(pk *dissect.Packet, m *Meta) error {
	pk = orEmpty(pk)
	b := append(p.buf, '{')
	if m != nil {
		b = append(b, `"frame":`...)
		b = strconv.AppendInt(b, int64(m.Frame), 10)
		b = append(b, `,"time":"`...)
		b = m.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","time_relative":`...)
		b = appendSecondsN(b, m.Rel, 9)
		b = append(b, `,"src":`...)
		b = appendJSONAddr(b, m.Src)
		b = append(b, `,"dst":`...)
		b = appendJSONAddr(b, m.Dst)
		b = append(b, `,"stream":`...)
		b = strconv.AppendInt(b, int64(m.Stream), 10)
		b = append(b, ',')
		b = appendJSONTransport(b, m)
	}
	b = append(b, `"type":"`...)
	b = append(b, dissect.TypeKeyword(pk.Type)...)
	b = append(b, `","type_code":`...)
	b = strconv.AppendUint(b, uint64(pk.Type), 10)
	b = append(b, `,"version":"`...)
	b = append(b, pk.Version.String()...)
	b = append(b, `","version_source":"`...)
	if pk.Version == dissect.VersionUnknown {
		b = append(b, "none"...)
	} else {
		b = append(b, pk.VersionSource.String()...)
	}
	b = append(b, `","length":`...)
	b = strconv.AppendInt(b, int64(len(pk.Raw)+max(pk.Missing, 0)), 10)
	b = append(b, `,"raw":"`...)
	p.raw, p.rawHex = nil, p.rawHex[:0]
	if len(pk.Raw) <= maxRawHex {
		p.raw, p.rawHex = pk.Raw, hexenc.AppendEncode(p.rawHex, pk.Raw)
		b = append(b, p.rawHex...)
	} else {
		b = p.appendHexSpill(b, pk.Raw)
	}
	b = append(b, `","summary":`...)
	p.tmp = p.appendSummary(p.tmp[:0], pk, false)
	b = appendJSONBytes(b, p.tmp)
	b = append(b, `,"fields":[`...)
	first := true
	for _, n := range pk.Fields {
		if n == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = p.appendJSONNode(b, n)
	}
	b = append(b, `],"expert":[`...)
	b = p.spill(b)
	first = true
	for _, n := range pk.Fields {
		if n != nil {
			b = appendJSONExperts(b, n, &first)
		}
	}
	b = append(b, ']')
	if m != nil {
		b = appendJSONAnalysis(b, m.Analysis)
	}
	if pk.Missing > 0 {
		b = append(b, `,"missing":`...)
		b = strconv.AppendInt(b, int64(pk.Missing), 10)
	}
	p.buf = append(b, "}\n"...)
	p.raw = nil // the packet's bytes are the caller's again
	return p.flush("json")
}

func (p *Printer) appendJSONNode(b []byte, n *dissect.Node) []byte {
	b = append(b, p.jsonHead(defOf(n))...)
	b = strconv.AppendInt(b, int64(n.Offset), 10)
	b = append(b, `,"length":`...)
	b = strconv.AppendInt(b, int64(n.Length), 10)
	b = append(b, `,"value":`...)
	switch v := n.Value.(type) {
	case nil:
		b = append(b, "null"...)
	case uint64:
		b = strconv.AppendUint(b, v, 10)
	case bool:
		b = strconv.AppendBool(b, v)
	case string:
		b = appendJSONString(b, v)
	case []byte:
		b = append(b, '"')
		b = p.appendValueHex(b, n, v)
		b = append(b, '"')
	default:
		b = appendJSONString(b, valueTextSafe(n))
	}
	b = append(b, `,"show":`...)
	if v, ok := n.Value.([]byte); ok && n.Show == "" && n.Def != nil && len(v) > 0 {
		// "Name: hex" streamed: a value can be megabytes.
		b = appendJSONString(b, n.Def.Name)
		b = append(b[:len(b)-1], ": "...)
		b = p.appendValueHex(b, n, v)
		b = append(b, '"')
	} else {
		p.tmp = appendNodeText(p.tmp[:0], n)
		b = appendJSONBytes(b, p.tmp)
	}
	if n.Generated {
		b = append(b, `,"generated":true`...)
	}
	if n.Source != nil {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, n.Source.Name)
	}
	if n.PropID != 0 {
		b = append(b, `,"property_id":`...)
		b = strconv.AppendInt(b, int64(n.PropID), 10)
	}
	if len(n.Children) > 0 {
		b = append(b, `,"children":[`...)
		first := true
		for _, c := range n.Children {
			if c == nil {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = p.appendJSONNode(b, c)
		}
		b = append(b, ']')
	}
	return p.spill(append(b, '}'))
}

// jsonHead is the start of a node's JSON object up to its offset,
// `{"name":"Topic","abbrev":"mqtt.topic","offset":`, made once per field:
// escaping the two names of every node was a twentieth of -T json. The
// cache is bounded (payload decoders may make fields of their own).
func (p *Printer) jsonHead(d *dissect.FieldDef) string {
	if h, ok := p.heads[d]; ok {
		return h
	}
	if p.heads == nil || len(p.heads) >= maxJSONHeads {
		p.heads = make(map[*dissect.FieldDef]string)
	}
	b := appendJSONString([]byte(`{"name":`), d.Name)
	b = append(b, `,"abbrev":`...)
	b = appendJSONString(b, d.Abbrev)
	h := string(append(b, `,"offset":`...))
	p.heads[d] = h
	return h
}

const maxJSONHeads = 4096

// maxRawHex bounds the packet size whose hex is kept for its values.
const maxRawHex = 1 << 20

// appendValueHex appends the hex of n's bytes v: copied from the packet's
// hex when v is the packet's own bytes at n's span (a payload is a third
// of a PUBLISH's JSON three times over), else encoded.
func (p *Printer) appendValueHex(b []byte, n *dissect.Node, v []byte) []byte {
	if len(v) > 0 && n.Source == nil && len(p.raw) > 0 && n.Offset >= 0 && n.Offset+len(v) <= len(p.raw) && &p.raw[n.Offset] == &v[0] {
		return p.spill(append(b, p.rawHex[2*n.Offset:2*(n.Offset+len(v))]...))
	}
	return p.appendHexSpill(b, v)
}

// appendHexSpill appends v as lowercase hex in slices, spilling between
// them, so a 16 MB value never needs one 32 MB buffer.
func (p *Printer) appendHexSpill(b, v []byte) []byte {
	const chunk = 16 << 10
	for len(v) > 0 {
		n := min(len(v), chunk)
		b = hexenc.AppendEncode(b, v[:n])
		b = p.spill(b)
		v = v[n:]
	}
	return b
}

// appendJSONExperts writes n's findings and its descendants', parents first
// (the order of Packet.Experts).
func appendJSONExperts(b []byte, n *dissect.Node, first *bool) []byte {
	for _, e := range n.Expert {
		if e == nil {
			continue
		}
		if !*first {
			b = append(b, ',')
		}
		*first = false
		b = append(b, `{"id":`...)
		b = appendJSONString(b, e.ID)
		b = append(b, `,"severity":"`...)
		b = append(b, severityLevel(e.Severity)...)
		b = append(b, `","group":"`...)
		b = append(b, e.Severity.Group()...)
		// Wireshark's names for the same: expert severity and group.
		b = append(b, `","ws_severity":"`...)
		b = append(b, e.Severity.Level()...)
		b = append(b, `","ws_group":`...)
		b = appendJSONString(b, e.WSGroup())
		b = append(b, `,"message":`...)
		b = appendJSONString(b, e.Message)
		b = append(b, `,"spec":`...)
		b = appendJSONString(b, e.Spec)
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, int64(e.Offset), 10)
		b = append(b, `,"length":`...)
		b = strconv.AppendInt(b, int64(e.Length), 10)
		b = append(b, '}')
	}
	for _, c := range n.Children {
		if c != nil {
			b = appendJSONExperts(b, c, first)
		}
	}
	return b
}

// severityLevel is Wireshark's expert severity for a finding's group.
func severityLevel(s dissect.Severity) string {
	switch s {
	case dissect.SevMalformed:
		return "error"
	case dissect.SevProtocol:
		return "warning"
	}
	return "note"
}

// appendJSONAddr writes an address as a JSON string.
func appendJSONAddr(b []byte, a netip.AddrPort) []byte {
	if !a.IsValid() || a.Addr().Zone() != "" {
		return appendJSONString(b, a.String())
	}
	b = append(b, '"')
	b = appendAddr(b, a) // IPv4 written directly
	return append(b, '"')
}

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
// Besides what JSON requires, everything a terminal or a text viewer could
// act on is escaped as \u....: DEL, the C1 controls (U+0080-U+009F, CSI
// U+009B, NEL U+0085), bidi marks, embeddings, overrides and isolates, the
// BOM and the line and paragraph separators. The text stays exact.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = printableRun(s, i, '"', '\\'); i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			b = appendJSONEscape(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || jsonEscapeRune(r) {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u`...)
				b = appendHexN(b, uint64(r), 4)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONBytes is appendJSONString for a byte slice (no copy to string).
func appendJSONBytes(b, s []byte) []byte {
	return appendJSONString(b, unsafeString(s))
}

func appendJSONEscape(b []byte, c byte) []byte {
	switch c {
	case '"':
		return append(b, '\\', '"')
	case '\\':
		return append(b, '\\', '\\')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	b = append(b, `\u00`...)
	return append(b, hexDigits[c>>4], hexDigits[c&0xf])
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use (it is only read by appendJSONString).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// jsonEscapeRune reports whether r is written as \u.... though JSON allows
// it raw: invisible controls that change how a terminal or viewer shows
// the text around them.
func jsonEscapeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // embeddings, overrides, isolates
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}
