package tlsdec

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// Fuzz input: byte 0 picks the key log (bit 0: RFC 8448, bit 1: the
// synthetic TLS 1.2 one); then ops of [flags][len hi][len lo][bytes]:
// flags bit 0 is the direction, bit 1 a gap of len bytes instead of a write.
func encodeOps(keys byte, chunks []chunk) []byte {
	out := []byte{keys}
	for _, c := range chunks {
		b := c.b
		for len(b) > 0 {
			n := min(len(b), 0xffff)
			out = append(out, byte(c.d))
			out = binary.BigEndian.AppendUint16(out, uint16(n))
			out = append(out, b[:n]...)
			b = b[n:]
		}
	}
	return out
}

// checker is a Sink that checks what a Conn tells it.
type checker struct {
	t       *testing.T
	written [2]int64
	failed  [2]bool
}

func (k *checker) Data(d Dir, plain []byte, s Span) {
	if d > 1 || len(plain) > maxFragment || s.From < 0 || s.To > k.written[d] || s.From >= s.To {
		k.t.Fatalf("Data(%v, %d bytes, %v) with %d written", d, len(plain), s, k.written[d])
	}
	if k.failed[d] {
		k.t.Fatalf("Data after an authentication failure in %s", d)
	}
}

func (k *checker) Event(d Dir, s Span, kind EventKind, msg string) {
	if d > 1 || msg == "" || kind == 0 || s.From > s.To {
		k.t.Fatalf("Event(%v, %v, %v, %q)", d, s, kind, msg)
	}
	if kind == EvAuthFailed {
		k.failed[d] = true
	}
	for _, r := range msg {
		if r < 0x20 || r == 0x7f {
			k.t.Fatalf("control character in message %q", msg)
		}
	}
}

func fuzzKeys(t testing.TB, sel byte) *KeyLog {
	var k *KeyLog
	if sel&1 != 0 {
		k = rfc8448KeyLog(t, vectors(t, "rfc8448-simple-1rtt.txt"))
	}
	if sel&2 != 0 {
		o := tls12Conversation(t, 0xC02F, 0x0303, false, 2).keys(t)
		if k == nil {
			k = o
		} else {
			k.Merge(o)
		}
	}
	return k
}

func FuzzConn(f *testing.F) {
	v := vectors(f, "rfc8448-simple-1rtt.txt")
	for _, s := range fuzzSeeds(f, v) {
		f.Add(s)
	}
	keys := [4]*KeyLog{}
	for i := range keys {
		keys[i] = fuzzKeys(f, byte(i))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		k := &checker{t: t}
		c := NewConn(keys[data[0]&3], k)
		var off [2]int64
		data = data[1:]
		for len(data) >= 3 {
			flags := data[0]
			n := int(binary.BigEndian.Uint16(data[1:3]))
			data = data[3:]
			d := Dir(flags & 1)
			if flags&4 != 0 {
				// The capture's budget is full: everything held goes.
				c.Shed("fuzz budget")
				if b := c.Buffered(); b != 0 {
					t.Fatalf("Buffered %d after Shed", b)
				}
			}
			if flags&2 != 0 {
				c.Gap(d, off[d], n)
				off[d] += int64(n)
				k.written[d] = off[d]
				continue
			}
			n = min(n, len(data))
			k.written[d] = off[d] + int64(n)
			c.Write(d, off[d], data[:n])
			off[d] += int64(n)
			data = data[n:]
			if b := c.Buffered(); b > 2*(MaxRecord+maxHandshakeMsg+64) {
				t.Fatalf("Buffered %d", b)
			}
		}
		_ = c.Info()
	})
}

func fuzzSeeds(t testing.TB, v map[string][]byte) [][]byte {
	rfc := rfc8448Chunks(v)
	cv12 := tls12Conversation(t, 0xC02F, 0x0303, false, 2)
	cv13 := tls13Conversation(t, 0x1303, true, true, 3)
	seeds := [][]byte{
		encodeOps(1, rfc),
		encodeOps(0, rfc),
		encodeOps(2, cv12.chunks),
		encodeOps(3, cv13.chunks),
	}
	// The RFC trace with a gap in the server flight.
	g := encodeOps(1, rfc[:2])
	g = append(g, 3, 0, 40)
	g = append(g, encodeOps(1, rfc[2:])[1:]...)
	seeds = append(seeds, g)
	return seeds
}

// TestWriteFuzzSeeds rewrites testdata/fuzz with -genseeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		// Without -genseeds: the committed corpus must be there, since
		// plain go test runs the fuzz targets on it.
		for _, target := range []string{"FuzzConn", "FuzzKeyLog"} {
			seeds, err := os.ReadDir(filepath.Join("testdata", "fuzz", target))
			if err != nil || len(seeds) == 0 {
				t.Errorf("no seed corpus for %s (go test -run TestWriteFuzzSeeds -genseeds): %v", target, err)
			}
		}
		return
	}
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	write := func(target string, seeds [][]byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("FuzzConn", fuzzSeeds(t, v))
	write("FuzzKeyLog", keyLogSeeds())
}

func keyLogSeeds() [][]byte {
	cr := strings.Repeat("ab", 32)
	return [][]byte{
		[]byte("# SSL/TLS secrets log file\nCLIENT_RANDOM " + cr + " " + strings.Repeat("11", 48) + "\n"),
		[]byte("CLIENT_HANDSHAKE_TRAFFIC_SECRET " + cr + " " + strings.Repeat("22", 32) + "\r\nSERVER_TRAFFIC_SECRET_0 " + cr + " " + strings.Repeat("33", 48) + "\n"),
		[]byte("RSA 0102 0304\nEXPORTER_SECRET x y\n\n\n#\n"),
		[]byte("CLIENT_RANDOM " + cr + " " + strings.Repeat("1", 300)),
	}
}

func FuzzKeyLog(f *testing.F) {
	for _, s := range keyLogSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKeyLog(strings.NewReader(string(data)))
		if err != nil {
			if k != nil {
				t.Fatalf("KeyLog and error")
			}
			return
		}
		if lines := strings.Count(string(data), "\n") + 1; k.Len() > lines {
			t.Fatalf("%d entries from %d lines", k.Len(), lines)
		}
		for _, s := range k.m {
			for _, b := range [][]byte{s.master, s.chts, s.shts, s.cts0, s.sts0} {
				if b != nil && len(b) != 32 && len(b) != 48 {
					t.Fatalf("secret of %d bytes", len(b))
				}
			}
		}
		n := k.Len()
		k.Merge(k)
		if k.Len() != n {
			t.Fatalf("Merge with itself changed Len")
		}
	})
}
