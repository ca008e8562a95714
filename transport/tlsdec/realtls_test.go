//go:debug tlsrsakex=1
//go:debug tls10server=1

package tlsdec

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	certOnce sync.Once
	certs    []tls.Certificate
	certErr  error
)

// testCerts are a self-signed ECDSA and an RSA certificate, so that the
// server can do ECDHE_ECDSA, ECDHE_RSA and RSA suites.
func testCerts(t testing.TB) []tls.Certificate {
	t.Helper()
	certOnce.Do(func() {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			certErr = err
			return
		}
		for i, key := range []any{ec, rk} {
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(int64(i + 1)),
				Subject:      pkix.Name{CommonName: "broker.example"},
				DNSNames:     []string{"broker.example"},
				NotBefore:    time.Now().Add(-time.Hour),
				NotAfter:     time.Now().Add(time.Hour),
				KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
				ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			}
			var pub any
			switch k := key.(type) {
			case *ecdsa.PrivateKey:
				pub = &k.PublicKey
			case *rsa.PrivateKey:
				pub = &k.PublicKey
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
			if err != nil {
				certErr = err
				return
			}
			certs = append(certs, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
		}
	})
	if certErr != nil {
		t.Fatal(certErr)
	}
	return certs
}

// capture records what each side wrote, in the order written.
type capture struct {
	mu     sync.Mutex
	chunks []chunk
}

func (c *capture) add(d Dir, b []byte) {
	c.mu.Lock()
	c.chunks = append(c.chunks, chunk{d, append([]byte(nil), b...)})
	c.mu.Unlock()
}

type tee struct {
	net.Conn
	d   Dir
	cap *capture
}

