package testenv

import (
	"fmt"
	"testing"
)

// fakeTB records a skip instead of skipping, so this test checks the
// skip bookkeeping without skipping anything itself (CI allows no skip).
type fakeTB struct {
	testing.TB
	name    string
	skipped string
}

func (f *fakeTB) Helper()          {}
func (f *fakeTB) Name() string     { return f.name }
func (f *fakeTB) Skip(args ...any) { f.skipped = fmt.Sprint(args...) }

func TestSkipLine(t *testing.T) {
	if got := skipLine("capture.test"); got != "" {
		t.Fatalf("nothing skipped: %q", got)
	}
	t.Setenv("MQTTDUMP_SHARED", "/nonexistent")
	t.Setenv("MQTTDUMP_REQUIRE_CORPUS", "")
	defer func() { skips.n = map[string]map[string]bool{} }()
	for _, name := range []string{"a", "b", "a", "c", "d"} { // "a" twice: one test
		f := &fakeTB{TB: t, name: name}
		if Corpus(f) != "" || f.skipped == "" {
			t.Fatalf("%s: not skipped", name)
		}
	}
	want := "mqttdump: capture: 4 tests skipped: /nonexistent/corpus not found (MQTTDUMP_SHARED=/nonexistent)"
	if got := skipLine("capture.test"); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
