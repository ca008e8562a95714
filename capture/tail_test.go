package capture

import (
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func notes(evs []got) []string {
	var out []string
	for _, e := range kinds(evs, EventNote) {
		out = append(out, e.Message)
	}
	return out
}

// TestSilentDropsAreNoted: data after a FIN or a RST, and a retransmission
// whose bytes differ from the first copy, each get a note; an identical
// retransmission does not.
func TestSilentDropsAreNoted(t *testing.T) {
	pub := publish("a/b", 40)
	evil := append([]byte(nil), pub...)
	evil[30] ^= 0x20
	tests := []struct {
		name string
		fill func(c *pcapgen.Conn)
		want string // "" = no note
	}{
		{"after FIN", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.Fin(pcapgen.ToServer)
			c.Send(pcapgen.ToServer, pub)
		}, "bytes after the FIN in frame"},
		{"after RST", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.ResetFrom(pcapgen.ToServer)
			c.Send(pcapgen.ToServer, pub)
		}, "bytes after the RST in frame"},
		{"different retransmission", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.Send(pcapgen.ToServer, pub)
			c.SendAt(pcapgen.ToServer, 2, evil)
		}, "retransmission with different bytes at stream offset 32 (frame 6): kept the first copy"},
		{"same retransmission", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.Send(pcapgen.ToServer, pub)
			c.SendAt(pcapgen.ToServer, 2, pub)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
				c := w.Conn(cli, srv)
				c.Handshake()
				tt.fill(c)
			})
			evs, _ := mustRead(t, capture, Config{})
			ns := notes(evs)
			if tt.want == "" {
				if len(ns) != 0 {
					t.Errorf("notes %q, want none", ns)
				}
				return
			}
			if len(ns) != 1 || !strings.Contains(ns[0], tt.want) {
				t.Errorf("notes %q, want one with %q", ns, tt.want)
			}
		})
	}
}

// The tails stay bounded and consistent: at most tailDirs, each listed
// tail is its direction's, evicted and dropped ones are unlinked from
// their direction, and a dropped tail is reused.
func TestTailsBoundedAndConsistent(t *testing.T) {
	e := &engine{}
	dirs := make([]direction, 3*tailDirs)
	check := func(when string) {
		t.Helper()
		n := 0
		for tl := e.tails.head.next; tl != &e.tails.head; tl = tl.next {
			n++
			if tl.f.tail != tl {
				t.Fatalf("%s: a listed tail is not its direction's", when)
			}
		}
		if n != e.tails.n || n > tailDirs {
			t.Fatalf("%s: %d tails listed, count %d, at most %d", when, n, e.tails.n, tailDirs)
		}
		held := 0
		for i := range dirs {
			if dirs[i].tail != nil {
				held++
			}
		}
		if held != n {
			t.Fatalf("%s: %d directions hold a tail, %d listed", when, held, n)
		}
	}
	for i := range dirs {
		e.keepTail(&dirs[i], 1000, []byte("abc"))
	}
	check("after more directions than tailDirs")
	last := &dirs[len(dirs)-1]
	if last.tail == nil || string(last.tail.buf) != "abc" {
		t.Fatal("the most recent direction lost its tail")
	}
	e.keepTail(last, 1003, []byte("def"))
	if string(last.tail.buf) != "abcdef" || last.tail.seq != 1000 {
		t.Fatalf("tail = %q at %d, want abcdef at 1000", last.tail.buf, last.tail.seq)
	}
	kept := last.tail
	e.tails.drop(last)
	check("after a drop")
	if last.tail != nil || len(e.tails.free) != 1 {
		t.Fatal("a dropped tail was not freed")
	}
	e.keepTail(&dirs[0], 5, []byte("x"))
	check("after reuse")
	if dirs[0].tail != kept {
		t.Fatal("the freed tail was not reused")
	}
}
