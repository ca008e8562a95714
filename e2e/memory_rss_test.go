package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// Peak memory of the real binary on legal packets built to amplify: one
// packet of a few MB holding millions of tiny fields, and thousands of topic
// aliases to long topics. The caps (--max-packet 16 MiB by default) must
// bound the process whatever the packet holds; the figure is the kernel's
// (getrusage ru_maxrss), not Go's heap counters.

// rssLimitKiB is the bound for every case: a small multiple of --max-packet.
const rssLimitKiB = 300 << 10

// writeCapture writes one connection carrying the packets to the server
// (each split at the MSS) into dir/name and returns its path.
func writeCapture(t *testing.T, dir, name string, packets ...[]byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapgen.NewWriter(bw, pcapgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := w.Conn(netip.MustParseAddrPort("127.0.0.1:50500"), netip.MustParseAddrPort("127.0.0.1:1883"))
	c.Handshake()
	for _, p := range packets {
		c.SendSplit(pcapgen.ToServer, p, pcapgen.MaxSegment)
	}
	c.Close()
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The hostile packets are built by hand around mqttenc's framing: the
// test process must stay small, because a child started by os/exec (vfork)
// inherits the parent's peak RSS in its ru_maxrss.

// bigPublish is an MQTT 5 PUBLISH of about size bytes, nearly all of it
// copies of the densest property there is (Payload Format Indicator 0,
// two bytes), so a million properties fit in 2 MB.
func bigPublish(size int) []byte {
	n := size / 2
	body := make([]byte, 0, size+16)
	body = append(body, 0, 1, 't', 0, 1) // topic "t", packet id 1
	body = enc.AppendVarint(body, uint32(2*n))
	for i := 0; i < n; i++ {
		body = append(body, enc.PropPayloadFormatIndicator, 0)
	}
	body = append(body, 'x')
	return enc.Raw(enc.TypePublish, 0x2, body) // QoS 1
}

// bigSubscribe is an MQTT 5 SUBSCRIBE of about size bytes of one-letter
// filters, four bytes each.
func bigSubscribe(size int) []byte {
	body := make([]byte, 0, size+8)
	body = append(body, 0, 1, 0) // packet id 1, no properties
	for len(body)+4 <= size {
		body = append(body, 0, 1, 'a', 1)
	}
	return enc.Raw(enc.TypeSubscribe, 0x2, body)
}

// selfHWM is this process's own peak RSS in KiB (VmHWM), for the log: a
// child's figure at or under it may be the parent's.
func selfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	return -1
}

func connect5() []byte {
	return enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, KeepAlive: 60, ClientID: "rss"})
}

// peakRSS runs the binary and returns its peak resident set in KiB.
func peakRSS(t *testing.T, args ...string) int64 {
	t.Helper()
	bin := needBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = nil // /dev/null: the output's size is not what is measured
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("mqttdump %s: timed out", strings.Join(args, " "))
	}
	if err != nil {
		t.Fatalf("mqttdump %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage")
	}
	return ru.Maxrss
}

func TestPeakRSSAmplifyingPackets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds captures of tens of MB")
	}
	dir := t.TempDir()
	const mb = 1000 * 1000
	caps := []struct {
		name  string
		path  string
		modes [][]string
	}{
		{"publish-2MB-props", writeCapture(t, dir, "pub2.pcap", connect5(), bigPublish(2*mb)),
			[][]string{{"-T", "json"}, {"-V"}}},
		{"publish-2MB-props-guessed", writeCapture(t, dir, "pub2g.pcap", bigPublish(2*mb)),
			[][]string{{"-T", "json"}}},
		{"subscribe-8MB", writeCapture(t, dir, "sub8.pcap", connect5(), bigSubscribe(8*mb)),
			[][]string{{"-T", "json"}, {"-V"}}},
		{"publish-16MB-props-guessed", writeCapture(t, dir, "pub16.pcap", bigPublish(16*mb)),
			[][]string{{"-T", "json"}, {"-V"}, {"-q"}}},
	}
	for _, c := range caps {
		for _, m := range c.modes {
			name := c.name + "/" + strings.Join(m, "")
			t.Run(name, func(t *testing.T) {
				kib := peakRSS(t, append([]string{"-r", c.path}, m...)...)
				t.Logf("peak RSS %d MiB: mqttdump -r %s %s (test process: %d MiB)", kib>>10, filepath.Base(c.path), strings.Join(m, " "), selfHWM()>>10)
				if kib > rssLimitKiB {
					t.Errorf("peak RSS %d MiB, want under %d MiB", kib>>10, rssLimitKiB>>10)
				}
			})
		}
	}
}

// TestPeakRSSTopicAliases: 4,000 topic aliases, each set by a PUBLISH with a
// 65 KB topic, on one connection. The alias tables are capped.
func TestPeakRSSTopicAliases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a capture of 260 MB")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "aliases.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapgen.NewWriter(bw, pcapgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := w.Conn(netip.MustParseAddrPort("127.0.0.1:50501"), netip.MustParseAddrPort("127.0.0.1:1883"))
	c.Handshake()
	c.Send(pcapgen.ToServer, connect5())
	topic := []byte(strings.Repeat("t", 65000))
	for i := 1; i <= 4000; i++ {
		copy(topic, fmt.Sprintf("%05d/", i))
		p := enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: string(topic), Properties: []enc.Property{enc.TopicAlias(uint16(i))}, Payload: []byte("x")})
		c.SendSplit(pcapgen.ToServer, p, pcapgen.MaxSegment)
	}
	c.Close()
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range [][]string{{"-q"}, {"-T", "json"}} {
		t.Run(strings.Join(m, ""), func(t *testing.T) {
			kib := peakRSS(t, append([]string{"-r", path}, m...)...)
			t.Logf("peak RSS %d MiB: mqttdump -r aliases.pcap %s (test process: %d MiB)", kib>>10, strings.Join(m, " "), selfHWM()>>10)
			if kib > rssLimitKiB {
				t.Errorf("peak RSS %d MiB, want under %d MiB", kib>>10, rssLimitKiB>>10)
			}
		})
	}
}

// TestPeakRSSManyGuessedConnections: 100,000 connections picked up
// mid-stream (no CONNECT), so every packet's version is guessed. The
// guess's scratch memory is the pipeline's, not one arena per connection:
// the run costs about what it costs with --mqtt-version.
func TestPeakRSSManyGuessedConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a capture of 100,000 connections")
	}
	path := filepath.Join(t.TempDir(), "guessed.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapgen.NewWriter(bw, pcapgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := netip.MustParseAddrPort("127.0.0.1:1883")
	pub := enc.EncodePublish(enc.Publish{Version: enc.V311, QoS: 1, PacketID: 7, Topic: "sensors/a", Payload: []byte("21.5")})
	for i := range 100000 {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)}), 40000)
		w.Conn(cli, srv).Send(pcapgen.ToServer, pub)
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	flag, _ := peakRSSTime(t, "-r", path, "-q", "--mqtt-version", "3.1.1")
	guessed, _ := peakRSSTime(t, "-r", path, "-q")
	t.Logf("peak RSS %d MiB guessed, %d MiB with --mqtt-version 3.1.1", guessed/mib, flag/mib)
	// A scratch arena per connection made it 2.5 times as much (840 MiB
	// against 334); the garbage of the trials moves the GC by 10-20%.
	if guessed > flag*3/2 {
		t.Errorf("guessing the version costs %d MiB more than --mqtt-version (%d MiB)", (guessed-flag)/mib, flag/mib)
	}
}
