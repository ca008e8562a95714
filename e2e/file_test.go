package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadTcpdumpCapture runs the same workload while tcpdump writes a
// pcap, then checks `mqttdump -r` on that file with the same expectations
// as the live test.
func TestReadTcpdumpCapture(t *testing.T) {
	bin := needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "mosquitto_pub", "mosquitto_sub", "tcpdump")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	b := startBroker(ctx, t, tools["mosquitto"])
	dir := t.TempDir()
	pcap := filepath.Join(dir, "run.pcap")
	tdErr := filepath.Join(dir, "tcpdump.err")
	port := strconv.Itoa(b.port)
	// -U and --immediate-mode: every packet reaches the file at once, so
	// none is lost when tcpdump is stopped; -s and -B: immediate mode's ring
	// has only a few slots at the full snap length and drops under load;
	// -Z root keeps the file ours.
	td := startProc(ctx, t, "", nil, createFile(t, tdErr), tools["tcpdump"],
		"-U", "--immediate-mode", "-s", "8192", "-B", "16384", "-Z", "root", "-i", "lo", "-w", pcap, "tcp port "+port)
	if err := waitForFile(tdErr, "listening on", 15*time.Second, td); err != nil {
		t.Fatalf("tcpdump not capturing: %v", err)
	}

	w := newWorkload(messagesPerFlow)
	w.run(ctx, t, tools, b)

	waitStable(pcap, 0, 500*time.Millisecond, 10*time.Second)
	if err := td.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := td.wait(15 * time.Second); err != nil {
		msg, _ := os.ReadFile(tdErr)
		t.Fatalf("tcpdump: %v\n%s", err, msg)
	}
	// A capture with holes would blame mqttdump for tcpdump's losses.
	if msg, _ := os.ReadFile(tdErr); !strings.Contains(string(msg), "\n0 packets dropped by kernel") {
		t.Fatalf("tcpdump lost packets; the capture cannot be checked:\n%s", msg)
	}

	outPath, errPath := filepath.Join(dir, "out.ndjson"), filepath.Join(dir, "err.txt")
	dump := startProc(ctx, t, "", createFile(t, outPath), createFile(t, errPath),
		bin, "-r", pcap, "--port", port, "-T", "json")
	if err := dump.wait(60 * time.Second); err != nil {
		stderr, _ := os.ReadFile(errPath)
		t.Fatalf("mqttdump -r: %v\nstderr:\n%s", err, stderr)
	}
	pkts := checkDumpOutput(t, outPath, errPath, w, b.port, false)
	checkAgainstTshark(t, pcap, b.port, pkts)
	if !t.Failed() {
		checkChecksCanFail(t, pkts, w, b.port)
	}
}
