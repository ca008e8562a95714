package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// broker is a private mosquitto on 127.0.0.1.
type broker struct {
	port int
	log  string // the broker's log file (log_type all)
}

// startBroker starts mosquitto with its own config on a free loopback port
// (never the system service) and waits until it accepts connections.
func startBroker(ctx context.Context, t *testing.T, mosquitto string) *broker {
	t.Helper()
	dir := t.TempDir()
	var lastErr error
	// A free port can be taken between probing and binding; try again.
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, fmt.Sprintf("mosquitto-%d.conf", port))
		body := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"+
			"log_dest stderr\nlog_type all\n", port)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatalf("write %s: %v", conf, err)
		}
		logPath := filepath.Join(dir, fmt.Sprintf("mosquitto-%d.log", port))
		p := startProc(ctx, t, "", nil, createFile(t, logPath), mosquitto, "-c", conf)
		if lastErr = waitListening(port, 10*time.Second, p); lastErr == nil {
			return &broker{port: port, log: logPath}
		}
		_ = killGroup(p.cmd)
		b, _ := os.ReadFile(logPath)
		lastErr = fmt.Errorf("%w\nbroker log:\n%s", lastErr, b)
	}
	t.Fatalf("mosquitto did not start: %v", lastErr)
	return nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening dials 127.0.0.1:port until it connects, at most d.
func waitListening(port int, d time.Duration, p *proc) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("mosquitto exited: %v", p.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after %v: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
