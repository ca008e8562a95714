package render

import (
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Escape makes wire text safe to print on a terminal: control characters,
// escape sequences, invalid UTF-8, bidi overrides and other invisible
// format characters become visible backslash escapes (\x1b, \n, \u202e),
// and the backslash itself is doubled so escapes cannot be forged.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	return string(appendEscaped(make([]byte, 0, len(s)+16), s))
}

// needsEscape is the fast path: plain printable ASCII without a backslash.
func needsEscape(s string) bool { return plainRun(s, 0) < len(s) }

// plainRun is the end of the run of plain bytes (printable ASCII, not a
// backslash) that starts at i.
func plainRun(s string, i int) int { return printableRun(s, i, '\\', '\\') }

// printableRun is the end of the run of printable ASCII bytes other than
// x and y that starts at i, tested eight bytes at a time: the escapers
// spend most of their time here.
func printableRun(s string, i int, x, y byte) int {
	xs, ys := uint64(x)*ones, uint64(y)*ones
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8]
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		if (unprintable(w)|zeroByte(w^xs)|zeroByte(w^ys))&highs != 0 {
			break
		}
	}
	for i < len(s) && s[i]-0x20 < 0x5f && s[i] != x && s[i] != y {
		i++
	}
	return i
}

// printableASCIIRun is printableRun without exclusions, sixteen bytes at
// a time: looksLikeText reads every byte of payloads up to 256 MB.
func printableASCIIRun(b []byte, i int) int {
	for ; i+16 <= len(b); i += 16 {
		t := b[i : i+16]
		if (unprintable(binary.LittleEndian.Uint64(t))|unprintable(binary.LittleEndian.Uint64(t[8:])))&highs != 0 {
			break
		}
	}
	return printableRun(unsafeString(b), i, 0x7f, 0x7f)
}

// Word-at-a-time byte tests: masked with highs, each is non-zero exactly
// when some byte of w is what it looks for (which byte is not exact, so
// callers only test for zero, masking once for all their tests).
const ones, highs = 0x0101010101010101, 0x8080808080808080

// unprintable: a byte below 0x20 or above 0x7e.
func unprintable(w uint64) uint64 { return (w-0x20*ones)&^w | (w + ones) | w }

// zeroByte: a zero byte.
func zeroByte(w uint64) uint64 { return (w - ones) &^ w }

// appendEscaped appends the escaped form of s to dst.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		// A run of plain bytes is appended at once: one append per byte
		// was the summary's hottest loop.
		j := plainRun(s, i)
		if j > i {
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = appendASCIIEscape(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = appendByteEscape(dst, c)
		case unicode.IsGraphic(r):
			// letters, marks, digits, punctuation, symbols, spaces;
			// excludes Cc, Cf (bidi, zero-width), Zl, Zp, Co, Cs, Cn.
			dst = append(dst, s[i:i+size]...)
		default:
			dst = appendRuneEscape(dst, r)
		}
		i += size
	}
	return dst
}

func appendASCIIEscape(dst []byte, c byte) []byte {
	switch c {
	case '\\':
		return append(dst, '\\', '\\')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return appendByteEscape(dst, c)
}

func appendByteEscape(dst []byte, c byte) []byte {
	return append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

func appendRuneEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		dst = append(dst, '\\', 'U')
		return appendHexN(dst, uint64(r), 8)
	}
	dst = append(dst, '\\', 'u')
	return appendHexN(dst, uint64(r), 4)
}

// appendHexN appends v as exactly n lowercase hex digits.
func appendHexN(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(uint(i)*4))&0xf])
	}
	return dst
}

// looksLikeText reports whether b reads as text worth previewing: valid
// UTF-8 with no control characters other than tab and line breaks.
func looksLikeText(b []byte) bool {
	// Printable ASCII (most text payloads) in one pass over the bytes,
	// eight at a time between line breaks and tabs.
	i := 0
	for i < len(b) {
		if i = printableASCIIRun(b, i); i == len(b) || b[i] >= utf8.RuneSelf {
			break
		}
		if c := b[i]; c != '\t' && c != '\n' && c != '\r' {
			return false
		}
		i++
	}
	if i == len(b) {
		return len(b) > 0
	}
	if !utf8.Valid(b) {
		return false
	}
	runes, marks := 0, 0
	for _, r := range string(b) {
		runes++
		if r < utf8.RuneSelf {
			// ASCII without the Unicode tables (most payloads): printable
			// and tab/newline/return are text, other controls are not.
			if (r < 0x20 || r == 0x7f) && r != '\t' && r != '\n' && r != '\r' {
				return false
			}
			continue
		}
		if !unicode.IsGraphic(r) {
			return false
		}
		if unicode.IsMark(r) {
			if runes == 1 {
				return false // text does not start with a combining mark
			}
			marks++
		}
	}
	// binary that happens to decode as UTF-8 is mostly stray marks
	return marks*2 <= runes
}

// cutUTF8Bytes is cutUTF8 of string(b) without converting what is cut off
// (a payload can be 64 KiB and only its start is shown).
func cutUTF8Bytes(b []byte, n int) (string, bool) {
	if n <= 0 || len(b) <= n {
		return string(b), true
	}
	s, _ := cutUTF8(string(b[:n+1]), n) // cutUTF8 reads at most s[n]
	return s, false
}

// cutUTF8 shortens s to at most n bytes without splitting a rune; ok is
// false when something was cut.
func cutUTF8(s string, n int) (string, bool) {
	if n <= 0 || len(s) <= n {
		return s, true
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], false
}
