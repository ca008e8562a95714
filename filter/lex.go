package filter

import (
	"strconv"
	"strings"
)

// tokKind is the class of a lexical token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // field name, number, byte string, address, keyword
	tString         // "..." or r"..." (text already unescaped)
	tChar           // 'x' (value in text)
	tLParen         // (
	tRParen         // )
	tLBrace         // {
	tRBrace         // }
	tLBrack         // [
	tRBrack         // ]
	tComma          // ,
	tDotDot         // ..
	tOp             // == != === !== ~= < > <= >= ~ && || !
)

// token is one lexeme with its byte offsets in the expression.
type token struct {
	kind       tokKind
	text       string
	start, end int
}

func (t token) describe() string {
	if t.kind == tEOF {
		return "the end"
	}
	return strconv.Quote(t.text)
}

// isWordByte: field names (mqtt.property.topic_alias), numbers (0x1f),
// byte strings (7b:22), addresses (::1, 10.0.0.0/8), slice ranges (1-2, -1).
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '-' || c == '/' || c == '$' || c == '@'
}

// lex splits the expression into tokens.
func lex(src string) ([]token, *Error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '"' || (c == 'r' && i+1 < len(src) && src[i+1] == '"'):
			t, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			i = t.end
			continue
		case c == '\'':
			t, err := lexChar(src, i)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			i = t.end
			continue
		}
		if isWordByte(c) {
			j := i
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			// "1..5" inside a set is three tokens.
			w := src[i:j]
			if k := strings.Index(w, ".."); k >= 0 {
				if k > 0 {
					out = append(out, token{tWord, w[:k], i, i + k})
				}
				out = append(out, token{tDotDot, "..", i + k, i + k + 2})
				i += k + 2
				continue
			}
			out = append(out, token{tWord, w, i, j})
			i = j
			continue
		}
		if op := matchOp(src[i:]); op != "" {
			out = append(out, token{tOp, op, i, i + len(op)})
			i += len(op)
			continue
		}
		var k tokKind
		switch c {
		case '(':
			k = tLParen
		case ')':
			k = tRParen
		case '{':
			k = tLBrace
		case '}':
			k = tRBrace
		case '[':
			k = tLBrack
		case ']':
			k = tRBrack
		case ',':
			k = tComma
		default:
			return nil, errAt(i, "%q is not allowed here", string(rune(c)))
		}
		out = append(out, token{k, src[i : i+1], i, i + 1})
		i++
	}
	out = append(out, token{tEOF, "", len(src), len(src)})
	return out, nil
}

// operators, longest first so "===" wins over "==".
var operators = []string{"===", "!==", "==", "!=", "~=", "<=", ">=", "&&", "||", "<", ">", "~", "!"}

func matchOp(s string) string {
	for _, op := range operators {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	return ""
}

// lexString reads "..." with C escapes (\n \t \r \\ \" \xhh \ooo \uXXXX),
// or r"..." raw (backslashes kept, as for regular expressions).
func lexString(src string, start int) (token, *Error) {
	i := start
	raw := false
	if src[i] == 'r' {
		raw = true
		i++
	}
	i++ // opening quote
	var b strings.Builder
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			return token{tString, b.String(), start, i + 1}, nil
		case c == '\\' && raw:
			if i+1 < len(src) && src[i+1] == '"' {
				b.WriteString(`\"`)
				i += 2
				continue
			}
			b.WriteByte(c)
			i++
		case c == '\\':
			n, adv, err := unescape(src, i)
			if err != nil {
				return token{}, err
			}
			b.WriteString(n)
			i += adv
		default:
			b.WriteByte(c)
			i++
		}
	}
	return token{}, errAt(start, "the string has no closing quote")
}

// unescape decodes the escape at src[i] (a backslash) and says how many
// bytes it used.
func unescape(src string, i int) (string, int, *Error) {
	if i+1 >= len(src) {
		return "", 0, errAt(i, "a backslash ends the string")
	}
	switch c := src[i+1]; c {
	case 'n':
		return "\n", 2, nil
	case 't':
		return "\t", 2, nil
	case 'r':
		return "\r", 2, nil
	case 'a':
		return "\a", 2, nil
	case 'b':
		return "\b", 2, nil
	case 'f':
		return "\f", 2, nil
	case 'v':
		return "\v", 2, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, n := 0, 0
		for n < 3 && i+1+n < len(src) && src[i+1+n] >= '0' && src[i+1+n] <= '7' {
			v = v*8 + int(src[i+1+n]-'0')
			n++
		}
		if v > 0xff {
			return "", 0, errAt(i, "octal escape \\%s is over 0377", src[i+1:i+1+n])
		}
		return string([]byte{byte(v)}), 1 + n, nil
	case 'x':
		if i+3 < len(src) && isHex(src[i+2]) && isHex(src[i+3]) {
			return string([]byte{hexVal(src[i+2])<<4 | hexVal(src[i+3])}), 4, nil
		}
		return "", 0, errAt(i, `\x needs two hex digits`)
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if i+2+n > len(src) {
			return "", 0, errAt(i, `\%c needs %d hex digits`, c, n)
		}
		var r rune
		for _, d := range []byte(src[i+2 : i+2+n]) {
			if !isHex(d) {
				return "", 0, errAt(i, `\%c needs %d hex digits`, c, n)
			}
			r = r<<4 | rune(hexVal(d))
		}
		if r > 0x10ffff {
			return "", 0, errAt(i, "\\%c%s is not a Unicode code point", c, src[i+2:i+2+n])
		}
		return string(r), 2 + n, nil
	default:
		// \\ \" \' and any other character stand for themselves.
		return src[i+1 : i+2], 2, nil
	}
}

// lexChar reads a character constant: 'a', '\n', '\x7b'.
func lexChar(src string, start int) (token, *Error) {
	i := start + 1
	var s string
	switch {
	case i >= len(src):
		return token{}, errAt(start, "the character constant has no closing quote")
	case src[i] == '\\':
		v, n, err := unescape(src, i)
		if err != nil {
			return token{}, err
		}
		s, i = v, i+n
	default:
		s, i = src[i:i+1], i+1
	}
	if i >= len(src) || src[i] != '\'' || len(s) != 1 {
		return token{}, errAt(start, "a character constant holds one byte: 'a', '\\n', '\\x7b'")
	}
	return token{tChar, s, start, i + 1}, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
