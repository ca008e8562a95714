package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mqttdump/mqttdump/internal/testenv"
)

// mqttdumpBin is the binary built once by TestMain; buildErr is why not.
// Set only in TestMain, read-only afterwards.
var (
	mqttdumpBin string
	buildErr    error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mqttdump-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	mqttdumpBin, buildErr = buildMqttdump(dir)
	code := testenv.Main(m) // also says when corpus tests skipped
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildMqttdump builds cmd/mqttdump into dir; pure Go, like a release build.
func buildMqttdump(dir string) (string, error) {
	bin := filepath.Join(dir, "mqttdump")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/mqttdump/mqttdump/cmd/mqttdump")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/mqttdump: %w\n%s", err, out)
	}
	return bin, nil
}

// needBinary fails the test when the binary did not build: a broken build
// is a failure, never a skip.
func needBinary(t *testing.T) string {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return mqttdumpBin
}
