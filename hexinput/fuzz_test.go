package hexinput

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// spaced renders bytes the plainest way Parse accepts: "10 26 00 04",
// 16 bytes a line.
func spaced(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		switch {
		case i > 0 && i%16 == 0:
			sb.WriteByte('\n')
		case i > 0:
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}

// FuzzParse: no panic on any input; whatever parses, re-encoded as spaced
// hex, parses back to the same bytes. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("10 26 00 04")
	f.Fuzz(func(t *testing.T, text string) {
		b, err := Parse(text)
		if err != nil {
			if b != nil {
				t.Fatalf("error %v with bytes % x", err, b)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(b) == 0 {
			t.Fatal("success with no bytes")
		}
		again, err := Parse(spaced(b))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", spaced(b), err)
		}
		if !bytes.Equal(b, again) {
			t.Fatalf("round trip: % x became % x", b, again)
		}
	})
}

func TestSpacedRoundTrip(t *testing.T) {
	in := make([]byte, 40)
	for i := range in {
		in[i] = byte(i * 7)
	}
	got, err := Parse(spaced(in))
	if err != nil || !bytes.Equal(got, in) {
		t.Fatalf("Parse(spaced) = % x, %v", got, err)
	}
}
