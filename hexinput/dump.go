package hexinput

import (
	"strconv"
	"strings"
)

// Dump lines: an offset column, the hex bytes, and usually an ASCII column.
//
//	xxd          00000000: 1026 0004 4d51 5454 04c2 003c 0009 3132  .&..MQTT...<..12
//	hexdump -C   00000000  10 26 00 04 4d 51 54 54  04 c2 00 3c 00 09 31 32  |.&..MQTT...<..12|
//	tshark -x    0000  10 26 00 04 4d 51 54 54 04 c2 00 3c 00 09 31 32   .&..MQTT...<..12
//	od -A x -t x1z  000000 10 26 00 04 4d 51 54 54 04 c2 00 3c 00 09 31 32  >.&..MQTT...<..12<
//	tcpdump -X   	0x0000:  1026 0004 4d51 5454 04c2 003c 0009 3132  .&..MQTT...<..12
//	od -x, hexdump  0000000 2610 0400 514d 5454 c204 3c00 0900 3231
//
// The last two print 16-bit words in the machine's (little-endian) order,
// so each word's bytes are swapped back.
//
// The ASCII column may look like hex ("abcd"), so the hex part ends at a
// '|' or '>', at a gap of three or more blanks (short last lines are padded),
// at a non-hex token after a two-blank gap, or once a full line of bytes
// has been read.

const (
	defaultDumpWidth = 16
	maxDumpWidth     = 256
	minOffsetDigits  = 4
	maxOffsetDigits  = 16
)

type dumpLine struct {
	offset   uint64
	hexStart int  // byte index of the first hex byte
	swap     bool // 16-bit little-endian words (od -x, plain hexdump)
}

// detectDump reports whether line is a dump line. The offset column is what
// tells a dump from space-grouped hex ("10260004 4d515454"): it is followed
// by a colon (xxd), by two or more blanks (hexdump -C, Wireshark), or it has
// six or seven digits followed by a single blank (od); and unless a colon
// marks it, the first hex token after it is a single byte — or a 16-bit
// word after od's and hexdump's seven-digit offset. tcpdump writes its
// offsets as 0x0000: and groups bytes like xxd.
func detectDump(line string) (dumpLine, bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	prefixed := strings.HasPrefix(line[i:], "0x")
	if prefixed {
		i += 2
	}
	n := hexRun(line[i:])
	if n < minOffsetDigits || n > maxOffsetDigits {
		return dumpLine{}, false
	}
	off, err := strconv.ParseUint(line[i:i+n], 16, 64)
	if err != nil {
		return dumpLine{}, false
	}
	j := i + n
	colon := j < len(line) && line[j] == ':'
	if colon {
		j++
	} else if prefixed {
		return dumpLine{}, false
	}
	k := j
	for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
		k++
	}
	gap := k - j
	if gap == 0 || k >= len(line) {
		return dumpLine{}, false
	}
	first := hexRun(line[k:])
	firstEnds := k+first == len(line) || line[k+first] == ' ' || line[k+first] == '\t'
	switch {
	case colon:
		if first < 2 || !firstEnds {
			return dumpLine{}, false
		}
	case first == 4 && firstEnds && gap == 1 && (n == 6 || n == 7):
		return dumpLine{offset: off, hexStart: k, swap: true}, true
	case first != 2 || !firstEnds:
		return dumpLine{}, false
	case gap < 2 && (n < 6 || n > 7): // od's offsets have 6 (-A x) or 7 digits
		return dumpLine{}, false
	}
	return dumpLine{offset: off, hexStart: k}, true
}

// isOffsetToken reports a lone offset, as on the last line of hexdump and od.
func isOffsetToken(t string) bool {
	n := hexRun(t)
	return n == len(t) && n >= minOffsetDigits && n <= maxOffsetDigits
}

// dumpBytes appends the hex part of a dump line, starting at byte index i;
// swap reads it as 16-bit little-endian words.
func dumpBytes(out []byte, line string, i, width int, swap bool, ctx lineCtx) ([]byte, error) {
	got := 0
	for i < len(line) {
		gap := 0
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			if line[i] == '\t' {
				gap += 8
			} else {
				gap++
			}
			i++
		}
		if i >= len(line) || got > 0 && gap >= 3 || line[i] == '|' || line[i] == '>' {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		tok := line[i:j]
		n := hexRun(tok)
		clean := n == len(tok)
		if swap && clean && n == 4 && got+2 <= width {
			out = append(out, hexVal(tok[2])<<4|hexVal(tok[3]), hexVal(tok[0])<<4|hexVal(tok[1]))
			got += 2
			i = j
			continue
		}
		if clean && n%2 == 0 && got+n/2 <= width && !swap {
			out = appendPacked(out, tok)
			got += n / 2
			i = j
			continue
		}
		if got > 0 && (gap >= 2 || got >= width || clean && n%2 == 0) {
			break // the ASCII column
		}
		if clean {
			return nil, ctx.oddRun(tok, i)
		}
		return nil, ctx.notHex(i + n)
	}
	return out, nil
}
