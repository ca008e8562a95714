package payload

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mqttdump/mqttdump/dissect"
)

var fJSONDoc = &dissect.FieldDef{Name: "JavaScript Object Notation", Abbrev: "json", Kind: kNone, Sparse: true}

// looksJSON is the cheap test before a JSON parse is tried: the first
// non-blank byte can start a JSON value that is an object or array (a
// bare number or string is more likely text).
func looksJSON(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// json decodes data as one JSON document (RFC 8259) with a hand-written
// tokenizer, so every token keeps its offset and length. Punctuation and
// white space belong to no token (the containers are Sparse). When
// sniffing, a nodeless pass decides first, so a failed guess leaves no
// nodes behind. The preview is the document compacted.
func (r *run) json(parent *dissect.Node, src *dissect.DataSource, data []byte, base int, asked bool) error {
	if !asked && r.tree {
		probe := jparser{r: r, b: data, noTree: true, probe: true}
		if err := probe.document(nil); err != nil {
			return err
		}
		r.nodes = 0
	}
	p := jparser{r: r, b: data, base: base, src: src, noTree: !r.tree, prev: r.preview[:0]}
	doc := p.add(parent, dissect.Node{Def: fJSONDoc, Offset: base, Length: len(data)})
	err := p.document(doc)
	r.preview = p.prev
	if err != nil && p.pos < len(data) {
		p.add(doc, dissect.Node{Def: fJSONRest, Offset: base + p.pos, Length: len(data) - p.pos, Value: data[p.pos:]})
	}
	if err != nil {
		return fmt.Errorf("offset %d: %w", p.pos, err)
	}
	if p.capped {
		r.finding(doc, base, len(data), dissect.EIJSONValuesCut, fmt.Sprintf("JSON has more than %d values: the rest is not shown as fields", r.o.MaxNodes), "")
	}
	return nil
}

type jparser struct {
	r      *run
	b      []byte
	pos    int
	base   int
	src    *dissect.DataSource
	depth  int
	noTree bool
	probe  bool // the nodeless pass before a sniffed parse: no preview
	capped bool // node budget spent: parse on without nodes
	prev   []byte
}

func (p *jparser) add(parent *dissect.Node, n dissect.Node) *dissect.Node {
	// Counted in every mode, so the budget finding is the same with and
	// without a tree.
	if p.r.over() {
		p.capped = true
		return nil
	}
	p.r.nodes++
	if p.noTree {
		return nil
	}
	n.Source = p.src
	return p.r.add(parent, n)
}

// emit appends a token to the compact preview, while it has room.
func (p *jparser) emit(tok []byte) {
	if p.probe {
		return
	}
	if len(p.prev)+len(tok) <= p.r.o.MaxPreview {
		p.prev = append(p.prev, tok...)
	} else if len(p.prev) < p.r.o.MaxPreview {
		p.prev = appendCutUTF8(p.prev, tok, p.r.o.MaxPreview-len(p.prev))
	}
}

func (p *jparser) document(doc *dissect.Node) error {
	if err := p.value(doc); err != nil {
		return err
	}
	p.ws()
	if p.pos < len(p.b) {
		return errors.New("data after the JSON value")
	}
	return nil
}

func (p *jparser) ws() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

var errEnd = errors.New("unexpected end of JSON")

func (p *jparser) value(parent *dissect.Node) error {
	p.ws()
	if p.pos >= len(p.b) {
		return errEnd
	}
	switch c := p.b[p.pos]; {
	case c == '{' || c == '[':
		return p.container(parent, c)
	case c == '"':
		start := p.pos
		s, err := p.str()
		if err != nil {
			return err
		}
		p.add(parent, dissect.Node{Def: fJSONString, Offset: p.base + start, Length: p.pos - start, Value: s})
		p.emit(p.b[start:p.pos])
		return nil
	case c == 't':
		return p.literal(parent, "true", fJSONTrue)
	case c == 'f':
		return p.literal(parent, "false", fJSONFalse)
	case c == 'n':
		return p.literal(parent, "null", fJSONNull)
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		if err := p.number(); err != nil {
			return err
		}
		n := p.add(parent, dissect.Node{Def: fJSONNumber, Offset: p.base + start, Length: p.pos - start})
		if n != nil {
			n.Value = string(p.b[start:p.pos])
		}
		p.emit(p.b[start:p.pos])
		return nil
	default:
		return fmt.Errorf("unexpected byte 0x%02x", c)
	}
}

func (p *jparser) literal(parent *dissect.Node, word string, def *dissect.FieldDef) error {
	if len(p.b)-p.pos < len(word) || string(p.b[p.pos:p.pos+len(word)]) != word {
		return fmt.Errorf("bad literal (want %s)", word)
	}
	p.add(parent, dissect.Node{Def: def, Offset: p.base + p.pos, Length: len(word), Show: word})
	p.emit(p.b[p.pos : p.pos+len(word)])
	p.pos += len(word)
	return nil
}

// container parses an object or an array; its node is closed at the
// position reached even when parsing fails, so spans stay nested.
func (p *jparser) container(parent *dissect.Node, open byte) error {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > p.r.o.MaxDepth {
		return fmt.Errorf("nesting deeper than %d levels", p.r.o.MaxDepth)
	}
	def, closer := fJSONObject, byte('}')
	if open == '[' {
		def, closer = fJSONArray, ']'
	}
	n := p.add(parent, dissect.Node{Def: def, Offset: p.base + p.pos})
	p.emit(p.b[p.pos : p.pos+1])
	p.pos++
	count, err := p.items(n, open == '{', closer)
	setLen(n, p.base+p.pos)
	if n != nil {
		n.Show = strconv.Itoa(count) + " " + plural(count, open == '{')
	}
	return err
}

func plural(n int, obj bool) string {
	switch {
	case obj && n == 1:
		return "member"
	case obj:
		return "members"
	case n == 1:
		return "element"
	}
	return "elements"
}

func (p *jparser) items(n *dissect.Node, object bool, closer byte) (int, error) {
	count := 0
	for {
		p.ws()
		if p.pos >= len(p.b) {
			return count, errEnd
		}
		if p.b[p.pos] == closer && count == 0 {
			p.emit(p.b[p.pos : p.pos+1])
			p.pos++
			return count, nil
		}
		var err error
		if object {
			err = p.member(n)
		} else {
			err = p.value(n)
		}
		if err != nil {
			return count, err
		}
		count++
		p.ws()
		if p.pos >= len(p.b) {
			return count, errEnd
		}
		switch p.b[p.pos] {
		case ',':
			p.emit(p.b[p.pos : p.pos+1])
			p.pos++
		case closer:
			p.emit(p.b[p.pos : p.pos+1])
			p.pos++
			return count, nil
		default:
			return count, fmt.Errorf("want ',' or '%c', got 0x%02x", closer, p.b[p.pos])
		}
	}
}

func (p *jparser) member(obj *dissect.Node) error {
	if p.b[p.pos] != '"' {
		return fmt.Errorf("want a member name, got 0x%02x", p.b[p.pos])
	}
	start := p.pos
	m := p.add(obj, dissect.Node{Def: fJSONMember, Offset: p.base + start})
	key, err := p.str()
	if err != nil {
		setLen(m, p.base+p.pos)
		return err
	}
	p.add(m, dissect.Node{Def: fJSONKey, Offset: p.base + start, Length: p.pos - start, Value: key})
	p.emit(p.b[start:p.pos])
	p.ws()
	if p.pos >= len(p.b) || p.b[p.pos] != ':' {
		setLen(m, p.base+p.pos)
		if p.pos >= len(p.b) {
			return errEnd
		}
		return fmt.Errorf("want ':', got 0x%02x", p.b[p.pos])
	}
	p.emit(p.b[p.pos : p.pos+1])
	p.pos++
	err = p.value(m)
	setLen(m, p.base+p.pos)
	if m != nil {
		m.Show = key
	}
	return err
}

// str reads a string token at p.pos and returns its value (unescaped;
// only built when a tree is).
func (p *jparser) str() (string, error) {
	start := p.pos
	p.pos++
	escaped, high := false, false
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		switch {
		case c == '"':
			p.pos++
			raw := p.b[start+1 : p.pos-1]
			if high && !utf8.Valid(raw) {
				return "", errors.New("string is not valid UTF-8")
			}
			if p.noTree {
				return "", nil
			}
			if !escaped {
				return string(raw), nil
			}
			return unescape(raw), nil
		case c == '\\':
			escaped = true
			if p.pos+1 >= len(p.b) {
				return "", errEnd
			}
			switch p.b[p.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos += 2
			case 'u':
				if p.pos+6 > len(p.b) || !isHex4(p.b[p.pos+2:p.pos+6]) {
					return "", errors.New(`bad \u escape`)
				}
				p.pos += 6
			default:
				return "", fmt.Errorf("bad escape \\%c", p.b[p.pos+1])
			}
		case c < 0x20:
			return "", fmt.Errorf("control character 0x%02x in a string", c)
		default:
			if c >= 0x80 {
				high = true
			}
			p.pos++
		}
	}
	return "", errEnd
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// unescape decodes a string body already checked by str.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+5 > len(raw) {
				return string(out)
			}
			v, _ := strconv.ParseUint(string(raw[i+1:i+5]), 16, 16)
			i += 4
			r := rune(v)
			if utf16.IsSurrogate(r) && i+7 <= len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if v2, err := strconv.ParseUint(string(raw[i+3:i+7]), 16, 16); err == nil {
					if d := utf16.DecodeRune(r, rune(v2)); d != utf8.RuneError {
						r = d
						i += 6
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			out = append(out, raw[i])
		}
	}
	return string(out)
}

// number checks the JSON number grammar at p.pos.
func (p *jparser) number() error {
	b := p.b
	if p.pos < len(b) && b[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(b) && b[p.pos] >= '0' && b[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(b) && b[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return errors.New("bad number")
	}
	if p.pos < len(b) && b[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return errors.New("bad number: no digits after '.'")
		}
	}
	if p.pos < len(b) && (b[p.pos] == 'e' || b[p.pos] == 'E') {
		p.pos++
		if p.pos < len(b) && (b[p.pos] == '+' || b[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return errors.New("bad number: no exponent digits")
		}
	}
	return nil
}
