package tlsdec

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

// recorder is a Sink that keeps everything.
type recorder struct {
	data   [2]bytes.Buffer
	spans  [2][]Span
	events []recEvent
}

type recEvent struct {
	d    Dir
	s    Span
	kind EventKind
	msg  string
}

func (r *recorder) Data(d Dir, plain []byte, s Span) {
	r.data[d].Write(plain)
	r.spans[d] = append(r.spans[d], s)
}

func (r *recorder) Event(d Dir, s Span, kind EventKind, msg string) {
	r.events = append(r.events, recEvent{d, s, kind, msg})
}

func (r *recorder) count(k EventKind) int {
	n := 0
	for _, e := range r.events {
		if e.kind == k {
			n++
		}
	}
	return n
}

func (r *recorder) find(k EventKind) (recEvent, bool) {
	for _, e := range r.events {
		if e.kind == k {
			return e, true
		}
	}
	return recEvent{}, false
}

func (r *recorder) String() string {
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "  %s %v %s: %s\n", e.d, e.s, e.kind, e.msg)
	}
	return b.String()
}

// vectors reads a "name hex" file from testdata.
func vectors(t testing.TB, name string) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad vector line %q", line)
		}
		b, err := hex.DecodeString(strings.TrimSpace(v))
		if err != nil {
			t.Fatalf("vector %s: %v", k, err)
		}
		m[k] = b
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// chunk is bytes of one direction, in capture order.
type chunk struct {
	d Dir
	b []byte
}

// feed writes the chunks to c in order, each cut into pieces of at most
// step bytes (0: whole).
func feed(c *Conn, chunks []chunk, step int) {
	var off [2]int64
	for _, ch := range chunks {
		b := ch.b
		for len(b) > 0 {
			n := len(b)
			if step > 0 && n > step {
				n = step
			}
			// A copy that is overwritten after the call checks that
			// Conn keeps nothing of b.
			p := append([]byte(nil), b[:n]...)
			c.Write(ch.d, off[ch.d], p)
			for i := range p {
				p[i] = 0xEE
			}
			off[ch.d] += int64(n)
			b = b[n:]
		}
	}
}
