package dissect

import (
	"bytes"
	"testing"
)

// FuzzDissect: any bytes, any version: no panic, and the tree invariants
// hold (nodes inside parents, ascending siblings, leaves cover every byte).
func FuzzDissect(f *testing.F) {
	for _, c := range cases {
		for _, v := range []byte{0, 3, 4, 5} {
			f.Add(v, mustHex(f, c.hex))
		}
	}
	f.Fuzz(func(t *testing.T, v byte, raw []byte) {
		s := NewSession(Version(v % 6))
		for i := 0; i < 2; i++ { // twice: the second run sees learned state
			p := s.Dissect(raw, ToServer)
			if err := p.Check(); err != nil {
				t.Fatalf("invariants: %v", err)
			}
			_ = p.Info
			for _, n := range p.Fields {
				n.Walk(func(n *Node) { _ = n.Text() })
			}
		}
	})
}

// frameAll cuts a byte stream delivered in chunks into packets the way a
// TCP reader must: append, frame, cut, repeat.
func frameAll(chunks [][]byte) (pkts [][]byte, rest []byte, bad bool) {
	var buf []byte
	for _, ch := range chunks {
		buf = append(buf, ch...)
		for {
			f := FrameHead(buf)
			if f.Status == FrameMalformed {
				return pkts, buf, true
			}
			if f.Status != FrameComplete {
				break
			}
			pkts = append(pkts, append([]byte(nil), buf[:f.Total]...))
			buf = buf[f.Total:]
		}
	}
	return pkts, buf, false
}

// FuzzFrame: splitting a stream anywhere (even inside the remaining-length
// bytes) yields the same packets as framing it whole.
func FuzzFrame(f *testing.F) {
	var stream []byte
	for _, c := range cases {
		stream = append(stream, mustHex(f, c.hex)...)
	}
	f.Add(stream, []byte{1, 2, 3})
	f.Add(mustHex(f, "30 ff 7f"), []byte{2})
	f.Add(mustHex(f, designConnect+"c000d000"), []byte{1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		whole, restW, badW := frameAll([][]byte{stream})
		var chunks [][]byte
		pos := 0
		for _, c := range cuts {
			n := int(c)
			if pos+n > len(stream) {
				break
			}
			chunks = append(chunks, stream[pos:pos+n])
			pos += n
		}
		chunks = append(chunks, stream[pos:])
		split, restS, badS := frameAll(chunks)
		// After a malformed length the split side stops early, so its rest is a prefix.
		if badW != badS || len(whole) != len(split) || !bytes.HasPrefix(restW, restS) || (!badW && !bytes.Equal(restW, restS)) {
			t.Fatalf("whole: %d packets rest %x bad %v; split: %d packets rest %x bad %v", len(whole), restW, badW, len(split), restS, badS)
		}
		for i := range whole {
			if !bytes.Equal(whole[i], split[i]) {
				t.Fatalf("packet %d differs", i)
			}
		}
	})
}
