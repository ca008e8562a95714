package tlsdec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// hkdfExpandLabel is HKDF-Expand-Label of RFC 8446 §7.1.
func hkdfExpandLabel(h func() hash.Hash, secret []byte, label string, context []byte, length int) ([]byte, error) {
	full := "tls13 " + label
	if len(full) > 255 || len(context) > 255 || length > 0xFFFF {
		return nil, errors.New("tlsdec: HKDF label too long")
	}
	info := make([]byte, 0, 4+len(full)+len(context))
	info = binary.BigEndian.AppendUint16(info, uint16(length))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	return hkdf.Expand(h, secret, string(info), length)
}

// trafficKeys derives a TLS 1.3 record key and IV from a traffic secret
// (RFC 8446 §7.3).
func trafficKeys(s *suite, secret []byte) (key, iv []byte, err error) {
	if key, err = hkdfExpandLabel(s.prf, secret, "key", nil, s.keyLen); err != nil {
		return nil, nil, err
	}
	if iv, err = hkdfExpandLabel(s.prf, secret, "iv", nil, 12); err != nil {
		return nil, nil, err
	}
	return key, iv, nil
}

// nextTrafficSecret is the secret after a KeyUpdate (RFC 8446 §7.2).
func nextTrafficSecret(s *suite, secret []byte) ([]byte, error) {
	return hkdfExpandLabel(s.prf, secret, "traffic upd", nil, s.prf().Size())
}

