package websocket

import (
	"math/rand"
	"testing"
)

// TestShedMidMessage: Shed inside a compressed message drops the inflater
// with an event saying what and where; the rest of the message is not
// delivered, and with context takeover later compressed messages are
// reported, not inflated. Without takeover the next message inflates.
func TestShedMidMessage(t *testing.T) {
	for _, tc := range []struct {
		name, respExt string
		takeover      bool
	}{
		{"takeover", "permessage-deflate", true},
		{"no takeover", "permessage-deflate; client_no_context_takeover", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			comp := deflateEach(t, testData(rand.New(rand.NewSource(5)), 50000), []byte("next"))
			c, r, cs, _ := upgraded(t, "mqtt", "permessage-deflate", tc.respExt)
			start := len(cs.b)
			compressedStream(cs, testMask, comp)
			cut := start + len(comp[0])/2
			c.Write(ClientToServer, int64(start), cs.b[start:cut])
			before := c.Buffered()
			c.Shed("budget")
			if c.Buffered() >= before || c.Buffered() > 2*maxControl {
				t.Errorf("Buffered %d after Shed, %d before", c.Buffered(), before)
			}
			e := r.must(t, EvGap, "permessage-deflate state of")
			if e.s.From != int64(start) || e.s.To != int64(cut) {
				t.Errorf("event span %v, want [%d, %d)", e.s, start, cut)
			}
			got := len(r.data[ClientToServer])
			c.Write(ClientToServer, int64(cut), cs.b[cut:])
			msgs := r.msgs[ClientToServer]
			if len(msgs) != 2 {
				t.Fatalf("%d messages", len(msgs))
			}
			if tc.takeover {
				r.must(t, EvDeflate, "deflate context was lost")
				if len(r.data[ClientToServer]) != got {
					t.Errorf("data delivered after the shed: %d bytes, then %d", got, len(r.data[ClientToServer]))
				}
			} else if string(msgs[1]) != "next" {
				t.Errorf("the next message %q, want \"next\"", msgs[1])
			}
		})
	}
}

// TestShedHeaderBlock: Shed during an unfinished HTTP header block drops it
// and stops the direction, saying so.
func TestShedHeaderBlock(t *testing.T) {
	r := &recorder{t: t}
	c := NewConn(r)
	req := upgradeRequest("mqtt", "")
	c.Write(ClientToServer, 0, []byte(req[:40]))
	c.Shed("budget")
	r.must(t, EvShed, "40 bytes of an unfinished HTTP header block at stream offset 0 dropped (budget)")
	r.must(t, EvStopped, "")
	if c.Buffered() != 0 || !c.Stopped(ClientToServer) {
		t.Errorf("Buffered %d, stopped %v", c.Buffered(), c.Stopped(ClientToServer))
	}
}
