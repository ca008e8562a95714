package dissect

import (
	"fmt"
	"unicode/utf8"
)

// cursor reads the packet bytes and appends a node for every field in the
// same call, so values and byte ranges cannot disagree. It is bounded by end
// (a declared length clipped to the bytes present); once a read fails the
// cursor is dead and the caller stops decoding.
type cursor struct {
	b    []byte // the whole packet as captured
	pos  int
	end  int // reads stop here (<= len(b))
	decl int // where the declared length ends (may be > len(b): truncated)
	out  *[]*Node
	dead bool
	a    *alloc
}

func (c *cursor) left() int { return c.end - c.pos }

// add appends n to the current node list.
func (c *cursor) add(n *Node) *Node {
	if !c.a.noTree {
		*c.out = append(*c.out, n)
	}
	return n
}

// need checks that n bytes remain. When they do not, it covers what is left
// with an undecoded node carrying a malformed finding and kills the cursor.
func (c *cursor) need(n int, what string) bool {
	if c.dead {
		return false
	}
	if c.left() >= n {
		return true
	}
	msg := fmt.Sprintf("%s needs %d bytes, %d left", what, n, c.left())
	if c.end == len(c.b) && c.decl > len(c.b) {
		msg = fmt.Sprintf("%s needs %d bytes, packet truncated after %d bytes", what, n, len(c.b))
	}
	c.fail(msg, "")
	return false
}

// fail marks the rest of the bounded area as undecoded, with a malformed
// finding, and stops the cursor.
func (c *cursor) fail(msg, spec string) {
	var n *Node
	if c.left() > 0 {
		n = c.add(c.a.node(Node{Def: fUndecoded, Offset: c.pos, Length: c.left(), Value: c.b[c.pos:c.end]}))
		c.pos = c.end
	} else {
		n = c.add(c.a.node(Node{Def: fTruncated, Offset: c.pos}))
	}
	c.a.malformed(n, msg, spec)
	c.dead = true
}

func (c *cursor) uint(def *FieldDef, size int) (uint64, *Node) {
	if !c.need(size, def.Name) {
		return 0, nil
	}
	var v uint64
	for _, x := range c.b[c.pos : c.pos+size] {
		v = v<<8 | uint64(x)
	}
	n := c.add(c.a.node(Node{Def: def, Offset: c.pos, Length: size, Value: v}))
	c.pos += size
	return v, n
}

func (c *cursor) u8(def *FieldDef) (uint64, *Node)  { return c.uint(def, 1) }
func (c *cursor) u16(def *FieldDef) (uint64, *Node) { return c.uint(def, 2) }

// varint reads a variable byte integer (5.0 §1.5.5): at most four bytes,
// minimal encoding required.
func (c *cursor) varint(def *FieldDef) (uint64, *Node) {
	if c.dead {
		return 0, nil
	}
	v, n, st := readVarint(c.b[c.pos:c.end])
	switch st {
	case varintShort:
		c.need(n+1, def.Name)
		return 0, nil
	case varintTooLong:
		c.fail(def.Name+": variable byte integer longer than 4 bytes", "MQTT-1.5.5-1")
		return 0, nil
	}
	node := c.add(c.a.node(Node{Def: def, Offset: c.pos, Length: n, Value: v}))
	if st == varintNonMinimal {
		c.a.protocol(node, fmt.Sprintf("%s: non-minimal encoding (%d bytes for %d)", def.Name, n, v), "MQTT-1.5.5-1")
	}
	c.pos += n
	return v, node
}

type varintStatus uint8

const (
	varintOK varintStatus = iota
	varintNonMinimal
	varintShort
	varintTooLong
)

// readVarint decodes b's leading variable byte integer; n is the bytes used
// (or, when short, the bytes seen).
func readVarint(b []byte) (v uint64, n int, st varintStatus) {
	var mult uint64 = 1
	for i := 0; i < 4; i++ {
		if i >= len(b) {
			return 0, i, varintShort
		}
		v += uint64(b[i]&0x7f) * mult
		if b[i]&0x80 == 0 {
			if i > 0 && b[i] == 0 {
				return v, i + 1, varintNonMinimal
			}
			return v, i + 1, varintOK
		}
		mult *= 128
	}
	return 0, 4, varintTooLong
}

