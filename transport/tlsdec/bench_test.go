package tlsdec

import (
	"math/rand/v2"
	"testing"
)

type discard struct{ n int }

func (d *discard) Data(_ Dir, plain []byte, _ Span)           { d.n += len(plain) }
func (d *discard) Event(_ Dir, _ Span, _ EventKind, _ string) {}

// benchStream is a connection whose server sends 1 MiB of application data
// in full-size records.
func benchStream(b *testing.B, id uint16) (conversation, int) {
	const total = 1 << 20
	st := suites[id]
	r := rand.NewChaCha8([32]byte{9})
	var cv conversation
	if st.tls13 {
		cv = tls13Conversation(b, id, false, false, 0)
		cv.chunks = cv.chunks[:len(cv.chunks)-2] // the close_notify alerts
		// Append the server's data under its application key: the
		// conversation's records so far used sequence numbers 0 (ticket).
		var sec *secrets
		for _, s := range cv.keys(b).m {
			sec = s
		}
		w := newSealer13(b, st, sec.sts0)
		w.seq = 1
		for sent := 0; sent < total; sent += 1 << 14 {
			msg := randBytes(r, 1<<14)
			cv.addData(ServerToClient, w.seal(23, msg, 0), msg)
		}
		return cv, total
	}
	cv = tls12Conversation(b, id, 0x0303, false, 0)
	cv.chunks = cv.chunks[:len(cv.chunks)-2] // the close_notify alerts
	// Rebuild the sealer at sequence 1 (after Finished).
	var master []byte
	for _, s := range cv.keys(b).m {
		master = s.master
	}
	cr := cv.chunks[0].b[11:43]
	sr := cv.chunks[1].b[11:43]
	kb := tls12KeyBlock(st, 0x0303, false, master, cr, sr)
	w := &sealer12{s: st, ver: 0x0303, key: kb.key[1], mac: kb.macKey[1], iv: kb.ivKey[1], rnd: r, seq: 1}
	for sent := 0; sent < total; sent += 16000 {
		msg := randBytes(r, 16000)
		cv.addData(ServerToClient, w.seal(23, msg), msg)
	}
	return cv, total
}

// BenchmarkDecrypt1MB decrypts a connection carrying 1 MiB of application
// data from the server (handshake included), per suite.
func BenchmarkDecrypt1MB(b *testing.B) {
	for _, id := range []uint16{0x1301, 0x1302, 0x1303, 0xC02F, 0xCCA8, 0xC013, 0x003C} {
		b.Run(suiteName(id), func(b *testing.B) {
			cv, total := benchStream(b, id)
			keys := cv.keys(b)
			chunks := coalesce(cv.chunks)
			b.SetBytes(int64(total))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				d := &discard{}
				c := NewConn(keys, d)
				var off [2]int64
				for _, ch := range chunks {
					c.Write(ch.d, off[ch.d], ch.b)
					off[ch.d] += int64(len(ch.b))
				}
				if d.n < total {
					b.Fatalf("decrypted %d of %d bytes", d.n, total)
				}
			}
		})
	}
}
