package pcapgen

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Iface is one capture interface; frames built through it carry its link
// header. Writer's Conn, UDP and ARP use interface 0.
type Iface struct {
	w    *Writer
	id   int
	link Link
}

// ID is the pcapng interface index.
func (i *Iface) ID() int { return i.id }

// Link is the interface's link description.
func (i *Iface) Link() Link { return i.link }

// Conn starts a TCP connection on interface 0.
func (w *Writer) Conn(client, server netip.AddrPort) *Conn { return w.ifaces[0].Conn(client, server) }

// UDP writes one UDP datagram on interface 0.
func (w *Writer) UDP(src, dst netip.AddrPort, payload []byte) { w.ifaces[0].UDP(src, dst, payload) }

// ARP writes one ARP request on interface 0.
func (w *Writer) ARP() { w.ifaces[0].ARP() }

// UDP writes one UDP datagram with a correct checksum.
func (i *Iface) UDP(src, dst netip.AddrPort, payload []byte) {
	var h [8]byte
	binary.BigEndian.PutUint16(h[0:], src.Port())
	binary.BigEndian.PutUint16(h[2:], dst.Port())
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	i.ipFrame(src.Addr(), dst.Addr(), protoUDP, h[:], 6, payload, false)
}

// ARP writes a who-has 127.0.0.2 request; it needs a link with an
// EtherType (Ethernet, SLL, SLL2).
func (i *Iface) ARP() {
	w := i.w
	if w.err != nil {
		return
	}
	switch i.link.Kind {
	case Ethernet, SLL, SLL2:
	default:
		w.fail(fmt.Errorf("frame %d: ARP needs Ethernet or SLL, not %v", w.frames+1, i.link.LinkType()))
		return
	}
	hl := i.link.headerLen()
	b := w.frame(hl + 28)
	if err := i.link.putHeader(b[:hl], etherARP, false, w.opt.BigEndian); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
		return
	}
	a := b[hl:]
	binary.BigEndian.PutUint16(a[0:], 1)      // hardware: Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800) // protocol: IPv4
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	clear(a[8:14])
	copy(a[14:18], []byte{127, 0, 0, 1})
	clear(a[18:24])
	copy(a[24:28], []byte{127, 0, 0, 2})
	w.emit(i.id, b)
}

const (
	protoTCP = 6
	protoUDP = 17
)

// frame returns the reused buffer resized to n bytes.
func (w *Writer) frame(n int) []byte {
	if cap(w.buf) < n {
		w.buf = make([]byte, n, n+n/4)
	}
	return w.buf[:n]
}

// ipFrame builds link + IP + l4 header + payload and writes it. l4 is the
// transport header with a zero checksum at ckOff; the checksum is filled in.
func (i *Iface) ipFrame(src, dst netip.Addr, proto byte, l4 []byte, ckOff int, payload []byte, outgoing bool) {
	w := i.w
	if w.err != nil {
		return
	}
	if err := checkAddrs(src, dst); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
		return
	}
	v4 := src.Is4()
	ipLen, etherType := 40, uint16(etherIPv6)
	if v4 {
		ipLen, etherType = 20, etherIPv4
	}
	l4Len := len(l4) + len(payload)
	// IPv4's total length counts its header; IPv6's payload length does not.
	if l4Len > 0xffff || (v4 && l4Len+ipLen > 0xffff) {
		w.fail(fmt.Errorf("frame %d: %d bytes do not fit one IP packet", w.frames+1, l4Len))
		return
	}
	hl := i.link.headerLen()
	b := w.frame(hl + ipLen + l4Len)
	if err := i.link.putHeader(b[:hl], etherType, outgoing, w.opt.BigEndian); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
		return
	}
	ip := b[hl : hl+ipLen]
	seg := b[hl+ipLen:]
	copy(seg, l4)
	copy(seg[len(l4):], payload)
	seg[ckOff], seg[ckOff+1] = 0, 0
	var sum uint64
	if v4 {
		w.ipID++
		putIPv4(ip, src, dst, proto, l4Len, w.ipID)
		sum = sumBytes(ip[12:20], 0)
	} else {
		putIPv6(ip, src, dst, proto, l4Len)
		sum = sumBytes(ip[8:40], 0)
	}
	sum += uint64(proto) + uint64(l4Len)
	ck := ^fold(sumBytes(seg, sum))
	if ck == 0 && proto == protoUDP {
		ck = 0xffff // zero means "no checksum" in UDP
	}
	binary.BigEndian.PutUint16(seg[ckOff:], ck)
	w.emit(i.id, b)
}

// checkAddrs keeps synthetic traffic on loopback addresses, one family.
func checkAddrs(src, dst netip.Addr) error {
	if src.Is4() != dst.Is4() {
		return fmt.Errorf("mixed address families %v and %v", src, dst)
	}
	if !src.IsLoopback() || !dst.IsLoopback() {
		return fmt.Errorf("only loopback addresses allowed, got %v and %v", src, dst)
	}
	return nil
}

func putIPv4(b []byte, src, dst netip.Addr, proto byte, l4Len int, id uint16) {
	b[0] = 0x45
	b[1] = 0
	binary.BigEndian.PutUint16(b[2:], uint16(20+l4Len))
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], 0x4000) // don't fragment
	b[8] = 64
	b[9] = proto
	b[10], b[11] = 0, 0
	s, d := src.As4(), dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:], ^fold(sumBytes(b[:20], 0)))
}

func putIPv6(b []byte, src, dst netip.Addr, proto byte, l4Len int) {
	binary.BigEndian.PutUint32(b[0:], 6<<28)
	binary.BigEndian.PutUint16(b[4:], uint16(l4Len))
	b[6] = proto
	b[7] = 64
	s, d := src.As16(), dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
}

// sumBytes adds b as big-endian 16-bit words to acc (one's-complement sum,
// not yet folded), eight bytes per step for speed.
func sumBytes(b []byte, acc uint64) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		acc += v >> 32
		acc += v & 0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}
