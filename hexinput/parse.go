// Package hexinput turns hex text the way people paste it (spaced or packed
// hex, 0x and \x prefixes, Python bytes literals, C arrays, xxd / hexdump /
// od / tcpdump / Wireshark dumps) into bytes.
package hexinput

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNoHex is returned when the input holds no hex at all.
var ErrNoHex = errors.New("no hex given")

// Parse turns pasted hex into bytes. Dump lines (offset column, hex, ASCII
// column) are recognised per line and only their hex part is taken. '#'
// starts a comment that runs to the end of the line. Errors are one line,
// with 1-based line and column numbers where they apply.
func Parse(text string) ([]byte, error) {
	var out []byte
	err := Stream(strings.NewReader(text), func(b []byte, _ bool) error {
		out = append(out, b...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseBlocks is Parse, cut where one pasted dump ends and the next begins:
// a dump whose offsets start again at zero, or a tcpdump header line. Input
// without dumps is one block. A whole frame pasted from tcpdump or tshark is
// one block, so the caller can look for link headers in each.
func ParseBlocks(text string) ([][]byte, error) {
	var out [][]byte
	err := Stream(strings.NewReader(text), func(b []byte, newBlock bool) error {
		if newBlock || len(out) == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], b...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prescanLines is how much of the input is looked at before parsing starts,
// to tell a C array from a dump: the input itself is streamed, so a 60 MB
// paste costs a line's memory, not the paste's.
const prescanLines = 256

// Stream reads pasted hex from r line by line and calls emit with the bytes
// of each line (b is reused after emit returns). newBlock is true when the
// bytes start a new pasted dump (see ParseBlocks). It returns ErrNoHex when
// r held no hex, and the first parse or emit error otherwise.
func Stream(r io.Reader, emit func(b []byte, newBlock bool) error) error {
	p := &parser{r: bufio.NewReaderSize(r, 64<<10), emit: emit}
	return p.run()
}

// parser is the state of one Stream call.
type parser struct {
	r    *bufio.Reader
	emit func([]byte, bool) error

	ahead   []string // lines read but not parsed yet (prescan and lookahead)
	eof     bool
	num     int // number of the line being parsed
	braces  bool
	depth   int // braces mode: nesting of { }
	inDump  bool
	block   dumpBlock
	out     []byte
	any     bool // some bytes were emitted
	pending bool // the next emit starts a new block
}

// dumpBlock is what is known of the dump being read.
type dumpBlock struct {
	width  int
	swap   bool // 16-bit little-endian words: od -x, plain hexdump
	bytes  int  // bytes emitted by the block so far
	offset uint64
}

func (p *parser) run() error {
	for len(p.ahead) < prescanLines && p.fill() {
	}
	p.braces = bracesMode(p.ahead)
	for {
		line, ok := p.next()
		if !ok {
			break
		}
		if err := p.line(line); err != nil {
			return err
		}
	}
	if !p.any {
		return ErrNoHex
	}
	return nil
}

// fill reads one more line into ahead.
func (p *parser) fill() bool {
	if p.eof {
		return false
	}
	s, err := p.r.ReadString('\n')
	if err != nil {
		p.eof = true
		if s == "" {
			return false
		}
	}
	if len(p.ahead) == 0 && p.num == 0 {
		s = strings.TrimPrefix(s, "\ufeff")
	}
	p.ahead = append(p.ahead, strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r"))
	return true
}

func (p *parser) next() (string, bool) {
	if len(p.ahead) == 0 && !p.fill() {
		return "", false
	}
	s := p.ahead[0]
	p.ahead[0] = ""
	p.ahead = p.ahead[1:]
	p.num++
	return s, true
}

// peek returns the line after the current one.
func (p *parser) peek() (string, bool) {
	if len(p.ahead) == 0 && !p.fill() {
		return "", false
	}
	return p.ahead[0], true
}

// bracesMode reports a C or Go array ("unsigned char x[] = {0x10, ...};"):
// a brace before any quote (a brace inside b'...' stands for itself) and no
// dump lines.
func bracesMode(lines []string) bool {
	for _, l := range lines {
		if _, ok := detectDump(l); ok {
			return false
		}
	}
	for _, l := range lines {
		q := strings.IndexAny(l, `'"`)
		b := strings.IndexByte(l, '{')
		switch {
		case b >= 0 && (q < 0 || b < q):
			return true
		case q >= 0:
			return false
		}
	}
	return false
}

func (p *parser) line(orig string) error {
	ctx := lineCtx{orig: orig, num: p.num}
	line := orig
	if p.braces {
		line = p.outsideBraces(line)
	}
	if d, ok := detectDump(line); ok {
		return p.dumpLine(line, d, ctx)
	}
	t := strings.TrimSpace(line)
	if p.inDump {
		if isOffsetToken(t) {
			return nil // the final offset line of hexdump, od, xxd -r style dumps
		}
		if t == "*" {
			return fmt.Errorf("line %d: '*' stands for repeated lines the dump left out; dump again with -v", ctx.num)
		}
	}
	if isToolHeader(t) {
		// tcpdump prints a line about each frame before its dump.
		p.inDump, p.pending = false, true
		return nil
	}
	var err error
	if p.out, err = parseFree(p.out[:0], line, ctx); err != nil {
		return err
	}
	return p.flush()
}

func (p *parser) dumpLine(line string, d dumpLine, ctx lineCtx) error {
	if !p.inDump || d.offset == 0 && p.block.bytes > 0 || d.swap != p.block.swap {
		if p.any {
			p.pending = true
		}
		p.inDump = true
		p.block = dumpBlock{swap: d.swap, width: defaultDumpWidth}
		if next, ok := p.peek(); ok {
			if n, ok := detectDump(next); ok && n.offset > d.offset && n.offset-d.offset <= maxDumpWidth {
				p.block.width = int(n.offset - d.offset)
			}
		}
	}
	p.block.offset = d.offset
	var err error
	if p.out, err = dumpBytes(p.out[:0], line, d.hexStart, p.block.width, d.swap, ctx); err != nil {
		return err
	}
	if d.swap {
		p.trimSwapped()
	}
	p.block.bytes += len(p.out)
	return p.flush()
}

// trimSwapped drops the pad byte od -x and hexdump add to an odd length:
// their last line, a lone offset, says how long the data really is. od
// counts in octal, hexdump in hex: the one that falls on this line is meant.
func (p *parser) trimSwapped() {
	next, ok := p.peek()
	if !ok {
		return
	}
	t := strings.TrimSpace(next)
	if !isOffsetToken(t) {
		return
	}
	end := p.block.bytes + len(p.out)
	for _, base := range []int{8, 16} {
		if v, err := strconv.ParseUint(t, base, 64); err == nil && int(v) == end-1 {
			p.out = p.out[:len(p.out)-1]
			return
		}
	}
}

func (p *parser) flush() error {
	if len(p.out) == 0 {
		return nil
	}
	nb := p.pending
	p.pending = false
	p.any = true
	return p.emit(p.out, nb)
}

// outsideBraces blanks what stands outside the braces of an array,
// keeping byte positions so error columns stay right.
func (p *parser) outsideBraces(line string) string {
	b := []byte(line)
	for i, c := range b {
		switch {
		case c == '{':
			p.depth++
			b[i] = ' '
		case c == '}':
			if p.depth > 0 {
				p.depth--
			}
			b[i] = ' '
		case p.depth == 0:
			b[i] = ' '
		}
	}
	return string(b)
}

// isToolHeader reports tcpdump's line above each frame's dump:
// "03:01:15.197699 IP 127.0.0.1.50292 > 127.0.0.1.1883: Flags [P.], ..."
// (with -tttt a date comes first, with -tt an epoch time).
func isToolHeader(t string) bool {
	f := strings.Fields(t)
	if len(f) < 3 {
		return false
	}
	i := 0
	if len(f[0]) == 10 && f[0][4] == '-' && f[0][7] == '-' {
		i++ // -tttt
	}
	if !isClock(f[i]) {
		return false
	}
	rest := strings.Join(f[i+1:], " ")
	return strings.Contains(rest, " > ") || strings.HasPrefix(rest, "IP ") || strings.HasPrefix(rest, "IP6 ") || strings.HasPrefix(rest, "ARP")
}

// isClock matches 03:01:15.197699 or an epoch 1700000000.197699.
func isClock(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ':' || c == '.':
		default:
			return false
		}
	}
	return digits >= 6 && strings.Contains(s, ".")
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
