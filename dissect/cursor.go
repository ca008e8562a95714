package dissect

import (
	"bytes"
	"fmt"
	"strconv"
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
	msg := what + " needs " + bytesText(n) + ", " + strconv.Itoa(c.left()) + " left"
	if c.end == len(c.b) && c.decl > len(c.b) {
		msg = what + " needs " + bytesText(n) + ", packet truncated after " + bytesText(len(c.b))
	}
	c.fail(eiTruncated, msg, nil)
	return false
}

// fail marks the rest of the bounded area as undecoded, with a malformed
// finding, and stops the cursor.
func (c *cursor) fail(info *ExpertInfo, msg string, ref *specRef) {
	var n *Node
	if c.left() > 0 {
		n = c.add(c.a.node(Node{Def: fUndecoded, Offset: c.pos, Length: c.left(), Value: c.b[c.pos:c.end]}))
		c.pos = c.end
	} else {
		n = c.add(c.a.node(Node{Def: fTruncated, Offset: c.pos}))
	}
	c.a.report(n, info, msg, ref)
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
		c.fail(eiVarintTooLong, def.Name+": variable byte integer longer than 4 bytes", rVarintLong)
		return 0, nil
	}
	node := c.add(c.a.node(Node{Def: def, Offset: c.pos, Length: n, Value: v}))
	if st == varintNonMinimal {
		c.a.report(node, eiVarintNonMinimal, fmt.Sprintf("%s: non-minimal encoding (%d bytes for %d)", def.Name, n, v), rVarintMinimal)
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
		c.a.report(ln, eiLengthOverrun, fmt.Sprintf("%s %d runs past the end of the %s", lenDef.Name, l, c.scope()), nil)
		return nil, nil
	}
	raw := c.b[c.pos : c.pos+int(l)]
	n := c.add(c.a.node(Node{Def: valDef, Offset: c.pos, Length: int(l)}))
	if !c.a.noTree && valDef.Kind != KindString {
		// Boxing a value allocates: only a node that is kept gets one.
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
	s := string(raw)
	if !c.a.noTree {
		n.Value = s
	}
	c.checkUTF8(n, raw)
	return s, n
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
		c.a.report(n, eiInvalidUTF8, n.Def.Name+" is not valid UTF-8", rUTF8)
		return
	}
	if bytes.IndexByte(raw, 0) < 0 && bytes.IndexByte(raw, 0xEF) < 0 {
		return // no U+0000, and no U+FFFE or U+FFFF (both start with 0xEF)
	}
	for _, r := range string(raw) {
		if r == 0 {
			c.a.report(n, eiUTF8Null, n.Def.Name+" contains U+0000", rUTF8Null)
			return
		}
		if r == 0xFFFE || r == 0xFFFF {
			// Go's decoder already refuses surrogates: only the
			// non-characters the spec says SHOULD NOT appear are left.
			c.a.report(n, eiUTF8NonChar, n.Def.Name+" contains a non-character", rUTF8NonChar)
			return
		}
	}
}

// report records a finding on its node and in the packet's list, so the
// list costs no tree walk and survives the facts-only mode. Past the
// finding budget it is only counted; while a list is cut it hangs on the
// node that covers the cut bytes.
func (a *alloc) report(n *Node, info *ExpertInfo, msg string, ref *specRef) {
	if a.skip(info) {
		return
	}
	e := &Expert{ID: info.ID, Severity: info.Severity, Message: msg, ref: ref, Offset: n.Offset, Length: n.Length}
	if a.cut != nil {
		n = a.cut
	}
	n.Expert = append(n.Expert, e)
	a.experts = append(a.experts, e)
}

// skip reports whether a finding of this kind would be dropped because the
// packet has used its finding budget, and counts it if so: callers check it
// before formatting a message that a hostile packet can repeat a million times.
func (a *alloc) skip(info *ExpertInfo) bool {
	if len(a.experts) < a.maxFindings || info == eiTreeCut {
		return false
	}
	a.dropped++
	if info.Severity == SevMalformed {
		a.droppedMalformed = true
	}
	return true
}

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
