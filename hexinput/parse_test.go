package hexinput

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// connect is the CONNECT from DESIGN.md.
const connect = "1026 0004 4d51 5454 04c2 003c 0009 3132 3334 3536 3738 3900 0561 646d 696e 0008 7061 7373 776f 7264"

// hexish is testdata/*.txt's source: its ASCII column looks like hex
// ("abcd0123456789abcdef") and its last line is short.
const hexish = "100c00044d5154542e616263643031323334353637383961626364656601026162 6364"

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(stripSpaces(s))
	if err != nil {
		t.Fatalf("bad test hex %q: %v", s, err)
	}
	return b
}

func stripSpaces(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil))
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"spaced", "10 26 00 04", "10260004"},
		{"packed", "10260004", "10260004"},
		{"upper case", "4D 51 54 54", "4d515454"},
		{"grouped", "1026 0004\n4d51", "102600044d51"},
		{"0x prefix with commas", "0x10, 0x26,0x00 ,0X04", "10260004"},
		{"0x one digit", "{0x1, 0x2, 0xab}", "0102ab"},
		{"0x packed", "0x10260004", "10260004"},
		{"backslash x", `\x10\x26\x00\x04`, "10260004"},
		{"escaped string", `"\x10\x26\x00\x04"`, "10260004"},
		{"colons", "10:26:00:04", "10260004"},
		{"dashes", "10-26-00-04", "10260004"},
		{"tabs and CRLF", "10\t26\r\n00\t04\r\n", "10260004"},
		{"semicolons and brackets", "[10; 26] (00)", "102600"},
		{"comments", "# a connect\n10 26 # first two\n00 04", "10260004"},
		{"bom", "\ufeff10 26", "1026"},
		{"python bytes", `b'\x10\x0c\x00\x04MQTT'`, "100c00044d515454"},
		{"python bytes double quotes", `b"\x10'\x26"`, "102726"},
		{"python escapes", `b'\n\r\t\\\'\"\0\177\x7F\q'`, "0a0d095c2722007f7f5c71"},
		{"python bytes concatenated", `(b'\x10\x26' b"MQ")`, "10264d51"},
		{"python bytes with brace", `b'{\x10}'`, "7b107d"},
		{"python bytes upper B and space", `B'a b'`, "612062"},
		{"C array", "unsigned char c[] = {\n  0x10, 0x26,\n  0x00, 0x04\n};\nunsigned int c_len = 4;\n", "10260004"},
		{"Go slice", "[]byte{0x10, 0x26}", "1026"},
		{"wireshark copy as hex dump", "0000   10 26 00 04 4d 51 54 54 04 c2 00 3c 00 09 31 32   .&..MQTT...<..12\n" +
			"0010   33 34 35 36 37 38 39                              3456789", "102600044d51545404c2003c0009313233343536373839"},
		{"tshark -x given", "0000  10 26 00 04 4d 51 54 54 04 c2 00 3c 00 09 31 32   .&..MQTT...<..12", "102600044d51545404c2003c00093132"},
		{"hexdump -C given", "00000000  10 26 00 04 4d 51 54 54  04 c2 00 3c 00 09 31 32  |.&..MQTT...<..12|\n00000010\n", "102600044d51545404c2003c00093132"},
		{"xxd given", "00000000: 1026 0004 4d51 5454 0402 003c 000a 6d79  .&..MQTT...<..my", "102600044d515454040200 3c000a6d79"},
		{"xxd ascii all hex on full line", "00000000: 6162 6364 6162 6364 6162 6364 6162 6364  abcdabcdabcdabcd", "61626364616263646162636461626364"},
		{"xxd short line ascii hex", "00000000: 6162 6364                                abcd", "61626364"},
		{"hexdump short line ascii hex", "00000000  61 62 63 64                                       |abcd|", "61626364"},
		{"dump with final offset", "000000 10 26 00 04\n000004\n", "10260004"},
		{"dump then blank lines", "\n0000  10 26   .&\n\n0000  00 04   ..\n", "10260004"},
		{"space grouped is not a dump", "10260004 4d515454 04c2003c", "102600044d51545404c2003c"},
		{"one long token then bytes with single space", "1026 00 04", "10260004"},
		{"eight digits then single bytes", "10260004 4d 51", "102600044d51"},
		{"plain hexdump words", "0000000 2610 0400 514d 5454\n0000010\n", "102600044d515454"},
		{"od -x odd length", "0000000 0c10 0000\n0000003\n", "100c00"},
		{"hexdump odd length, hex offset", "0000000 0c10 0400 514d 5454 612e 0062\n000000b\n", "100c00044d5154542e61 62"},
		{"od -x odd length, octal offset", "0000000 0c10 0400 514d 5454 612e 0062\n0000013\n", "100c00044d5154542e61 62"},
		{"tcpdump -x", "\t0x0000:  4500 006f\n\t0x0010:  7f00 0001", "4500006f7f000001"},
		{"tcpdump -X odd last", "\t0x0000:  1026 0004 4d51 5454 04c2 003c 0009 3132  .&..MQTT...<..12\n\t0x0010:  33                                       3", "102600044d51545404c2003c0009313233"},
		{"C array after a quote-free preamble", "char a[] = {0x10, 0x26};\nchar b[] = {0x00};", "102600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if want := mustHex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("Parse(%q)\n got % x\nwant % x", tt.in, got, want)
			}
		})
	}
}

