package filter

import (
	"bytes"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// node is a compiled expression.
type node interface {
	eval(p *Packet) bool
}

type andNode struct{ a, b node }

func (n *andNode) eval(p *Packet) bool { return n.a.eval(p) && n.b.eval(p) }

type orNode struct{ a, b node }

func (n *orNode) eval(p *Packet) bool { return n.a.eval(p) || n.b.eval(p) }

type notNode struct{ x node }

func (n *notNode) eval(p *Packet) bool { return !n.x.eval(p) }

// existsNode is a bare field: true when it has at least one value.
type existsNode struct{ r *ref }

func (n *existsNode) eval(p *Packet) bool {
	stopped, _ := walk(p, n.r, stopFirst{})
	return stopped
}

// cmpOp is a relational operator with Wireshark 4's any/all rule for
// fields that occur more than once.
type cmpOp uint8

const (
	opAnyEq cmpOp = iota // ==: some value equals
	opAllNe              // !=: every value differs (and there is one)
	opAllEq              // ===: every value equals (and there is one)
	opAnyNe              // ~=: some value differs
	opLt                 // the order tests hold for some value
	opLe
	opGt
	opGe
	opContains
	opMatches
)

// cmpNode tests a field against one literal.
type cmpNode struct {
	r  ref
	op cmpOp
	l  lit
}

func (n *cmpNode) eval(p *Packet) bool {
	stopped, count := walk(p, &n.r, n)
	switch n.op {
	case opAllNe, opAllEq:
		// visit stops at the first counter-example.
		return !stopped && count > 0
	}
	return stopped
}

// visit reports whether this value decides the test: for the "any"
// operators a value that passes, for the "all" operators one that fails.
func (n *cmpNode) visit(v value) bool {
	switch n.op {
	case opAnyEq, opAllNe:
		return equal(v, &n.l)
	case opAllEq, opAnyNe:
		return !equal(v, &n.l)
	case opContains:
		if v.t == vString {
			return strings.Contains(v.s, n.l.s)
		}
		return bytes.Contains(v.by, n.l.by)
	case opMatches:
		if v.t == vString {
			return n.l.re.MatchString(v.s)
		}
		return n.l.re.Match(v.by)
	}
	c, ok := compare(v, &n.l)
	if !ok {
		return false
	}
	switch n.op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

// setNode is "field in {a, b, c..d}": some value is in the set.
type setNode struct {
	r     ref
	elems []setElem
}

type setElem struct {
	lo, hi  lit
	isRange bool
}

func (n *setNode) eval(p *Packet) bool {
	stopped, _ := walk(p, &n.r, n)
	return stopped
}

func (n *setNode) visit(v value) bool {
	for i := range n.elems {
		e := &n.elems[i]
		if !e.isRange {
			if equal(v, &e.lo) {
				return true
			}
			continue
		}
		a, ok1 := compare(v, &e.lo)
		b, ok2 := compare(v, &e.hi)
		if ok1 && ok2 && a >= 0 && b <= 0 {
			return true
		}
	}
	return false
}

// lit is a literal typed for the field it is compared with.
type lit struct {
	t     vtype
	u     uint64
	neg   bool // a negative integer: below every unsigned value
	b     bool
	s     string // vString, and vBytes as text
	by    []byte // vBytes, and vString as bytes
	addr  netip.Addr
	pfx   netip.Prefix
	isPfx bool
	d     time.Duration
	re    *regexp.Regexp
}

func equal(v value, l *lit) bool {
	switch v.t {
	case vUint:
		return !l.neg && v.u == l.u
	case vBool:
		return v.b == l.b
	case vString:
		return v.s == l.s
	case vBytes:
		return bytes.Equal(v.by, l.by)
	case vIPv4, vIPv6:
		if l.isPfx {
			return l.pfx.Contains(v.addr)
		}
		return v.addr == l.addr
	case vTime:
		return v.d == l.d
	}
	return false
}

// compare orders v against l: -1, 0, 1.
func compare(v value, l *lit) (int, bool) {
	switch v.t {
	case vUint:
		switch {
		case l.neg || v.u > l.u:
			return 1, true
		case v.u < l.u:
			return -1, true
		}
		return 0, true
	case vBool:
		a, b := 0, 0
		if v.b {
			a = 1
		}
		if l.b {
			b = 1
		}
		return a - b, true
	case vString:
		return strings.Compare(v.s, l.s), true
	case vBytes:
		return bytes.Compare(v.by, l.by), true
	case vIPv4, vIPv6:
		if l.isPfx {
			return 0, false
		}
		return v.addr.Compare(l.addr), true
	case vTime:
		switch {
		case v.d < l.d:
			return -1, true
		case v.d > l.d:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// compileRegexp compiles a matches pattern. Wireshark's matches is
// case-insensitive unless the pattern says (?-i); the syntax is Go's RE2.
func compileRegexp(pat string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(pat); err != nil {
		return nil, err // the error names the user's pattern, not ours
	}
	return regexp.Compile("(?i)" + pat)
}

// parseLit reads a value token as the type the field compares.
func parseLit(t vtype, r *ref, tok token) (lit, *Error) {
	l := lit{t: t}
	text := tok.text
	bad := func(what string) (lit, *Error) {
		return lit{}, errAt(tok.start, "%s is not %s, which %s needs", quoteTok(tok), what, r.describe())
	}
	switch t {
	case vUint:
		switch tok.kind {
		case tChar:
			l.u = uint64(text[0])
			return l, nil
		case tWord:
			if u, neg, ok := parseInt(text); ok {
				l.u, l.neg = u, neg
				return l, nil
			}
		}
		// A value name: mqtt.msgtype == "Publish Message".
		if r.def != nil && r.fn == fnNone {
			for v, name := range r.def.Labels {
				if strings.EqualFold(name, text) {
					l.u = v
					return l, nil
				}
			}
		}
		return bad("an unsigned integer (decimal, 0x hex or 0 octal) or a value name")
	case vBool:
		switch text {
		case "True", "TRUE", "true", "1":
			l.b = true
			return l, nil
		case "False", "FALSE", "false", "0":
			return l, nil
		}
		if tok.kind == tWord {
			if u, neg, ok := parseInt(text); ok && !neg {
				l.b = u != 0
				return l, nil
			}
		}
		return bad("a boolean (True, False, 1 or 0)")
	case vString:
		l.s = text
		l.by = []byte(text)
		return l, nil
	case vBytes:
		switch tok.kind {
		case tString, tChar:
			l.by = []byte(text)
		default:
			b, ok := parseByteString(text)
			if !ok {
				return bad("a byte string (7b:22, 7b22 or 7b.22)")
			}
			l.by = b
		}
		l.s = string(l.by)
		return l, nil
	case vIPv4, vIPv6:
		if strings.Contains(text, "/") {
			pfx, err := netip.ParsePrefix(text)
			if err != nil || pfx.Addr().Is4() != (t == vIPv4) {
				return bad(t.String() + " network")
			}
			l.pfx, l.isPfx = pfx.Masked(), true
			return l, nil
		}
		a, err := netip.ParseAddr(text)
		if err != nil || a.Is4() != (t == vIPv4) || a.Zone() != "" {
			return bad(t.String())
		}
		l.addr = a
		return l, nil
	case vTime:
		d, ok := parseSeconds(text)
		if !ok || tok.kind == tChar {
			return bad("a time in seconds (0.25)")
		}
		l.d = d
		return l, nil
	}
	return lit{}, errAt(tok.start, "%s has no value to compare", r.name)
}

func quoteTok(t token) string {
	if t.kind == tChar {
		return "'" + t.text + "'"
	}
	return strconv.Quote(t.text)
}

func (r *ref) describe() string {
	if r.fn != fnNone {
		return r.fnName() + "(" + r.name + ")"
	}
	if r.sliced {
		return "a slice of " + r.name
	}
	return r.name + " (" + r.t.String() + ")"
}

// parseInt reads decimal, 0x hex, 0b binary and leading-0 octal, with an
// optional minus sign.
func parseInt(s string) (u uint64, neg bool, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0B"):
		base, s = 2, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, false, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return 0, false, false
	}
	if neg && v == 0 {
		neg = false
	}
	return v, neg, true
}

// parseByteString reads hex bytes separated by ':', '.' or '-', or
// packed ("7b22"), or one byte ("7b", "0x7b").
func parseByteString(s string) ([]byte, bool) {
	if strings.HasPrefix(s, "0x") && len(s) <= 4 {
		s = s[2:]
	}
	var out []byte
	sep := byte(0)
	for i := 0; i < len(s); {
		if i > 0 && (s[i] == ':' || s[i] == '.' || s[i] == '-') {
			if sep != 0 && s[i] != sep {
				return nil, false
			}
			sep = s[i]
			i++
			if i >= len(s) {
				return nil, false
			}
		}
		// One or two digits between separators; pairs when packed.
		if i+1 < len(s) && isHex(s[i]) && isHex(s[i+1]) {
			out = append(out, hexVal(s[i])<<4|hexVal(s[i+1]))
			i += 2
			continue
		}
		if isHex(s[i]) && sep != 0 && (i+1 == len(s) || s[i+1] == sep) {
			out = append(out, hexVal(s[i]))
			i++
			continue
		}
		return nil, false
	}
	return out, len(out) > 0
}

// parseSeconds reads a decimal number of seconds exactly, to the nanosecond.
func parseSeconds(s string) (time.Duration, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, false
	}
	var w uint64
	if whole != "" {
		v, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || v > math.MaxInt64/uint64(time.Second) {
			return 0, false
		}
		w = v
	}
	d := time.Duration(w) * time.Second
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		for _, c := range frac {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		f, _ := strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		d += time.Duration(f)
	}
	if neg {
		d = -d
	}
	return d, true
}
