package main

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

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

// TestWriteKeepsTargetOnBadInput: -w FILE with an input that cannot be
// opened leaves FILE as it was (it used to be truncated to 0 bytes).
func TestWriteKeepsTargetOnBadInput(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "important.pcap")
	if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, _ := runCLI(t, "", "-r", filepath.Join(dir, "nonexistent"), "-w", target)
	if code == 0 {
		t.Error("exit 0 for a missing input")
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("target now holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary file left behind: %v", ents)
	}
}

// TestWriteEveryFrameInOrder: -w writes every frame of every shown packet
// once, in frame order, also when a packet started more than 4,096 frames
// before the newest one written and finished after later packets.
func TestWriteEveryFrameInOrder(t *testing.T) {
	cli := netip.MustParseAddrPort("127.0.0.1:50000")
	other := netip.MustParseAddrPort("127.0.0.1:50001")
	srv := netip.MustParseAddrPort("127.0.0.1:1883")
	big := append([]byte{0x30, 0x88, 0x27, 0, 1, 't'}, make([]byte, 5000-3)...) // 5000-byte body
	path := writeCapture(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(cli, srv)
		a.Handshake()
		a.Send(pcapgen.ToServer, big[:1000])
		b := w.Conn(other, srv)
		b.Handshake()
		for range 5000 {
			b.Send(pcapgen.ToServer, []byte{0xc0, 0})
		}
		a.Send(pcapgen.ToServer, big[1000:])
	})
	out := filepath.Join(t.TempDir(), "out.pcap")
	code, _, errs := runCLI(t, "", "-r", path, "-w", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var prev time.Time
	n := 0
	for {
		_, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if ci.Timestamp.Before(prev) {
			t.Fatalf("frame %d of the file is older than the one before", n+1)
		}
		prev = ci.Timestamp
		n++
	}
	if n != 5002 { // 5000 PINGREQs and the two halves of the PUBLISH
		t.Errorf("%d frames written, want 5002", n)
	}
}