// TestParseToolOutput uses the true output of the tools on this machine
// (testdata/*.txt; see testdata/README.md for the commands).
func TestParseToolOutput(t *testing.T) {
	tests := []struct{ file, want string }{
		{"xxd.txt", hexish},
		{"xxd-g1.txt", hexish},
		{"xxd-c8.txt", hexish},
		{"xxd-i.txt", hexish},
		{"xxd-p.txt", hexish},
		{"hexdump-C.txt", hexish},
		{"od-x1z.txt", hexish},
		{"od-x1.txt", hexish},
		{"python-repr.txt", hexish},
		{"connect-xxd.txt", connect},
		{"od-x.txt", hexish},
		{"hexdump.txt", hexish},
		{"tshark-x.txt", "00000000000000000000000086dd600bb8e7004d064000000000000000000000000000000001" +
			"00000000000000000000000000000001963a075be456cf7176c0f42580180200005500000101080a73dd6b87" +
			"73dd6b87102b00044d51545404c2003c00136d79766f69636569736d7970617373706f7274000475736572000470617373"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(string(in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want := mustHex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("got  % x\nwant % x", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "no hex given"},
		{" \n\t\r\n ", "no hex given"},
		{"# nothing but a comment\n", "no hex given"},
		{"{}", "no hex given"},
		{"z", "not hex: 'z' at line 1, column 1"},
		{"10 26\n00 zz", "not hex: 'z' at line 2, column 4"},
		{"10 2g", "not hex: 'g' at line 1, column 5"},
		{"\x01", `not hex: '\x01' at line 1, column 1`},
		{"10 \xff", `not hex: '\xff' at line 1, column 4`},
		{"é 10 z", "not hex: 'é' at line 1, column 1"},
		{"10 é z", "not hex: 'é' at line 1, column 4"},
		{"'10' ü", "not hex: 'ü' at line 1, column 6"},
		{"10 26 0", `odd number of hex digits in "0" at line 1, column 7`},
		{"102600040", `odd number of hex digits in "102600040" at line 1, column 1`},
		{"0x10, 0x260", `odd number of hex digits in "0x260" at line 1, column 7`},
		{"0x", `no hex digits after "0x" at line 1, column 1`},
		{`\x1`, `\x needs two hex digits at line 1, column 1`},
		{`\x1g`, `\x needs two hex digits at line 1, column 1`},
		{`b'\x10`, "bytes literal not closed (starts at line 1, column 1)"},
		{"b'\x01'", `not allowed in a bytes literal: '\x01' at line 1, column 3`},
		{`b'\400'`, `octal escape above \377 at line 1, column 3`},
		{"00000000  00 00 00 00  |....|\n*\n00000030  01  |.|\n", "line 2: '*' stands for repeated lines the dump left out; dump again with -v"},
		{"00000000: 1026 0z04 4d51  ..", "not hex: 'z' at line 1, column 17"},
		{"0000  10 2", `odd number of hex digits in "2" at line 1, column 10`},
		{"0000000 2610 04z0 514d 5454\n", "not hex: 'z' at line 1, column 16"},
		{"\t0x0000:  4500 00g4", "not hex: 'g' at line 1, column 18"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = % x, want error %q", tt.in, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error\n got %q\nwant %q", tt.in, err.Error(), tt.want)
		}
	}
}

// TestParseToolDumps reads true tcpdump output: a header line per frame,
// then its dump; each frame is a block of its own.
func TestParseToolDumps(t *testing.T) {
	tests := []struct {
		file   string
		blocks int
		first  int // bytes of the first block
		head   string
	}{
		{"tcpdump-X.txt", 4, 111, "4500006f"},
		{"tcpdump-x.txt", 2, 111, "4500006f"},
		{"tcpdump-XX.txt", 2, 125, "000000000000000000000000080045"},
		{"tshark-x.txt", 1, 131, "000000000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			blocks, err := ParseBlocks(string(in))
			if err != nil {
				t.Fatalf("ParseBlocks: %v", err)
			}
			if len(blocks) != tt.blocks {
				t.Fatalf("%d blocks, want %d", len(blocks), tt.blocks)
			}
			if len(blocks[0]) != tt.first {
				t.Errorf("first block %d bytes, want %d", len(blocks[0]), tt.first)
			}
			if want := mustHex(t, tt.head); !bytes.HasPrefix(blocks[0], want) {
				t.Errorf("first block starts % x, want % x", blocks[0][:min(len(blocks[0]), 16)], want)
			}
		})
	}
}

// TestStreamMemory: a paste far larger than the prescan window is parsed
// line by line; what Stream holds does not grow with the input.
func TestStreamMemory(t *testing.T) {
	line := strings.Repeat("30 0c 00 04 74 65 73 74 68 65 6c 6c 6f 21 ", 5) + "\n"
	const lines = 200000 // 14 MB of bytes
	r := &repeatReader{line: line, n: lines}
	var total int
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := Stream(r, func(b []byte, _ bool) error { total += len(b); return nil })
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if total != lines*70 {
		t.Fatalf("got %d bytes, want %d", total, lines*70)
	}
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 4<<20 {
		t.Errorf("heap grew by %d bytes while streaming", grown)
	}
}

// repeatReader yields line n times without holding them all.
type repeatReader struct {
	line string
	n    int
	rest string
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.rest == "" {
		if r.n == 0 {
			return 0, io.EOF
		}
		r.n--
		r.rest = r.line
	}
	k := copy(p, r.rest)
	r.rest = r.rest[k:]
	return k, nil
}
