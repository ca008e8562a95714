package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pduRef is one MQTT PDU: the frame it completes in and its type code.
type pduRef struct{ frame, typ int }

// checkAgainstTshark compares mqttdump's packets with what tshark decodes
// from the same capture: the same MQTT PDUs, of the same types, completed
// in the same frames, in the same order. Skipped (not failed) without
// tshark: it is a cross-check, not a prerequisite.
func checkAgainstTshark(t *testing.T, capture string, port int, pkts []*packet) {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not found: no differential check")
		return
	}
	args := []string{"-r", capture, "-Y", "mqtt", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "mqtt.msgtype"}
	if port != 1883 {
		args = append(args, "-d", fmt.Sprintf("tcp.port==%d,mqtt", port))
	}
	want, err := parseTsharkPDUs(runQuiet(t, 60*time.Second, tshark, args...))
	if err != nil {
		t.Fatalf("tshark output: %v", err)
	}
	got := make([]pduRef, len(pkts))
	for i, p := range pkts {
		got[i] = pduRef{p.Frame, p.TypeCode}
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			t.Errorf("PDU %d: tshark has frame %d type %d, mqttdump has nothing more", i, want[i].frame, want[i].typ)
		case i >= len(want):
			t.Errorf("PDU %d: mqttdump has frame %d type %d, tshark has nothing more: %v", i, got[i].frame, got[i].typ, pkts[i])
		case got[i] != want[i]:
			t.Errorf("PDU %d: mqttdump frame %d type %d, tshark frame %d type %d: %v",
				i, got[i].frame, got[i].typ, want[i].frame, want[i].typ, pkts[i])
		default:
			continue
		}
		t.Logf("stopping the comparison at the first difference")
		return
	}
}

// parseTsharkPDUs reads "frame<TAB>type,type,..." lines.
func parseTsharkPDUs(out string) ([]pduRef, error) {
	var refs []pduRef
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		frameText, types, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("line %q: no tab", line)
		}
		frame, err := strconv.Atoi(frameText)
		if err != nil {
			return nil, fmt.Errorf("line %q: frame: %w", line, err)
		}
		for _, ts := range strings.Split(types, ",") {
			typ, err := strconv.Atoi(ts)
			if err != nil {
				return nil, fmt.Errorf("line %q: type: %w", line, err)
			}
			refs = append(refs, pduRef{frame, typ})
		}
	}
	return refs, nil
}

// runQuiet runs a command within d and returns its stdout; stderr (tshark's
// "running as root" warning) is only shown on failure.
func runQuiet(t *testing.T, d time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("%s timed out after %v", name, d)
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
