//go:build linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

func TestOpenLiveUnknownInterface(t *testing.T) {
	_, err := OpenLive("no-such-if0", Config{}, 0)
	if err == nil || !strings.Contains(err.Error(), `no interface "no-such-if0"`) || !strings.Contains(err.Error(), "lo") {
		t.Errorf("err = %v", err)
	}
}

func TestIsPermission(t *testing.T) {
	if !isPermission(errors.New("couldn't open packet socket: operation not permitted")) ||
		!isPermission(errors.New("x: permission denied")) || isPermission(errors.New("no such device")) {
		t.Error("isPermission misjudges")
	}
}

func TestInterfaces(t *testing.T) {
	ifs, err := Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Fatalf("%v, %d interfaces", err, len(ifs))
	}
}

// TestLiveLoopback captures a real TCP exchange on 127.0.0.1 (needs root
// or CAP_NET_RAW; skipped otherwise).
func TestLiveLoopback(t *testing.T) {
	for _, iface := range []string{"lo", AnyInterface} {
		t.Run(iface, func(t *testing.T) { liveLoopback(t, iface) })
	}
}

func liveLoopback(t *testing.T, iface string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	live, err := OpenLive(iface, Config{Ports: []uint16{port}}, 0)
	if err != nil {
		if strings.Contains(err.Error(), "needs root") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer live.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var evs []got
	seen := make(chan struct{}, 16)
	done := make(chan error, 1)
	var st Stats
	go func() {
		var err error
		st, err = live.Run(ctx, func(ev *Event) error {
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
		buf := make([]byte, 64)
		io.ReadAtLeast(c, buf, len(connect("live")))
		c.Write(connack())
		io.Copy(io.Discard, c)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Write(connect("live"))
	io.ReadFull(conn, make([]byte, 4))
	conn.Write(append(pingreq(), publish("x", 3)[:3]...)) // a partial packet in flight

	deadline := time.After(20 * time.Second)
	for n := 0; n < 3; {
		select {
		case <-seen:
			n++
		case <-deadline:
			t.Fatalf("only %d events captured", n)
		}
	}
	cancel()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	samePackets(t, packetsOf(evs), connect("live"), connack(), pingreq(), publish("x", 3)[:3])
	if !st.Interrupted || st.Frames < 4 {
		t.Errorf("stats %+v", st)
	}
	if err := live.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// TestLiveLoopbackOnce: on lo each frame is read once, not as an outgoing
// and an incoming copy (libpcap's behaviour, so frame numbers match
// tcpdump's). Needs root or CAP_NET_RAW.
func TestLiveLoopbackOnce(t *testing.T) {
	for _, iface := range []string{"lo", AnyInterface} {
		t.Run(iface, func(t *testing.T) { liveLoopbackOnce(t, iface) })
	}
}

func liveLoopbackOnce(t *testing.T, iface string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	live, err := OpenLive(iface, Config{Ports: []uint16{port}}, 0)
	if err != nil {
		if strings.Contains(err.Error(), "needs root") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer live.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 5 {
		conn.Write(publish("once", 10+i))
		time.Sleep(20 * time.Millisecond)
	}
	var frames [][]byte
	timeout := time.AfterFunc(3*time.Second, func() { live.Close() })
	defer timeout.Stop()
	src := liveSource{live}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	for len(frames) < 16 {
		data, ci, lt, err := src.readPacket()
		if err != nil {
			break
		}
		if iface == AnyInterface {
			// The copies differ in their SLL2 packet type: compare what follows.
			want := make([]byte, sll2Len)
			sll2Header{protocol: etherIPv4, ifindex: int32(lo.Index), hatype: 772, addr: make([]byte, 6)}.put(want)
			if lt != layers.LinkTypeLinuxSLL2 || len(data) < sll2Len || !bytes.Equal(data[:sll2Len], want) || ci.InterfaceIndex != lo.Index {
				t.Fatalf("link %v, SLL2 header % x, want % x", lt, data[:min(len(data), sll2Len)], want)
			}
			if ci.Length != len(data) || ci.CaptureLength != len(data) {
				t.Fatalf("lengths %d/%d of a %d-byte frame", ci.CaptureLength, ci.Length, len(data))
			}
			data = data[sll2Len:]
		}
		frames = append(frames, append([]byte(nil), data...))
	}
	if len(frames) < 8 { // handshake and five data segments with their ACKs
		t.Fatalf("only %d frames read", len(frames))
	}
	for i := 1; i < len(frames); i++ {
		if bytes.Equal(frames[i], frames[i-1]) {
			t.Fatalf("frames %d and %d are the same frame (outgoing and incoming copy)", i, i+1)
		}
	}
}

// TestLiveDrainOnCancel: frames queued in the kernel when the capture is
// cancelled (Ctrl-C) are still read and delivered, and the kernel's counts
// are reported. Needs root or CAP_NET_RAW.
func TestLiveDrainOnCancel(t *testing.T) {
	for _, iface := range []string{"lo", AnyInterface} {
		t.Run(iface, func(t *testing.T) { liveDrainOnCancel(t, iface) })
	}
}

func liveDrainOnCancel(t *testing.T, iface string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	live, err := OpenLive(iface, Config{Ports: []uint16{port}}, 0)
	if err != nil {
		if strings.Contains(err.Error(), "needs root") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer live.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for range n { // nobody reads yet: the frames wait in the kernel queue
		conn.Write(pingreq())
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before the first read
	pings := 0
	st, err := live.Run(ctx, func(ev *Event) error {
		if ev.Kind == EventPacket && ev.Data[0] == 0xc0 {
			pings++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pings != n {
		t.Errorf("%d of the %d queued PINGREQs delivered", pings, n)
	}
	if !st.Interrupted || st.Received < st.Frames || st.Received == 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestLiveSnaplen: -s cuts frames on lo and on any alike (the SLL2 header
// counts in the snapshot length, as with libpcap). Needs root or CAP_NET_RAW.
func TestLiveSnaplen(t *testing.T) {
	for _, iface := range []string{"lo", AnyInterface} {
		t.Run(iface, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			const snaplen = 80
			live, err := OpenLive(iface, Config{Ports: []uint16{uint16(ln.Addr().(*net.TCPAddr).Port)}}, snaplen)
			if err != nil {
				if strings.Contains(err.Error(), "needs root") {
					t.Skip(err)
				}
				t.Fatal(err)
			}
			defer live.Close()
			go func() {
				if c, err := ln.Accept(); err == nil {
					io.Copy(io.Discard, c)
					c.Close()
				}
			}()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write(publish("snap", 500))
			timeout := time.AfterFunc(3*time.Second, func() { live.Close() })
			defer timeout.Stop()
			for {
				data, ci, _, err := liveSource{live}.readPacket()
				if err != nil {
					t.Fatal("no cut frame read")
				}
				if ci.Length > 500 {
					if len(data) != snaplen || ci.CaptureLength != snaplen {
						t.Fatalf("%d bytes (capture length %d) of a %d-byte frame, want %d", len(data), ci.CaptureLength, ci.Length, snaplen)
					}
					return
				}
			}
		})
	}
}

// TestLiveReadAllocs: reading a frame allocates nothing, from the pcapgo
// handle of lo or the cooked socket of any. Needs root or CAP_NET_RAW.
func TestLiveReadAllocs(t *testing.T) {
	for _, iface := range []string{"lo", AnyInterface} {
		t.Run(iface, func(t *testing.T) { liveReadAllocs(t, iface) })
	}
}

func liveReadAllocs(t *testing.T, iface string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	live, err := OpenLive(iface, Config{Ports: []uint16{uint16(ln.Addr().(*net.TCPAddr).Port)}}, 0)
	if err != nil {
		if strings.Contains(err.Error(), "needs root") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer live.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for range 20 {
		conn.Write(pingreq())
		time.Sleep(time.Millisecond)
	}
	timeout := time.AfterFunc(5*time.Second, func() { live.Close() })
	defer timeout.Stop()
	var readErr error
	allocs := testing.AllocsPerRun(10, func() {
		if _, _, _, err := (liveSource{live}).readPacket(); err != nil {
			readErr = err
		}
	})
	if readErr != nil {
		t.Fatal(readErr)
	}
	if allocs != 0 {
		t.Errorf("%.1f allocations per frame read", allocs)
	}
}
