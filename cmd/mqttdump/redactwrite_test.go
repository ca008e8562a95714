package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// secret is the authentication data or password the -w tests hide.
var secret = []byte("S3CRET-AUTH-DATA-0123456789-S3CRET")

// authWithSecret is an MQTT 5 AUTH whose Authentication Data is secret.
func authWithSecret() []byte {
	return mqttenc.EncodeAuth(mqttenc.Auth{Reason: 0x18, Properties: []mqttenc.Property{
		mqttenc.AuthenticationMethod("SCRAM-SHA-1"), mqttenc.AuthenticationData(secret)}})
}

// redactedWrite runs mqttdump -r in --redact -w out (plus args) and
// returns the written file's path and bytes.
func redactedWrite(t *testing.T, in string, args ...string) (string, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.pcap")
	code, _, errs := runCLI(t, "", append([]string{"-r", in, "--redact", "-w", out, "-q"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

// leaks reports whether any 6 consecutive bytes of secret are in b.
func leaks(b []byte) bool {
	for i := 0; i+6 <= len(secret); i++ {
		if bytes.Contains(b, secret[i:i+6]) {
			return true
		}
	}
	return false
}

// TestRedactedWriteHoldsSharedFrame: a frame written with one packet is
// not written before the next packet of its direction, which starts in it
// and has secrets, has been redacted — even when 70,000 frames of another
// connection come in between and push the reorder window.
func TestRedactedWriteHoldsSharedFrame(t *testing.T) {
	cli := netip.MustParseAddrPort("127.0.0.1:50000")
	other := netip.MustParseAddrPort("127.0.0.1:50001")
	srv := netip.MustParseAddrPort("127.0.0.1:1883")
	auth := authWithSecret()
	cut := len(auth) - len(secret) + 12 // 12 secret bytes in the shared frame
	in := writeCapture(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(cli, srv)
		a.Handshake()
		a.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, ClientID: "c"}))
		a.Send(pcapgen.ToServer, slices.Concat(mqttenc.EncodePingreq(), auth[:cut]))
		b := w.Conn(other, srv)
		b.Handshake()
		for range 70000 {
			b.Send(pcapgen.ToServer, mqttenc.EncodePingreq())
		}
		a.Send(pcapgen.ToServer, auth[cut:])
	})
	out, b := redactedWrite(t, in)
	if leaks(b) {
		t.Fatal("the written capture holds the AUTH's authentication data")
	}
	// The shared frame is written, with filler where the secret was.
	code, shown, errs := runCLI(t, "", "-r", out, "-V", "--type", "auth")
	if code != 0 || !strings.Contains(shown, "Authentication Data") || strings.Contains(shown, "S3CRET") {
		t.Errorf("exit %d reading the redacted file back: %s\n%s", code, errs, shown)
	}
}

// TestRedactedWriteSkippedConnect: a CONNECT too big for --max-packet is
// skipped unread, so its password cannot be overwritten; the frame its
// tail shares with the next packet stays out of -w.
func TestRedactedWriteSkippedConnect(t *testing.T) {
	cli := netip.MustParseAddrPort("127.0.0.1:50000")
	srv := netip.MustParseAddrPort("127.0.0.1:1883")
	conn := mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V311, ClientID: "c", Username: []byte("u"), Password: secret})
	in := writeCapture(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(cli, srv)
		a.Handshake()
		a.Send(pcapgen.ToServer, conn[:10])
		a.Send(pcapgen.ToServer, slices.Concat(conn[10:], mqttenc.EncodePingreq()))
		a.Send(pcapgen.ToServer, mqttenc.EncodePingreq())
	})
	out, b := redactedWrite(t, in, "--max-packet", "30")
	if leaks(b) {
		t.Fatal("the written capture holds the skipped CONNECT's password")
	}
	if code, shown, _ := runCLI(t, "", "-r", out); code != 0 || strings.Count(shown, "Ping Request") != 1 {
		t.Errorf("want the frame of the second PINGREQ alone, got exit %d:\n%s", code, shown)
	}
}

// TestRedactedWriteMaskedWebSocket: a masked WebSocket message holding a
// PINGREQ and an AUTH with secrets; the frame is shared, so it must reach
// the file with the secret overwritten or not at all.
func TestRedactedWriteMaskedWebSocket(t *testing.T) {
	cli := netip.MustParseAddrPort("127.0.0.1:50000")
	srv := netip.MustParseAddrPort("127.0.0.1:8080")
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	in := writeCapture(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(cli, srv)
		a.Handshake()
		a.Send(pcapgen.ToServer, pcapgen.WSUpgradeRequest("broker", "/mqtt", "mqtt"))
		a.Send(pcapgen.ToClient, pcapgen.WSUpgradeResponse("mqtt"))
		a.Send(pcapgen.ToServer, pcapgen.WSFrame(2, true, mask, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, ClientID: "c"})))
		a.Send(pcapgen.ToServer, pcapgen.WSFrame(2, true, mask, slices.Concat(mqttenc.EncodePingreq(), authWithSecret())))
	})
	_, b := redactedWrite(t, in)
	filled := false
	// The upgrade is not written (it is no MQTT packet), so unmask by hand
	// at every alignment of the key.
	for r := range 4 {
		u := make([]byte, len(b))
		for i := range b {
			u[i] = b[i] ^ mask[(i+r)%4]
		}
		if leaks(u) {
			t.Fatal("the written capture holds the masked secret")
		}
		if bytes.Contains(u, bytes.Repeat([]byte{'*'}, len(secret))) {
			filled = true
		}
	}
	// The frame is written, re-masked: filler under the client's key.
	if !filled {
		t.Error("the shared frame was left out instead of redacted under its mask")
	}
}

// TestWriteWebSocketReadsBack: -w of a WebSocket connection keeps the
// HTTP upgrade and the control frames, so the file decodes again (without
// them the reader cannot know the bytes are WebSocket).
func TestWriteWebSocketReadsBack(t *testing.T) {
	cli := netip.MustParseAddrPort("127.0.0.1:50000")
	srv := netip.MustParseAddrPort("127.0.0.1:8080")
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	in := writeCapture(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(cli, srv)
		a.Handshake()
		a.Send(pcapgen.ToServer, pcapgen.WSUpgradeRequest("broker", "/mqtt", "mqtt"))
		a.Send(pcapgen.ToClient, pcapgen.WSUpgradeResponse("mqtt"))
		a.Send(pcapgen.ToServer, pcapgen.WSFrame(2, true, mask, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, ClientID: "c"})))
		a.Send(pcapgen.ToClient, pcapgen.WSFrame(2, true, nil, mqttenc.EncodeConnack(mqttenc.Connack{Version: mqttenc.V5})))
		a.Send(pcapgen.ToServer, pcapgen.WSFrame(9, true, mask, []byte("ping")))
		a.Send(pcapgen.ToServer, pcapgen.WSFrame(2, true, mask, mqttenc.EncodePingreq()))
		a.Close()
	})
	_, want, _ := runCLI(t, "", "-r", in)
	out := filepath.Join(t.TempDir(), "out.pcap")
	if code, _, errs := runCLI(t, "", "-r", in, "-w", out, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, got, errs := runCLI(t, "", "-r", out)
	if code != 0 || strings.Count(got, "MQTT v5.0") != 3 || strings.Count(want, "MQTT v5.0") != 3 {
		t.Fatalf("read back (exit %d, %s):\n%s\nwant the packets of:\n%s", code, errs, got, want)
	}
}
