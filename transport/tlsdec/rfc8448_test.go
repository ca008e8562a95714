package tlsdec

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// TestRFC8448KeySchedule derives the §3 secrets, keys and IVs from the
// trace's inputs with this package's HKDF-Expand-Label and compares them
// with the RFC's values.
func TestRFC8448KeySchedule(t *testing.T) {
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	check := func(name string, got []byte) {
		t.Helper()
		if !bytes.Equal(got, v[name]) {
			t.Errorf("%s = %x, want %x", name, got, v[name])
		}
	}
	priv, err := ecdh.X25519().NewPrivateKey(v["client_private"])
	if err != nil {
		t.Fatal(err)
	}
	sh := v["record_server_hello"]
	serverShare := sh[bytes.Index(sh, []byte{0x00, 0x1d, 0x00, 0x20})+4:][:32]
	pub, err := ecdh.X25519().NewPublicKey(serverShare)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		t.Fatal(err)
	}
	check("ecdhe", shared)

	st := suites[0x1301]
	zeros := make([]byte, 32)
	emptyHash := sha256.Sum256(nil)
	early, _ := hkdf.Extract(sha256.New, zeros, nil)
	check("early_secret", early)
	derived, _ := hkdfExpandLabel(sha256.New, early, "derived", emptyHash[:], 32)
	check("derived_for_handshake", derived)
	hs, _ := hkdf.Extract(sha256.New, shared, derived)
	check("handshake_secret", hs)
	h := sha256.New()
	h.Write(v["record_client_hello"][5:])
	h.Write(sh[5:])
	check("hash_ch_sh", h.Sum(nil))
	chts, _ := hkdfExpandLabel(sha256.New, hs, "c hs traffic", h.Sum(nil), 32)
	check("client_handshake_traffic_secret", chts)
	shts, _ := hkdfExpandLabel(sha256.New, hs, "s hs traffic", h.Sum(nil), 32)
	check("server_handshake_traffic_secret", shts)
	for _, k := range []struct {
		name   string
		secret []byte
	}{{"server_handshake", shts}, {"client_handshake", chts}} {
		key, iv, err := trafficKeys(st, k.secret)
		if err != nil {
			t.Fatal(err)
		}
		check(k.name+"_key", key)
		check(k.name+"_iv", iv)
	}
	derived2, _ := hkdfExpandLabel(sha256.New, hs, "derived", emptyHash[:], 32)
	check("derived_for_master", derived2)
	master, _ := hkdf.Extract(sha256.New, zeros, derived2)
	check("master_secret", master)

	// The transcript up to the server Finished needs the decrypted server
	// flight: open it with the derived handshake key.
	o, err := newTLS13Opener(st, shts)
	if err != nil {
		t.Fatal(err)
	}
	rec := v["record_server_flight"]
	flight, inner, ok := o.open(make([]byte, 0, maxFragment), 0, rec[0], 0x0303, rec[5:])
	if !ok || inner != 22 {
		t.Fatalf("server flight does not open (ok %v, inner type %d)", ok, inner)
	}
	h.Write(flight)
	check("hash_ch_server_finished", h.Sum(nil))
	cap0, _ := hkdfExpandLabel(sha256.New, master, "c ap traffic", h.Sum(nil), 32)
	check("client_application_traffic_secret", cap0)
	sap0, _ := hkdfExpandLabel(sha256.New, master, "s ap traffic", h.Sum(nil), 32)
	check("server_application_traffic_secret", sap0)
	for _, k := range []struct {
		name   string
		secret []byte
	}{{"server_application", sap0}, {"client_application", cap0}} {
		key, iv, err := trafficKeys(st, k.secret)
		if err != nil {
			t.Fatal(err)
		}
		check(k.name+"_key", key)
		check(k.name+"_iv", iv)
	}
}

