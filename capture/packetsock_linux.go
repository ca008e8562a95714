//go:build linux

package capture

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// packetSocket is what Live reads from: the pcapgo handle of one Ethernet
// interface, or the cooked socket of -i any. Everything else (filter,
// queue size, drop counts, drain, close) goes through the socket's
// RawConn and is shared.
type packetSocket interface {
	// read returns the next frame; the data is valid until the next read.
	read() ([]byte, gopacket.CaptureInfo, error)
	// conn is the socket for options and ioctls.
	conn() (syscall.RawConn, error)
	Close() error
	link() layers.LinkType
}

// ethernetSocket is a named interface: frames with their Ethernet header.
type ethernetSocket struct{ h *pcapgo.EthernetHandle }

func (s ethernetSocket) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := s.h.ZeroCopyReadPacketData()
	ci.AncillaryData = nil
	return data, ci, err
}

func (s ethernetSocket) conn() (syscall.RawConn, error) { return handleConn(s.h) }
func (s ethernetSocket) Close() error                   { return s.h.Close() }
func (s ethernetSocket) link() layers.LinkType          { return layers.LinkTypeEthernet }

// openEthernet opens a packet socket on one interface with its filter.
func openEthernet(ifc *net.Interface, filter []bpf.RawInstruction, snaplen int) (packetSocket, error) {
	h, err := pcapgo.NewEthernetHandle(ifc.Name)
	if err != nil {
		return nil, err
	}
	if err := h.SetCaptureLength(snaplen); err != nil {
		h.Close()
		return nil, fmt.Errorf("set snaplen %d: %w", snaplen, err)
	}
	if err := h.SetBPF(filter); err != nil {
		h.Close()
		return nil, fmt.Errorf("attach filter: %w", err)
	}
	return ethernetSocket{h}, nil
}

// cookedSocket is a SOCK_DGRAM packet socket bound to every interface: the
// kernel hands over the network-layer packet and, in the sockaddr_ll, where
// it came from; read puts that in an SLL2 header in front, as libpcap does.
type cookedSocket struct {
	file *os.File
	rc   syscall.RawConn
	buf  []byte // SLL2 header, then the packet (snaplen in all)
	oob  []byte

	// What one recvmsg fills, kept here so that a read allocates nothing.
	sa    unix.RawSockaddrLinklayer
	iov   unix.Iovec
	msg   unix.Msghdr
	n     uintptr
	errno syscall.Errno
	recv  func(fd uintptr) bool // s.recvmsg, bound once
}

var (
	cmsgHdrLen = unix.CmsgSpace(0)
	cmsgAuxLen = unix.CmsgSpace(int(unsafe.Sizeof(unix.TpacketAuxdata{})))
	cmsgTsLen  = unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))
)

// htons turns a 16-bit value into network order in memory, as the
// protocol fields of packet sockets want; it is also ntohs (the same swap).
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// openCooked opens the -i any socket. It is created with protocol 0 (it
// receives nothing), given its filter, then bound to all protocols on all
// interfaces, so no unfiltered packet gets in before the filter.
func openCooked(filter []bpf.RawInstruction, snaplen int) (packetSocket, error) {
	if snaplen <= sll2Len {
		return nil, fmt.Errorf("snaplen %d: an -i any capture needs more than %d bytes", snaplen, sll2Len)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open packet socket: %w", err)
	}
	file := os.NewFile(uintptr(fd), "packet socket (any)")
	s := &cookedSocket{file: file, buf: make([]byte, snaplen)}
	s.recv = s.recvmsg
	if s.rc, err = file.SyscallConn(); err != nil {
		file.Close()
		return nil, fmt.Errorf("packet socket: %w", err)
	}
	if err := attachFilter(s.rc, filter); err != nil {
		file.Close()
		return nil, fmt.Errorf("attach filter: %w", err)
	}
	var optErr error
	bindErr := s.rc.Control(func(fd uintptr) {
		// The original length comes in the auxdata, the time in SO_TIMESTAMPNS;
		// without them read falls back to the read length and the clock.
		if unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_AUXDATA, 1) == nil {
			s.oob = append(s.oob, make([]byte, cmsgAuxLen)...)
		}
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) == nil {
			s.oob = append(s.oob, make([]byte, cmsgTsLen)...)
		}
		optErr = unix.Bind(int(fd), &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: 0})
	})
	if bindErr == nil {
		bindErr = optErr
	}
	if bindErr != nil {
		file.Close()
		return nil, fmt.Errorf("bind packet socket to all interfaces: %w", bindErr)
	}
	return s, nil
}

