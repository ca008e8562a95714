// Package filter implements Wireshark's display-filter language
// (wireshark-filter(4), 4.0 semantics) over mqttdump's field registry:
// presence tests, comparisons, contains, matches (Go RE2 syntax,
// case-insensitive like Wireshark's), set membership, slices, and/or/not.
// An expression is compiled once; Match does not allocate.
package filter

import (
	"strconv"
	"strings"
)

// Filter is a compiled display filter. It is immutable and safe for
// concurrent use.
type Filter struct {
	expr string
	root node
	tree bool
}

// Compile parses expr against the field registry. A bad expression gives
// an *Error naming the problem and its column.
func Compile(expr string) (*Filter, error) {
	f, err := compile(expr)
	if err != nil {
		err.Expr = expr
		return nil, err
	}
	return f, nil
}

func compile(expr string) (*Filter, *Error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, errAt(0, "the expression is empty")
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t.start, "%s was not expected here", t.describe())
	}
	return &Filter{expr: expr, root: root, tree: p.tree}, nil
}

// Match reports whether the packet passes.
func (f *Filter) Match(p *Packet) bool { return f.root.eval(p) }

// NeedsTree reports whether the filter reads the field tree (not only the
// frame, IP and TCP fields, the packet bytes and findings): the dissector
// must then build it.
func (f *Filter) NeedsTree() bool { return f.tree }

// String returns the expression as given.
func (f *Filter) String() string { return f.expr }

type parser struct {
	toks []token
	pos  int
	tree bool
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) isWord(words ...string) bool {
	t := p.peek()
	if t.kind != tWord {
		return false
	}
	for _, w := range words {
		if t.text == w {
			return true
		}
	}
	return false
}

func (p *parser) isOp(ops ...string) bool {
	t := p.peek()
	if t.kind != tOp {
		return false
	}
	for _, o := range ops {
		if t.text == o {
			return true
		}
	}
	return false
}

// or := and { ("or" | "||") and }
func (p *parser) or() (node, *Error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") || p.isOp("||") {
		op := p.next()
		if err := p.needOperand(op); err != nil {
			return nil, err
		}
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &orNode{left, right}
	}
	return left, nil
}

// and := unary { ("and" | "&&") unary }
func (p *parser) and() (node, *Error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") || p.isOp("&&") {
		op := p.next()
		if err := p.needOperand(op); err != nil {
			return nil, err
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &andNode{left, right}
	}
	return left, nil
}

func (p *parser) needOperand(op token) *Error {
	if p.peek().kind == tEOF {
		return errAt(op.end-1, "an expression is expected after %q", op.text)
	}
	return nil
}

// unary := ("not" | "!") unary | primary
func (p *parser) unary() (node, *Error) {
	if p.isWord("not") || p.isOp("!") {
		op := p.next()
		if err := p.needOperand(op); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	}
	return p.primary()
}

// relational operators: symbol or word -> operator.
var relOps = map[string]cmpOp{
	"==": opAnyEq, "eq": opAnyEq, "any_eq": opAnyEq,
	"!=": opAllNe, "ne": opAllNe, "all_ne": opAllNe,
	"===": opAllEq, "all_eq": opAllEq,
	"~=": opAnyNe, "any_ne": opAnyNe, "!==": opAnyNe,
	"<": opLt, "lt": opLt, "<=": opLe, "le": opLe,
	">": opGt, "gt": opGt, ">=": opGe, "ge": opGe,
	"contains": opContains, "matches": opMatches, "~": opMatches,
}

// primary := "(" or ")" | entity [ relop value | "in" set ]
func (p *parser) primary() (node, *Error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		if p.peek().kind == tEOF {
			return nil, errAt(t.start, "an expression is expected after \"(\"")
		}
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			if c.kind == tEOF {
				return nil, errAt(t.start, "the \"(\" is never closed")
			}
			return nil, errAt(c.start, "%s was not expected here (a \")\" is missing?)", c.describe())
		}
		p.next()
		return x, nil
	case tEOF:
		return nil, errAt(t.start, "an expression is expected")
	case tWord:
	default:
		return nil, errAt(t.start, "%s was not expected here: a field is expected", t.describe())
	}
	r, err := p.entity()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if p.isWord("in") {
		p.next()
		return p.set(r, op)
	}
	if op.kind == tOp || op.kind == tWord {
		if c, ok := relOps[op.text]; ok {
			p.next()
			return p.comparison(r, op, c)
		}
	}
	if r.fn != fnNone {
		return nil, errAt(op.start, "%s() gives a number: compare it with a value", r.fnName())
	}
	return &existsNode{r: r}, nil
}