// prefixed reads a two-byte length and the bytes it announces, as two
// nodes. The length is checked against the bytes present before anything
// is sliced, and nothing is allocated from it.
func (c *cursor) prefixed(lenDef, valDef *FieldDef) ([]byte, *Node) {
	l, ln := c.u16(lenDef)
	if ln == nil {
		return nil, nil
	}
	if !c.need(int(l), valDef.Name) {
		c.a.malformed(ln, fmt.Sprintf("%s %d runs past the end of the %s", lenDef.Name, l, c.scope()), "")
		return nil, nil
	}
	raw := c.b[c.pos : c.pos+int(l)]
	n := c.add(c.a.node(Node{Def: valDef, Offset: c.pos, Length: int(l)}))
	if valDef.Kind == KindString {
		n.Value = string(raw)
	} else {
		n.Value = raw
	}
	c.pos += int(l)
	return raw, n
}

// str reads a UTF-8 string (5.0 §1.5.4) and checks it.
func (c *cursor) str(lenDef, valDef *FieldDef) (string, *Node) {
	raw, n := c.prefixed(lenDef, valDef)
	if n == nil {
		return "", nil
	}
	c.checkUTF8(n, raw)
	return n.Value.(string), n
}

func (c *cursor) scope() string {
	if c.end < len(c.b) || c.decl < len(c.b) {
		return "properties"
	}
	return "packet"
}

// rest takes every remaining byte as one node.
func (c *cursor) rest(def *FieldDef) *Node {
	if c.dead {
		return nil
	}
	n := c.add(c.a.node(Node{Def: def, Offset: c.pos, Length: c.left(), Value: c.b[c.pos:c.end]}))
	c.pos = c.end
	return n
}

// checkUTF8 applies the rules for UTF-8 encoded strings: well-formed, no
// U+0000 (MQTT-1.5.4-1, -2); control characters are only worth a note.
func (c *cursor) checkUTF8(n *Node, raw []byte) {
	if !utf8.Valid(raw) {
		c.a.protocol(n, n.Def.Name+" is not valid UTF-8", "MQTT-1.5.4-1")
		return
	}
	for _, r := range string(raw) {
		if r == 0 {
			c.a.protocol(n, n.Def.Name+" contains U+0000", "MQTT-1.5.4-2")
			return
		}
		if (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			c.a.protocol(n, n.Def.Name+" contains a non-character or surrogate", "MQTT-1.5.4-1")
			return
		}
	}
}

// expert records a finding on its node and in the packet's list, so the
// list costs no tree walk and survives the facts-only mode.
func (a *alloc) expert(n *Node, sev Severity, msg, spec string) {
	e := &Expert{Severity: sev, Message: msg, Spec: spec, Offset: n.Offset, Length: n.Length}
	n.Expert = append(n.Expert, e)
	a.experts = append(a.experts, e)
}
func (a *alloc) malformed(n *Node, msg, spec string) { a.expert(n, SevMalformed, msg, spec) }
func (a *alloc) protocol(n *Node, msg, spec string)  { a.expert(n, SevProtocol, msg, spec) }
func (a *alloc) note(n *Node, msg, spec string)      { a.expert(n, SevNote, msg, spec) }

// bitChild adds a bit-group child over n's byte, with the masked value
// shifted down so that QoS 2 reads 2.
func (a *alloc) bitChild(n *Node, def *FieldDef, b uint64) *Node {
	v := (b & def.Mask) >> shiftOf(def.Mask)
	ch := a.node(Node{Def: def, Offset: n.Offset, Length: n.Length})
	if def.Kind == KindBool {
		ch.Value = v != 0
	} else {
		ch.Value = v
	}
	if a.noTree {
		return ch
	}
	if n.Children == nil {
		n.Children = a.kids(bitCount(n))
	}
	n.Children = append(n.Children, ch)
	return ch
}

func shiftOf(mask uint64) uint {
	var s uint
	for mask != 0 && mask&1 == 0 {
		mask >>= 1
		s++
	}
	return s
}

// bitCount is how many bit groups a flag byte will get (connect flags: 7).
func bitCount(n *Node) int {
	switch n.Def {
	case fConFlags:
		return 7
	case fSubOpts:
		return 5
	}
	return 4
}
