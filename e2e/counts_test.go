package e2e

import (
	"regexp"
	"strconv"
	"testing"
)

// endOfRun is the summary mqttdump prints on stderr when a capture ends,
// like tcpdump: "N frames read, M MQTT packets shown, C connections,
// G gaps, X malformed[, D dropped by kernel]".
type endOfRun struct {
	shown, connections, gaps, malformed, dropped int // -1: not printed
}

var (
	shownRE       = regexp.MustCompile(`(\d+) MQTT packets? (?:shown|decoded)`)
	connectionsRE = regexp.MustCompile(`(\d+) connections?`)
	gapsRE        = regexp.MustCompile(`(\d+) gaps?`)
	malformedRE   = regexp.MustCompile(`(\d+) malformed`)
	droppedRE     = regexp.MustCompile(`(\d+) dropped by kernel`)
)

// parseEndOfRun finds the counts in stderr; a missing one is -1.
func parseEndOfRun(stderr string) endOfRun {
	num := func(re *regexp.Regexp) int {
		m := re.FindStringSubmatch(stderr)
		if m == nil {
			return -1
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return -1
		}
		return n
	}
	return endOfRun{
		shown:       num(shownRE),
		connections: num(connectionsRE),
		gaps:        num(gapsRE),
		malformed:   num(malformedRE),
		dropped:     num(droppedRE),
	}
}

// checkEndCounts checks the end-of-run counts of a clean run: as many MQTT
// packets as printed, the expected connections, no gaps, nothing
// malformed, and, live, nothing dropped by the kernel (a loopback run this
// small must not lose packets).
func checkEndCounts(t *testing.T, stderr string, printed, connections int, live bool) {
	t.Helper()
	got := parseEndOfRun(stderr)
	want := endOfRun{shown: printed, connections: connections, gaps: 0, malformed: 0, dropped: -1}
	if live {
		want.dropped = 0
	}
	if got != want {
		t.Errorf("end-of-run counts %+v, want %+v; stderr:\n%s", got, want, stderr)
	}
}
