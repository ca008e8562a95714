package dissect

import (
	"os"
	"testing"

	"github.com/mqttdump/mqttdump/internal/testenv"
)

// TestMain says in one line when corpus tests skipped (testenv.Main).
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
