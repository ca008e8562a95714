package capture

import (
	"bytes"
	"encoding/binary"

	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// pcapng Decryption Secrets Blocks (block type 0x0A) carry key material in
// the file, e.g. a TLS key log injected by editcap --inject-secrets. pcapgo
// skips them, so secretScanner reads them from the bytes as pcapgo
// consumes the stream: it follows the block structure (header, length,
// body) without seeking, so standard input works too.
const (
	blockSHB          = 0x0A0D0D0A
	blockDSB          = 0x0000000A
	secretsTLSKeyLog  = 0x544c534b // "TLSK"
	maxSecretsBlock   = 4 << 20    // larger secrets blocks are skipped
	byteOrderMagic    = 0x1A2B3C4D
	blockHeaderLength = 8
)

type secretScanner struct {
	order  binary.ByteOrder
	hdr    [12]byte
	hdrN   int
	skip   int64  // bytes of the current block still to pass over
	body   []byte // the DSB being collected
	want   int    // its size (body and trailer)
	dead   bool   // lost the block structure: stop looking
	found  func(secretsType uint32, data []byte)
	blocks int
}

func newSecretScanner(found func(uint32, []byte)) *secretScanner {
	return &secretScanner{order: binary.LittleEndian, found: found}
}

// feed takes the next bytes of the file.
func (s *secretScanner) feed(p []byte) {
	for len(p) > 0 && !s.dead {
		switch {
		case s.skip > 0:
			n := int(min(s.skip, int64(len(p))))
			s.skip -= int64(n)
			p = p[n:]
		case s.want > 0:
			n := min(s.want-len(s.body), len(p))
			s.body = append(s.body, p[:n]...)
			p = p[n:]
			if len(s.body) == s.want {
				s.dsb(s.body)
				s.body, s.want = nil, 0
			}
		default:
			n := copy(s.hdr[s.hdrN:], p)
			s.hdrN += n
			p = p[n:]
			if s.hdrN == len(s.hdr) {
				s.header()
			}
		}
	}
}

// header judges the first 12 bytes of a block (type, length and the first
// body word: an SHB's byte-order magic).
func (s *secretScanner) header() {
	s.hdrN = 0
	typ := s.order.Uint32(s.hdr[0:])
	if typ == blockSHB {
		switch {
		case binary.LittleEndian.Uint32(s.hdr[8:]) == byteOrderMagic:
			s.order = binary.LittleEndian
		case binary.BigEndian.Uint32(s.hdr[8:]) == byteOrderMagic:
			s.order = binary.BigEndian
		default:
			s.dead = true
			return
		}
	}
	total := int64(s.order.Uint32(s.hdr[4:]))
	if total < 12 || total%4 != 0 {
		s.dead = true
		return
	}
	s.blocks++
	rest := total - int64(len(s.hdr))
	if typ == blockDSB && total <= maxSecretsBlock {
		// The secrets type is in the header bytes already; keep the rest.
		s.body = append(s.body[:0], s.hdr[8:]...)
		s.want = int(rest) + 4
		if rest == 0 {
			s.dsb(s.body)
			s.body, s.want = nil, 0
		}
		return
	}
	s.skip = rest
}

// dsb parses a Decryption Secrets Block body: secrets type, length, data
// (then padding, options and the trailing length, ignored).
func (s *secretScanner) dsb(b []byte) {
	if len(b) < 8 {
		return
	}
	typ, n := s.order.Uint32(b[0:]), int64(s.order.Uint32(b[4:]))
	if n > int64(len(b)-8) {
		return
	}
	s.found(typ, b[8:8+n])
}

// maxSecretsBlocks bounds the secrets blocks a file may make us keep.
const maxSecretsBlocks = 64

// foundSecrets keeps a TLS key log found in the file.
func (s *fileSource) foundSecrets(typ uint32, data []byte) {
	if typ == secretsTLSKeyLog && len(s.secrets) < maxSecretsBlocks {
		s.secrets = append(s.secrets, append([]byte(nil), data...))
	}
}

// pendingSecrets hands over the key logs found since the last call.
func (s *fileSource) pendingSecrets() [][]byte {
	out := s.secrets
	s.secrets = nil
	return out
}

// secretSource is a packetSource that can carry key material.
type secretSource interface {
	pendingSecrets() [][]byte
}

// addSecrets takes a TLS key log carried in the capture: its secrets join
// Config.KeyLog's for the connections that start from now on (the caller's
// KeyLog is not changed).
func (e *engine) addSecrets(keylog []byte) {
	e.stats.Secrets++
	kl, err := tlsdec.ParseKeyLog(bytes.NewReader(keylog))
	if err != nil || kl.Len() == 0 {
		return
	}
	if !e.ownKeys {
		own, _ := tlsdec.ParseKeyLog(bytes.NewReader(nil))
		own.Merge(e.keys)
		e.keys, e.ownKeys = own, true
	}
	e.keys.Merge(kl)
}
