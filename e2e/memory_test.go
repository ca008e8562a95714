package e2e

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// Peak memory of the real binary, measured by /usr/bin/time -v (GNU time,
// Debian package time): the caps must bound the process, not only the Go
// heap. Not the rusage of a child of the test process: Linux carries the
// parent's high-water mark across fork and exec into ru_maxrss, so a child
// of a big test binary reports the test binary's size.

var maxRSSRE = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// peakRSSTime runs mqttdump with args, output discarded, and returns its peak
// resident set in bytes and its stderr.
func peakRSSTime(t *testing.T, args ...string) (int64, string) {
	t.Helper()
	bin := needBinary(t)
	tools := needTools(t, "time")
	var errb bytes.Buffer
	cmd := exec.Command(tools["time"], append([]string{"-v", bin}, args...)...)
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("mqttdump %v: %v\n%s", args, err, errb.String())
	}
	m := maxRSSRE.FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("no peak RSS in the output of time -v:\n%s", errb.String())
	}
	kib, _ := strconv.ParseInt(m[1], 10, 64)
	first, _, _ := strings.Cut(errb.String(), "\n\tCommand being timed")
	return kib << 10, first
}

// buildFile writes a generated capture into the test's temp dir.
func buildFile(t *testing.T, name string, opt pcapgen.Options, fill func(w *pcapgen.Writer)) string {
	t.Helper()
	b, err := pcapgen.Build(opt, fill)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func floodClient(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 20 + byte(i>>16), byte(i >> 8), byte(i)}), 40000)
}

var memServer = netip.MustParseAddrPort("127.0.0.1:1883")

const mib = 1 << 20

// TestPeakRSSSynFlood: 200,000 connections that only shake hands. Without
// a connection cap the table grows with them (about 1.5 KB each); with
// --max-conns it stays flat.
func TestPeakRSSSynFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large capture")
	}
	path := buildFile(t, "flood.pcap", pcapgen.Options{Step: 100 * time.Microsecond}, func(w *pcapgen.Writer) {
		for i := range 200000 {
			w.Conn(floodClient(i), memServer).Handshake()
		}
	})
	rss, errs := peakRSSTime(t, "-r", path, "-q", "--max-conns", "10000")
	t.Logf("SYN flood, --max-conns 10000: peak RSS %d MiB; %s", rss/mib, errs)
	// Without the cap (before --max-conns): 306 MiB.
	if rss > 100*mib {
		t.Errorf("peak RSS %d MiB, want under 100 MiB", rss/mib)
	}
	if !bytes.Contains([]byte(errs), []byte("connections evicted")) {
		t.Errorf("evictions not reported: %s", errs)
	}
}

// TestPeakRSSFutureTimestamp: one frame stamped a year ahead at the start
// of two hours of short connections that never close. The idle flush must
// keep working after it, so only the last two minutes' connections are
// held.
func TestPeakRSSFutureTimestamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large capture")
	}
	const conns = 100000
	path := buildFile(t, "future.pcap", pcapgen.Options{Step: 2 * time.Hour / (conns * 4)}, func(w *pcapgen.Writer) {
		c := w.Conn(floodClient(0), memServer)
		c.Handshake()
		w.Advance(365 * 24 * time.Hour)
		c.Send(pcapgen.ToServer, []byte{0xc0, 0})
		w.Advance(-365 * 24 * time.Hour)
		for i := 1; i < conns; i++ {
			c := w.Conn(floodClient(i), memServer)
			c.Handshake()
			c.Send(pcapgen.ToServer, []byte{0xc0, 0})
		}
	})
	// A fixed version: these connections have no CONNECT, and the version
	// guess has a memory cost of its own (per session), not measured here.
	rss, errs := peakRSSTime(t, "-r", path, "-q", "--mqtt-version", "3.1.1")
	t.Logf("future timestamp: peak RSS %d MiB; %s", rss/mib, errs)
	// Before the engine clock: 215 MiB (no idle flush after the jump);
	// after: 35 MiB.
	if rss > 100*mib {
		t.Errorf("peak RSS %d MiB, want under 100 MiB", rss/mib)
	}
}

// TestPeakRSSPartialPackets: many connections, each holding a small
// partial packet, at the default caps; records the figure (118 MiB before
// this change, 142 MiB after: the final flush now copies up to a quarter of
// --max-buffered into the reorder buffer; not improved here). The bound is loose: packet buffers
// are charged by length, not capacity (grown buffers can be twice the
// bytes they hold), which is the dissect/framer side's to tighten.
func TestPeakRSSPartialPackets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large capture")
	}
	const conns = 20000
	big := append([]byte{0x30, 0x80, 0x80, 0x04, 0, 1, 't'}, make([]byte, 3000)...) // declares 64 KiB
	path := buildFile(t, "partial.pcap", pcapgen.Options{}, func(w *pcapgen.Writer) {
		for i := range conns {
			c := w.Conn(floodClient(i), memServer)
			c.Handshake()
			c.Send(pcapgen.ToServer, big)
		}
	})
	rss, errs := peakRSSTime(t, "-r", path, "-q", "--mqtt-version", "3.1.1") // see TestPeakRSSFutureTimestamp
	t.Logf("%d partial packets: peak RSS %d MiB; %s", conns, rss/mib, errs)
	if limit := int64(3*64*mib + conns*4096); rss > limit {
		t.Errorf("peak RSS %d MiB, want under %d MiB", rss/mib, limit/mib)
	}
}
