package render

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"test/a", "test/a"},
		{"", ""},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"a\r\nb\tc", `a\r\nb\tc`},
		{"back\\slash", `back\\slash`},
		{`\x1b`, `\\x1b`}, // a literal escape cannot pass for a real one
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"\xe2\x82", `\xe2\x82`}, // truncated rune
		{"del\x7f", `del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"line\u2028sep", `line\u2028sep`},
		{"nul\x00", `nul\x00`},
		{"héllo wörld ✓ 温度", "héllo wörld ✓ 温度"},
		{"nbsp\u00a0ok", "nbsp\u00a0ok"},
		{"private\U000f0000", `private\U000f0000`},
	}
	for _, c := range cases {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// checkTerminalSafe fails when s holds anything a terminal could act on.
func checkTerminalSafe(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("invalid UTF-8 in %q", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("unsafe rune %U in %q", r, s)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[2J", "a\u202eb", "\xff", `\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		checkTerminalSafe(t, e)
		if back, err := unescape(e); err != nil || back != s {
			t.Errorf("round trip of %q: got %q, %v", s, back, err)
		}
		if !needsEscape(s) && e != s {
			t.Errorf("plain text changed: %q -> %q", s, e)
		}
	})
}

func TestCutUTF8(t *testing.T) {
	cases := []struct {
		in    string
		n     int
		want  string
		whole bool
	}{
		{"abc", 0, "abc", true},
		{"abc", 3, "abc", true},
		{"abcd", 3, "abc", false},
		{"aé", 2, "a", false}, // é is 2 bytes: not split
		{"温度", 4, "温", false},
		{"a温度", 3, "a", false},
		{"a温度", 4, "a温", false},
		{"温度", 6, "温度", true},
	}
	for _, c := range cases {
		got, whole := cutUTF8(c.in, c.n)
		if got != c.want || whole != c.whole {
			t.Errorf("cutUTF8(%q, %d) = %q, %v; want %q, %v", c.in, c.n, got, whole, c.want, c.whole)
		}
		if got, whole := cutUTF8Bytes([]byte(c.in), c.n); got != c.want || whole != c.whole {
			t.Errorf("cutUTF8Bytes(%q, %d) = %q, %v; want %q, %v", c.in, c.n, got, whole, c.want, c.whole)
		}
	}
}

func TestLooksLikeText(t *testing.T) {
	for s, want := range map[string]bool{
		"hello":          true,
		"{\"a\":1}\n":    true,
		"":               false,
		"\x00\x01":       false,
		"bin\xff":        false,
		"ansi\x1b[31m":   false,
		"温度 21.5 °C\r\n": true,
	} {
		if got := looksLikeText([]byte(s)); got != want {
			t.Errorf("looksLikeText(%q) = %v, want %v", s, got, want)
		}
	}
}

// unescape inverts Escape, to show that no two inputs print the same.
func unescape(s string) (string, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("dangling backslash")
		}
		i++
		switch s[i] {
		case '\\':
			out = append(out, '\\')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[i]]
			if i+n >= len(s) {
				return "", fmt.Errorf("short escape")
			}
			v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", err
			}
			if s[i] == 'x' {
				out = append(out, byte(v))
			} else {
				out = utf8.AppendRune(out, rune(v))
			}
			i += n
		default:
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
	}
	return string(out), nil
}

// looksLikeTextByTables is looksLikeText without its ASCII fast path.
func looksLikeTextByTables(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	runes, marks := 0, 0
	for _, r := range string(b) {
		runes++
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if !unicode.IsGraphic(r) {
			return false
		}
		if unicode.IsMark(r) {
			if runes == 1 {
				return false
			}
			marks++
		}
	}
	return marks*2 <= runes
}

// TestLooksLikeTextFastPath: the ASCII fast path decides as the Unicode
// tables do, for every pair of ASCII bytes and around non-ASCII runes.
func TestLooksLikeTextFastPath(t *testing.T) {
	for a := 0; a < 128; a++ {
		for b := 0; b < 128; b++ {
			for _, s := range [][]byte{{byte(a)}, {byte(a), byte(b)}, []byte("é" + string(rune(a)) + "\u0301" + string(rune(b))), {byte(a), 0xff}, {byte(a), byte(b), 0xc3, 0xa9, byte(b)}, {byte(a), 0xcc, 0x81},
				// long enough for the eight-byte steps, the byte at each place of a word
				append([]byte("abcdefgh12345678"), byte(a), byte(b)), []byte("abcdefg" + string([]byte{byte(a)}) + "abcdefgh" + string([]byte{byte(b)}) + "123")} {
				if got, want := looksLikeText(s), looksLikeTextByTables(s); got != want {
					t.Fatalf("looksLikeText(%q) = %v, the tables say %v", s, got, want)
				}
			}
		}
	}
}

// printableRun's eight-bytes-at-a-time test must stop exactly where the
// byte loop does: every byte value at every position of a word, for the
// terminal's exclusions (the backslash) and JSON's (quote and backslash).
func TestPrintableRunMatchesByteLoop(t *testing.T) {
	for _, ex := range [][2]byte{{'\\', '\\'}, {'"', '\\'}} {
		slow := func(s string, i int) int {
			for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f && s[i] != ex[0] && s[i] != ex[1] {
				i++
			}
			return i
		}
		base := []byte("abcdefghijklmnopqrstuvwxyz0123456789")
		for v := 0; v < 256; v++ {
			for pos := 0; pos < 20; pos++ {
				b := append([]byte(nil), base...)
				b[pos] = byte(v)
				s := string(b)
				for start := 0; start <= pos; start++ {
					if got, want := printableRun(s, start, ex[0], ex[1]), slow(s, start); got != want {
						t.Fatalf("except %q: byte %#x at %d, from %d: printableRun %d, byte loop %d", ex, v, pos, start, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkPrintableRun(b *testing.B) {
	s := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 2000)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if printableRun(s, 0, '"', '\\') != len(s) {
			b.Fatal("stopped early")
		}
	}
}

// printableASCIIRun stops where the byte loop does, for a byte of every
// value at every place of its sixteen-byte step.
func TestPrintableASCIIRunMatchesByteLoop(t *testing.T) {
	base := []byte("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ")
	for v := 0; v < 256; v++ {
		for pos := 0; pos < 40; pos++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(v)
			want := 0
			for want < len(b) && b[want] >= 0x20 && b[want] < 0x7f {
				want++
			}
			if got := printableASCIIRun(b, 0); got != want {
				t.Fatalf("byte %#x at %d: %d, byte loop %d", v, pos, got, want)
			}
		}
	}
}
