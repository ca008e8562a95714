package render

import (
	"cmp"
	"slices"

	"github.com/mqttdump/mqttdump/dissect"
)

// Layout of a breakdown line:
//
//	 0000  10                          Header Flags: 0x10, Message Type: Connect Command
//	^off   ^bytes (9 fit)             ^text, 2 more spaces per tree level
const (
	inlineBytes = 9                 // longest value drawn on its field's line
	bytesWidth  = inlineBytes*3 - 1 // "xx xx ... xx"
	// Continuation rows of a long value hold as many bytes as the bytes
	// column, so the text column never moves, whatever the value's length.
	rowBytes   = inlineBytes
	rowWidth   = bytesWidth
	indentStep = 2 // spaces per tree level
	gapWidth   = 2 // between columns
)

// breakdown is the state of one Breakdown call.
type breakdown struct {
	p       *Printer
	raw     []byte
	offW    int // hex digits in the offset column
	covered int // end of the furthest leaf seen, for the "not dissected" tail
}

// Breakdown writes the annotated byte-by-byte tree of the packet.
func (p *Printer) Breakdown(pk *dissect.Packet) error {
	pk = orEmpty(pk)
	total := len(pk.Raw) + max(pk.Missing, 0)
	for _, ds := range pk.Sources {
		if ds != nil {
			total = max(total, len(ds.Data))
		}
	}
	b := &breakdown{p: p, raw: pk.Raw, offW: offsetWidth(total)}
	p.buf = b.appendTitle(p.buf, pk)
	for _, n := range pk.Fields {
		if n != nil {
			b.node(n, 0)
		}
	}
	if b.covered < len(b.raw) {
		b.tail()
	}
	p.appendIncomplete(pk)
	return p.flush("breakdown")
}

// offsetWidth is 4 hex digits, more for packets past 64 KiB.
func offsetWidth(total int) int {
	w := 4
	for total > 1<<(4*w) && w < 16 {
		w++
	}
	return w
}

// appendTitle writes "MQTT Connect Command (v3.1.1), 40 bytes".
func (b *breakdown) appendTitle(dst []byte, pk *dissect.Packet) []byte {
	pal := &b.p.pal
	dst = append(dst, pal.title.pre...)
	dst = append(dst, "MQTT "...)
	dst = append(dst, dissect.TypeName(pk.Type)...)
	dst = append(dst, " ("...)
	dst = appendVersion(dst, pk.Version)
	dst = append(dst, "), "...)
	dst = appendByteCount(dst, len(pk.Raw)+max(pk.Missing, 0))
	dst = append(dst, pal.title.post...)
	if pk.VersionSource == dissect.SourceGuess {
		dst = append(dst, ", version guessed"...)
	}
	if pk.Missing > 0 {
		dst = append(dst, ", "...)
		dst = append(dst, pal.malformed.pre...)
		dst = append(dst, "incomplete: "...)
		dst = appendMoreBytes(dst, pk.Missing)
		dst = append(dst, " expected"...)
		dst = append(dst, pal.malformed.post...)
	}
	return append(dst, '\n')
}

// node draws n and its subtree at tree depth.
func (b *breakdown) node(n *dissect.Node, depth int) {
	p := b.p
	switch {
	case n.Generated:
		p.buf = b.textColumn(p.buf, depth)
		p.buf = append(p.buf, p.pal.generated.pre...)
		p.buf = append(p.buf, '[')
		p.buf = p.appendNodeText(p.buf, n)
		p.buf = append(p.buf, ']')
		p.buf = append(p.buf, p.pal.generated.post...)
		p.buf = append(p.buf, '\n')
	case hasTreeChildren(n):
		// a container: its bytes are drawn by its children; its text may
		// repeat a long value (a property's data), so it obeys the limit.
		// The bytes of a sparse one (JSON punctuation) count as seen.
		if end := n.Offset + n.Length; n.Source == nil && n.Def != nil && n.Def.Sparse && end > b.covered {
			b.covered = min(end, len(b.raw))
		}
		p.buf = b.textColumn(p.buf, depth)
		p.buf = b.appendCut(p.buf, nodeText(n), len(defOf(n).Name)+2)
		p.buf = append(p.buf, '\n')
	default:
		b.leaf(n, depth)
	}
	var buf [8]*dissect.Node
	for _, c := range bitChildren(n, buf[:0]) {
		b.bitLine(c, depth+1)
	}
	b.experts(n, depth+1)
	for _, c := range n.Children {
		if c != nil && !isBitField(c) {
			b.node(c, depth+1)
		}
	}
	p.buf = p.spill(p.buf)
}

