package websocket

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand"
	"testing"
)

// deflateSync compresses msgs with one compress/flate writer (context
// takeover), each ended by a sync flush, and returns each message's bytes
// with the trailing 00 00 ff ff stripped, as permessage-deflate sends them.
func deflateSync(t testing.TB, level int, msgs ...[]byte) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		buf.Reset()
		if _, err := w.Write(m); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if !bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
			t.Fatalf("flush did not end with a sync marker: % x", b[len(b)-4:])
		}
		out = append(out, append([]byte(nil), b[:len(b)-4]...))
	}
	return out
}

func testData(r *rand.Rand, n int) []byte {
	words := []string{"mqtt", "sensor/temp", "{\"value\":", "21.5}", "\x00\x01", "hello ", "world "}
	var b []byte
	for len(b) < n {
		if r.Intn(4) == 0 {
			b = append(b, byte(r.Intn(256)))
		} else {
			b = append(b, words[r.Intn(len(words))]...)
		}
	}
	return b[:n]
}

func TestInflaterMatchesFlate(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
		msgs := [][]byte{testData(r, 10), testData(r, 70000), {}, testData(r, 3000), bytes.Repeat([]byte("a"), 100000)}
		comp := deflateSync(t, level, msgs...)
		for _, split := range []int{1, 3, 7, 1000, 1 << 20} {
			var got bytes.Buffer
			f := &inflater{flush: func(p []byte) bool { got.Write(p); return true }}
			for i, c := range comp {
				got.Reset()
				f.startMessage(true)
				c = append(append([]byte(nil), c...), 0, 0, 0xff, 0xff)
				for len(c) > 0 {
					n := min(split, len(c))
					if err := f.feed(c[:n]); err != nil {
						t.Fatalf("level %d split %d msg %d: %v", level, split, i, err)
					}
					c = c[n:]
				}
				if err := f.flushOut(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), msgs[i]) {
					t.Fatalf("level %d split %d msg %d: got %d bytes, want %d", level, split, i, got.Len(), len(msgs[i]))
				}
				if len(f.carry) != 0 || f.state != stHeader {
					t.Fatalf("level %d split %d msg %d: carry %d state %d after sync marker", level, split, i, len(f.carry), f.state)
				}
			}
		}
	}
}

func TestInflaterRejectsBadData(t *testing.T) {
	for name, in := range map[string][]byte{
		"reserved block type": {0x07},
		"stored length":       {0x00, 0x05, 0x00, 0x00, 0x00},
		"distance too far":    deflateFixedDistance(),
	} {
		f := &inflater{flush: func([]byte) bool { return true }}
		err := f.feed(in)
		var ie inflateError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an inflateError", name, err)
		}
	}
}

// deflateFixedDistance is a fixed-Huffman block whose first symbol is a
// match (length 3, distance 1) with no history.
func deflateFixedDistance() []byte {
	// BFINAL=1, BTYPE=01 -> bits 1,1,0; symbol 257 = 0000001 (7 bits);
	// distance code 0 = 00000 (5 bits).
	var bits []int
	bits = append(bits, 1, 1, 0)
	bits = append(bits, 0, 0, 0, 0, 0, 0, 1) // Huffman codes go MSB first
	bits = append(bits, 0, 0, 0, 0, 0)
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		out[i/8] |= byte(b) << (i % 8)
	}
	return out
}

// inflateAll runs the inflater over in, split into pieces of split bytes.
func inflateAll(in []byte, split int) ([]byte, bool, error) {
	var out []byte
	f := &inflater{flush: func(p []byte) bool {
		out = append(out, p...)
		return len(out) < 1<<22
	}}
	for len(in) > 0 {
		n := min(split, len(in))
		if err := f.feed(in[:n]); err != nil {
			return out, false, err
		}
		in = in[n:]
	}
	if err := f.flushOut(); err != nil {
		return out, false, err
	}
	return out, f.state == stDone, nil
}

// FuzzInflate: on input compress/flate decodes without error, the
// inflater must give the same bytes, whatever the split; on any input it
// must not panic, and split must not change its output.
func FuzzInflate(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte, split uint8) {
		if len(raw) > 1<<16 {
			return
		}
		one, done, err := inflateAll(raw, len(raw)+1)
		parts, _, _ := inflateAll(raw, int(split)+1)
		if !bytes.Equal(one, parts) {
			t.Fatalf("split %d changes the output: %d vs %d bytes", int(split)+1, len(parts), len(one))
		}
		want, ferr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 1<<22))
		if ferr == nil && len(want) < 1<<22 {
			if err != nil || !done || !bytes.Equal(one, want) {
				t.Fatalf("compress/flate: %d bytes; inflater: %d bytes, done %v, err %v", len(want), len(one), done, err)
			}
		}
	})
}
