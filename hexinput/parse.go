// Package hexinput turns hex text the way people paste it (spaced or packed
// hex, 0x and \x prefixes, Python bytes literals, C arrays, xxd / hexdump -C /
// od / Wireshark dumps) into bytes.
package hexinput

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse turns pasted hex into bytes. Dump lines (offset column, hex, ASCII
// column) are recognised per line and only their hex part is taken. '#'
// starts a comment that runs to the end of the line. Errors are one line,
// with 1-based line and column numbers where they apply.
func Parse(text string) ([]byte, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	orig := strings.Split(text, "\n")
	lines := orig
	if !anyDumpLine(orig) {
		lines = strings.Split(keepBraces(text), "\n")
	}
	width := dumpWidth(lines)
	var out []byte
	inDump := false
	for i, line := range lines {
		ctx := lineCtx{orig: strings.TrimSuffix(orig[i], "\r"), num: i + 1}
		line = strings.TrimSuffix(line, "\r")
		if d, ok := detectDump(line); ok {
			inDump = true
			var err error
			if out, err = dumpBytes(out, line, d.hexStart, width, ctx); err != nil {
				return nil, err
			}
			continue
		}
		if inDump {
			t := strings.TrimSpace(line)
			if isOffsetToken(t) {
				continue // the final offset line of hexdump, od, xxd -r style dumps
			}
			if t == "*" {
				return nil, fmt.Errorf("line %d: '*' stands for repeated lines the dump left out; dump again with -v", ctx.num)
			}
		}
		var err error
		if out, err = parseFree(out, line, ctx); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no hex given")
	}
	return out, nil
}

// lineCtx locates errors: orig is the line as given (columns count its runes).
type lineCtx struct {
	orig string
	num  int
}

func (c lineCtx) column(i int) int {
	if i > len(c.orig) {
		i = len(c.orig)
	}
	return utf8.RuneCountInString(c.orig[:i]) + 1
}

// notHex reports the character at byte index i.
func (c lineCtx) notHex(i int) error {
	return fmt.Errorf("not hex: %s at line %d, column %d", quoteAt(c.orig, i), c.num, c.column(i))
}

func (c lineCtx) oddRun(tok string, i int) error {
	return fmt.Errorf("odd number of hex digits in %q at line %d, column %d", tok, c.num, c.column(i))
}

// quoteAt quotes the character at byte index i, escaping what is not printable.
func quoteAt(s string, i int) string {
	if i >= len(s) {
		return "end of line"
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf(`'\x%02x'`, s[i])
	}
	return strconv.QuoteRune(r)
}

func isHexDigit(c byte) bool {
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

// hexRun returns the length of the run of hex digits at the start of s.
func hexRun(s string) int {
	n := 0
	for n < len(s) && isHexDigit(s[n]) {
		n++
	}
	return n
}

// appendPacked appends the bytes of an even-length run of hex digits.
func appendPacked(out []byte, run string) []byte {
	for i := 0; i+1 < len(run); i += 2 {
		out = append(out, hexVal(run[i])<<4|hexVal(run[i+1]))
	}
	return out
}

// keepBraces blanks everything outside the outermost {...} of a C or Go
// array ("unsigned char x[] = {0x10, ...};"), keeping line and byte
// positions so error columns stay right. It is skipped when a quote comes
// before the brace, since a brace inside b'...' stands for itself.
func keepBraces(text string) string {
	open := strings.IndexByte(text, '{')
	if open < 0 || strings.ContainsAny(text[:open], `'"`) {
		return text
	}
	end := len(text)
	if c := strings.LastIndexByte(text, '}'); c > open {
		end = c
	}
	b := []byte(text)
	for i := range b {
		if (i <= open || i >= end) && b[i] != '\n' && b[i] != '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
