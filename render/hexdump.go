package render

import (
	"slices"

	"github.com/mqttdump/mqttdump/dissect"
)

// annotWidth is how wide the field-name column of a hex row may grow
// before it continues on the next line.
const annotWidth = 60

// fieldStart is a leaf's first byte and name, for the hex annotations.
type fieldStart struct {
	off  int
	name string
}

// Hex writes a classic dump of the packet bytes, 16 to a row in two groups
// of 8 with an ASCII column, and names the fields that start in each row:
//
//	0000  10 26 00 04 4d 51 54 54  04 c2 00 3c 00 09 31 32  |.&..MQTT...<..12|  Header Flags, Msg Len, ...
//
// Bytes a payload decoder unpacked (a decompressed payload) follow as
// dumps of their own, with offsets from their first byte.
func (p *Printer) Hex(pk *dissect.Packet) error {
	pk = orEmpty(pk)
	p.hexRows(pk.Raw, collectStarts(pk, nil))
	p.appendIncomplete(pk)
	for _, ds := range pk.Sources {
		if ds == nil {
			continue
		}
		p.buf = append(p.buf, p.pal.title.pre...)
		p.buf = appendEscaped(p.buf, ds.Name)
		p.buf = append(p.buf, ", "...)
		p.buf = appendByteCount(p.buf, len(ds.Data))
		p.buf = append(p.buf, ':')
		p.buf = append(p.buf, p.pal.title.post...)
		p.buf = append(p.buf, '\n')
		p.hexRows(ds.Data, collectStarts(pk, ds))
	}
	return p.flush("hex dump")
}

// hexRows dumps raw with the names of the fields starting in each row.
func (p *Printer) hexRows(raw []byte, starts []fieldStart) {
	offW := offsetWidth(len(raw))
	next := 0 // index into starts
	for row := 0; row < len(raw); row += dumpRowBytes {
		bs := raw[row:min(row+dumpRowBytes, len(raw))]
		p.buf = append(p.buf, ' ')
		p.buf = append(p.buf, p.pal.offset.pre...)
		p.buf = appendHexN(p.buf, uint64(row), offW)
		p.buf = append(p.buf, p.pal.offset.post...)
		p.buf = append(p.buf, "  "...)
		p.buf = append(p.buf, p.pal.bytes.pre...)
		for i := 0; i < dumpRowBytes; i++ {
			if i == 8 {
				p.buf = append(p.buf, ' ')
			}
			if i < len(bs) {
				p.buf = append(p.buf, hexDigits[bs[i]>>4], hexDigits[bs[i]&0xf], ' ')
			} else {
				p.buf = append(p.buf, "   "...)
			}
		}
		p.buf = append(p.buf, p.pal.bytes.post...)
		p.buf = append(p.buf, " |"...)
		p.buf = appendASCII(p.buf, bs)
		p.buf = append(p.buf, '|')
		pad := dumpRowBytes - len(bs) // keeps the names of a short last row in column
		// fields starting in this row
		first := true
		lineLen := 0
		for next < len(starts) && starts[next].off < row+dumpRowBytes {
			s := starts[next]
			next++
			if s.off < row {
				continue
			}
			switch {
			case first:
				p.buf = appendSpaces(p.buf, pad+2)
				first = false
			case lineLen+2+len(s.name) > annotWidth:
				p.buf = append(p.buf, ",\n"...)
				p.buf = appendSpaces(p.buf, hexAnnotColumn(offW))
				lineLen = 0
			default:
				p.buf = append(p.buf, ", "...)
				lineLen += 2
			}
			p.buf = appendEscaped(p.buf, s.name)
			lineLen += len(s.name)
		}
		p.buf = append(p.buf, '\n')
	}
}

// collectStarts lists the leaves in data source src (nil: the packet)
// that own bytes, ordered by offset.
func collectStarts(pk *dissect.Packet, src *dissect.DataSource) []fieldStart {
	var out []fieldStart
	var walk func(n *dissect.Node)
	walk = func(n *dissect.Node) {
		if n == nil || n.Generated || isBitField(n) {
			return
		}
		if n.Source != src {
			for _, c := range n.Children {
				walk(c)
			}
			return
		}
		if !hasTreeChildren(n) || n.PropID != 0 || !hasChildIn(n, src) {
			// a property is named as a whole: "ID, Value" says nothing
			if n.Length > 0 && n.Offset >= 0 {
				out = append(out, fieldStart{n.Offset, defOf(n).Name})
			}
			return
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, n := range pk.Fields {
		walk(n)
	}
	slices.SortStableFunc(out, func(a, b fieldStart) int { return a.off - b.off })
	return out
}

// dumpRowBytes is the width of a hex dump row, as in xxd and Wireshark.
const dumpRowBytes = 16

// hexAnnotColumn is where field names start: " 0000  " + 16 "xx " + the
// group gap + " |" + 16 ASCII + "|  ".
func hexAnnotColumn(offW int) int {
	return 1 + offW + 2 + dumpRowBytes*3 + 1 + 2 + dumpRowBytes + 1 + 2
}

// hasChildIn reports whether n has a non-bit child in data source src.
func hasChildIn(n *dissect.Node, src *dissect.DataSource) bool {
	for _, c := range n.Children {
		if c != nil && !isBitField(c) && !c.Generated && c.Source == src {
			return true
		}
	}
	return false
}
