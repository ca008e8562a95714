package dissect

import "fmt"

// willPacket stands for the Will Properties of CONNECT where a packet type
// is expected (its bit in propSpec.allowed is willBit).
const willPacket = 16

// propResult carries what later fields need from the properties.
type propResult struct {
	topicAlias      int
	payloadUTF8     bool
	formatIndicator int    // -1 when absent
	contentType     string // the Content Type property
}

// properties decodes an MQTT 5 property block (5.0 §2.2.2): a variable byte
// integer length, then properties until that length is used up. The block
// gets its own bounded cursor so a bad property cannot eat the payload.
func (d *decoder) properties(def *FieldDef, typ int) propResult {
	c := d.c
	res := propResult{formatIndicator: -1}
	if c.dead {
		return res
	}
	block := c.add(c.a.node(Node{Def: def, Offset: c.pos}))
	block.Children = c.a.kids(8)
	outer := c.out
	c.out = &block.Children
	d.propertyBlock(typ, &res)
	c.out = outer
	block.Length = c.pos - block.Offset
	return res
}

func (d *decoder) propertyBlock(typ int, res *propResult) {
	c := d.c
	plen, pn := c.varint(fPropLen)
	if pn == nil {
		return
	}
	if plen > 0 {
		d.p.v5Evidence = true
	}
	end := c.pos + int(min(plen, uint64(c.decl)))
	if uint64(c.left()) < plen {
		if c.decl-c.pos >= int(plen) && c.end == len(c.b) {
			// The packet is cut short (capture truncated); decode what is here.
			end = c.end
		} else {
			d.a.report(pn, eiPropLenOverrun, fmt.Sprintf("property length %d runs past the end of the packet (%s left)", plen, bytesText(c.left())), rPropLen)
			c.fail(eiTruncated, "properties cut short", nil)
			return
		}
	}
	sub := &cursor{b: c.b, pos: c.pos, end: end, decl: c.pos + int(plen), out: c.out, a: c.a}
	var seen propSet
	for !sub.dead && sub.left() > 0 {
		d.checkBudget(sub)
		d.property(sub, typ, &seen, res)
	}
	d.endCut()
	c.pos = sub.pos
	if sub.dead {
		c.dead = true
	}
}

func (d *decoder) property(c *cursor, typ int, seen *propSet, res *propResult) {
	start := c.pos
	idv, _, st := readVarint(c.b[c.pos:c.end])
	if st == varintShort || st == varintTooLong || idv > 0xff || propSpecs[uint8(idv)] == nil {
		n := c.rest(fPropUnk)
		d.a.report(n, eiPropUnknown, fmt.Sprintf("unknown property identifier 0x%02x: the rest of the properties cannot be decoded", c.b[start]), rPropTable)
		c.dead = true
		return
	}
	spec := propSpecs[uint8(idv)]
	prop := c.add(c.a.node(Node{Def: spec.def, Offset: start, PropID: int(spec.id)}))
	prop.Children = c.a.kids(5)
	outer := c.out
	c.out = &prop.Children
	d.propertyValue(c, spec, prop, typ, seen, res)
	c.out = outer
	prop.Length = c.pos - start
}

// propertyValue decodes one property after its identifier was read.
func (d *decoder) propertyValue(c *cursor, spec *propSpec, prop *Node, typ int, seen *propSet, res *propResult) {
	c.varint(fPropID)

	var bit uint32 = 1 << uint(typ)
	if spec.allowed&bit == 0 && !d.a.skip(eiPropNotAllowed) {
		where := TypeName(uint8(typ))
		if typ == willPacket {
			where = "Will Properties"
		}
		d.a.report(prop, eiPropNotAllowed, spec.name+" is not allowed in "+where, rPropTable)
	}
	if seen.has(spec.id) && !spec.multi && !d.a.skip(eiPropRepeated) {
		d.a.report(prop, eiPropRepeated, spec.name+" appears more than once", rPropTable)
	}
	seen.add(spec.id)

	switch spec.typ {
	case ptByte:
		v, n := c.u8(fPropNum)
		if n == nil {
			return
		}
		if !c.a.noTree {
			prop.Value = v
		}
		if spec.id == 0x24 {
			prop.Show = qosLabels[v] + fmt.Sprintf(" (%d)", v)
		}
		if v > 1 {
			d.a.report(prop, eiPropValue, fmt.Sprintf("%s must be 0 or 1, got %d", spec.name, v), propValueRef(spec.id, typ))
		}
		if spec.id == 0x01 {
			res.payloadUTF8, res.formatIndicator = v == 1, int(v)
		}
	case ptU16, ptU32:
		size := 2
		if spec.typ == ptU32 {
			size = 4
		}
		v, n := c.uint(fPropNum, size)
		if n == nil {
			return
		}
		if !c.a.noTree {
			prop.Value = v
		}
		switch spec.id {
		case 0x21, 0x27, 0x23:
			if v == 0 {
				d.a.report(prop, eiPropValue, spec.name+" must not be 0", propValueRef(spec.id, typ))
			}
		}
		if spec.id == 0x23 {
			res.topicAlias = int(v)
		}
	case ptVarint:
		v, n := c.varint(fPropNum)
		if n == nil {
			return
		}
		if !c.a.noTree {
			prop.Value = v
		}
		if v == 0 {
			d.a.report(prop, eiPropValue, "Subscription Identifier must not be 0", propValueRef(spec.id, typ))
		}
	case ptString:
		s, n := c.str(fPropStrLn, fPropStr)
		if n == nil {
			return
		}
		if !c.a.noTree {
			prop.Value = s
		}
		if spec.id == 0x03 {
			res.contentType = s
		}
	case ptBinary:
		b, n := c.prefixed(fPropBinLn, fPropBin)
		if n == nil {
			return
		}
		if !c.a.noTree {
			prop.Value = b
		}
	case ptPair:
		k, kn := c.str(fPropKeyLn, fPropKey)
		if kn == nil {
			return
		}
		v, vn := c.str(fPropValLn, fPropVal)
		if vn == nil {
			return
		}
		if !c.a.noTree {
			prop.Value = k + "=" + v
		}
		prop.Show = k + ": " + v
	}
}

// propSet records which property identifiers a block has used.
type propSet [4]uint64

func (s *propSet) has(id uint8) bool { return s[id>>6]&(1<<(id&63)) != 0 }
func (s *propSet) add(id uint8)      { s[id>>6] |= 1 << (id & 63) }
