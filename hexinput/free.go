package hexinput

import "fmt"

// isSep reports characters that may stand between bytes: whitespace, the
// punctuation of lists and arrays, and bare quotes (Wireshark's "Copy as
// Escaped String" gives "\x10\x26...").
func isSep(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\v', '\f', ',', ':', ';', '-', '{', '}', '[', ']', '(', ')', '"', '\'':
		return true
	}
	return false
}

// parseFree parses one line that is not a dump line.
func parseFree(out []byte, line string, ctx lineCtx) ([]byte, error) {
	i := 0
	for i < len(line) {
		c := line[i]
		tokenStart := i == 0 || isSep(line[i-1])
		switch {
		case (c == 'b' || c == 'B') && tokenStart && i+1 < len(line) && (line[i+1] == '\'' || line[i+1] == '"'):
			var err error
			if out, i, err = parseBytesLiteral(out, line, i, ctx); err != nil {
				return nil, err
			}
		case isSep(c):
			i++
		case c == '#':
			return out, nil
		case c == '0' && tokenStart && i+1 < len(line) && (line[i+1] == 'x' || line[i+1] == 'X'):
			n := hexRun(line[i+2:])
			run := line[i+2 : i+2+n]
			switch {
			case n == 0:
				return nil, fmt.Errorf("no hex digits after %q at line %d, column %d", line[i:i+2], ctx.num, ctx.column(i))
			case n == 1: // C writes 0x1 for one byte
				out = append(out, hexVal(run[0]))
			case n%2 == 1:
				return nil, ctx.oddRun(line[i:i+2+n], i)
			default:
				out = appendPacked(out, run)
			}
			i += 2 + n
		case c == '\\' && i+1 < len(line) && (line[i+1] == 'x' || line[i+1] == 'X'):
			if hexRun(line[i+2:min(i+4, len(line))]) != 2 {
				return nil, fmt.Errorf(`\x needs two hex digits at line %d, column %d`, ctx.num, ctx.column(i))
			}
			out = appendPacked(out, line[i+2:i+4])
			i += 4
		case isHexDigit(c):
			n := hexRun(line[i:])
			if j := i + n; j < len(line) && !isSep(line[j]) && line[j] != '#' && line[j] != '\\' {
				return nil, ctx.notHex(j) // "2g": the g is the mistake, not the odd count
			}
			if n%2 == 1 {
				return nil, ctx.oddRun(line[i:i+n], i)
			}
			out = appendPacked(out, line[i:i+n])
			i += n
		default:
			return nil, ctx.notHex(i)
		}
	}
	return out, nil
}

// parseBytesLiteral parses a Python bytes literal b'...' or b"..." starting
// at line[i] == 'b'. Printable ASCII stands for itself; the escapes are
// Python's. It returns the index after the closing quote.
func parseBytesLiteral(out []byte, line string, i int, ctx lineCtx) ([]byte, int, error) {
	start := i
	q := line[i+1]
	i += 2
	for i < len(line) {
		c := line[i]
		switch {
		case c == q:
			return out, i + 1, nil
		case c == '\\':
			var err error
			if out, i, err = parseEscape(out, line, i, ctx); err != nil {
				return nil, 0, err
			}
		case c >= 0x20 && c < 0x7f || c == '\t':
			out = append(out, c)
			i++
		default:
			return nil, 0, fmt.Errorf("not allowed in a bytes literal: %s at line %d, column %d", quoteAt(ctx.orig, i), ctx.num, ctx.column(i))
		}
	}
	return nil, 0, fmt.Errorf("bytes literal not closed (starts at line %d, column %d)", ctx.num, ctx.column(start))
}

// parseEscape handles the escape at line[i] == '\\' inside a bytes literal.
func parseEscape(out []byte, line string, i int, ctx lineCtx) ([]byte, int, error) {
	if i+1 >= len(line) {
		return nil, 0, fmt.Errorf("bytes literal not closed at line %d, column %d", ctx.num, ctx.column(i))
	}
	e := line[i+1]
	if v, ok := simpleEscape(e); ok {
		return append(out, v), i + 2, nil
	}
	switch {
	case e == 'x':
		if hexRun(line[i+2:min(i+4, len(line))]) != 2 {
			return nil, 0, fmt.Errorf(`\x needs two hex digits at line %d, column %d`, ctx.num, ctx.column(i))
		}
		return appendPacked(out, line[i+2:i+4]), i + 4, nil
	case e >= '0' && e <= '7':
		v, j := 0, i+1
		for j < len(line) && j < i+4 && line[j] >= '0' && line[j] <= '7' {
			v = v*8 + int(line[j]-'0')
			j++
		}
		if v > 0xff {
			return nil, 0, fmt.Errorf("octal escape above \\377 at line %d, column %d", ctx.num, ctx.column(i))
		}
		return append(out, byte(v)), j, nil
	}
	// Python keeps an unknown escape as written, backslash included.
	return append(out, '\\'), i + 1, nil
}

// simpleEscape maps Python's one-letter escapes to their byte.
func simpleEscape(e byte) (byte, bool) {
	switch e {
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case '\\', '\'', '"':
		return e, true
	case 'a':
		return 7, true
	case 'b':
		return 8, true
	case 'f':
		return 12, true
	case 'v':
		return 11, true
	}
	return 0, false
}
