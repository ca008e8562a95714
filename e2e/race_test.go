package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/testenv"
)

// raceExitCode is what a binary built with -race exits with after a race.
const raceExitCode = 66

// buildRaceBinary builds cmd/mqttdump with the race detector, which needs
// cgo and a C compiler: without one the test is skipped (failed when
// MQTTDUMP_REQUIRE_E2E=1).
func buildRaceBinary(t *testing.T) string {
	t.Helper()
	cc := "gcc"
	if out, err := exec.Command("go", "env", "CC").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		cc = strings.Fields(string(out))[0]
	}
	if _, err := exec.LookPath(cc); err != nil {
		skipOrFail(t, "no C compiler ("+cc+"): go build -race needs cgo")
	}
	bin := filepath.Join(t.TempDir(), "mqttdump-race")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-race", "-o", bin, "github.com/mqttdump/mqttdump/cmd/mqttdump")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -race: %v\n%s", err, out)
	}
	return bin
}

// raceViews are the invocations run on every capture: together they cover
// the summary, breakdown, hex, JSON, filters, count limit and -w paths.
func raceViews(outPcap string) [][]string {
	return [][]string{
		{},
		{"-V", "-x"},
		{"-T", "json"},
		{"--type", "publish", "--topic", "#", "-c", "3", "-w", outPcap},
	}
}

// TestRaceDetectorOnCaptures runs a -race build of mqttdump over every
// capture in samples/ and the shared corpus in each view: any data race
// report or non-zero exit fails.
func TestRaceDetectorOnCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("race build over all captures: skipped with -short")
	}
	bin := buildRaceBinary(t)
	run := func(t *testing.T, dir, prefix string) {
		caps, err := tsFindCaptures(dir, filepath.Join(t.TempDir(), "none"))
		if err != nil {
			t.Fatal(err)
		}
		if len(caps) == 0 {
			t.Fatalf("no captures under %s", dir)
		}
		for _, c := range caps {
			rel := strings.TrimPrefix(c.name, "samples/")
			t.Run(rel, func(t *testing.T) {
				t.Parallel()
				raceCheckCapture(t, bin, c.path, tsPortFor(prefix+rel))
			})
		}
	}
	t.Run("samples", func(t *testing.T) { run(t, samplesDir, "samples/") })
	t.Run("corpus", func(t *testing.T) { run(t, testenv.Corpus(t), "corpus/") })
}

// raceCheckCapture runs every view of one capture with the race build.
func raceCheckCapture(t *testing.T, bin, path string, port int) {
	outPcap := filepath.Join(t.TempDir(), "shown.pcap")
	for _, view := range raceViews(outPcap) {
		args := append([]string{"-r", path}, view...)
		if port != 0 {
			args = append(args, "-p", strconv.Itoa(port))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		// The race runtime sleeps 1 s at exit so late reports get out; a
		// tenth of that is plenty for a program whose work is done by then
		// and keeps 220 runs inside the time budget.
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=100")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = time.Second
		err := cmd.Run()
		cancel()
		what := "mqttdump-race " + strings.Join(args, " ")
		if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("%s: data race:\n%s", what, stderr.String())
			continue
		}
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit) && exit.ExitCode() == raceExitCode:
			t.Errorf("%s: exit %d (race detector)\n%s", what, raceExitCode, stderr.String())
		default:
			t.Errorf("%s: %v\n%s", what, err, stderr.String())
		}
		if stdout.Len() == 0 && (len(view) == 0 || view[0] != "--type") {
			t.Errorf("%s: no output", what)
		}
	}
}
