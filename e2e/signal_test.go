package e2e

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// TestSignalOnIdlePipe: SIGINT or SIGTERM while the input is a pipe that
// is open but idle stops reading at once, prints what was decoded and the
// end-of-run counts (it used to wait for ever, until SIGKILL).
func TestSignalOnIdlePipe(t *testing.T) {
	bin := needBinary(t)
	capture, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:1883"))
		c.Handshake()
		for range 5 {
			c.Send(pcapgen.ToServer, []byte{0xc0, 0})
			c.Send(pcapgen.ToClient, []byte{0xd0, 0})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			var out, errb bytes.Buffer
			cmd := exec.Command(bin, "-r", "-")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = pr, &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer cmd.Process.Kill()
			if _, err := pw.Write(capture); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond) // read and decoded; the pipe stays open
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v; stderr %q", err, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after %v", sig)
			}
			if n := strings.Count(out.String(), "Ping"); n != 10 {
				t.Errorf("%d ping packets printed, want 10:\n%s", n, out.String())
			}
			if !strings.Contains(errb.String(), "10 MQTT packets shown") {
				t.Errorf("no end-of-run counts: %q", errb.String())
			}
		})
	}
}
