package testenv

import "testing"

func TestSkipLine(t *testing.T) {
	if got := skipLine("capture.test"); got != "" {
		t.Fatalf("nothing skipped: %q", got)
	}
	t.Setenv("MQTTDUMP_SHARED", "/nonexistent")
	t.Setenv("MQTTDUMP_REQUIRE_CORPUS", "")
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) { Corpus(t) })
		t.Run(name, func(t *testing.T) { Corpus(t) }) // a second subtest, counted too
	}
	defer func() { skips.n = map[string]map[string]bool{} }()
	want := "mqttdump: capture: 4 tests skipped: /nonexistent/corpus not found (MQTTDUMP_SHARED=/nonexistent)"
	if got := skipLine("capture.test"); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
