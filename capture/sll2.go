package capture

import "encoding/binary"

// sll2Len is the length of a LINKTYPE_LINUX_SLL2 header.
const sll2Len = 20

// sll2Header is what a packet socket says about a packet (its sockaddr_ll),
// written in front of the network-layer bytes as libpcap does for -i any.
type sll2Header struct {
	protocol uint16 // EtherType, host order
	ifindex  int32
	hatype   uint16 // ARPHRD_*
	pkttype  uint8  // PACKET_HOST, PACKET_OUTGOING, ...
	addr     []byte // link-layer source address; at most 8 bytes are kept
}

// put writes the 20-byte header into b[:sll2Len]: protocol, reserved (0),
// interface index, ARPHRD type, packet type, address length, 8 address
// bytes, all big-endian (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html).
func (h sll2Header) put(b []byte) {
	_ = b[sll2Len-1]
	binary.BigEndian.PutUint16(b[0:], h.protocol)
	binary.BigEndian.PutUint16(b[2:], 0)
	binary.BigEndian.PutUint32(b[4:], uint32(h.ifindex))
	binary.BigEndian.PutUint16(b[8:], h.hatype)
	b[10] = h.pkttype
	addr := h.addr
	if len(addr) > 8 {
		addr = addr[:8]
	}
	b[11] = byte(len(addr))
	clear(b[12:20])
	copy(b[12:20], addr)
}
