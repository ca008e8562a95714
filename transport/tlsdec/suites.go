package tlsdec

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// bulk is a suite's record protection.
type bulk uint8

const (
	bulkAESGCM bulk = iota + 1
	bulkChaCha
	bulkAESCBC
)

// suite describes what tlsdec needs of a cipher suite: the record cipher,
// its key sizes and the hash of the PRF or HKDF.
type suite struct {
	id     uint16
	name   string
	tls13  bool
	bulk   bulk
	keyLen int
	macLen int              // CBC suites: HMAC output length (0 for AEAD)
	mac    func() hash.Hash // CBC suites: HMAC hash
	prf    func() hash.Hash // TLS 1.2 PRF hash, TLS 1.3 HKDF hash
}

func sha384() hash.Hash { return sha512.New384() }

// suites lists the cipher suites tlsdec can decrypt. The key exchange part
// does not matter: the key log gives the secrets.
var suites = func() map[uint16]*suite {
	m := map[uint16]*suite{}
	add := func(id uint16, name string, tls13 bool, b bulk, keyLen int, mac func() hash.Hash, prf func() hash.Hash) {
		s := &suite{id: id, name: name, tls13: tls13, bulk: b, keyLen: keyLen, mac: mac, prf: prf}
		if mac != nil {
			s.macLen = mac().Size()
		}
		m[id] = s
	}
	add(0x1301, "TLS_AES_128_GCM_SHA256", true, bulkAESGCM, 16, nil, sha256.New)
	add(0x1302, "TLS_AES_256_GCM_SHA384", true, bulkAESGCM, 32, nil, sha384)
	add(0x1303, "TLS_CHACHA20_POLY1305_SHA256", true, bulkChaCha, 32, nil, sha256.New)
	gcm := []struct {
		id   uint16
		name string
		k    int
	}{
		{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16},
		{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32},
		{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16},
		{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32},
		{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", 16},
		{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", 32},
		{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16},
		{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32},
		{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", 16},
		{0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", 32},
	}
	for _, g := range gcm {
		prf := sha256.New
		if g.k == 32 {
			prf = sha384
		}
		add(g.id, g.name, false, bulkAESGCM, g.k, nil, prf)
	}
	for _, c := range []struct {
		id   uint16
		name string
	}{
		{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
		{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
		{0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	} {
		add(c.id, c.name, false, bulkChaCha, 32, nil, sha256.New)
	}
	for _, c := range []struct {
		id   uint16
		name string
		k    int
		mac  func() hash.Hash
	}{
		{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, sha1.New},
		{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, sha1.New},
		{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, sha1.New},
		{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, sha1.New},
		{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, sha1.New},
		{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, sha1.New},
		{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, sha1.New},
		{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, sha1.New},
		{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", 16, sha1.New},
		{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", 32, sha1.New},
		{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, sha256.New},
		{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, sha256.New},
		{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, sha256.New},
		{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, sha256.New},
		{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, sha256.New},
		{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, sha256.New},
		{0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", 16, sha256.New},
		{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, sha384},
		{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, sha384},
		{0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", 32, sha384},
	} {
		prf := sha256.New
		if c.mac().Size() == 48 {
			prf = sha384
		}
		add(c.id, c.name, false, bulkAESCBC, c.k, c.mac, prf)
	}
	return m
}()

// suiteName is the IANA name of a suite tlsdec knows, else its number.
func suiteName(id uint16) string {
	if s, ok := suites[id]; ok {
		return s.name
	}
	return fmt.Sprintf("0x%04X", id)
}

func versionName(v uint16) string {
	switch v {
	case 0x0300:
		return "SSL 3.0"
	case 0x0301:
		return "TLS 1.0"
	case 0x0302:
		return "TLS 1.1"
	case 0x0303:
		return "TLS 1.2"
	case 0x0304:
		return "TLS 1.3"
	}
	return fmt.Sprintf("version 0x%04X", v)
}

var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
	22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
	42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
	70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
	109: "missing_extension", 110: "unsupported_extension", 111: "certificate_unobtainable",
	112: "unrecognized_name", 113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol",
}

func alertName(desc uint8) string {
	if n, ok := alertNames[desc]; ok {
		return n
	}
	return fmt.Sprintf("alert %d", desc)
}

var handshakeNames = map[uint8]string{
	0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 5: "EndOfEarlyData",
	8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange", 13: "CertificateRequest",
	14: "ServerHelloDone", 15: "CertificateVerify", 16: "ClientKeyExchange", 20: "Finished",
	22: "CertificateStatus", 24: "KeyUpdate", 254: "message_hash",
}

func handshakeName(t uint8) string {
	if n, ok := handshakeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("handshake type %d", t)
}
