package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

// designExample is the annotated breakdown shown in DESIGN.md, verbatim.
const designExample = `MQTT Connect Command (v3.1.1), 40 bytes
 0000  10                          Header Flags: 0x10, Message Type: Connect Command
                                     0001 .... = Message Type: Connect Command (1)
                                     .... 0000 = Reserved: 0
 0001  26                          Msg Len: 38
 0002  00 04                       Protocol Name Length: 4
 0004  4d 51 54 54                 Protocol Name: MQTT
 0008  04                          Version: MQTT v3.1.1 (4)
 0009  c2                          Connect Flags: 0xc2, User Name Flag, Password Flag, Clean Session Flag
                                     1... .... = User Name Flag: Set
                                     .1.. .... = Password Flag: Set
                                     ..0. .... = Will Retain: Not set
                                     ...0 0... = QoS Level: At most once delivery (Fire and Forget) (0)
                                     .... .0.. = Will Flag: Not set
                                     .... ..1. = Clean Session Flag: Set
                                     .... ...0 = (Reserved): Not set
 000a  00 3c                       Keep Alive: 60
 000c  00 09                       Client ID Length: 9
 000e  31 32 33 34 35 36 37 38 39  Client ID: 123456789
`

func breakdownOf(t *testing.T, pk *dissect.Packet, o Options) string {
	t.Helper()
	var out bytes.Buffer
	if err := New(&out, o).Breakdown(pk); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestBreakdownMatchesDesign(t *testing.T) {
	got := breakdownOf(t, connectExample(t), Options{})
	if !strings.HasPrefix(got, designExample) {
		t.Errorf("breakdown does not start like DESIGN.md:\n%s", firstDiff([]byte(designExample), []byte(got)))
	}
	if !strings.Contains(got, " 0020  70 61 73 73 77 6f 72 64     Password: password\n") {
		t.Errorf("password line missing:\n%s", got)
	}
}

func TestBitPatterns(t *testing.T) {
	u8 := func(mask uint64) *dissect.FieldDef {
		return &dissect.FieldDef{Name: "F", Kind: dissect.KindUint, Bits: 8, Mask: mask}
	}
	cases := []struct {
		def  *dissect.FieldDef
		val  any
		want string
	}{
		{&dissect.FieldDef{Name: "F", Kind: dissect.KindBool, Bits: 8, Mask: 0x80}, true, "1... ...."},
		{&dissect.FieldDef{Name: "F", Kind: dissect.KindBool, Bits: 8, Mask: 0x80}, false, "0... ...."},
		{u8(0x18), uint64(2), "...1 0..."},
		{u8(0x18), uint64(1), "...0 1..."},
		{u8(0x06), uint64(3), ".... .11."},
		{u8(0x06), uint64(1), ".... .01."},
		{u8(0xf0), uint64(0xc), "1100 ...."},
		{u8(0x0f), uint64(0x5), ".... 0101"},
		{&dissect.FieldDef{Name: "F", Kind: dissect.KindUint, Bits: 16, Mask: 0x0ff0}, uint64(0x81), ".... 1000 0001 ...."},
		{&dissect.FieldDef{Name: "F", Kind: dissect.KindUint, Mask: 0x01}, uint64(1), ".... ...1"}, // Bits unset: 8
	}
	for _, c := range cases {
		got := string(appendBitPattern(nil, &dissect.Node{Def: c.def, Value: c.val}))
		if got != c.want {
			t.Errorf("mask %#x value %v: got %q, want %q", c.def.Mask, c.val, got, c.want)
		}
	}
}

func TestBitLineText(t *testing.T) {
	d := &dissect.FieldDef{Name: "Will Flag", Kind: dissect.KindBool, Bits: 8, Mask: 0x04, True: "Yes", False: "No"}
	parent := leaf(dConFlags, 0, 1, uint64(0x04), bitNode(d, 0, true))
	pk := &dissect.Packet{Raw: []byte{0x04}, Fields: []*dissect.Node{parent}}
	got := breakdownOf(t, pk, Options{})
	want := strings.Repeat(" ", 37) + ".... .1.. = Will Flag: Yes\n"
	if !strings.Contains(got, want) {
		t.Errorf("want line %q in:\n%s", want, got)
	}
}

// bytesPacket is a packet whose only field is one long binary value.
func bytesPacket(n int, fill func(i int) byte) *dissect.Packet {
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = fill(i)
	}
	return &dissect.Packet{Raw: raw, Fields: []*dissect.Node{leaf(dMsg, 0, n, raw)}}
}

