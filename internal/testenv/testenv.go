// Package testenv finds what the tests read from outside the repository:
// the shared folder beside the checkout (../shared: the capture corpus and
// Wireshark's field list). Tests skip where it is absent (a user's clone),
// but fail when MQTTDUMP_REQUIRE_CORPUS=1, as CI sets. Main says so in one
// line that plain go test ./... shows.
package testenv

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// skips holds, per reason (a missing folder), the tests that skipped for it. It is
// process-wide because a test binary's TestMain can learn it no other way;
// only need writes it and only Main reads it.
var skips = struct {
	sync.Mutex
	n map[string]map[string]bool // reason -> test names
}{n: map[string]map[string]bool{}}

// Main runs the tests (from a package's TestMain) and, when some skipped
// for a missing shared folder, says so in one line on the terminal. go test
// ./... shows nothing of a passing package's output, skips included, so
// the line goes to /dev/tty; without one (CI, a pipe) to standard error.
func Main(m *testing.M) int {
	code := m.Run()
	if line := skipLine(filepath.Base(os.Args[0])); line != "" {
		var w io.Writer = os.Stderr
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			defer tty.Close()
			w = tty
		}
		fmt.Fprintln(w, line)
	}
	return code
}

// skipLine is the line Main prints for the test binary named bin ("" when
// nothing skipped): "mqttdump: capture: 37 tests skipped: ../shared/corpus
// not found beside the checkout (set MQTTDUMP_SHARED)".
func skipLine(bin string) string {
	skips.Lock()
	defer skips.Unlock()
	tests := map[string]bool{}
	var whys []string
	for why, names := range skips.n {
		whys = append(whys, why)
		for n := range names {
			tests[n] = true
		}
	}
	if len(tests) == 0 {
		return ""
	}
	sort.Strings(whys)
	noun := "tests"
	if len(tests) == 1 {
		noun = "test"
	}
	return fmt.Sprintf("mqttdump: %s: %d %s skipped: %s", strings.TrimSuffix(bin, ".test"), len(tests), noun, strings.Join(whys, "; "))
}

// noteSkip records that test skipped, and why.
func noteSkip(why, test string) {
	skips.Lock()
	defer skips.Unlock()
	if skips.n[why] == nil {
		skips.n[why] = map[string]bool{}
	}
	skips.n[why][test] = true
}

// Shared returns the shared folder, or "" when there is none.
// MQTTDUMP_SHARED overrides the search.
func Shared() string {
	if d := os.Getenv("MQTTDUMP_SHARED"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	// Walk up to the module root (go.mod), then look beside it.
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(dir), "shared")
			if st, err := os.Stat(s); err == nil && st.IsDir() {
				return s
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Corpus returns the capture corpus folder, skipping the test when it is
// absent (or failing it when MQTTDUMP_REQUIRE_CORPUS=1).
func Corpus(t testing.TB) string {
	return need(t, "corpus")
}

// Reference returns the folder with Wireshark's field and value lists.
func Reference(t testing.TB) string {
	return need(t, "reference")
}

func need(t testing.TB, sub string) string {
	t.Helper()
	if s := Shared(); s != "" {
		d := filepath.Join(s, sub)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	msg := "../shared/" + sub + " not found beside the checkout (set MQTTDUMP_SHARED)"
	if d := os.Getenv("MQTTDUMP_SHARED"); d != "" {
		msg = filepath.Join(d, sub) + " not found (MQTTDUMP_SHARED=" + d + ")"
	}
	if os.Getenv("MQTTDUMP_REQUIRE_CORPUS") == "1" {
		t.Fatal("MQTTDUMP_REQUIRE_CORPUS=1: " + msg)
	}
	noteSkip(msg, t.Name())
	t.Skip(msg)
	return ""
}
