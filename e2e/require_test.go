package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// requireE2E reports whether missing prerequisites must fail the test
// instead of skipping it (CI sets MQTTDUMP_REQUIRE_E2E=1).
func requireE2E() bool {
	return os.Getenv("MQTTDUMP_REQUIRE_E2E") == "1"
}

// skipOrFail skips the test, or fails it when MQTTDUMP_REQUIRE_E2E=1.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if requireE2E() {
		t.Fatalf("MQTTDUMP_REQUIRE_E2E=1 but %s", why)
	}
	t.Skip(why)
}

// needRoot stops the test unless it runs as root (packet capture on lo).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: live capture needs root or CAP_NET_RAW")
	}
}

// needTools stops the test unless every program is on PATH, and returns
// their paths by name.
func needTools(t *testing.T, names ...string) map[string]string {
	t.Helper()
	paths := make(map[string]string, len(names))
	for _, n := range names {
		p, err := lookTool(n)
		if err != nil {
			skipOrFail(t, n+" not found (apt-get install mosquitto mosquitto-clients tcpdump)")
		}
		paths[n] = p
	}
	return paths
}

// lookTool finds a program on PATH, or in the sbin directories a non-root
// PATH often lacks (Debian installs mosquitto in /usr/sbin).
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if q, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
			return q, nil
		}
	}
	return "", err
}