// pHash is P_hash of RFC 5246 §5.
func pHash(out []byte, h func() hash.Hash, secret, seed []byte) {
	mac := hmac.New(h, secret)
	mac.Write(seed)
	a := mac.Sum(nil)
	for len(out) > 0 {
		mac.Reset()
		mac.Write(a)
		mac.Write(seed)
		out = out[copy(out, mac.Sum(nil)):]
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
}

// prf12 is the TLS 1.2 PRF with the suite's hash.
func prf12(out []byte, h func() hash.Hash, secret []byte, label string, seed []byte) {
	ls := append([]byte(label), seed...)
	pHash(out, h, secret, ls)
}

// prf10 is the TLS 1.0/1.1 PRF: P_MD5 XOR P_SHA1 over the two secret halves.
func prf10(out []byte, secret []byte, label string, seed []byte) {
	ls := append([]byte(label), seed...)
	half := (len(secret) + 1) / 2
	pHash(out, md5.New, secret[:half], ls)
	tmp := make([]byte, len(out))
	pHash(tmp, sha1.New, secret[len(secret)-half:], ls)
	for i := range out {
		out[i] ^= tmp[i]
	}
}

// opener authenticates and decrypts one record's fragment. typ and ver are
// the record header's; dst is scratch space for the plaintext. For TLS 1.3
// the returned type is the inner content type.
type opener interface {
	open(dst []byte, seq uint64, typ uint8, ver uint16, frag []byte) (plain []byte, innerType uint8, ok bool)
	// overhead is the least number of bytes protection adds to a record.
	overhead() int
}

func newAEAD(b bulk, key []byte) (cipher.AEAD, error) {
	switch b {
	case bulkAESGCM:
		blk, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(blk)
	case bulkChaCha:
		return chacha20poly1305.New(key)
	}
	return nil, errors.New("tlsdec: not an AEAD suite")
}

// tls13Opener is the TLS 1.3 record protection (RFC 8446 §5.2-5.3).
type tls13Opener struct {
	aead cipher.AEAD
	iv   [12]byte
}

func newTLS13Opener(s *suite, secret []byte) (*tls13Opener, error) {
	key, iv, err := trafficKeys(s, secret)
	if err != nil {
		return nil, err
	}
	a, err := newAEAD(s.bulk, key)
	if err != nil {
		return nil, err
	}
	o := &tls13Opener{aead: a}
	copy(o.iv[:], iv)
	return o, nil
}

func (o *tls13Opener) overhead() int { return o.aead.Overhead() + 1 }

func (o *tls13Opener) open(dst []byte, seq uint64, typ uint8, ver uint16, frag []byte) ([]byte, uint8, bool) {
	if len(frag) < o.overhead() {
		return nil, 0, false
	}
	var nonce [12]byte
	nonce = o.iv
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	for i := range s {
		nonce[4+i] ^= s[i]
	}
	aad := [5]byte{typ, byte(ver >> 8), byte(ver), byte(len(frag) >> 8), byte(len(frag))}
	p, err := o.aead.Open(dst[:0], nonce[:], frag, aad[:])
	if err != nil {
		return nil, 0, false
	}
	// The inner type is the last non-zero byte; zeros after it are padding.
	i := len(p) - 1
	for i >= 0 && p[i] == 0 {
		i--
	}
	if i < 0 {
		return nil, 0, false
	}
	return p[:i], p[i], true
}

// tls12AEAD is AES-GCM (RFC 5288: 4-byte implicit salt, 8-byte explicit
// nonce) or ChaCha20-Poly1305 (RFC 7905: IV XOR sequence number) in TLS 1.2.
type tls12AEAD struct {
	aead     cipher.AEAD
	iv       [12]byte // GCM: only the first 4 bytes (salt)
	explicit bool
}

func (o *tls12AEAD) overhead() int {
	if o.explicit {
		return 8 + o.aead.Overhead()
	}
	return o.aead.Overhead()
}

func (o *tls12AEAD) open(dst []byte, seq uint64, typ uint8, ver uint16, frag []byte) ([]byte, uint8, bool) {
	if len(frag) < o.overhead() {
		return nil, 0, false
	}
	var nonce [12]byte
	if o.explicit {
		copy(nonce[:4], o.iv[:4])
		copy(nonce[4:], frag[:8])
		frag = frag[8:]
	} else {
		nonce = o.iv
		var s [8]byte
		binary.BigEndian.PutUint64(s[:], seq)
		for i := range s {
			nonce[4+i] ^= s[i]
		}
	}
	n := len(frag) - o.aead.Overhead()
	var aad [13]byte
	binary.BigEndian.PutUint64(aad[:8], seq)
	aad[8], aad[9], aad[10], aad[11], aad[12] = typ, byte(ver>>8), byte(ver), byte(n>>8), byte(n)
	p, err := o.aead.Open(dst[:0], nonce[:], frag, aad[:])
	if err != nil {
		return nil, 0, false
	}
	return p, typ, true
}

// cbcOpener is AES-CBC with HMAC, MAC-then-encrypt (RFC 5246 §6.2.3.2) or
// encrypt-then-MAC (RFC 7366). In TLS 1.0 the IV is the last ciphertext
// block of the previous record.
type cbcOpener struct {
	block  cipher.Block
	mac    hash.Hash
	macLen int
	etm    bool
	chain  []byte // TLS 1.0: the IV for the next record; nil for TLS 1.1+
	sum    []byte
}

func (o *cbcOpener) overhead() int {
	n := aes.BlockSize + o.macLen // padding byte rounds up to one block
	if o.chain == nil {
		n += aes.BlockSize
	}
	return n
}

func (o *cbcOpener) macHeader(seq uint64, typ uint8, ver uint16, n int) {
	var h [13]byte
	binary.BigEndian.PutUint64(h[:8], seq)
	h[8], h[9], h[10], h[11], h[12] = typ, byte(ver>>8), byte(ver), byte(n>>8), byte(n)
	o.mac.Reset()
	o.mac.Write(h[:])
}

func (o *cbcOpener) open(dst []byte, seq uint64, typ uint8, ver uint16, frag []byte) ([]byte, uint8, bool) {
	if o.etm {
		if len(frag) < o.macLen {
			return nil, 0, false
		}
		ct := frag[:len(frag)-o.macLen]
		o.macHeader(seq, typ, ver, len(ct))
		o.mac.Write(ct)
		o.sum = o.mac.Sum(o.sum[:0])
		if subtle.ConstantTimeCompare(o.sum, frag[len(ct):]) != 1 {
			return nil, 0, false
		}
		frag = ct
	}
	iv, ct := o.chain, frag
	if iv == nil {
		if len(frag) < aes.BlockSize {
			return nil, 0, false
		}
		iv, ct = frag[:aes.BlockSize], frag[aes.BlockSize:]
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 || cap(dst) < len(ct) {
		return nil, 0, false
	}
	p := dst[:len(ct)]
	cipher.NewCBCDecrypter(o.block, iv).CryptBlocks(p, ct)
	pad := int(p[len(p)-1])
	if pad+1 > len(p) {
		return nil, 0, false
	}
	for _, b := range p[len(p)-1-pad:] {
		if int(b) != pad {
			return nil, 0, false
		}
	}
	p = p[:len(p)-1-pad]
	if !o.etm {
		if len(p) < o.macLen {
			return nil, 0, false
		}
		content := p[:len(p)-o.macLen]
		o.macHeader(seq, typ, ver, len(content))
		o.mac.Write(content)
		o.sum = o.mac.Sum(o.sum[:0])
		if subtle.ConstantTimeCompare(o.sum, p[len(content):]) != 1 {
			return nil, 0, false
		}
		p = content
	}
	if o.chain != nil {
		o.chain = append(o.chain[:0], ct[len(ct)-aes.BlockSize:]...)
	}
	return p, typ, true
}

// tls12Keys are the two directions' openers of a TLS 1.0-1.2 connection.
// newOpener makes a fresh one from the key block so that resynchronising
// after a gap can restart cleanly.
type tls12Keys struct {
	s                  *suite
	version            uint16
	etm                bool
	macKey, key, ivKey [2][]byte
}

// tls12KeyBlock expands the master secret into the connection's keys
// (RFC 5246 §6.3): client MAC, server MAC, client key, server key, client
// IV, server IV.
func tls12KeyBlock(s *suite, version uint16, etm bool, master []byte, clientRandom, serverRandom []byte) *tls12Keys {
	ivLen := 0
	switch s.bulk {
	case bulkAESGCM:
		ivLen = 4
	case bulkChaCha:
		ivLen = 12
	case bulkAESCBC:
		ivLen = aes.BlockSize
	}
	macLen := s.macLen
	n := 2*macLen + 2*s.keyLen + 2*ivLen
	kb := make([]byte, n)
	seed := make([]byte, 0, 64)
	seed = append(append(seed, serverRandom...), clientRandom...)
	if version >= 0x0303 {
		prf12(kb, s.prf, master, "key expansion", seed)
	} else {
		prf10(kb, master, "key expansion", seed)
	}
	k := &tls12Keys{s: s, version: version, etm: etm}
	take := func(n int) []byte { b := kb[:n:n]; kb = kb[n:]; return b }
	k.macKey[0], k.macKey[1] = take(macLen), take(macLen)
	k.key[0], k.key[1] = take(s.keyLen), take(s.keyLen)
	k.ivKey[0], k.ivKey[1] = take(ivLen), take(ivLen)
	return k
}

func (k *tls12Keys) newOpener(d Dir) (opener, error) {
	switch k.s.bulk {
	case bulkAESGCM, bulkChaCha:
		a, err := newAEAD(k.s.bulk, k.key[d])
		if err != nil {
			return nil, err
		}
		o := &tls12AEAD{aead: a, explicit: k.s.bulk == bulkAESGCM}
		copy(o.iv[:], k.ivKey[d])
		return o, nil
	case bulkAESCBC:
		blk, err := aes.NewCipher(k.key[d])
		if err != nil {
			return nil, err
		}
		o := &cbcOpener{block: blk, mac: hmac.New(k.s.mac, k.macKey[d]), macLen: k.s.macLen, etm: k.etm}
		if k.version <= 0x0301 {
			o.chain = append([]byte(nil), k.ivKey[d]...)
		}
		return o, nil
	}
	return nil, errors.New("tlsdec: unknown bulk cipher")
}