// leaf draws a field with bytes: on one line when short, else a header
// line and rows of 16 bytes, cut after MaxValueBytes.
func (b *breakdown) leaf(n *dissect.Node, depth int) {
	p := b.p
	bs := span(b.raw, n)
	if end := n.Offset + len(bs); len(bs) > 0 && end > b.covered && n.Source == nil {
		b.covered = end
	}
	limit := p.o.MaxValueBytes
	if len(bs) <= inlineBytes && (limit == 0 || len(bs) <= limit) {
		p.buf = b.offsetColumn(p.buf, n.Offset, true)
		p.buf = b.hexColumn(p.buf, bs, bytesWidth)
		p.buf = appendIndent(p.buf, depth)
		p.buf = b.leafText(p.buf, n, false)
		p.buf = append(p.buf, '\n')
		return
	}
	p.buf = b.textColumn(p.buf, depth)
	p.buf = b.leafText(p.buf, n, true)
	p.buf = append(p.buf, '\n')
	b.rows(n.Offset, bs, depth)
}

// leafText is the field's text; long or binary values get a byte count and
// an escaped text preview when the bytes read as text.
func (b *breakdown) leafText(dst []byte, n *dissect.Node, long bool) []byte {
	d := defOf(n)
	if n.Show != "" {
		return b.p.appendNodeText(dst, n) // a label, not a wire value
	}
	limit := b.p.o.MaxValueBytes
	switch v := n.Value.(type) {
	case string:
		dst = appendEscaped(dst, d.Name)
		dst = append(dst, ": "...)
		if v == "" {
			return append(dst, `""`...) // visible, and no trailing blank
		}
		s, whole := cutUTF8(v, limit)
		dst = appendEscaped(dst, s)
		if !whole {
			dst = append(dst, "…"...)
		}
		return dst
	case []byte:
		dst = appendEscaped(dst, d.Name)
		dst = append(dst, ": "...)
		if long {
			dst = appendByteCount(dst, len(v))
		} else {
			dst = append(dst, valueTextSafe(n)...)
		}
		if looksLikeText(v) {
			s, whole := cutUTF8Bytes(v, limit)
			dst = append(dst, " \""...)
			dst = appendEscaped(dst, s)
			if !whole {
				dst = append(dst, "…"...)
			}
			dst = append(dst, '"')
		}
		return dst
	}
	return b.p.appendNodeText(dst, n)
}

// rows draws bs as hex rows with their ASCII in the text column, stopping
// at MaxValueBytes with a "… N more bytes" row.
func (b *breakdown) rows(off int, bs []byte, depth int) {
	p := b.p
	show := bs
	if limit := p.o.MaxValueBytes; limit > 0 && len(bs) > limit {
		show = bs[:limit]
	}
	for i := 0; i < len(show); i += rowBytes {
		row := show[i:min(i+rowBytes, len(show))]
		p.buf = b.offsetColumn(p.buf, off+i, true)
		p.buf = b.hexColumn(p.buf, row, rowWidth)
		p.buf = appendIndent(p.buf, depth+1)
		p.buf = appendASCII(p.buf, row)
		p.buf = append(p.buf, '\n')
		p.buf = p.spill(p.buf)
	}
	if rest := len(bs) - len(show); rest > 0 {
		p.buf = b.offsetColumn(p.buf, 0, false)
		p.buf = append(p.buf, p.pal.cut.pre...)
		p.buf = append(p.buf, "… "...)
		p.buf = appendMoreBytes(p.buf, rest)
		p.buf = append(p.buf, p.pal.cut.post...)
		p.buf = append(p.buf, '\n')
	}
}

// tail draws bytes no leaf covered, so nothing on the wire goes unseen.
func (b *breakdown) tail() {
	p := b.p
	rest := b.raw[b.covered:]
	p.buf = b.textColumn(p.buf, 0)
	p.buf = append(p.buf, p.pal.protocol.pre...)
	p.buf = append(p.buf, "[Not dissected: "...)
	p.buf = appendByteCount(p.buf, len(rest))
	p.buf = append(p.buf, ']')
	p.buf = append(p.buf, p.pal.protocol.post...)
	p.buf = append(p.buf, '\n')
	b.rows(b.covered, rest, 0)
}

// bitLine draws "                                     ...0 0... = QoS Level: ...".
func (b *breakdown) bitLine(n *dissect.Node, depth int) {
	p := b.p
	p.buf = b.textColumn(p.buf, depth)
	p.buf = append(p.buf, p.pal.bits.pre...)
	p.buf = appendBitPattern(p.buf, n)
	p.buf = append(p.buf, p.pal.bits.post...)
	p.buf = append(p.buf, " = "...)
	p.buf = p.appendNodeText(p.buf, n)
	p.buf = append(p.buf, '\n')
	b.experts(n, depth+1)
	for _, c := range n.Children {
		if c != nil {
			b.node(c, depth+1)
		}
	}
}

