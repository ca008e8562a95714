package tlsdec

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Bounds on a key log: a line longer than maxKeyLogLine is not a key log
// line, and more than maxKeyLogEntries client randoms would only cost memory.
const (
	maxKeyLogLine    = 4096
	maxKeyLogEntries = 1 << 20
	maxLearned       = 1 << 16 // TLS 1.2 sessions remembered for resumption
)

// secrets are what a key log knows about one client random. A nil slice is
// a secret the log did not give.
type secrets struct {
	master []byte // TLS 1.2 and earlier: CLIENT_RANDOM
	chts   []byte // CLIENT_HANDSHAKE_TRAFFIC_SECRET
	shts   []byte // SERVER_HANDSHAKE_TRAFFIC_SECRET
	cts0   []byte // CLIENT_TRAFFIC_SECRET_0
	sts0   []byte // SERVER_TRAFFIC_SECRET_0
}

// KeyLog holds NSS key log secrets (SSLKEYLOGFILE format) keyed by the
// client random of the ClientHello they belong to.
//
// A KeyLog also learns, from the TLS 1.2 connections it decrypts, which
// session ID or session ticket carries which master secret, so that a later
// connection of the same capture resuming that session decrypts even when
// the key log has no line for it (Go's crypto/tls logs only full
// handshakes). That part is safe for concurrent use by several Conns.
type KeyLog struct {
	m       map[[32]byte]*secrets
	limit   int // most client randoms kept; 0 means maxKeyLogEntries
	dropped int // entries Merge could not add (over the cap)

	mu      sync.Mutex
	learned map[[32]byte][]byte // sessionKey -> master secret
}

// sessionKey names a TLS 1.2 session by its ID or ticket.
func sessionKey(kind string, id []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write(id)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// learn remembers a session's master secret (bounded: when full, an
// arbitrary older session is forgotten).
func (k *KeyLog) learn(key [32]byte, master []byte) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.learned == nil {
		k.learned = make(map[[32]byte][]byte)
	}
	if _, ok := k.learned[key]; !ok && len(k.learned) >= maxLearned {
		for old := range k.learned {
			delete(k.learned, old)
			break
		}
	}
	k.learned[key] = append([]byte(nil), master...)
}

func (k *KeyLog) recall(key [32]byte) []byte {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.learned[key]
}

// ErrTooManyEntries is returned when a key log names more client randoms
// than a KeyLog keeps.
var ErrTooManyEntries = errors.New("tlsdec: key log has too many entries")

// ParseKeyLog reads a key log. Lines it does not know (other labels,
// comments, malformed hex) are ignored; a line longer than 4 KiB or more than
// 2^20 client randoms is an error.
func ParseKeyLog(r io.Reader) (*KeyLog, error) {
	return parseKeyLog(r, maxKeyLogEntries)
}

func parseKeyLog(r io.Reader, limit int) (*KeyLog, error) {
	k := &KeyLog{m: make(map[[32]byte]*secrets), limit: limit}
	br := bufio.NewReaderSize(r, maxKeyLogLine+1)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxKeyLogLine {
			return nil, fmt.Errorf("tlsdec: key log line %d: longer than %d bytes", lineNo, maxKeyLogLine)
		}
		if len(line) > 0 {
			if addErr := k.addLine(line); addErr != nil {
				return nil, fmt.Errorf("key log line %d: %w", lineNo, addErr)
			}
		}
		if err == io.EOF {
			return k, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tlsdec: reading key log: %w", err)
		}
	}
}

// addLine parses one line; unknown or malformed lines are skipped.
func (k *KeyLog) addLine(line []byte) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	f := bytes.Fields(line)
	if len(f) != 3 || len(f[1]) != 64 {
		return nil
	}
	var cr [32]byte
	if _, err := hex.Decode(cr[:], f[1]); err != nil {
		return nil
	}
	if len(f[2]) > 2*64 || len(f[2])%2 != 0 {
		return nil
	}
	secret := make([]byte, len(f[2])/2)
	if _, err := hex.Decode(secret, f[2]); err != nil {
		return nil
	}
	var slot func(*secrets) *[]byte
	switch string(f[0]) {
	case "CLIENT_RANDOM":
		if len(secret) != 48 {
			return nil
		}
		slot = func(s *secrets) *[]byte { return &s.master }
	case "CLIENT_HANDSHAKE_TRAFFIC_SECRET":
		slot = func(s *secrets) *[]byte { return &s.chts }
	case "SERVER_HANDSHAKE_TRAFFIC_SECRET":
		slot = func(s *secrets) *[]byte { return &s.shts }
	case "CLIENT_TRAFFIC_SECRET_0":
		slot = func(s *secrets) *[]byte { return &s.cts0 }
	case "SERVER_TRAFFIC_SECRET_0":
		slot = func(s *secrets) *[]byte { return &s.sts0 }
	default:
		return nil
	}
	if len(secret) != 32 && len(secret) != 48 {
		return nil
	}
	s, err := k.entry(cr)
	if err != nil {
		return err
	}
	*slot(s) = secret
	return nil
}

// entry returns the secrets of a client random, adding it within the cap.
func (k *KeyLog) entry(cr [32]byte) (*secrets, error) {
	if s, ok := k.m[cr]; ok {
		return s, nil
	}
	limit := k.limit
	if limit <= 0 || limit > maxKeyLogEntries {
		limit = maxKeyLogEntries
	}
	if len(k.m) >= limit {
		return nil, ErrTooManyEntries
	}
	s := &secrets{}
	k.m[cr] = s
	return s, nil
}

// Merge adds o's secrets to k (o's secret wins for a label both have).
// Entries beyond the cap are dropped and counted (Dropped).
func (k *KeyLog) Merge(o *KeyLog) {
	if o == nil {
		return
	}
	if k.m == nil {
		k.m = make(map[[32]byte]*secrets)
	}
	for cr, os := range o.m {
		s, err := k.entry(cr)
		if err != nil {
			k.dropped++
			continue
		}
		for _, p := range [][2]*[]byte{{&s.master, &os.master}, {&s.chts, &os.chts}, {&s.shts, &os.shts}, {&s.cts0, &os.cts0}, {&s.sts0, &os.sts0}} {
			if *p[1] != nil {
				*p[0] = append([]byte(nil), *p[1]...)
			}
		}
	}
}

// Dropped is the number of client randoms Merge left out because the key
// log was full.
func (k *KeyLog) Dropped() int {
	if k == nil {
		return 0
	}
	return k.dropped
}

// Len is the number of client randoms the key log has secrets for.
func (k *KeyLog) Len() int {
	if k == nil {
		return 0
	}
	return len(k.m)
}

func (k *KeyLog) lookup(cr [32]byte) *secrets {
	if k == nil {
		return nil
	}
	return k.m[cr]
}
