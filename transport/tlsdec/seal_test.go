package tlsdec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// This file protects records the way a TLS stack does, for what Go's
// crypto/tls cannot be made to negotiate: TLS 1.3 with a chosen suite,
// KeyUpdate, early data, AES_256_CBC_SHA256, the SHA-384 CBC suites and
// encrypt-then-MAC.

func record(typ uint8, ver uint16, frag []byte) []byte {
	b := []byte{typ, byte(ver >> 8), byte(ver), byte(len(frag) >> 8), byte(len(frag))}
	return append(b, frag...)
}

func handshakeMsg(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }
func vec16(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }

func ext(typ uint16, data []byte) []byte {
	return append([]byte{byte(typ >> 8), byte(typ)}, vec16(data)...)
}

type helloOpts struct {
	sni, alpn   string
	versions    []uint16
	earlyData   bool
	suites      []uint16
	sessionID   []byte
	ticket      []byte
	etm         bool
	serverALPN  string
	serverSuite uint16
	version     uint16 // negotiated
}

func clientHello(random []byte, o helloOpts) []byte {
	var exts []byte
	if o.sni != "" {
		name := append([]byte{0}, vec16([]byte(o.sni))...)
		exts = append(exts, ext(0, vec16(name))...)
	}
	if o.alpn != "" {
		var l []byte
		for _, p := range strings.Split(o.alpn, ",") {
			l = append(l, vec8([]byte(p))...)
		}
		exts = append(exts, ext(16, vec16(l))...)
	}
	if len(o.versions) > 0 {
		var l []byte
		for _, v := range o.versions {
			l = binary.BigEndian.AppendUint16(l, v)
		}
		exts = append(exts, ext(43, vec8(l))...)
	}
	if o.earlyData {
		exts = append(exts, ext(42, nil)...)
	}
	if o.ticket != nil {
		exts = append(exts, ext(35, o.ticket)...)
	}
	var cs []byte
	for _, s := range o.suites {
		cs = binary.BigEndian.AppendUint16(cs, s)
	}
	body := []byte{3, 3}
	body = append(body, random...)
	body = append(body, vec8(o.sessionID)...)
	body = append(body, vec16(cs)...)
	body = append(body, 1, 0)
	body = append(body, vec16(exts)...)
	return record(22, 0x0301, handshakeMsg(1, body))
}

func serverHello(random []byte, o helloOpts) []byte {
	var exts []byte
	if o.version == 0x0304 {
		exts = append(exts, ext(43, []byte{3, 4})...)
	}
	if o.etm {
		exts = append(exts, ext(22, nil)...)
	}
	if o.serverALPN != "" && o.version != 0x0304 {
		exts = append(exts, ext(16, vec16(vec8([]byte(o.serverALPN))))...)
	}
	body := []byte{3, 3}
	if o.version < 0x0303 {
		body = []byte{byte(o.version >> 8), byte(o.version)}
	}
	body = append(body, random...)
	body = append(body, vec8(o.sessionID)...)
	body = binary.BigEndian.AppendUint16(body, o.serverSuite)
	body = append(body, 0)
	body = append(body, vec16(exts)...)
	return record(22, 0x0303, handshakeMsg(2, body))
}

// sealer13 protects TLS 1.3 records.
type sealer13 struct {
	s      *suite
	secret []byte
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
}

func newSealer13(t testing.TB, s *suite, secret []byte) *sealer13 {
	key, iv, err := trafficKeys(s, secret)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAEAD(s.bulk, key)
	if err != nil {
		t.Fatal(err)
	}
	return &sealer13{s: s, secret: secret, aead: a, iv: iv}
}

func (w *sealer13) seal(inner uint8, plain []byte, pad int) []byte {
	nonce := append([]byte(nil), w.iv...)
	for i := 0; i < 8; i++ {
		nonce[4+i] ^= byte(w.seq >> (56 - 8*i))
	}
	w.seq++
	p := append(append([]byte(nil), plain...), inner)
	p = append(p, make([]byte, pad)...)
	n := len(p) + w.aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	return append(hdr, w.aead.Seal(nil, nonce, p, hdr)...)
}

func (w *sealer13) update(t testing.TB) {
	next, err := nextTrafficSecret(w.s, w.secret)
	if err != nil {
		t.Fatal(err)
	}
	*w = *newSealer13(t, w.s, next)
}

