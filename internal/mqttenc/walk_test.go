package mqttenc

import "testing"

// A minimal independent reader for the property sections of a v5 packet,
// so the samples are checked by parsing their bytes, not by trusting the
// structs they were built from.

type reader struct {
	t   *testing.T
	b   []byte
	pos int
}

func (r *reader) take(n int) []byte {
	if n < 0 || r.pos+n > len(r.b) {
		r.t.Fatalf("read %d bytes at %d of %d", n, r.pos, len(r.b))
	}
	v := r.b[r.pos : r.pos+n]
	r.pos += n
	return v
}

func (r *reader) u16() int { v := r.take(2); return int(v[0])<<8 | int(v[1]) }

func (r *reader) varint() int {
	v, mult := 0, 1
	for i := 0; i < 4; i++ {
		c := r.take(1)[0]
		v += int(c&0x7f) * mult
		if c&0x80 == 0 {
			return v
		}
		mult *= 128
	}
	r.t.Fatal("varint longer than 4 bytes")
	return 0
}

func (r *reader) str() []byte { return r.take(r.u16()) }

// props reads one property section and returns its identifiers.
func (r *reader) props() []byte {
	n := r.varint()
	end := r.pos + n
	types := PropertyWireTypes()
	var ids []byte
	for r.pos < end {
		id := r.take(1)[0]
		ids = append(ids, id)
		switch types[id] {
		case WireByte:
			r.take(1)
		case WireU16:
			r.take(2)
		case WireU32:
			r.take(4)
		case WireVarint:
			r.varint()
		case WireString, WireBinary:
			r.str()
		case WirePair:
			r.str()
			r.str()
		default:
			r.t.Fatalf("unknown property 0x%02x", id)
		}
	}
	if r.pos != end {
		r.t.Fatalf("property section overran: at %d, end %d", r.pos, end)
	}
	return ids
}

// propertyIDs returns the identifiers in every property section of one v5 packet.
func propertyIDs(t *testing.T, pkt []byte) []byte {
	r := &reader{t: t, b: pkt}
	first := r.take(1)[0]
	if rl := r.varint(); rl != len(pkt)-r.pos {
		t.Fatalf("remaining length %d, %d bytes follow", rl, len(pkt)-r.pos)
	}
	switch first >> 4 {
	case TypeConnect:
		r.str()
		r.take(1)
		flags := r.take(1)[0]
		r.take(2)
		ids := r.props()
		r.str()
		if flags&0x04 != 0 {
			ids = append(ids, r.props()...)
		}
		return ids
	case TypeConnack, TypeSubscribe:
		r.take(2)
	case TypePublish:
		r.str()
		if first&0x06 != 0 {
			r.take(2)
		}
	case TypeDisconnect, TypeAuth:
		r.take(1)
	default:
		t.Fatalf("propertyIDs: type %d not handled", first>>4)
	}
	return r.props()
}

func TestPropertyIDsReader(t *testing.T) {
	ids := propertyIDs(t, EncodeAuth(Auth{Properties: []Property{ReasonString("x"), UserProperty("a", "b")}}))
	if string(ids) != "\x1f\x26" {
		t.Errorf("ids % x", ids)
	}
}
