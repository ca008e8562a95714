package main

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// writeCapture builds a capture with pcapgen into a temporary file.
func writeCapture(t *testing.T, opt pcapgen.Options, fill func(w *pcapgen.Writer)) string {
	t.Helper()
	b, err := pcapgen.Build(opt, fill)
	if err != nil {
		t.Fatalf("build capture: %v", err)
	}
	p := filepath.Join(t.TempDir(), "in.pcap")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// truncatedExtFrame is a raw IPv6 frame whose destination-options header is
// cut by a 70-byte snaplen.
func truncatedExtFrame() []byte {
	b := make([]byte, 40+8+24+22)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40))
	b[6], b[7] = 0, 64 // hop-by-hop
	b[40], b[41] = 60, 0
	b[48], b[49] = 6, 2 // destination options, 24 bytes
	return b[:70]
}

// TestHostileFrameKeepsEarlierOutput: packets decoded before a hostile
// frame and before a read error are all printed by the two-stage pipeline.
func TestHostileFrameKeepsEarlierOutput(t *testing.T) {
	cli := netip.MustParseAddrPort("[::1]:50000")
	srv := netip.MustParseAddrPort("[::1]:1883")
	path := writeCapture(t, pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.RawIPv6}}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Handshake()
		for i := 0; i < 202; i++ {
			c.Send(pcapgen.ToServer, []byte{0xc0, 0})
		}
		f := truncatedExtFrame()
		w.WriteFrame(gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f) + 24}, f)
		c.Send(pcapgen.ToServer, []byte{0xc0, 0})
		w.CutNext(10)
		c.Send(pcapgen.ToServer, []byte{0xc0, 0})
	})
	code, out, errs := runCLI(t, "", "-r", path)
	if code != 1 {
		t.Errorf("exit %d, want 1 (the cut record); stderr %q", code, errs)
	}
	if n := strings.Count(out, "Ping Request"); n != 203 {
		t.Errorf("%d Ping Requests printed, want 203; stderr %q", n, errs)
	}
	if !strings.Contains(errs, "1 frames truncated") {
		t.Errorf("stderr lacks the truncated count: %q", errs)
	}
}