// experts draws n's findings: "[protocol] Reserved bit set (MQTT-3.1.2-3)".
func (b *breakdown) experts(n *dissect.Node, depth int) {
	p := b.p
	for _, e := range n.Expert {
		if e == nil {
			continue
		}
		c := p.severityPaint(e.Severity)
		p.buf = b.textColumn(p.buf, depth)
		p.buf = append(p.buf, c.pre...)
		p.buf = append(p.buf, '[')
		p.buf = append(p.buf, e.Severity.Group()...)
		p.buf = append(p.buf, "] "...)
		p.buf = appendEscaped(p.buf, e.Message)
		if e.Spec != "" {
			p.buf = append(p.buf, " ("...)
			p.buf = appendEscaped(p.buf, e.Spec)
			p.buf = append(p.buf, ')')
		}
		p.buf = append(p.buf, c.post...)
		p.buf = append(p.buf, '\n')
	}
}

// offsetColumn writes " 0000  " (or blanks of the same width when !show).
func (b *breakdown) offsetColumn(dst []byte, off int, show bool) []byte {
	dst = append(dst, ' ')
	if !show {
		return appendSpaces(dst, b.offW+gapWidth)
	}
	pal := &b.p.pal
	dst = append(dst, pal.offset.pre...)
	dst = appendHexN(dst, uint64(max(off, 0)), b.offW)
	dst = append(dst, pal.offset.post...)
	return appendSpaces(dst, gapWidth)
}

// hexColumn writes bs as "xx xx xx" padded to width plus the column gap.
func (b *breakdown) hexColumn(dst []byte, bs []byte, width int) []byte {
	pal := &b.p.pal
	dst = append(dst, pal.bytes.pre...)
	for i, c := range bs {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	dst = append(dst, pal.bytes.post...)
	used := len(bs)*3 - 1
	if len(bs) == 0 {
		used = 0
	}
	return appendSpaces(dst, width-used+gapWidth)
}

// textColumn writes the blank columns of a line that has no bytes.
func (b *breakdown) textColumn(dst []byte, depth int) []byte {
	dst = appendSpaces(dst, 1+b.offW+gapWidth+bytesWidth+gapWidth)
	return appendIndent(dst, depth)
}

func appendIndent(dst []byte, depth int) []byte {
	return appendSpaces(dst, depth*indentStep)
}

func appendSpaces(dst []byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, ' ')
	}
	return dst
}

// appendASCII writes the printable-ASCII column of a hex row.
func appendASCII(dst []byte, bs []byte) []byte {
	for _, c := range bs {
		if c >= 0x20 && c < 0x7f {
			dst = append(dst, c)
		} else {
			dst = append(dst, '.')
		}
	}
	return dst
}

// bitChildren returns n's bit groups from the high bits down, so every
// flags byte reads left to right like its bit pattern.
func bitChildren(n *dissect.Node, out []*dissect.Node) []*dissect.Node {
	for _, c := range n.Children {
		if c != nil && isBitField(c) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *dissect.Node) int { return cmp.Compare(b.Def.Mask, a.Def.Mask) })
	return out
}

// appendCut appends the escaped text, cut with "…" once it runs past keep
// bytes plus twice MaxValueBytes (room for a value shown as hex; never
// under 64 so short limits still leave a readable label).
func (b *breakdown) appendCut(dst []byte, text string, keep int) []byte {
	limit := b.p.o.MaxValueBytes
	if limit == 0 {
		return appendEscaped(dst, text)
	}
	s, whole := cutUTF8(text, keep+max(2*limit, 64))
	dst = appendEscaped(dst, s)
	if !whole {
		dst = append(dst, "…"...)
	}
	return dst
}

// appendIncomplete ends the view of a packet cut short with how many bytes
// its header promised but the input did not hold.
func (p *Printer) appendIncomplete(pk *dissect.Packet) {
	if pk.Missing <= 0 {
		return
	}
	p.buf = append(p.buf, p.pal.malformed.pre...)
	p.buf = append(p.buf, "incomplete: "...)
	p.buf = appendMoreBytes(p.buf, pk.Missing)
	p.buf = append(p.buf, " expected"...)
	p.buf = append(p.buf, p.pal.malformed.post...)
	p.buf = append(p.buf, '\n')
}
