package e2e

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// tapConn records what one end of a pipe writes, in order.
type tapConn struct {
	net.Conn
	mu       *sync.Mutex
	writes   *[]tapWrite
	toServer bool
}

type tapWrite struct {
	toServer bool
	b        []byte
}

func (c tapConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	*c.writes = append(*c.writes, tapWrite{c.toServer, append([]byte(nil), p...)})
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// bigRecordTLS runs crypto/tls 1.3 over a pipe with full-size records (no
// dynamic record sizing): the client writes each of inner as one record
// and the server answers each with reply. It returns the writes and the
// key log.
func bigRecordTLS(t *testing.T, inner [][]byte, reply []byte) ([]tapWrite, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "broker.test"}, DNSNames: []string{"broker.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	var mu sync.Mutex
	var writes []tapWrite
	var keys bytes.Buffer
	sv := tls.Server(tapConn{b, &mu, &writes, false}, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion: tls.VersionTLS13, DynamicRecordSizingDisabled: true})
	cl := tls.Client(tapConn{a, &mu, &writes, true}, &tls.Config{InsecureSkipVerify: true, ServerName: "broker.test", KeyLogWriter: &keys,
		MinVersion: tls.VersionTLS13, DynamicRecordSizingDisabled: true})
	done := make(chan error, 1)
	go func() {
		for _, p := range inner {
			if _, err := io.ReadFull(sv, make([]byte, len(p))); err != nil {
				done <- err
				return
			}
			if _, err := sv.Write(reply); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for _, p := range inner {
		if _, err := cl.Write(p); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(cl, make([]byte, len(reply))); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	return writes, keys.Bytes()
}

// streamFile writes a generated capture straight to a file in the test's
// temp dir: the test process must stay small, since later tests read
// their children's peak RSS from rusage, which starts from the parent's.
func streamFile(t *testing.T, name string, fill func(w *pcapgen.Writer)) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapgen.NewWriter(bw, pcapgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// outputHas runs mqttdump and reports whether one line of its output
// holds every one of subs, reading the output as it comes.
func outputHas(t *testing.T, subs []string, args ...string) bool {
	t.Helper()
	cmd := exec.Command(needBinary(t), args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := false
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(sc.Text(), s)
		}
		found = found || ok
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("mqttdump %v: %v", args, err)
	}
	return found
}

func layerClient(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 40 + byte(i>>16), byte(i >> 8), byte(i)}), 40000)
}

// TestPeakRSSPartialLayerBuffers: thousands of connections each stop
// inside a big TLS record (decrypted with the key log), or inside a
// compressed WebSocket message (inflate window and output held). The
// layers' buffers count against --max-buffered and are given up, with a
// note saying what and where, when it is full, so the process stays
// bounded. At 3000 connections each and --max-buffered 16 MiB, before
// (tlsdec and the inflater could not shed; a partial record took an
// 18 KiB buffer, and every TLS connection two 18 KiB decryption
// scratches): TLS 149 MiB, WebSocket 235 MiB; after: 59 and 89 MiB.
func TestPeakRSSPartialLayerBuffers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds large captures")
	}
	const conns = 3000
	const budget = "16777216" // 16 MiB: what the layers held before is well over it
	connect := mqttPacket(0x10, append(append(mqttStr("MQTT"), 4, 2, 0, 60), mqttStr("layers")...))
	connack := []byte{0x20, 2, 0, 0}
	pub := mqttPacket(0x30, append(mqttStr("big"), bytes.Repeat([]byte("p"), 15000)...))

	t.Run("tls", func(t *testing.T) {
		writes, keys := bigRecordTLS(t, [][]byte{connect, pub}, connack)
		last := -1
		for i, w := range writes {
			if w.toServer {
				last = i
			}
		}
		keyFile := filepath.Join(t.TempDir(), "keys.log")
		if err := os.WriteFile(keyFile, keys, 0o644); err != nil {
			t.Fatal(err)
		}
		path := streamFile(t, "tls-partial.pcap", func(w *pcapgen.Writer) {
			for i := range conns {
				c := w.Conn(layerClient(i), netip.MustParseAddrPort("127.0.0.1:8883"))
				c.Handshake()
				for k, wr := range writes[:last+1] {
					d, b := pcapgen.ToClient, wr.b
					if wr.toServer {
						d = pcapgen.ToServer
					}
					if k == last {
						b = b[:len(b)-50] // the PUBLISH's record, cut
					}
					c.SendSplit(d, b, 1400)
				}
			}
		})
		rss, errs := peakRSSTime(t, "-r", path, "--tls-keylog", keyFile, "-q", "--max-buffered", budget)
		t.Logf("%d partial TLS records: peak RSS %d MiB; %s", conns, rss/mib, errs)
		if rss > 120*mib {
			t.Errorf("peak RSS %d MiB, want under 120 MiB", rss/mib)
		}
		if !outputHas(t, []string{"TLS: ", "record at stream offset", "buffer limit across connections is reached"},
			"-r", path, "--tls-keylog", keyFile, "--max-buffered", budget) {
			t.Error("no note says a TLS record was given up")
		}
	})

	t.Run("websocket-deflate", func(t *testing.T) {
		// 40 KB of small PUBLISHes: the inflate window fills up while the
		// framer holds next to nothing.
		var msg []byte
		for i := 0; len(msg) < 40000; i++ {
			msg = append(msg, mqttPacket(0x30, append(mqttStr("z"), strings.Repeat(string(rune('a'+i%26)), i%150+1)...))...)
		}
		var zb bytes.Buffer
		fw, _ := flate.NewWriter(&zb, flate.BestSpeed)
		fw.Write(msg)
		fw.Flush()
		comp := bytes.TrimSuffix(zb.Bytes(), []byte{0, 0, 0xff, 0xff})
		frame := func(rsv1 bool, n int, p []byte) []byte {
			b := []byte{0x82, 0x80 | 127}
			if rsv1 {
				b[0] |= 0x40
			}
			if n < 126 {
				b[1] = 0x80 | byte(n)
			} else {
				b = binary.BigEndian.AppendUint64(b, uint64(n))
			}
			key := [4]byte{1, 2, 3, 4}
			b = append(b, key[:]...)
			for i, x := range p {
				b = append(b, x^key[i&3])
			}
			return b
		}
		req := "GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n" +
			"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n" +
			"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
		path := streamFile(t, "ws-partial.pcap", func(w *pcapgen.Writer) {
			for i := range conns {
				c := w.Conn(layerClient(i), netip.MustParseAddrPort("127.0.0.1:8080"))
				c.Handshake()
				c.Send(pcapgen.ToServer, []byte(req))
				c.Send(pcapgen.ToClient, []byte(resp))
				c.Send(pcapgen.ToServer, frame(false, len(connect), connect))
				c.SendSplit(pcapgen.ToServer, frame(true, len(comp), comp[:len(comp)/2]), 1400)
			}
		})
		rss, errs := peakRSSTime(t, "-r", path, "--port", "8080", "-q", "--max-buffered", budget)
		t.Logf("%d partial compressed WebSocket messages: peak RSS %d MiB; %s", conns, rss/mib, errs)
		if rss > 120*mib {
			t.Errorf("peak RSS %d MiB, want under 120 MiB", rss/mib)
		}
		if !outputHas(t, []string{"WebSocket: permessage-deflate state of", "buffer limit across connections is reached"},
			"-r", path, "--port", "8080", "--max-buffered", budget) {
			t.Error("no note says an inflate state was given up")
		}
	})
}
