package tlsdec

import (
	"bytes"
	"strings"
	"testing"
)

// refuseMem is a Memory that refuses every buffer once full is set.
type refuseMem struct {
	full  bool
	held  int
	grown int
}

func (m *refuseMem) Grow(buf []byte, n int) ([]byte, bool) {
	if m.full {
		return buf, false
	}
	nb := make([]byte, len(buf), len(buf)+n)
	copy(nb, buf)
	m.held += cap(nb) - cap(buf)
	m.grown++
	return nb, true
}

func (m *refuseMem) Release(buf []byte) { m.held -= cap(buf) }

// TestShedPartialRecord: Shed in the middle of a record drops its bytes
// with an event saying what and where; the rest of the record is skipped
// and decryption goes on with the next record. A record that Memory
// refuses to buffer is skipped the same way.
func TestShedPartialRecord(t *testing.T) {
	convs := map[string]conversation{
		"tls13":     tls13Conversation(t, 0x1301, false, false, 20),
		"tls12-gcm": tls12Conversation(t, 0xC02F, 0x0303, false, 20),
		"tls12-cbc": tls12Conversation(t, 0xC014, 0x0303, false, 20),
	}
	for name, cv := range convs {
		for _, refuse := range []bool{false, true} {
			r := &recorder{}
			c := NewConn(cv.keys(t), r)
			mem := &refuseMem{}
			c.SetMemory(mem, "budget")
			recs := recordsOf(cv, ServerToClient)
			cut := recs[len(recs)/2] // an application data record
			var off [2]int64
			for _, ch := range cv.chunks {
				from := off[ch.d]
				off[ch.d] += int64(len(ch.b))
				if ch.d != ServerToClient || from != cut.from {
					c.Write(ch.d, from, ch.b)
					continue
				}
				half := len(ch.b) / 2
				mem.full = refuse
				c.Write(ch.d, from, ch.b[:half])
				if !refuse {
					if c.Buffered() != 0 || mem.held == 0 {
						t.Fatalf("%s: the partial record is not in Memory: Buffered %d, held %d", name, c.Buffered(), mem.held)
					}
					c.Shed("budget")
				}
				mem.full = false
				if mem.held != 0 || c.Buffered() != 0 {
					t.Fatalf("%s: after shedding Memory holds %d, Buffered %d", name, mem.held, c.Buffered())
				}
				c.Write(ch.d, from+int64(half), ch.b[half:])
			}
			var want []byte
			for _, rr := range recs {
				if rr.from != cut.from {
					want = append(want, rr.msg...)
				}
			}
			if got := r.data[1].Bytes(); !bytes.Equal(got, want) {
				t.Errorf("%s refuse=%v: got %d bytes, want %d (equal prefix %d):\n%s", name, refuse, len(got), len(want), commonPrefix(got, want), r)
			}
			e, ok := r.find(EvGap)
			if !ok || !strings.Contains(e.msg, "(budget)") || e.s.From != cut.from || e.s.To != cut.to {
				t.Errorf("%s refuse=%v: gap event %+v, want one naming the budget at [%d, %d)", name, refuse, e, cut.from, cut.to)
			}
			if r.count(EvAuthFailed) != 0 || !c.Info().Decrypting || mem.held != 0 {
				t.Errorf("%s refuse=%v: info %+v, held %d:\n%s", name, refuse, c.Info(), mem.held, r)
			}
		}
	}
}
