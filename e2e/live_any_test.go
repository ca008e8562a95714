package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestLiveCaptureAny is issue #13: mqttdump -i any (Linux cooked capture)
// sees each MQTT packet of a broker on 127.0.0.1 exactly once, in the same
// frames tcpdump -i lo numbers them (so lo's outgoing copies are skipped),
// and its -w file is LINKTYPE_LINUX_SLL2 that mqttdump and tshark re-read.
func TestLiveCaptureAny(t *testing.T) {
	bin := needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "mosquitto_pub", "tcpdump")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := startBroker(ctx, t, tools["mosquitto"])
	port := strconv.Itoa(b.port)
	dir := t.TempDir()

	// The reference: libpcap on lo, frames of the broker's port only, as
	// mqttdump's kernel filter takes them.
	loPcap, tdErr := filepath.Join(dir, "lo.pcap"), filepath.Join(dir, "tcpdump.txt")
	td := startProc(ctx, t, "", nil, createFile(t, tdErr), tools["tcpdump"], "-U", "--immediate-mode", "-n", "-i", "lo", "-w", loPcap, "tcp port "+port)
	if err := waitForFile(tdErr, "listening on lo", 15*time.Second, td); err != nil {
		t.Fatalf("tcpdump not capturing: %v", err)
	}

	// One publisher per QoS: 4 + 5 + 7 MQTT packets.
	const want = 16
	outPath, errPath, anyPcap := filepath.Join(dir, "out.ndjson"), filepath.Join(dir, "err.txt"), filepath.Join(dir, "any.pcap")
	dump := startProc(ctx, t, "", createFile(t, outPath), createFile(t, errPath),
		bin, "-i", "any", "--port", port, "-T", "json", "-c", strconv.Itoa(want), "-w", anyPcap)
	if err := waitForFile(errPath, "listening on any", 15*time.Second, dump); err != nil {
		t.Fatalf("mqttdump not capturing: %v", err)
	}
	for qos := range 3 {
		runProc(t, 30*time.Second, "", tools["mosquitto_pub"], "-h", "127.0.0.1", "-p", port, "-V", "5",
			"-i", fmt.Sprintf("any-%d", qos), "-q", strconv.Itoa(qos), "-t", fmt.Sprintf("any/%d", qos), "-m", fmt.Sprintf("hello %d", qos))
	}
	// -c: mqttdump stops by itself after the last packet.
	if err := dump.wait(20 * time.Second); err != nil {
		stderr, _ := os.ReadFile(errPath)
		t.Fatalf("mqttdump -i any -c %d: %v (want exit 0)\nstderr:\n%s", want, err, stderr)
	}
	time.Sleep(200 * time.Millisecond) // tcpdump -U has written the last frames
	if err := td.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := td.wait(15 * time.Second); err != nil {
		t.Fatalf("tcpdump after SIGINT: %v", err)
	}

	live := readPackets(t, outPath)
	stderr, _ := os.ReadFile(errPath)
	counts := countByType(live)
	t.Logf("%d packets: %s", len(live), describeCounts(counts))
	checkEndCounts(t, string(stderr), len(live), 3, true)
	wantCounts := map[string]int{"connect": 3, "connack": 3, "publish": 3, "puback": 1, "pubrec": 1, "pubrel": 1, "pubcomp": 1, "disconnect": 3}
	for typ, n := range wantCounts {
		if counts[typ] != n {
			t.Errorf("%d %s packets, want %d (%s)", counts[typ], typ, n, describeCounts(counts))
		}
	}
	if len(live) != want {
		t.Fatalf("%d packets, want %d", len(live), want)
	}

	// Each packet once, in the frame libpcap on lo numbers it: with lo's
	// outgoing copies in, the frame numbers would run about twice as high.
	ref, refErr := jsonRun(t, "-r", loPcap, "--port", port)
	if len(ref) < want {
		tdOut, _ := os.ReadFile(tdErr)
		t.Fatalf("tcpdump -i lo: %d MQTT packets, want at least %d\n%s\n%s", len(ref), want, refErr, tdOut)
	}
	for i, p := range live {
		r := ref[i]
		if p.Frame != r.Frame || p.Type != r.Type || p.Raw != r.Raw || p.Src != r.Src {
			t.Errorf("packet %d: -i any frame %d %s %s, tcpdump -i lo frame %d %s %s", i, p.Frame, p.Type, p.Src, r.Frame, r.Type, r.Src)
		}
	}

	// -w: Linux cooked v2, read back by mqttdump and tshark.
	hdr, err := os.ReadFile(anyPcap)
	if err != nil {
		t.Fatal(err)
	}
	if len(hdr) < 24 || binary.LittleEndian.Uint32(hdr[20:]) != 276 {
		t.Fatalf("-w file link type %d, want 276 (LINKTYPE_LINUX_SLL2)", binary.LittleEndian.Uint32(hdr[20:min(24, len(hdr))]))
	}
	back, _ := jsonRun(t, "-r", anyPcap, "--port", port)
	if len(back) != want {
		t.Fatalf("-r of the -w file: %d packets, want %d", len(back), want)
	}
	for i, p := range back {
		if p.Type != live[i].Type || p.Raw != live[i].Raw || p.Src != live[i].Src {
			t.Errorf("-r of the -w file, packet %d: %s %s, live %s %s", i, p.Type, p.Src, live[i].Type, live[i].Src)
		}
	}
	checkAgainstTsharkArgs(t, anyPcap, back, "-d", "tcp.port=="+port+",mqtt")
}
