package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// messagesPerFlow is how many messages each (version, QoS) publisher sends.
const messagesPerFlow = 20

// TestLiveCapture is issue #3: mqttdump -i lo sees a real broker and real
// clients, and its NDJSON holds every packet they exchanged.
func TestLiveCapture(t *testing.T) {
	bin := needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "mosquitto_pub", "mosquitto_sub")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	b := startBroker(ctx, t, tools["mosquitto"])
	dir := t.TempDir()
	outPath, errPath := filepath.Join(dir, "out.ndjson"), filepath.Join(dir, "err.txt")
	dump := startProc(ctx, t, "", createFile(t, outPath), createFile(t, errPath),
		bin, "-i", "lo", "--port", strconv.Itoa(b.port), "-T", "json")
	// Like tcpdump, the CLI says on stderr when the capture is running.
	if err := waitForFile(errPath, "listening on lo", 15*time.Second, dump); err != nil {
		t.Fatalf("mqttdump not capturing: %v", err)
	}

	w := newWorkload(messagesPerFlow)
	w.run(ctx, t, tools, b)

	// Give mqttdump the chance to print everything before Ctrl-C; whatever
	// it still holds must then come out on the interrupt anyway.
	waitStable(outPath, w.expectedPackets(), 0, 10*time.Second)
	if err := dump.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := dump.wait(15 * time.Second); err != nil {
		stderr, _ := os.ReadFile(errPath)
		t.Fatalf("mqttdump after SIGINT: %v (want exit 0)\nstderr:\n%s", err, stderr)
	}

	checkDumpOutput(t, outPath, errPath, w, b.port, true)
}

// checkDumpOutput checks mqttdump's NDJSON and its end-of-run line against
// the workload; live says whether a kernel drop count is expected.
func checkDumpOutput(t *testing.T, outPath, errPath string, w *workload, port int, live bool) []*packet {
	t.Helper()
	pkts := readPackets(t, outPath)
	t.Logf("%d packets: %s", len(pkts), describeCounts(countByType(pkts)))
	checkRun(t, pkts, w, port)
	stderr, err := os.ReadFile(errPath)
	if err != nil {
		t.Fatal(err)
	}
	checkEndCounts(t, string(stderr), len(pkts), len(w.pubs)+1, live)
	return pkts
}

// readPackets parses mqttdump's NDJSON output file.
func readPackets(t *testing.T, path string) []*packet {
	t.Helper()
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := parseNDJSON(out)
	if err != nil {
		t.Fatalf("mqttdump output is not NDJSON: %v", err)
	}
	return pkts
}