// entity := field [ "[" slice "]" ] | ("len" | "count") "(" field ")"
func (p *parser) entity() (*ref, *Error) {
	t := p.next()
	if p.peek().kind == tLParen {
		fn := fnNone
		switch t.text {
		case "len":
			fn = fnLen
		case "count":
			fn = fnCount
		default:
			return nil, errAt(t.start, "%q is not a function (there are len and count)", t.text)
		}
		open := p.next()
		if p.peek().kind != tWord {
			return nil, errAt(open.end-1, "a field is expected after \"%s(\"", t.text)
		}
		r, err := p.entity()
		if err != nil {
			return nil, err
		}
		if r.fn != fnNone {
			return nil, errAt(t.start, "%s() takes a field, not a function", t.text)
		}
		if c := p.peek(); c.kind != tRParen {
			return nil, errAt(c.start, "\")\" is expected after the field of %s()", t.text)
		}
		p.next()
		r.fn = fn
		if fn == fnLen && r.valueType() != vString && r.valueType() != vBytes && r.src != srcTree && r.src != srcMQTT {
			return nil, errAt(t.start, "len() needs a field with bytes, and %s is %s", r.name, r.t)
		}
		return r, nil
	}
	switch t.text {
	case "and", "or", "not", "in", "contains", "matches":
		return nil, errAt(t.start, "a field is expected before %q", t.text)
	}
	rr, ok := resolve(t.text)
	if !ok {
		if looksLikeValue(t.text) {
			return nil, errAt(t.start, "%q is a value, and a field is expected here", t.text)
		}
		msg := strconv.Quote(t.text) + " is not a field"
		if s := suggest(t.text); len(s) > 0 {
			msg += " (did you mean " + strings.Join(s, ", ") + "?)"
		}
		return nil, errAt(t.start, "%s", msg)
	}
	r := &rr
	if r.src == srcTree {
		p.tree = true
	}
	if p.peek().kind == tLBrack {
		open := p.next()
		switch r.t {
		case vString, vBytes, vNone:
		default:
			return nil, errAt(t.start, "%s is %s and cannot be sliced", r.name, r.t)
		}
		if r.src == srcExpert || r.src == srcMeta {
			return nil, errAt(t.start, "%s has no bytes to slice", r.name)
		}
		st := p.next()
		if st.kind != tWord {
			return nil, errAt(open.end-1, "a range is expected after \"[\": [i], [i:len], [i-j], [:len], [i:]")
		}
		s, ok := parseSlice(st.text)
		if !ok {
			return nil, errAt(st.start, "%q is not a range: [i], [i:len], [i-j], [:len], [i:]", st.text)
		}
		if c := p.peek(); c.kind != tRBrack {
			return nil, errAt(c.start, "\"]\" is expected after the range")
		}
		p.next()
		r.sliced, r.slice = true, s
	}
	return r, nil
}

// parseSlice reads "i", "i:n", "i-j", ":n", "i:".
func parseSlice(s string) (sliceSpec, bool) {
	atoi := func(x string) (int, bool) {
		n, err := strconv.Atoi(x)
		return n, err == nil && n > -1<<20 && n < 1<<20
	}
	if a, b, ok := strings.Cut(s, ":"); ok {
		start := 0
		if a != "" {
			v, ok := atoi(a)
			if !ok {
				return sliceSpec{}, false
			}
			start = v
		}
		if b == "" {
			return sliceSpec{start: start, toEnd: true}, a != ""
		}
		n, ok := atoi(b)
		if !ok || n < 0 {
			return sliceSpec{}, false
		}
		return sliceSpec{start: start, length: n}, true
	}
	// "i-j", where i may be negative ("-3--1").
	rest := s
	neg := strings.HasPrefix(rest, "-")
	if neg {
		rest = rest[1:]
	}
	if a, b, ok := strings.Cut(rest, "-"); ok {
		i, ok1 := atoi(a)
		j, ok2 := atoi(b)
		if !ok1 || !ok2 {
			return sliceSpec{}, false
		}
		if neg {
			i = -i
		}
		if (i >= 0) == (j >= 0) && j < i {
			return sliceSpec{}, false
		}
		return sliceSpec{start: i, length: j, endIncl: true}, true
	}
	i, ok := atoi(s)
	if !ok {
		return sliceSpec{}, false
	}
	return sliceSpec{start: i, length: 1}, true
}

