package payload

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/mqttdump/mqttdump/dissect"
	"google.golang.org/protobuf/encoding/protowire"
)

// protobuf decodes data as protobuf without a schema: field numbers, wire
// types and values; a length-delimited field is shown as a string when it
// is printable UTF-8, else as a nested message when it parses as one,
// else as bytes. The whole message must parse, or nothing is claimed.
func (r *run) protobuf(parent *dissect.Node, src *dissect.DataSource, data []byte, base int) error {
	if !validMessage(data) {
		_, err := firstError(data)
		return err
	}
	msg := r.add(parent, dissect.Node{Def: fPbMessage, Offset: base, Length: len(data), Source: src})
	r.preview = append(r.preview[:0], "protobuf "...)
	pb := pbDecoder{r: r, src: src, base: base}
	n := pb.message(msg, data, 0, true)
	if msg != nil {
		msg.Show = fmt.Sprintf("%d fields", n)
	}
	return nil
}

// firstError finds why b is not a message.
func firstError(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("empty")
	}
	for pos := 0; pos < len(b); {
		f, err := readField(b, pos)
		if err != nil {
			return pos, err
		}
		if f.num == 0 {
			return pos, fmt.Errorf("field number 0")
		}
		pos = f.end
	}
	return len(b), nil
}

type pbDecoder struct {
	r     *run
	src   *dissect.DataSource
	base  int // offset of the top message in its source
	depth int // nested messages open
}

// message decodes the fields of b (known to parse), which starts at off
// in the top message; returns the number of fields.
func (pb *pbDecoder) message(parent *dissect.Node, b []byte, off int, top bool) int {
	r := pb.r
	count := 0
	for pos := 0; pos < len(b); count++ {
		f, _ := readField(b, pos)
		if r.over() {
			r.add(parent, dissect.Node{Def: fPbBad, Offset: pb.base + off + pos, Length: len(b) - pos, Value: b[pos:], Source: pb.src})
			break
		}
		r.nodes++
		pb.field(parent, f, b, off, top && count < 8)
		pos = f.end
	}
	return count
}

func (pb *pbDecoder) field(parent *dissect.Node, f pbField, b []byte, off int, preview bool) {
	r := pb.r
	at := func(i int) int { return pb.base + off + i }
	fn := r.add(parent, dissect.Node{Def: fPbField, Offset: at(f.start), Length: f.end - f.start, Source: pb.src})
	r.add(fn, dissect.Node{Def: fPbKey, Offset: at(f.start), Length: f.valStart - f.start, Value: uint64(f.num),
		Show: fmt.Sprintf("field %d, wire type %d (%s)", f.num, f.typ, wireNames[f.typ]), Source: pb.src})
	var text string
	switch f.typ {
	case protowire.VarintType:
		text = strconv.FormatUint(f.v, 10)
		show := text
		if int64(f.v) < 0 {
			show += fmt.Sprintf(" (int64 %d)", int64(f.v))
		}
		if z := protowire.DecodeZigZag(f.v); z < 0 || f.v > 1 {
			show += fmt.Sprintf(" (zigzag %d)", z)
		}
		r.add(fn, dissect.Node{Def: fPbVarint, Offset: at(f.valStart), Length: f.end - f.valStart, Value: f.v, Show: show, Source: pb.src})
	case protowire.Fixed32Type:
		text = strconv.FormatUint(f.v, 10)
		r.add(fn, dissect.Node{Def: fPbFixed32, Offset: at(f.valStart), Length: 4, Value: f.v, Source: pb.src,
			Show: fmt.Sprintf("%d (int32 %d, float %g)", f.v, int32(f.v), math.Float32frombits(uint32(f.v)))})
	case protowire.Fixed64Type:
		text = strconv.FormatUint(f.v, 10)
		r.add(fn, dissect.Node{Def: fPbFixed64, Offset: at(f.valStart), Length: 8, Value: f.v, Source: pb.src,
			Show: fmt.Sprintf("%d (int64 %d, double %g)", f.v, int64(f.v), math.Float64frombits(f.v))})
	default: // LEN (and the deprecated groups, shown as bytes)
		if f.typ == protowire.BytesType {
			r.add(fn, dissect.Node{Def: fPbLen, Offset: at(f.valStart), Length: f.dataOff - f.valStart, Value: uint64(len(f.val)), Source: pb.src})
		}
		vOff := at(f.dataOff)
		switch {
		case f.typ == protowire.BytesType && utf8.Valid(f.val) && printable(f.val):
			text = strconv.Quote(string(f.val))
			var s string
			if r.tree {
				s = string(f.val)
			}
			r.add(fn, dissect.Node{Def: fPbString, Offset: vOff, Length: len(f.val), Value: s, Source: pb.src})
		case f.typ == protowire.BytesType && pb.depth < r.o.MaxDepth && validMessage(f.val):
			text = "{…}"
			m := r.add(fn, dissect.Node{Def: fPbMessage, Offset: vOff, Length: len(f.val), Source: pb.src})
			pb.depth++
			n := pb.message(m, f.val, off+f.dataOff, false)
			pb.depth--
			if m != nil {
				m.Show = fmt.Sprintf("%d fields", n)
			}
		default:
			text = fmt.Sprintf("%d bytes", len(f.val))
			r.add(fn, dissect.Node{Def: fPbBytes, Offset: vOff, Length: len(f.val), Value: f.val, Source: pb.src})
		}
	}
	if fn != nil {
		fn.Show = fmt.Sprintf("%d (%s) = %s", f.num, wireNames[f.typ], text)
	}
	if preview && len(r.preview) < r.o.MaxPreview {
		if len(r.preview) > len("protobuf ") {
			r.preview = append(r.preview, ' ')
		}
		r.preview = strconv.AppendInt(r.preview, int64(f.num), 10)
		r.preview = append(r.preview, ':')
		r.preview = appendCutUTF8(r.preview, []byte(text), max(0, r.o.MaxPreview-len(r.preview)))
	}
}

// printable: no control characters but tab and newlines.
func printable(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}
