//go:build linux

package capture

import (
	"fmt"
	"os"
	"reflect"
	"syscall"
	"unsafe"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The socket options below work on any packet socket, the pcapgo handle
// of a named interface and the cooked socket of -i any alike.

// setReceiveBuffer sizes the kernel queue of a packet socket, as
// tcpdump's -B does: with the default of about 200 KB a few hundred frames
// arriving while the process is not scheduled are dropped.
func setReceiveBuffer(rc syscall.RawConn, size int) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		// FORCE goes past net.core.rmem_max, which root (CAP_NET_ADMIN) may.
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, size)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// receiveBuffer reports the queue size the kernel granted (for tests).
func receiveBuffer(rc syscall.RawConn) (int, error) {
	var n int
	var gerr error
	if err := rc.Control(func(fd uintptr) { n, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) }); err != nil {
		return 0, err
	}
	return n, gerr
}

// queuedBytes is the size of the next frame waiting in the socket's kernel
// queue (SIOCINQ on a packet socket), 0 when it is empty.
func queuedBytes(rc syscall.RawConn) (int, error) {
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil {
		return 0, err
	}
	return n, ierr
}

// kernelStats reads PACKET_STATISTICS: frames queued and dropped since the
// last read (the kernel resets them on every read).
func kernelStats(rc syscall.RawConn) (packets, drops int, err error) {
	var st *unix.TpacketStats
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		st, gerr = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	}); err != nil {
		return 0, 0, err
	}
	if gerr != nil {
		return 0, 0, gerr
	}
	return int(st.Packets), int(st.Drops), nil
}

// attachFilter attaches a classic BPF program to the socket.
func attachFilter(rc syscall.RawConn, filter []bpf.RawInstruction) error {
	if len(filter) == 0 {
		return fmt.Errorf("empty filter")
	}
	f := make([]unix.SockFilter, len(filter))
	for i, ins := range filter {
		f[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
	}); err != nil {
		return err
	}
	return serr
}

// handleConn reaches the socket of a pcapgo handle, which pcapgo does not
// expose, by reflection; if pcapgo ever changes shape the error says why
// (the capture then works with the default queue and no drain).
func handleConn(h *pcapgo.EthernetHandle) (syscall.RawConn, error) {
	f := reflect.ValueOf(h).Elem().FieldByName("file")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*os.File)(nil)) || f.IsNil() {
		return nil, fmt.Errorf("pcapgo.EthernetHandle has no socket file")
	}
	file := (*os.File)(unsafe.Pointer(f.Pointer()))
	return file.SyscallConn()
}