// sealer12 protects TLS 1.0-1.2 records.
type sealer12 struct {
	s            *suite
	ver          uint16
	etm          bool
	key, mac, iv []byte
	seq          uint64
	rnd          *rand.ChaCha8
}

func (w *sealer12) seal(typ uint8, plain []byte) []byte {
	var hdr [13]byte
	binary.BigEndian.PutUint64(hdr[:8], w.seq)
	hdr[8], hdr[9], hdr[10] = typ, byte(w.ver>>8), byte(w.ver)
	seq := w.seq
	w.seq++
	switch w.s.bulk {
	case bulkAESGCM, bulkChaCha:
		a, _ := newAEAD(w.s.bulk, w.key)
		binary.BigEndian.PutUint16(hdr[11:], uint16(len(plain)))
		var nonce []byte
		var out []byte
		if w.s.bulk == bulkAESGCM {
			explicit := binary.BigEndian.AppendUint64(nil, seq^0x5a5a)
			nonce = append(append([]byte(nil), w.iv[:4]...), explicit...)
			out = explicit
		} else {
			nonce = append([]byte(nil), w.iv...)
			for i := 0; i < 8; i++ {
				nonce[4+i] ^= byte(seq >> (56 - 8*i))
			}
		}
		return record(typ, w.ver, a.Seal(out, nonce, plain, hdr[:]))
	}
	blk, _ := aes.NewCipher(w.key)
	iv := make([]byte, 16)
	w.rnd.Read(iv)
	chained := w.ver <= 0x0301 // TLS 1.0: the IV is the previous record's last block
	if chained {
		iv = w.iv
	}
	pad := func(b []byte) []byte {
		p := 15 - len(b)%16
		for i := 0; i <= p; i++ {
			b = append(b, byte(p))
		}
		return b
	}
	cbc := func(b []byte) []byte {
		out := make([]byte, len(b))
		cipher.NewCBCEncrypter(blk, iv).CryptBlocks(out, b)
		if chained {
			w.iv = append([]byte(nil), out[len(out)-16:]...)
			return out
		}
		return append(append([]byte(nil), iv...), out...)
	}
	m := hmac.New(w.s.mac, w.mac)
	if w.etm {
		ct := cbc(pad(append([]byte(nil), plain...)))
		binary.BigEndian.PutUint16(hdr[11:], uint16(len(ct)))
		m.Write(hdr[:])
		m.Write(ct)
		return record(typ, w.ver, m.Sum(ct))
	}
	binary.BigEndian.PutUint16(hdr[11:], uint16(len(plain)))
	m.Write(hdr[:])
	m.Write(plain)
	return record(typ, w.ver, cbc(pad(m.Sum(append([]byte(nil), plain...)))))
}

// conversation is a synthetic connection: its chunks, key log and the
// application data of each direction.
type conversation struct {
	chunks []chunk
	plain  map[int][]byte // chunk index -> the application data it carries
	keyLog string
	sent   [2][]byte
}

func (cv *conversation) add(d Dir, b []byte) { cv.chunks = append(cv.chunks, chunk{d, b}) }

func (cv *conversation) addData(d Dir, rec, msg []byte) {
	if cv.plain == nil {
		cv.plain = map[int][]byte{}
	}
	cv.plain[len(cv.chunks)] = msg
	cv.sent[d] = append(cv.sent[d], msg...)
	cv.add(d, rec)
}

func randBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

var ccs = record(20, 0x0303, []byte{1})

