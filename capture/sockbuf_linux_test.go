//go:build linux

package capture

import (
	"os"
	"testing"
)

// The live socket's kernel queue is sized as configured, for a named
// interface and for -i any (this also tells when pcapgo's handle changes
// shape and the sizing stops working).
func TestReceiveBufferIsSized(t *testing.T) {
	for _, name := range []string{"lo", AnyInterface} {
		t.Run(name, func(t *testing.T) {
			var sock packetSocket
			var err error
			if name == AnyInterface {
				sock, err = openAny([]uint16{1883}, maxRecord)
			} else {
				sock, err = openNamed(name, []uint16{1883}, maxRecord)
			}
			if err != nil {
				if os.Getenv("MQTTDUMP_REQUIRE_E2E") == "1" {
					t.Fatalf("MQTTDUMP_REQUIRE_E2E=1: %v", err)
				}
				t.Skipf("no packet socket (needs root or CAP_NET_RAW): %v", err)
			}
			defer sock.Close()
			rc, err := sock.conn()
			if err != nil {
				t.Fatal(err)
			}
			before, err := receiveBuffer(rc)
			if err != nil {
				t.Fatal(err)
			}
			const want = 8 << 20
			if err := setReceiveBuffer(rc, want); err != nil {
				t.Fatalf("set: %v", err)
			}
			after, err := receiveBuffer(rc)
			if err != nil {
				t.Fatal(err)
			}
			// The kernel reports twice the size asked for (bookkeeping overhead).
			if after < want || after == before {
				t.Fatalf("receive buffer %d -> %d, want at least %d", before, after, want)
			}
		})
	}
}
