// Package testenv finds what the tests read from outside the repository:
// the shared folder beside the checkout (../shared: the capture corpus and
// Wireshark's field list). Tests skip where it is absent (a user's clone),
// but fail when MQTTDUMP_REQUIRE_CORPUS=1, as CI sets.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

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
	if os.Getenv("MQTTDUMP_REQUIRE_CORPUS") == "1" {
		t.Fatal("MQTTDUMP_REQUIRE_CORPUS=1: " + msg)
	}
	t.Skip(msg)
	return ""
}
