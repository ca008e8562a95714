package capture

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// wire records what each side of an in-memory connection wrote, in order.
type wire struct {
	mu     sync.Mutex
	writes []wireWrite
}

type wireWrite struct {
	toServer bool
	b        []byte
}

type recConn struct {
	net.Conn
	w        *wire
	toServer bool
}

func (c recConn) Write(p []byte) (int, error) {
	c.w.mu.Lock()
	c.w.writes = append(c.w.writes, wireWrite{c.toServer, append([]byte(nil), p...)})
	c.w.mu.Unlock()
	return c.Conn.Write(p)
}

func selfSigned(t testing.TB, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsConversation runs an MQTT exchange over crypto/tls between two ends of
// an in-memory pipe and returns what went over the wire and the key log.
// The client sends inner (e.g. CONNECT, PUBLISH); the server answers each
// client write with reply.
func tlsConversation(t testing.TB, version uint16, sni string, inner [][]byte, reply []byte) (*wire, []byte) {
	t.Helper()
	a, b := net.Pipe()
	w := &wire{}
	var keys bytes.Buffer
	cert := selfSigned(t, sni)
	srvConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: version, MaxVersion: version}
	cliConf := &tls.Config{InsecureSkipVerify: true, ServerName: sni, KeyLogWriter: &keys, MinVersion: version, MaxVersion: version}
	cl := tls.Client(recConn{a, w, true}, cliConf)
	sv := tls.Server(recConn{b, w, false}, srvConf)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<16)
		for range inner {
			if _, err := sv.Read(buf); err != nil {
				done <- err
				return
			}
			if reply != nil {
				if _, err := sv.Write(reply); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	buf := make([]byte, 1<<16)
	for _, p := range inner {
		if _, err := cl.Write(p); err != nil {
			t.Fatal(err)
		}
		if reply != nil {
			if _, err := io.ReadFull(cl, buf[:len(reply)]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	return w, keys.Bytes()
}

// tlsCapture wraps the conversation into a capture, one segment per write.
func tlsCapture(t testing.TB, w *wire, opt pcapgen.Options, client, server netip.AddrPort, keys []byte) []byte {
	return build(t, opt, func(pw *pcapgen.Writer) {
		if keys != nil {
			pw.WriteSecrets(pcapgen.SecretsTLS, keys)
		}
		c := pw.Conn(client, server)
		c.Handshake()
		for _, wr := range w.writes {
			d := pcapgen.ToClient
			if wr.toServer {
				d = pcapgen.ToServer
			}
			c.SendSplit(d, wr.b, 1400)
		}
		c.Close()
	})
}

func TestTLSDecrypted(t *testing.T) {
	inner := [][]byte{connect("tls-dev"), publish("secret/topic", 2000), pingreq()}
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS 1.2", tls.VersionTLS12}, {"TLS 1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			w, keys := tlsConversation(t, v.version, "broker.example", inner, connack())
			kl, err := tlsdec.ParseKeyLog(bytes.NewReader(keys))
			if err != nil {
				t.Fatal(err)
			}
			for _, port := range []uint16{8883, 9443} {
				server := netip.AddrPortFrom(srv.Addr(), port)
				capture := tlsCapture(t, w, pcapgen.Options{}, cli, server, nil)
				evs, st := mustRead(t, capture, Config{KeyLog: kl, KeepFrames: true})
				var up, down [][]byte
				for _, e := range kinds(evs, EventPacket) {
					if e.Dst == server {
						up = append(up, e.Data)
					} else {
						down = append(down, e.Data)
					}
					tr := e.Transport
					if tr == nil || tr.Chain != "tls" || tr.TLS == nil || tr.TLS.Version != v.name || tr.TLS.SNI != "broker.example" || tr.TLS.Suite == "" {
						t.Fatalf("port %d: transport %+v %+v", port, tr, tr.TLS)
					}
					if len(e.Frames) == 0 || e.Frames[0].Data == nil {
						t.Errorf("port %d: packet without its frames", port)
					}
				}
				samePackets(t, up, inner...)
				if len(down) != len(inner) {
					t.Errorf("port %d: %d CONNACKs, want %d", port, len(down), len(inner))
				}
				if st.Connections != 1 || st.Encrypted != 0 {
					t.Errorf("port %d: stats %+v", port, st)
				}
				for _, n := range kinds(evs, EventNote) {
					t.Errorf("port %d: note %q", port, n.Message)
				}
			}
		})
	}
}

func TestTLSWithoutKeysNamed(t *testing.T) {
	w, _ := tlsConversation(t, tls.VersionTLS13, "broker.example", [][]byte{connect("x")}, connack())
	for _, port := range []uint16{8883, 1883} {
		server := netip.AddrPortFrom(srv.Addr(), port)
		evs, st := mustRead(t, tlsCapture(t, w, pcapgen.Options{}, cli, server, nil), Config{})
		notes := kinds(evs, EventNote)
		want := "TLS 1.3 (SNI broker.example), not decrypted: give --tls-keylog FILE"
		if len(notes) != 1 || notes[0].Message != want || len(packetsOf(evs)) != 0 {
			t.Errorf("port %d: notes %+v, want one %q and no packets", port, notes, want)
		}
		if st.Encrypted != 1 || st.Connections != 1 {
			t.Errorf("port %d: stats %+v", port, st)
		}
	}
	// On another port TLS that is not decrypted is not MQTT: silent.
	evs, st := mustRead(t, tlsCapture(t, w, pcapgen.Options{}, cli, netip.AddrPortFrom(srv.Addr(), 443), nil), Config{})
	if len(evs) != 0 || st.Connections != 0 || st.Encrypted != 0 {
		t.Errorf("port 443: events %+v stats %+v", evs, st)
	}
}

func TestTLSKeysFromSecretsBlock(t *testing.T) {
	inner := [][]byte{connect("dsb"), publish("a", 10)}
	w, keys := tlsConversation(t, tls.VersionTLS13, "broker.example", inner, connack())
	capture := tlsCapture(t, w, pcapgen.Options{Format: pcapgen.PCAPNG}, cli, netip.AddrPortFrom(srv.Addr(), 8883), keys)
	for _, name := range []string{"file", "stream"} {
		var r io.Reader = bytes.NewReader(capture)
		if name == "stream" {
			r = io.MultiReader(bytes.NewReader(capture[:100]), bytes.NewReader(capture[100:])) // not seekable
		}
		var up [][]byte
		st, err := ReadFrom(t.Context(), r, Config{}, func(ev *Event) error {
			if ev.Kind == EventPacket && ev.Dst.Port() == 8883 {
				up = append(up, append([]byte(nil), ev.Data...))
			}
			if ev.Kind == EventNote && strings.Contains(ev.Message, "not decrypted") {
				t.Errorf("%s: %s", name, ev.Message)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		samePackets(t, up, inner...)
		if st.Secrets != 1 {
			t.Errorf("%s: %d secrets blocks", name, st.Secrets)
		}
	}
}

// TestTLSWriteReadsBack: the frames written for a TLS connection's packets
// include its handshake and every record, so the file decrypts again with
// the same keys (the records' sequence numbers leave no gap).
func TestTLSWriteReadsBack(t *testing.T) {
	inner := [][]byte{connect("tls-dev"), publish("secret/topic", 2000), pingreq()}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		w, keys := tlsConversation(t, v, "broker.example", inner, connack())
		kl, err := tlsdec.ParseKeyLog(bytes.NewReader(keys))
		if err != nil {
			t.Fatal(err)
		}
		capture := tlsCapture(t, w, pcapgen.Options{}, cli, netip.AddrPortFrom(srv.Addr(), 9443), nil)
		var out bytes.Buffer
		var pw *PcapWriter
		_, err = ReadFrom(context.Background(), bytes.NewReader(capture), Config{KeyLog: kl, KeepFrames: true}, func(ev *Event) error {
			if ev.Kind != EventPacket {
				return nil
			}
			if pw == nil {
				var err error
				if pw, err = NewPcapWriter(&out, ev.Frames[0].LinkType, 0); err != nil {
					return err
				}
			}
			return pw.WriteEvent(ev)
		})
		if err != nil || pw == nil {
			t.Fatalf("read: %v", err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		evs, _ := mustRead(t, out.Bytes(), Config{KeyLog: kl})
		var up [][]byte
		for _, e := range kinds(evs, EventPacket) {
			if e.Dir == dissect.ToServer {
				up = append(up, e.Data)
			}
		}
		samePackets(t, up, inner...)
	}
}