func (s *cookedSocket) conn() (syscall.RawConn, error) { return s.rc, nil }
func (s *cookedSocket) Close() error                   { return s.file.Close() }
func (s *cookedSocket) link() layers.LinkType          { return layers.LinkTypeLinuxSLL2 }

// read receives one packet behind the SLL2 header. recvmsg rather than
// recvfrom: the same sockaddr_ll, plus the original length and the
// kernel's timestamp as control messages.
func (s *cookedSocket) read() ([]byte, gopacket.CaptureInfo, error) {
	s.iov.Base = &s.buf[sll2Len]
	s.iov.SetLen(len(s.buf) - sll2Len)
	s.msg = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&s.sa)), Namelen: uint32(unsafe.Sizeof(s.sa)), Iov: &s.iov, Iovlen: 1}
	if len(s.oob) > 0 {
		s.msg.Control = &s.oob[0]
		s.msg.SetControllen(len(s.oob))
	}
	if err := s.rc.Read(s.recv); err != nil {
		return nil, gopacket.CaptureInfo{}, fmt.Errorf("read packet: %w", err)
	}
	if s.errno != 0 {
		return nil, gopacket.CaptureInfo{}, fmt.Errorf("read packet: %w", s.errno)
	}
	n, sa, msg := s.n, &s.sa, &s.msg
	var ci gopacket.CaptureInfo
	ci.Length = int(n)
	oob := s.oob[:msg.Controllen]
	for len(oob) >= cmsgHdrLen {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < cmsgHdrLen || l > len(oob) {
			break
		}
		switch {
		case h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && len(oob) >= cmsgAuxLen:
			ci.Length = int((*unix.TpacketAuxdata)(unsafe.Pointer(&oob[cmsgHdrLen])).Len)
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPNS && len(oob) >= cmsgTsLen:
			ts := (*unix.Timespec)(unsafe.Pointer(&oob[cmsgHdrLen]))
			ci.Timestamp = time.Unix(int64(ts.Sec), int64(ts.Nsec))
		}
		oob = oob[min(len(oob), unix.CmsgSpace(l-cmsgHdrLen)):]
	}
	if ci.Timestamp.IsZero() {
		ci.Timestamp = time.Now()
	}
	ci.CaptureLength = min(int(n), len(s.buf)-sll2Len) + sll2Len
	ci.Length = max(ci.Length+sll2Len, ci.CaptureLength)
	halen := min(int(sa.Halen), len(sa.Addr))
	sll2Header{
		protocol: htons(sa.Protocol),
		ifindex:  sa.Ifindex,
		hatype:   sa.Hatype,
		pkttype:  sa.Pkttype,
		addr:     sa.Addr[:halen],
	}.put(s.buf)
	ci.InterfaceIndex = int(sa.Ifindex)
	return s.buf[:ci.CaptureLength], ci, nil
}

// recvmsg is one try of the raw syscall (unix.Recvmsg allocates); false
// asks the poller to wait. MSG_TRUNC: n is the packet's length even when
// the buffer is shorter.
func (s *cookedSocket) recvmsg(fd uintptr) bool {
	s.n, _, s.errno = syscall.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&s.msg)), unix.MSG_TRUNC)
	return s.errno != syscall.EAGAIN
}