// tls13Conversation builds a TLS 1.3 connection with the given suite,
// optionally with early data and KeyUpdates both ways.
func tls13Conversation(t testing.TB, id uint16, keyUpdate, early bool, records int) conversation {
	st := suites[id]
	r := rand.NewChaCha8([32]byte{byte(id), byte(id >> 8)})
	cr, sr := randBytes(r, 32), randBytes(r, 32)
	hl := st.prf().Size()
	chts, shts, cts, sts := randBytes(r, hl), randBytes(r, hl), randBytes(r, hl), randBytes(r, hl)
	var cv conversation
	crHex := hex.EncodeToString(cr)
	cv.keyLog = fmt.Sprintf("CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %x\nSERVER_HANDSHAKE_TRAFFIC_SECRET %s %x\nCLIENT_TRAFFIC_SECRET_0 %s %x\nSERVER_TRAFFIC_SECRET_0 %s %x\n",
		crHex, chts, crHex, shts, crHex, cts, crHex, sts)
	o := helloOpts{sni: "broker.example", alpn: "mqtt,x-amzn-mqtt-ca", versions: []uint16{0x0304, 0x0303}, earlyData: early, suites: []uint16{id}, serverSuite: id, version: 0x0304, sessionID: randBytes(r, 32)}
	cv.add(ClientToServer, clientHello(cr, o))
	cv.add(ClientToServer, ccs)
	if early {
		ew := newSealer13(t, st, randBytes(r, hl))
		cv.add(ClientToServer, ew.seal(23, []byte("early data nobody can read"), 0))
		cv.add(ClientToServer, ew.seal(23, []byte("more early data"), 0))
	}
	cv.add(ServerToClient, serverHello(sr, o))
	cv.add(ServerToClient, ccs)
	shw := newSealer13(t, st, shts)
	ee := handshakeMsg(8, vec16(ext(16, vec16(vec8([]byte("mqtt"))))))
	cert := handshakeMsg(11, randBytes(r, 3000))
	fin := handshakeMsg(20, randBytes(r, hl))
	// EncryptedExtensions and part of the Certificate in one record, the
	// rest of the Certificate and Finished in the next: messages span records.
	flight := append(append(append([]byte(nil), ee...), cert...), fin...)
	cv.add(ServerToClient, shw.seal(22, flight[:1000], 0))
	cv.add(ServerToClient, shw.seal(22, flight[1000:], 7))
	cw := newSealer13(t, st, chts)
	if early {
		// EndOfEarlyData would be under the early key: another skipped record.
		ew := newSealer13(t, st, randBytes(r, hl))
		cv.add(ClientToServer, ew.seal(22, handshakeMsg(5, nil), 0))
	}
	cv.add(ClientToServer, cw.seal(22, handshakeMsg(20, randBytes(r, hl)), 0))
	caw, saw := newSealer13(t, st, cts), newSealer13(t, st, sts)
	cv.add(ServerToClient, saw.seal(22, handshakeMsg(4, randBytes(r, 100)), 0)) // NewSessionTicket
	for i := range records {
		for d, w := range []*sealer13{caw, saw} {
			msg := randBytes(r, 1+int(r.Uint64()%3000))
			if i == 2 {
				msg = randBytes(r, 1<<14) // a full record
			}
			cv.addData(Dir(d), w.seal(23, msg, int(r.Uint64()%20)), msg)
		}
		if keyUpdate && i == records/2 {
			cv.add(ClientToServer, caw.seal(22, handshakeMsg(24, []byte{1}), 0))
			caw.update(t)
			cv.add(ServerToClient, saw.seal(22, handshakeMsg(24, []byte{0}), 0))
			saw.update(t)
		}
	}
	cv.add(ClientToServer, caw.seal(21, []byte{1, 0}, 0))
	cv.add(ServerToClient, saw.seal(21, []byte{1, 0}, 0))
	return cv
}

// tls12Conversation builds an abbreviated (resumed) TLS 1.0-1.2 handshake
// and application data for a suite.
func tls12Conversation(t testing.TB, id uint16, ver uint16, etm bool, records int) conversation {
	st := suites[id]
	r := rand.NewChaCha8([32]byte{byte(id), byte(id >> 8), byte(ver), 12})
	cr, sr, master := randBytes(r, 32), randBytes(r, 32), randBytes(r, 48)
	var cv conversation
	cv.keyLog = fmt.Sprintf("# resumed\nCLIENT_RANDOM %x %x\n", cr, master)
	o := helloOpts{sni: "broker.example", alpn: "mqtt", suites: []uint16{id}, serverSuite: id, version: ver, etm: etm, serverALPN: "mqtt", sessionID: randBytes(r, 32)}
	kb := tls12KeyBlock(st, ver, etm, master, cr, sr)
	mk := func(d Dir) *sealer12 {
		return &sealer12{s: st, ver: ver, etm: etm, key: kb.key[d], mac: kb.macKey[d], iv: kb.ivKey[d], rnd: r}
	}
	cw, sw := mk(ClientToServer), mk(ServerToClient)
	cv.add(ClientToServer, clientHello(cr, o))
	cv.add(ServerToClient, serverHello(sr, o))
	cv.add(ServerToClient, record(20, ver, []byte{1}))
	cv.add(ServerToClient, sw.seal(22, handshakeMsg(20, randBytes(r, 12))))
	cv.add(ClientToServer, record(20, ver, []byte{1}))
	cv.add(ClientToServer, cw.seal(22, handshakeMsg(20, randBytes(r, 12))))
	for range records {
		for d, w := range []*sealer12{cw, sw} {
			msg := randBytes(r, 1+int(r.Uint64()%2000))
			cv.addData(Dir(d), w.seal(23, msg), msg)
		}
	}
	cv.add(ClientToServer, cw.seal(21, []byte{1, 0}))
	cv.add(ServerToClient, sw.seal(21, []byte{1, 0}))
	return cv
}

