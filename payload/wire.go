package payload

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// pbField is one protobuf field as found on the wire; offsets are into
// the message's byte slice.
type pbField struct {
	num      protowire.Number
	typ      protowire.Type
	start    int    // the key's first byte
	valStart int    // after the key
	dataOff  int    // LEN: after the length prefix
	end      int    // after the value
	v        uint64 // varint, fixed32, fixed64
	val      []byte // LEN: the bytes
}

// readField reads the field at b[pos:].
func readField(b []byte, pos int) (pbField, error) {
	f := pbField{start: pos}
	num, typ, n := protowire.ConsumeTag(b[pos:])
	if n < 0 {
		return f, fmt.Errorf("field key: %w", protowire.ParseError(n))
	}
	f.num, f.typ, f.valStart = num, typ, pos+n
	rest := b[f.valStart:]
	var m int
	switch typ {
	case protowire.VarintType:
		f.v, m = protowire.ConsumeVarint(rest)
	case protowire.Fixed32Type:
		var v uint32
		v, m = protowire.ConsumeFixed32(rest)
		f.v = uint64(v)
	case protowire.Fixed64Type:
		f.v, m = protowire.ConsumeFixed64(rest)
	case protowire.BytesType:
		f.val, m = protowire.ConsumeBytes(rest)
		if m >= 0 {
			f.dataOff = f.valStart + m - len(f.val)
		}
	case protowire.StartGroupType:
		m = protowire.ConsumeFieldValue(num, typ, rest)
		if m >= 0 {
			f.val = rest[:m]
			f.dataOff = f.valStart
		}
	default:
		return f, fmt.Errorf("field %d: wire type %d is not allowed here", num, typ)
	}
	if m < 0 {
		return f, fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
	}
	f.end = f.valStart + m
	return f, nil
}

var wireNames = map[protowire.Type]string{
	protowire.VarintType: "VARINT", protowire.Fixed64Type: "I64", protowire.BytesType: "LEN",
	protowire.StartGroupType: "SGROUP", protowire.EndGroupType: "EGROUP", protowire.Fixed32Type: "I32",
}

// validMessage reports whether b parses as protobuf fields down to depth
// levels of nested messages tried only where a string is unlikely.
func validMessage(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for pos := 0; pos < len(b); {
		f, err := readField(b, pos)
		if err != nil || f.num == 0 {
			return false
		}
		pos = f.end
	}
	return true
}

var errDepth = errors.New("nesting too deep")