// TestWrapInBytesColumn: a long value wraps in rows as wide as the bytes
// column, its text in the text column, which never moves.
func TestWrapInBytesColumn(t *testing.T) {
	pk := bytesPacket(40, func(i int) byte { return byte(i) })
	got := breakdownOf(t, pk, Options{})
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	// title, header, 5 rows (9 + 9 + 9 + 9 + 4)
	if len(lines) != 7 {
		t.Fatalf("got %d lines, want 7:\n%s", len(lines), got)
	}
	if !strings.HasSuffix(lines[1], "Message: 40 bytes") {
		t.Errorf("header line %q", lines[1])
	}
	wantRows := []string{
		" 0000  00 01 02 03 04 05 06 07 08    .........",
		" 0009  09 0a 0b 0c 0d 0e 0f 10 11    .........",
		" 0012  12 13 14 15 16 17 18 19 1a    .........",
		" 001b  1b 1c 1d 1e 1f 20 21 22 23    ..... !\"#",
		" 0024  24 25 26 27                   $%&'",
	}
	for i, w := range wantRows {
		if lines[2+i] != w {
			t.Errorf("row %d:\n got %q\nwant %q", i, lines[2+i], w)
		}
	}
	// The value text starts in the same column on every line.
	col := strings.Index(lines[1], "Message")
	if strings.Index(lines[2], ".........") != col+2 {
		t.Errorf("row text at column %d, field text at %d:\n%s", strings.Index(lines[2], "........."), col, got)
	}
}

func TestNineBytesStayInline(t *testing.T) {
	pk := bytesPacket(9, func(i int) byte { return 0xa0 + byte(i) })
	got := breakdownOf(t, pk, Options{})
	want := " 0000  a0 a1 a2 a3 a4 a5 a6 a7 a8  Message: a0a1a2a3a4a5a6a7a8\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("got\n%s\nwant last line %q", got, want)
	}
	pk = bytesPacket(10, func(i int) byte { return 0xa0 + byte(i) })
	if got := breakdownOf(t, pk, Options{}); !strings.Contains(got, "Message: 10 bytes\n 0000  a0 a1") {
		t.Errorf("10 bytes should wrap:\n%s", got)
	}
}

func TestMaxValueBytesCut(t *testing.T) {
	pk := bytesPacket(100, func(i int) byte { return 'a' + byte(i%26) })
	got := breakdownOf(t, pk, Options{MaxValueBytes: 20})
	if !strings.Contains(got, "       … 80 more bytes\n") {
		t.Errorf("no cut marker:\n%s", got)
	}
	if strings.Contains(got, " 001b ") {
		t.Errorf("row past the limit printed:\n%s", got)
	}
	if !strings.Contains(got, ` 0012  73 74                         st`) {
		t.Errorf("last row should hold bytes 18..19:\n%s", got)
	}
	if !strings.Contains(got, `Message: 100 bytes "abcdefghijklmnopqrst…"`) {
		t.Errorf("preview not cut at 20 bytes:\n%s", got)
	}
	if all := breakdownOf(t, pk, Options{}); strings.Contains(all, "more bytes") || !strings.Contains(all, " 0063  ") {
		t.Errorf("MaxValueBytes 0 must show everything:\n%s", all)
	}
	// a short value longer than the limit is cut too
	pk = bytesPacket(8, func(i int) byte { return byte(i) })
	if got := breakdownOf(t, pk, Options{MaxValueBytes: 3}); !strings.Contains(got, "… 5 more bytes") {
		t.Errorf("short value over the limit not cut:\n%s", got)
	}
}

func TestLongStringCut(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes; a cut at 5 must not split a rune
	pk := &dissect.Packet{Raw: []byte(s), Fields: []*dissect.Node{leaf(dClientID, 0, len(s), s)}}
	got := breakdownOf(t, pk, Options{MaxValueBytes: 5})
	if !strings.Contains(got, "Client ID: éé…\n") {
		t.Errorf("string preview:\n%s", got)
	}
	if !strings.Contains(got, "… 15 more bytes") {
		t.Errorf("rows not cut:\n%s", got)
	}
}