// Write records before sending, so that a reply is always recorded after
// what caused it.
func (t *tee) Write(b []byte) (int, error) {
	t.cap.add(t.d, b)
	return t.Conn.Write(b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

type session struct {
	chunks   []chunk
	keyLog   []byte
	sent     [2][]byte
	state    tls.ConnectionState
	serverCS tls.ConnectionState
}

// runTLS makes one connection over loopback TCP with Go's crypto/tls: the
// client sends c2s, the server answers s2c, then both close.
func runTLS(t *testing.T, client, server *tls.Config, c2s, s2c []byte) session {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cp := &capture{}
	kl := &lockedBuffer{}
	client = client.Clone()
	client.KeyLogWriter = kl
	client.InsecureSkipVerify = true
	client.ServerName = "broker.example"
	server = server.Clone()
	server.Certificates = testCerts(t)

	type result struct {
		cs  tls.ConnectionState
		err error
	}
	done := make(chan result, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer raw.Close()
		_ = raw.SetDeadline(time.Now().Add(20 * time.Second))
		sc := tls.Server(&tee{raw, ServerToClient, cp}, server)
		buf := make([]byte, len(c2s))
		if _, err := io.ReadFull(sc, buf); err != nil {
			done <- result{err: fmt.Errorf("server read: %w", err)}
			return
		}
		if _, err := sc.Write(s2c); err != nil {
			done <- result{err: fmt.Errorf("server write: %w", err)}
			return
		}
		_, _ = io.Copy(io.Discard, sc) // until the client's close_notify
		cs := sc.ConnectionState()
		sc.Close()
		done <- result{cs: cs}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.SetDeadline(time.Now().Add(20 * time.Second))
	cc := tls.Client(&tee{raw, ClientToServer, cp}, client)
	if _, err := cc.Write(c2s); err != nil {
		t.Fatalf("client write: %v", err)
	}
	got := make([]byte, len(s2c))
	if _, err := io.ReadFull(cc, got); err != nil {
		t.Fatalf("client read: %v", err)
	}
	state := cc.ConnectionState()
	cc.Close()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	raw.Close()
	return session{chunks: cp.chunks, keyLog: kl.Bytes(), sent: [2][]byte{c2s, s2c}, state: state, serverCS: res.cs}
}

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// coalesce joins consecutive chunks of one direction, so that one Write
// carries many records.
func coalesce(in []chunk) []chunk {
	var out []chunk
	for _, c := range in {
		if n := len(out); n > 0 && out[n-1].d == c.d {
			out[n-1].b = append(out[n-1].b, c.b...)
			continue
		}
		out = append(out, chunk{c.d, append([]byte(nil), c.b...)})
	}
	return out
}

// decryptSession feeds a session through a Conn and checks both
// directions' plaintext.
func decryptSession(t *testing.T, s session, chunks []chunk, step int) *recorder {
	t.Helper()
	keys, err := ParseKeyLog(bytes.NewReader(s.keyLog))
	if err != nil {
		t.Fatal(err)
	}
	return decryptWith(t, s, keys, chunks, step)
}

func decryptWith(t *testing.T, s session, keys *KeyLog, chunks []chunk, step int) *recorder {
	t.Helper()
	r := &recorder{}
	c := NewConn(keys, r)
	feed(c, chunks, step)
	for d := range 2 {
		if got := r.data[d].Bytes(); !bytes.Equal(got, s.sent[d]) {
			t.Fatalf("%s: decrypted %d bytes, want %d (equal prefix %d); info %+v; events:\n%s",
				Dir(d), len(got), len(s.sent[d]), commonPrefix(got, s.sent[d]), c.Info(), r)
		}
	}
	info := c.Info()
	wantV := map[uint16]string{tls.VersionTLS10: "TLS 1.0", tls.VersionTLS11: "TLS 1.1", tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3"}[s.state.Version]
	if info.Version != wantV || info.SuiteID != s.state.CipherSuite || info.Suite != tls.CipherSuiteName(s.state.CipherSuite) ||
		info.SNI != "broker.example" || !info.Decrypting || info.Problem != "" || info.Undecrypted != [2]int64{} {
		t.Errorf("info %+v; want %s %s", info, wantV, tls.CipherSuiteName(s.state.CipherSuite))
	}
	if r.count(EvAuthFailed)+r.count(EvNoKeys)+r.count(EvMalformed)+r.count(EvNotTLS)+r.count(EvUndecryptable) != 0 {
		t.Errorf("unexpected events:\n%s", r)
	}
	if r.count(EvAlert) < 1 {
		t.Errorf("no close_notify seen:\n%s", r)
	}
	if c.Buffered() != 0 {
		t.Errorf("Buffered = %d at the end", c.Buffered())
	}
	return r
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// checkAllFeeds decrypts a session fed as captured, coalesced and one byte
// at a time.
func checkAllFeeds(t *testing.T, s session) {
	t.Helper()
	decryptSession(t, s, s.chunks, 0)
	decryptSession(t, s, coalesce(s.chunks), 0)
	decryptSession(t, s, s.chunks, 1)
}

func TestRealTLS13(t *testing.T) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}
	s := runTLS(t, cfg, cfg, payload(40000, 1), payload(70000, 2))
	if s.state.Version != tls.VersionTLS13 {
		t.Fatalf("version %x", s.state.Version)
	}
	t.Logf("TLS 1.3 suite %s", tls.CipherSuiteName(s.state.CipherSuite))
	checkAllFeeds(t, s)
}

func TestRealTLS12Suites(t *testing.T) {
	ids := []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	}
	for _, id := range ids {
		t.Run(tls.CipherSuiteName(id), func(t *testing.T) {
			cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{id}}
			s := runTLS(t, cfg, cfg, payload(20000, 3), payload(33000, 4))
			if s.state.CipherSuite != id || s.state.Version != tls.VersionTLS12 {
				t.Fatalf("negotiated %s version %x", tls.CipherSuiteName(s.state.CipherSuite), s.state.Version)
			}
			checkAllFeeds(t, s)
		})
	}
}

// TestRealOldVersions covers the TLS 1.0 PRF and CBC IV chaining, and the
// TLS 1.1 explicit IV.
func TestRealOldVersions(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		t.Run(fmt.Sprintf("%x", v), func(t *testing.T) {
			cfg := &tls.Config{MinVersion: v, MaxVersion: v, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}}
			s := runTLS(t, cfg, cfg, payload(5000, 5), payload(9000, 6))
			if s.state.Version != v {
				t.Fatalf("version %x", s.state.Version)
			}
			checkAllFeeds(t, s)
		})
	}
}