func (cv conversation) keys(t testing.TB) *KeyLog {
	k, err := ParseKeyLog(strings.NewReader(cv.keyLog))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func checkConversation(t *testing.T, cv conversation, chunks []chunk, step int) *recorder {
	t.Helper()
	r := &recorder{}
	c := NewConn(cv.keys(t), r)
	feed(c, chunks, step)
	for d := range 2 {
		if got := r.data[d].Bytes(); string(got) != string(cv.sent[d]) {
			t.Fatalf("%s: decrypted %d bytes, want %d (equal prefix %d); info %+v; events:\n%s",
				Dir(d), len(got), len(cv.sent[d]), commonPrefix(got, cv.sent[d]), c.Info(), r)
		}
	}
	if !c.Info().Decrypting || c.Info().Problem != "" || c.Info().SNI != "broker.example" {
		t.Errorf("info %+v", c.Info())
	}
	if r.count(EvAuthFailed)+r.count(EvNoKeys)+r.count(EvMalformed)+r.count(EvUndecryptable) != 0 {
		t.Errorf("unexpected events:\n%s", r)
	}
	if r.count(EvAlert) != 2 {
		t.Errorf("want 2 close_notify:\n%s", r)
	}
	return r
}

func TestSynthetic13Suites(t *testing.T) {
	for _, id := range []uint16{0x1301, 0x1302, 0x1303} {
		t.Run(suiteName(id), func(t *testing.T) {
			cv := tls13Conversation(t, id, true, false, 8)
			for _, step := range []int{0, 1, 333} {
				r := checkConversation(t, cv, cv.chunks, step)
				if r.count(EvKeyUpdate) != 2 {
					t.Errorf("want 2 key updates:\n%s", r)
				}
			}
			r := checkConversation(t, cv, coalesce(cv.chunks), 0)
			c := NewConn(cv.keys(t), r)
			feed(c, cv.chunks, 0)
			if c.Info().ALPN != "mqtt" || c.Info().Suite != suiteName(id) || c.Info().Version != "TLS 1.3" {
				t.Errorf("info %+v", c.Info())
			}
		})
	}
}

// TestSyntheticKeyUpdateMissed: without following the KeyUpdate (a wrong
// next secret) the records after it must fail, not pass garbage on.
func TestSyntheticKeyUpdateMissed(t *testing.T) {
	cv := tls13Conversation(t, 0x1301, true, false, 8)
	// Drop the client's KeyUpdate record: the decoder keeps the old key.
	var chunks []chunk
	dropped := false
	for _, ch := range cv.chunks {
		if !dropped && ch.d == ClientToServer && len(ch.b) == 5+4+1+1+16 {
			dropped = true
			continue
		}
		chunks = append(chunks, ch)
	}
	if !dropped {
		t.Fatal("KeyUpdate record not found")
	}
	r := &recorder{}
	c := NewConn(cv.keys(t), r)
	feed(c, chunks, 0)
	if r.count(EvAuthFailed) != 1 {
		t.Errorf("want one auth failure:\n%s", r)
	}
	if got := r.data[0].Bytes(); len(got) >= len(cv.sent[0]) || string(got) != string(cv.sent[0][:len(got)]) {
		t.Errorf("client data is not a prefix of what was sent (%d of %d bytes)", len(got), len(cv.sent[0]))
	}
}

func TestSyntheticEarlyData(t *testing.T) {
	cv := tls13Conversation(t, 0x1303, false, true, 3)
	r := &recorder{}
	c := NewConn(cv.keys(t), r)
	feed(c, cv.chunks, 0)
	for d := range 2 {
		if string(r.data[d].Bytes()) != string(cv.sent[d]) {
			t.Fatalf("%s data differs:\n%s", Dir(d), r)
		}
	}
	if r.count(EvEarlyData) != 1 || r.count(EvAuthFailed) != 0 {
		t.Errorf("events:\n%s", r)
	}
	if c.Info().Undecrypted[0] == 0 {
		t.Errorf("early data not counted: %+v", c.Info())
	}
}

func TestSynthetic12Suites(t *testing.T) {
	for _, tc := range []struct {
		id  uint16
		ver uint16
		etm bool
	}{
		{0x003D, 0x0303, false}, // AES_256_CBC_SHA256: Go has no such suite
		{0x003D, 0x0303, true},
		{0x002F, 0x0303, true},
		{0xC028, 0x0303, false}, // HMAC-SHA384, PRF SHA-384
		{0xC024, 0x0303, true},
		{0xC014, 0x0302, true},
		{0xC013, 0x0301, true},
		{0x009D, 0x0303, false},
		{0xCCA8, 0x0303, false},
		{0xCCAB, 0x0303, false},
		{0x00A8, 0x0303, false},
	} {
		t.Run(fmt.Sprintf("%s-%x-etm%v", suiteName(tc.id), tc.ver, tc.etm), func(t *testing.T) {
			cv := tls12Conversation(t, tc.id, tc.ver, tc.etm, 6)
			checkConversation(t, cv, cv.chunks, 0)
			checkConversation(t, cv, cv.chunks, 1)
			checkConversation(t, cv, coalesce(cv.chunks), 0)
			// The same records read without encrypt-then-MAC (or with
			// it when not negotiated) must fail, not decode.
			if suites[tc.id].bulk == bulkAESCBC {
				flipped := tls12Conversation(t, tc.id, tc.ver, tc.etm, 6)
				for i, ch := range flipped.chunks {
					if i == 1 { // the ServerHello
						o := helloOpts{serverSuite: tc.id, version: tc.ver, etm: !tc.etm, serverALPN: "mqtt"}
						sid := ch.b[5+4+2+32+1:][:32]
						o.sessionID = sid
						flipped.chunks[i].b = serverHello(ch.b[5+4+2:][:32], o)
					}
				}
				r := &recorder{}
				feed(NewConn(flipped.keys(t), r), flipped.chunks, 0)
				if r.count(EvAuthFailed) != 2 || r.data[0].Len()+r.data[1].Len() != 0 {
					t.Errorf("wrong MAC order decrypted:\n%s", r)
				}
			}
		})
	}
}

// TestTamper: a changed ciphertext byte stops the direction at that record:
// the data before it is delivered, none after, and one event says why.
func TestTamper(t *testing.T) {
	for _, cv := range []conversation{tls13Conversation(t, 0x1301, false, false, 6), tls12Conversation(t, 0xC02F, 0x0303, false, 6)} {
		chunks := make([]chunk, len(cv.chunks))
		copy(chunks, cv.chunks)
		var prefix int
		var protected []int
		for i, ch := range chunks {
			if ch.d == ServerToClient && ch.b[0] == 23 {
				protected = append(protected, i)
			}
		}
		i := protected[len(protected)-3]
		b := append([]byte(nil), chunks[i].b...)
		b[len(b)/2] ^= 0x40
		chunks[i].b = b
		r := &recorder{}
		c := NewConn(cv.keys(t), r)
		feed(c, chunks, 0)
		prefix = r.data[1].Len()
		if r.count(EvAuthFailed) != 1 || prefix == 0 || prefix >= len(cv.sent[1]) || string(r.data[1].Bytes()) != string(cv.sent[1][:prefix]) {
			t.Errorf("tampered: %d of %d bytes:\n%s", prefix, len(cv.sent[1]), r)
		}
		if string(r.data[0].Bytes()) != string(cv.sent[0]) {
			t.Errorf("the other direction suffered")
		}
		if c.Info().Decrypting || !strings.Contains(c.Info().Problem, "authentication failed at record") {
			t.Errorf("info %+v", c.Info())
		}
	}
}
