package render

import (
	"bytes"
	"strings"
	"testing"
)

func TestHexDump(t *testing.T) {
	var out bytes.Buffer
	if err := New(&out, Options{}).Hex(connectExample(t)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	wantPrefix := []string{
		" 0000  10 26 00 04 4d 51 54 54  04 c2 00 3c 00 09 31 32  |.&..MQTT...<..12|  Header Flags, Msg Len, Protocol Name Length, Protocol Name,",
		pad(hexAnnotColumn(4)) + "Version, Connect Flags, Keep Alive, Client ID Length,",
		pad(hexAnnotColumn(4)) + "Client ID",
		" 0010  33 34 35 36 37 38 39 00  05 61 64 6d 69 6e 00 08  |3456789..admin..|  User Name Length, User Name, Password Length",
		" 0020  70 61 73 73 77 6f 72 64                           |password|          Password",
	}
	for i, w := range wantPrefix {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d\n got %q\nwant %q", i, lines[i], w)
		}
	}
	if len(lines) != len(wantPrefix)+1 || lines[len(lines)-1] != "" {
		t.Errorf("extra lines: %q", lines[len(wantPrefix):])
	}
}

func TestHexIncomplete(t *testing.T) {
	var out bytes.Buffer
	_ = New(&out, Options{}).Hex(malformedExample(t))
	if !strings.HasSuffix(out.String(), "|3456|\nincomplete: 20 more bytes expected\n") {
		t.Errorf("got\n%s", out.String())
	}
}

func TestOffsetWidth(t *testing.T) {
	for n, want := range map[int]int{0: 4, 40: 4, 0x10000: 4, 0x10001: 5, 268435460: 8, 0x1000000: 6} {
		if got := offsetWidth(n); got != want {
			t.Errorf("offsetWidth(%d) = %d, want %d", n, got, want)
		}
	}
}