func TestBinaryHasNoTextPreview(t *testing.T) {
	pk := bytesPacket(20, func(i int) byte { return byte(i) })
	got := breakdownOf(t, pk, Options{})
	if strings.Contains(got, `"`) {
		t.Errorf("binary bytes got a text preview:\n%s", got)
	}
}

func TestContainersGeneratedAndExperts(t *testing.T) {
	got := breakdownOf(t, publish5Example(t), Options{})
	for _, want := range []string{
		"MQTT Publish Message (v5.0), 12 bytes, version guessed\n",
		" 0004                              Topic: \"\"\n",
		pad(35) + "[Topic (from alias): sensors/\\x1b[31mred]\n",
		pad(37) + "[note] Topic resolved from alias 7\n",
		pad(35) + "Properties\n",
		" 0004  03                            Total Length: 3\n",
		pad(37) + "Topic Alias\n",
		" 0005  23                              ID: Topic Alias (0x23)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestIncomplete(t *testing.T) {
	got := breakdownOf(t, malformedExample(t), Options{})
	if !strings.HasPrefix(got, "MQTT Connect Command (v3.1.1), 40 bytes, incomplete: 20 more bytes expected\n") {
		t.Errorf("title:\n%s", got)
	}
	if !strings.HasSuffix(got, "\nincomplete: 20 more bytes expected\n") {
		t.Errorf("no closing incomplete line:\n%s", got)
	}
	for _, want := range []string{
		pad(37) + ".... ...1 = (Reserved): Set\n" + pad(39) + "[protocol] Reserved bit set in Connect Flags (MQTT-3.1.2-3)\n",
		" 000e  31 32 33 34 35 36           Client ID: 123456789\n" + pad(37) + "[malformed] Client ID runs past the end of the packet\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestUndissectedTail(t *testing.T) {
	pk := &dissect.Packet{Raw: []byte{0xc0, 0x00, 0xde, 0xad}, Type: dissect.TypePingreq,
		Fields: []*dissect.Node{leaf(dHdrFlags, 0, 1, uint64(0xc0)), leaf(dLen, 1, 1, uint64(0))}}
	got := breakdownOf(t, pk, Options{})
	if !strings.Contains(got, "[Not dissected: 2 bytes]\n 0002  de ad") {
		t.Errorf("tail bytes not shown:\n%s", got)
	}
}

// TestBreakdownNeverPanics feeds damaged trees: nil defs, nil children,
// offsets outside the packet.
func TestBreakdownNeverPanics(t *testing.T) {
	pk := &dissect.Packet{
		Raw: []byte{1, 2, 3},
		Fields: []*dissect.Node{
			nil,
			{Offset: -5, Length: 2, Value: uint64(1)},
			{Def: dMsg, Offset: 2, Length: 1 << 30, Value: []byte{3}},
			{Def: dMsg, Offset: 99, Length: 4, Children: []*dissect.Node{nil, {Def: dMsgType, Value: "odd"}}},
			{Def: dProps, Children: []*dissect.Node{{Def: dPropLen, Offset: 1, Length: -1}}},
		},
		Missing: -3,
	}
	var out bytes.Buffer
	p := New(&out, Options{MaxValueBytes: -1})
	for _, f := range []func() error{
		func() error { return p.Breakdown(pk) },
		func() error { return p.Summary(pk, nil) },
		func() error { return p.Hex(pk) },
		func() error { return p.JSON(pk, nil) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	var empty *dissect.Packet
	for _, f := range []func() error{
		func() error { return p.Breakdown(empty) },
		func() error { return p.Summary(empty, nil) },
		func() error { return p.Hex(empty) },
		func() error { return p.JSON(empty, nil) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
}

func pad(n int) string { return strings.Repeat(" ", n) }

func TestContainerTextCut(t *testing.T) {
	long := strings.Repeat("ab", 100)
	prop := &dissect.Node{Def: dProps, Offset: 0, Length: 2, Show: long, Children: []*dissect.Node{leaf(dPropLen, 0, 2, uint64(1))}}
	pk := &dissect.Packet{Raw: []byte{0, 1}, Fields: []*dissect.Node{prop}}
	got := breakdownOf(t, pk, Options{MaxValueBytes: 4})
	if !strings.Contains(got, "Properties: "+long[:64]+"…\n") {
		t.Errorf("container text not cut:\n%s", got)
	}
	if got := breakdownOf(t, pk, Options{}); !strings.Contains(got, long+"\n") {
		t.Errorf("MaxValueBytes 0 cut the text:\n%s", got)
	}
}
