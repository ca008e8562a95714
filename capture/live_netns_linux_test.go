//go:build linux

package capture

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLiveAnyOutgoing: on -i any the host's outgoing frames are kept on
// interfaces other than lo (only lo sees each frame twice). Two network
// namespaces of the test's own, joined by a veth pair, carry a connection
// (the host's namespace is left alone); the capture runs in the server's,
// whose CONNACK leaves on the veth (PACKET_OUTGOING) and must be captured,
// once. Needs root and ip(8).
func TestLiveAnyOutgoing(t *testing.T) {
	if os.Geteuid() != 0 {
		skipLive(t, "not root")
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		skipLive(t, "no ip(8)")
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipPath, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	srvNS, cliNS := fmt.Sprintf("mqttdump-t%d-s", os.Getpid()), fmt.Sprintf("mqttdump-t%d-c", os.Getpid())
	for _, ns := range []string{srvNS, cliNS} {
		ip("netns", "add", ns)
		t.Cleanup(func() { exec.Command(ipPath, "netns", "del", ns).Run() }) // takes the veth with it
	}
	ip("-n", srvNS, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", cliNS)
	ip("-n", srvNS, "addr", "add", "10.213.77.1/30", "dev", "veth0")
	ip("-n", srvNS, "link", "set", "veth0", "up")
	ip("-n", srvNS, "link", "set", "lo", "up")
	ip("-n", cliNS, "addr", "add", "10.213.77.2/30", "dev", "veth1")
	ip("-n", cliNS, "link", "set", "veth1", "up")

	var ln net.Listener
	var live *Live
	err = inNetns(srvNS, func() error {
		var err error
		if ln, err = net.Listen("tcp", "10.213.77.1:0"); err != nil {
			return err
		}
		live, err = OpenLive(AnyInterface, Config{Ports: []uint16{uint16(ln.Addr().(*net.TCPAddr).Port)}}, 0)
		return err
	})
	if ln != nil {
		defer ln.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var evs []got
	seen := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() {
		_, err := live.Run(ctx, func(ev *Event) error {
			mu.Lock()
			evs = append(evs, copyEvent(ev))
			mu.Unlock()
			seen <- struct{}{}
			return nil
		})
		done <- err
	}()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.ReadAtLeast(c, make([]byte, 64), len(connect("veth")))
		c.Write(connack())
		io.Copy(io.Discard, c)
	}()
	var conn net.Conn
	if err := inNetns(cliNS, func() error {
		var err error
		conn, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	conn.Write(connect("veth"))
	io.ReadFull(conn, make([]byte, 4))
	conn.Write(pingreq())
	deadline := time.After(10 * time.Second)
	for n := 0; n < 3; {
		select {
		case <-seen:
			n++
		case <-deadline:
			t.Fatalf("only %d events captured", n)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	conn.Close()
	mu.Lock()
	defer mu.Unlock()
	samePackets(t, packetsOf(evs), connect("veth"), connack(), pingreq())
}

// inNetns runs f in the network namespace ns: the sockets it opens stay
// there. f runs on a thread moved into ns, which is never reused.
func inNetns(ns string, f func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread ends with the goroutine
		h, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- err
			return
		}
		defer h.Close()
		if err := unix.Setns(int(h.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ch <- f()
	}()
	return <-ch
}

// skipLive skips, or fails under MQTTDUMP_REQUIRE_E2E=1.
func skipLive(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("MQTTDUMP_REQUIRE_E2E") == "1" {
		t.Fatal("MQTTDUMP_REQUIRE_E2E=1 but " + why)
	}
	t.Skip(why)
}