// looksLikeValue: a number, byte string or address where a field belongs.
func looksLikeValue(s string) bool {
	c := s[0]
	return c >= '0' && c <= '9' || c == '-' || c == ':'
}

func (p *parser) valueToken(op token) (token, *Error) {
	t := p.peek()
	switch t.kind {
	case tWord, tString, tChar:
		p.next()
		if t.kind == tWord {
			if _, isField := resolve(t.text); isField && t.text != "True" && t.text != "False" {
				return t, errAt(t.start, "comparing %s with another field is not supported", strconv.Quote(t.text))
			}
		}
		return t, nil
	case tEOF:
		return t, errAt(op.end-1, "a value is expected after %q", op.text)
	}
	return t, errAt(t.start, "a value is expected after %q, not %s", op.text, t.describe())
}

func (p *parser) comparison(r *ref, op token, c cmpOp) (node, *Error) {
	vt, err := p.valueToken(op)
	if err != nil {
		return nil, err
	}
	typ := r.resultType()
	n := &cmpNode{r: *r, op: c}
	switch c {
	case opContains:
		if typ != vString && typ != vBytes {
			return nil, errAt(op.start, "%s is %s: contains needs a string or bytes", r.name, typ)
		}
	case opMatches:
		if typ != vString && typ != vBytes {
			return nil, errAt(op.start, "%s is %s: matches needs a string or bytes", r.name, typ)
		}
		if vt.kind != tString {
			return nil, errAt(vt.start, "matches needs a quoted regular expression")
		}
		re, err := compileRegexp(vt.text)
		if err != nil {
			return nil, errAt(vt.start, "bad regular expression: %v", err)
		}
		n.l.re = re
		return n, nil
	case opLt, opLe, opGt, opGe:
		if typ == vNone {
			return nil, errAt(op.start, "%s has no value to compare", r.name)
		}
	default:
		if typ == vNone {
			return nil, errAt(op.start, "%s has no value: test it by its name alone", r.name)
		}
	}
	l, lerr := parseLit(typ, r, vt)
	if lerr != nil {
		return nil, lerr
	}
	if l.isPfx && c != opAnyEq && c != opAllNe && c != opAllEq && c != opAnyNe {
		return nil, errAt(vt.start, "a network (%s) can only be tested with == and !=", vt.text)
	}
	n.l = l
	return n, nil
}

// set := "{" elem { "," elem } "}"; elem := value [ ".." value ]
func (p *parser) set(r *ref, in token) (node, *Error) {
	typ := r.resultType()
	if typ == vNone {
		return nil, errAt(in.start, "%s has no value to look up in a set", r.name)
	}
	open := p.next()
	if open.kind != tLBrace {
		return nil, errAt(open.start, "\"{\" is expected after \"in\"")
	}
	n := &setNode{r: *r}
	for {
		vt, err := p.valueToken(open)
		if err != nil {
			if vt.kind == tRBrace && len(n.elems) == 0 {
				return nil, errAt(vt.start, "the set is empty")
			}
			return nil, err
		}
		lo, lerr := parseLit(typ, r, vt)
		if lerr != nil {
			return nil, lerr
		}
		el := setElem{lo: lo}
		if p.peek().kind == tDotDot {
			dd := p.next()
			if typ == vBool {
				return nil, errAt(dd.start, "a range needs ordered values, and %s is %s", r.name, typ)
			}
			ht, err := p.valueToken(dd)
			if err != nil {
				return nil, err
			}
			hi, lerr := parseLit(typ, r, ht)
			if lerr != nil {
				return nil, lerr
			}
			if lo.isPfx || hi.isPfx {
				return nil, errAt(vt.start, "a range cannot use networks")
			}
			el.hi, el.isRange = hi, true
		} else if lo.isPfx {
			return nil, errAt(vt.start, "a set cannot hold networks (%s)", vt.text)
		}
		n.elems = append(n.elems, el)
		switch t := p.next(); t.kind {
		case tComma:
			continue
		case tRBrace:
			return n, nil
		case tEOF:
			return nil, errAt(open.start, "the \"{\" is never closed")
		default:
			return nil, errAt(t.start, "%s was not expected here: set elements are separated by \",\"", t.describe())
		}
	}
}
