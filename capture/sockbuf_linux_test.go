//go:build linux

package capture

import (
	"os"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// The live handle's kernel queue is sized as configured (this also tells
// when pcapgo's handle changes shape and the sizing stops working).
func TestReceiveBufferIsSized(t *testing.T) {
	h, err := pcapgo.NewEthernetHandle("lo")
	if err != nil {
		if os.Getenv("MQTTDUMP_REQUIRE_E2E") == "1" {
			t.Fatalf("MQTTDUMP_REQUIRE_E2E=1: %v", err)
		}
		t.Skipf("no packet socket (needs root or CAP_NET_RAW): %v", err)
	}
	defer h.Close()
	before, err := receiveBuffer(h)
	if err != nil {
		t.Fatal(err)
	}
	const want = 8 << 20
	if err := setReceiveBuffer(h, want); err != nil {
		t.Fatalf("set: %v", err)
	}
	after, err := receiveBuffer(h)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel reports twice the size asked for (bookkeeping overhead).
	if after < want || after == before {
		t.Fatalf("receive buffer %d -> %d, want at least %d", before, after, want)
	}
}
