package capture

import "testing"

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
