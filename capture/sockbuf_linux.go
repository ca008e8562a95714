//go:build linux

package capture

import (
	"fmt"
	"os"
	"reflect"
	"unsafe"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// setReceiveBuffer sizes the kernel queue of the handle's packet socket, as
// tcpdump's -B does: with the default of about 200 KB a few hundred frames
// arriving while the process is not scheduled are dropped. pcapgo does not
// expose its socket, so its file is reached by reflection; if pcapgo ever
// changes shape the capture still works, with the default queue, and the
// error says why.
func setReceiveBuffer(h *pcapgo.EthernetHandle, size int) error {
	f := reflect.ValueOf(h).Elem().FieldByName("file")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*os.File)(nil)) || f.IsNil() {
		return fmt.Errorf("pcapgo.EthernetHandle has no socket file to size")
	}
	file := (*os.File)(unsafe.Pointer(f.Pointer()))
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
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
func receiveBuffer(h *pcapgo.EthernetHandle) (int, error) {
	f := reflect.ValueOf(h).Elem().FieldByName("file")
	if !f.IsValid() || f.IsNil() {
		return 0, fmt.Errorf("no socket file")
	}
	file := (*os.File)(unsafe.Pointer(f.Pointer()))
	rc, err := file.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var gerr error
	if err := rc.Control(func(fd uintptr) { n, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) }); err != nil {
		return 0, err
	}
	return n, gerr
}

// queuedBytes is the size of the next frame waiting in the socket's kernel
// queue (SIOCINQ on a packet socket), 0 when it is empty.
func queuedBytes(h *pcapgo.EthernetHandle) (int, error) {
	f := reflect.ValueOf(h).Elem().FieldByName("file")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*os.File)(nil)) || f.IsNil() {
		return 0, fmt.Errorf("pcapgo.EthernetHandle has no socket file")
	}
	file := (*os.File)(unsafe.Pointer(f.Pointer()))
	rc, err := file.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil {
		return 0, err
	}
	return n, ierr
}