func rfc8448KeyLog(t testing.TB, v map[string][]byte) *KeyLog {
	t.Helper()
	cr := hex.EncodeToString(v["client_random"])
	var b strings.Builder
	fmt.Fprintf(&b, "# RFC 8448 section 3\n")
	fmt.Fprintf(&b, "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %x\n", cr, v["client_handshake_traffic_secret"])
	fmt.Fprintf(&b, "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %x\n", cr, v["server_handshake_traffic_secret"])
	fmt.Fprintf(&b, "CLIENT_TRAFFIC_SECRET_0 %s %x\n", cr, v["client_application_traffic_secret"])
	fmt.Fprintf(&b, "SERVER_TRAFFIC_SECRET_0 %s %x\n", cr, v["server_application_traffic_secret"])
	k, err := ParseKeyLog(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rfc8448Chunks(v map[string][]byte) []chunk {
	return []chunk{
		{ClientToServer, v["record_client_hello"]},
		{ServerToClient, v["record_server_hello"]},
		{ServerToClient, v["record_server_flight"]},
		{ClientToServer, v["record_client_finished"]},
		{ServerToClient, v["record_server_ticket"]},
		{ClientToServer, v["record_client_application"]},
		{ServerToClient, v["record_server_application"]},
		{ServerToClient, v["record_server_alert"]},
		{ClientToServer, v["record_client_alert"]},
	}
}

// TestRFC8448Decrypt feeds the trace's records through a Conn with a key
// log made of the RFC's secrets, whole and one byte at a time.
func TestRFC8448Decrypt(t *testing.T) {
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	for _, step := range []int{0, 1, 7} {
		t.Run(fmt.Sprintf("step%d", step), func(t *testing.T) {
			r := &recorder{}
			c := NewConn(rfc8448KeyLog(t, v), r)
			feed(c, rfc8448Chunks(v), step)
			for d := range 2 {
				if got := r.data[d].Bytes(); !bytes.Equal(got, v["application_data"]) {
					t.Errorf("%s data = %x, want %x", Dir(d), got, v["application_data"])
				}
			}
			info := c.Info()
			if info.Version != "TLS 1.3" || info.Suite != "TLS_AES_128_GCM_SHA256" || info.SNI != "server" || !info.Decrypting || info.Problem != "" {
				t.Errorf("info = %+v", info)
			}
			if n := r.count(EvAlert); n != 2 {
				t.Errorf("%d alerts, want 2:\n%s", n, r)
			}
			if e, _ := r.find(EvAlert); e.msg != "alert: close_notify" {
				t.Errorf("alert message %q", e.msg)
			}
			if r.count(EvAuthFailed)+r.count(EvNoKeys)+r.count(EvMalformed) != 0 {
				t.Errorf("unexpected events:\n%s", r)
			}
			// The server's application record is the fourth of its
			// direction: after the hello (95 bytes), flight (679) and
			// ticket (227).
			want := Span{95 + 679 + 227, 95 + 679 + 227 + 72}
			if len(r.spans[1]) != 1 || r.spans[1][0] != want {
				t.Errorf("server data spans %v, want %v", r.spans[1], want)
			}
			if c.Buffered() != 0 {
				t.Errorf("Buffered = %d after whole records", c.Buffered())
			}
		})
	}
}

// TestRFC8448NoKeys: the same trace without the secrets says why, once.
func TestRFC8448NoKeys(t *testing.T) {
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	for _, keys := range []*KeyLog{nil, {}} {
		r := &recorder{}
		c := NewConn(keys, r)
		feed(c, rfc8448Chunks(v), 0)
		if r.data[0].Len()+r.data[1].Len() != 0 {
			t.Errorf("data without keys")
		}
		e, ok := r.find(EvNoKeys)
		if !ok || r.count(EvNoKeys) != 1 || !strings.Contains(e.msg, "TLS 1.3 (SNI server), not decrypted: ") {
			t.Errorf("no-keys events:\n%s", r)
		}
		if c.Info().Decrypting || c.Info().Problem == "" || c.Info().Undecrypted[1] == 0 {
			t.Errorf("info = %+v", c.Info())
		}
	}
}

// TestRFC8448WrongKey: a wrong secret is one EvAuthFailed per direction
// and no data.
func TestRFC8448WrongKey(t *testing.T) {
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	bad := map[string][]byte{}
	for k, b := range v {
		bad[k] = b
	}
	for _, k := range []string{"client_handshake_traffic_secret", "server_handshake_traffic_secret", "client_application_traffic_secret", "server_application_traffic_secret"} {
		x := append([]byte(nil), v[k]...)
		x[0] ^= 1
		bad[k] = x
	}
	r := &recorder{}
	c := NewConn(rfc8448KeyLog(t, bad), r)
	feed(c, rfc8448Chunks(v), 0)
	if r.data[0].Len()+r.data[1].Len() != 0 {
		t.Errorf("data with a wrong key")
	}
	if r.count(EvAuthFailed) != 2 {
		t.Errorf("want 2 auth failures:\n%s", r)
	}
	if c.Info().Decrypting || !strings.HasPrefix(c.Info().Problem, "authentication failed at record") {
		t.Errorf("info = %+v", c.Info())
	}
}
