package tlsdec

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// feedWithGap feeds cv, leaving out bytes [g0, g1) of direction gd. With
// jump, the loss shows only as a jump in Write's offset; else Gap says it.
func feedWithGap(c *Conn, cv conversation, gd Dir, g0, g1 int64, jump bool) {
	var off [2]int64
	gapSaid := false
	for _, ch := range cv.chunks {
		from, to := off[ch.d], off[ch.d]+int64(len(ch.b))
		off[ch.d] = to
		if ch.d != gd || to <= g0 || from >= g1 {
			c.Write(ch.d, from, ch.b)
			continue
		}
		if from < g0 {
			c.Write(ch.d, from, ch.b[:g0-from])
		}
		if !gapSaid && !jump {
			c.Gap(gd, g0, int(g1-g0))
		}
		gapSaid = true
		if to > g1 {
			c.Write(ch.d, g1, ch.b[g1-from:])
		}
	}
}

// recordsOf lists the stream ranges of direction d's chunks (one record
// each) with their application data.
type recRange struct {
	from, to int64
	msg      []byte
}

func recordsOf(cv conversation, d Dir) []recRange {
	var out []recRange
	var off int64
	for i, ch := range cv.chunks {
		if ch.d != d {
			continue
		}
		out = append(out, recRange{off, off + int64(len(ch.b)), cv.plain[i]})
		off += int64(len(ch.b))
	}
	return out
}

func TestGapResync(t *testing.T) {
	convs := map[string]conversation{
		"tls13":     tls13Conversation(t, 0x1301, false, false, 40),
		"tls12-gcm": tls12Conversation(t, 0xC02F, 0x0303, false, 40),
		"tls12-cbc": tls12Conversation(t, 0xC014, 0x0303, false, 40),
		"tls10-cbc": tls12Conversation(t, 0xC013, 0x0301, false, 40),
	}
	for name, cv := range convs {
		recs := recordsOf(cv, ServerToClient)
		first := len(recs) / 2 // an application data record
		for _, tc := range []struct {
			name   string
			g0, g1 int64
		}{
			{"inside-one-record", recs[first].from + 7, recs[first].to - 3},
			{"to-record-end", recs[first].from + 7, recs[first].to},
			{"over-three-records", recs[first].from + 9, recs[first+2].from + 20},
			{"whole-records", recs[first].from, recs[first+3].from},
			{"header-split", recs[first].from + 2, recs[first+1].from + 3},
		} {
			for _, jump := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/jump=%v", name, tc.name, jump), func(t *testing.T) {
					r := &recorder{}
					c := NewConn(cv.keys(t), r)
					feedWithGap(c, cv, ServerToClient, tc.g0, tc.g1, jump)
					var want, pre []byte
					var post [][]byte
					for _, rr := range recs {
						switch {
						case rr.to <= tc.g0:
							pre = append(pre, rr.msg...)
						case rr.from >= tc.g1:
							post = append(post, rr.msg)
						}
					}
					want = append(append(want, pre...), bytes.Join(post, nil)...)
					got := r.data[1].Bytes()
					// TLS 1.0 CBC takes its IV from the record before: when
					// the gap hid it, the first record after is lost too.
					alsoOK := name == "tls10-cbc" && len(post) > 0 && bytes.Equal(got, append(append([]byte(nil), pre...), bytes.Join(post[1:], nil)...))
					if !bytes.Equal(got, want) && !alsoOK {
						t.Fatalf("got %d bytes, want %d (equal prefix %d):\n%s", len(got), len(want), commonPrefix(got, want), r)
					}
					if !bytes.Equal(r.data[0].Bytes(), cv.sent[0]) {
						t.Errorf("client data differs")
					}
					if r.count(EvGap) == 0 || r.count(EvAuthFailed) != 0 {
						t.Errorf("events:\n%s", r)
					}
					if c.Info().Missing[1] != tc.g1-tc.g0 {
						t.Errorf("missing bytes not counted: %+v", c.Info())
					}
				})
			}
		}
	}
}

// TestGapLong loses more records than resynchronisation tries: what comes
// out is whole messages from before the gap and, if it resynchronised, a
// suffix of those after it; never anything else.
func TestGapLong(t *testing.T) {
	cv := tls13Conversation(t, 0x1303, false, false, 300)
	recs := recordsOf(cv, ServerToClient)
	g0, g1 := recs[10].from+5, recs[200].from+5
	r := &recorder{}
	c := NewConn(cv.keys(t), r)
	feedWithGap(c, cv, ServerToClient, g0, g1, false)
	var pre []byte
	var post [][]byte
	for _, rr := range recs {
		switch {
		case rr.to <= g0:
			pre = append(pre, rr.msg...)
		case rr.from >= g1:
			post = append(post, rr.msg)
		}
	}
	got := r.data[1].Bytes()
	if !bytes.HasPrefix(got, pre) {
		t.Fatalf("data before the gap differs")
	}
	rest := got[len(pre):]
	ok := false
	for j := range post {
		if bytes.Equal(rest, bytes.Join(post[j:], nil)) {
			ok = true
			break
		}
	}
	if !ok && len(rest) != 0 {
		t.Fatalf("%d bytes after the gap are not a suffix of what was sent:\n%s", len(rest), r)
	}
	resynced := strings.Contains(r.String(), "resynchronised")
	gaveUp := strings.Contains(r.String(), "could not resynchronise")
	if resynced == gaveUp {
		t.Errorf("want exactly one of resynchronised / gave up:\n%s", r)
	}
	t.Logf("long gap: resynchronised %v, %d of %d bytes after it", resynced, len(rest), len(bytes.Join(post, nil)))
}

func TestGapBeforeAnything(t *testing.T) {
	// A capture that starts mid-connection: no hello, so no keys; the
	// records are still framed after the first header is found.
	cv := tls13Conversation(t, 0x1301, false, false, 10)
	recs := recordsOf(cv, ServerToClient)
	r := &recorder{}
	c := NewConn(cv.keys(t), r)
	c.Gap(ServerToClient, 0, int(recs[5].from+3))
	var off int64
	for _, ch := range cv.chunks {
		if ch.d == ServerToClient {
			if off+int64(len(ch.b)) > recs[5].from+3 {
				c.Write(ch.d, off, ch.b)
			}
			off += int64(len(ch.b))
		}
	}
	if r.data[1].Len() != 0 || r.count(EvNotTLS) != 0 {
		t.Errorf("events:\n%s", r)
	}
	if c.Buffered() > MaxRecord {
		t.Errorf("Buffered %d", c.Buffered())
	}
}
