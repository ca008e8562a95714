package hexenc

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// Every byte value, every length and alignment, and appending to a
// non-empty buffer give what encoding/hex gives.
func TestSameAsEncodingHex(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{nil, {}, all}
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		for _, prefix := range [][]byte{nil, []byte("x:"), make([]byte, 3, 5)} {
			want := hex.AppendEncode(bytes.Clone(prefix), in)
			if got := AppendEncode(bytes.Clone(prefix), in); !bytes.Equal(got, want) {
				t.Fatalf("AppendEncode(%q, % x) = %q, want %q", prefix, in, got, want)
			}
		}
	}
}

func FuzzSameAsEncodingHex(f *testing.F) {
	f.Add([]byte("\x00\x09\x0a\xff\xf0\x0f"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := AppendEncode(nil, in), hex.AppendEncode(nil, in); !bytes.Equal(got, want) {
			t.Fatalf("% x: %q, want %q", in, got, want)
		}
	})
}

func BenchmarkAppendEncode(b *testing.B) {
	src := make([]byte, 64<<10)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]byte, 0, 2*len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = AppendEncode(dst[:0], src)
	}
}

func BenchmarkEncodingHex(b *testing.B) {
	src := make([]byte, 64<<10)
	dst := make([]byte, 0, 2*len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = hex.AppendEncode(dst[:0], src)
	}
}