func TestRealHelloRetryRequest(t *testing.T) {
	client := &tls.Config{MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}}
	server := &tls.Config{MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.CurveP256}}
	s := runTLS(t, client, server, payload(1000, 7), payload(1000, 8))
	r := decryptSession(t, s, s.chunks, 0)
	if !strings.Contains(r.String(), "HelloRetryRequest") {
		t.Errorf("no HelloRetryRequest event:\n%s", r)
	}
	decryptSession(t, s, s.chunks, 1)
}

func TestRealResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("%x", v), func(t *testing.T) {
			cfg := &tls.Config{MinVersion: v, MaxVersion: v, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			// Clone gives each connection fresh automatic ticket keys:
			// fix them so that the second server accepts the first's ticket.
			cfg.SetSessionTicketKeys([][32]byte{{1, 2, 3}})
			first := runTLS(t, cfg, cfg, payload(3000, 9), payload(3000, 10))
			checkAllFeeds(t, first)
			second := runTLS(t, cfg, cfg, payload(4000, 11), payload(5000, 12))
			if !second.state.DidResume {
				t.Fatalf("second connection did not resume")
			}
			if v == tls.VersionTLS13 {
				checkAllFeeds(t, second)
				return
			}
			// Go logs no secret for a resumed TLS 1.2 session: the key
			// log learns it from the first connection's ticket.
			if len(second.keyLog) != 0 {
				t.Logf("key log of the resumed connection:\n%s", second.keyLog)
			}
			keys, err := ParseKeyLog(bytes.NewReader(first.keyLog))
			if err != nil {
				t.Fatal(err)
			}
			decryptWith(t, first, keys, first.chunks, 0)
			decryptWith(t, second, keys, second.chunks, 0)
			decryptWith(t, second, keys, second.chunks, 1)
			// Without the first connection it cannot be decrypted.
			fresh, _ := ParseKeyLog(bytes.NewReader(first.keyLog))
			r := &recorder{}
			feed(NewConn(fresh, r), second.chunks, 0)
			if r.count(EvNoKeys) != 1 || r.data[0].Len() != 0 {
				t.Errorf("resumed session without its first connection:\n%s", r)
			}
		})
	}
}

// TestRealWrongAndMissingKey: a corrupted secret fails authentication once
// per direction; an empty key log says there is no key, naming the SNI.
func TestRealWrongAndMissingKey(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("%x", v), func(t *testing.T) {
			cfg := &tls.Config{MinVersion: v, MaxVersion: v}
			s := runTLS(t, cfg, cfg, payload(3000, 13), payload(3000, 14))
			// Flip the last hex digit of every secret.
			var bad strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(string(s.keyLog)), "\n") {
				last := line[len(line)-1]
				repl := byte('0')
				if last == '0' {
					repl = '1'
				}
				bad.WriteString(line[:len(line)-1] + string(repl) + "\n")
			}
			keys, err := ParseKeyLog(strings.NewReader(bad.String()))
			if err != nil {
				t.Fatal(err)
			}
			r := &recorder{}
			c := NewConn(keys, r)
			feed(c, s.chunks, 0)
			if r.data[0].Len()+r.data[1].Len() != 0 {
				t.Errorf("data decrypted with a wrong key")
			}
			if r.count(EvAuthFailed) != 2 || c.Info().Decrypting {
				t.Errorf("want one auth failure per direction; info %+v:\n%s", c.Info(), r)
			}

			r = &recorder{}
			c = NewConn(&KeyLog{}, r)
			feed(c, s.chunks, 0)
			e, ok := r.find(EvNoKeys)
			if !ok || r.count(EvNoKeys) != 1 || !strings.Contains(e.msg, "(SNI broker.example), not decrypted: no key for client random") {
				t.Errorf("no-keys events:\n%s", r)
			}
			if r.data[0].Len()+r.data[1].Len() != 0 || c.Info().Undecrypted[0] == 0 || c.Info().Undecrypted[1] == 0 {
				t.Errorf("info %+v", c.Info())
			}
		})
	}
}
