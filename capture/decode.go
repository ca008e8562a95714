package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// Link types handled by hand. DLT_RAW is 12 on most BSDs and 14 on OpenBSD;
// files normally carry LINKTYPE_RAW (101).
const (
	linkRawBSD     layers.LinkType = 12
	linkRawOpenBSD layers.LinkType = 14
)

// supportedLink reports whether decodeFrame understands the link type.
func supportedLink(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, linkRawBSD, linkRawOpenBSD,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return true
	}
	return false
}

func unsupportedLinkError(lt layers.LinkType) error {
	return fmt.Errorf("link type %s (%d) is not supported (Ethernet, Linux SLL/SLL2, BSD loopback and raw IP are)", lt, int(lt))
}

// decodeResult classifies a frame.
type decodeResult uint8

const (
	decTCP       decodeResult = iota // seg holds a TCP segment
	decOther                         // not TCP over IP, or an IP fragment
	decTruncated                     // TCP, but the capture ends inside its header
	decFragment                      // a fragment of a TCP datagram: seg.frag, addresses set
)

const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
)

// segment is the TCP part of a frame, with the addresses it travelled between.
type segment struct {
	src, dst netip.Addr
	// srcRaw/dstRaw are the address bytes inside the frame (for gopacket.Flow).
	srcRaw, dstRaw []byte
	v6             bool
	frag           fragInfo
	tcp            []byte // TCP header and captured payload, bounded by the IP length
	// wireLen is the TCP segment length on the wire (from the IP header);
	// more than len(tcp) when the snaplen cut the frame.
	wireLen int
}

// decodeFrame finds the TCP segment in a link-layer frame. It never panics
// on short or hostile input and never allocates.
func decodeFrame(lt layers.LinkType, b []byte, s *segment) decodeResult {
	etherType, off := 0, 0
	switch lt {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return decOther
		}
		etherType, off = int(binary.BigEndian.Uint16(b[12:])), 14
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return decOther
		}
		etherType, off = int(binary.BigEndian.Uint16(b[14:])), 16
	case layers.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return decOther
		}
		etherType, off = int(binary.BigEndian.Uint16(b[0:])), 20
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(b) < 4 {
			return decOther
		}
		etherType, off = nullFamily(b[:4]), 4
	case layers.LinkTypeRaw, linkRawBSD, linkRawOpenBSD:
		if len(b) < 1 {
			return decOther
		}
		switch b[0] >> 4 {
		case 4:
			etherType = etherIPv4
		case 6:
			etherType = etherIPv6
		}
	case layers.LinkTypeIPv4:
		etherType = etherIPv4
	case layers.LinkTypeIPv6:
		etherType = etherIPv6
	default:
		return decOther
	}
	// 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag, any depth the frame holds.
	for etherType == 0x8100 || etherType == 0x88a8 || etherType == 0x9100 {
		if len(b) < off+4 {
			return decOther
		}
		etherType = int(binary.BigEndian.Uint16(b[off+2:]))
		off += 4
	}
	switch etherType {
	case etherIPv4:
		return decodeIPv4(b[off:], s)
	case etherIPv6:
		return decodeIPv6(b[off:], s)
	}
	return decOther
}

// nullFamily maps a BSD loopback address family (written in the capturing
// host's byte order, so either) to an EtherType.
func nullFamily(b []byte) int {
	fam := binary.LittleEndian.Uint32(b)
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(b)
	}
	switch fam {
	case 2:
		return etherIPv4
	case 10, 24, 28, 30: // Linux, NetBSD/OpenBSD, FreeBSD, Darwin
		return etherIPv6
	}
	return 0
}

func decodeIPv4(b []byte, s *segment) decodeResult {
	if len(b) < 20 || b[0]>>4 != 4 {
		return decOther
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return decOther
	}
	if b[9] != 6 {
		return decOther
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 { // segmentation offload on the capturing host
		total = len(b)
	}
	if total < ihl {
		return decOther
	}
	s.v6 = false
	s.srcRaw, s.dstRaw = b[12:16], b[16:20]
	s.src = netip.AddrFrom4([4]byte(b[12:16]))
	s.dst = netip.AddrFrom4([4]byte(b[16:20]))
	if fl := binary.BigEndian.Uint16(b[6:]); fl&0x3fff != 0 { // more-fragments flag or an offset
		if total > len(b) {
			return decTruncated // a fragment is only of use whole
		}
		s.frag = fragInfo{id: uint32(binary.BigEndian.Uint16(b[4:])), offset: int(fl&0x1fff) * 8, more: fl&0x2000 != 0, data: b[ihl:total]}
		return decFragment
	}
	return tcpPart(b[ihl:min(total, len(b))], total-ihl, s)
}

func decodeIPv6(b []byte, s *segment) decodeResult {
	if len(b) < 40 || b[0]>>4 != 6 {
		return decOther
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if plen == 0 { // jumbogram or offload: trust the capture
		plen = len(b) - 40
	}
	next, off := b[6], 40
	end := 40 + plen
	// Walk the extension headers to the transport header. Every header is
	// read only where the capture holds it: one that runs past the captured
	// bytes (a small snaplen) makes the frame truncated, one that runs past
	// the payload length makes it malformed.
	for hops := 0; ; hops++ {
		if hops > 16 || off > end {
			return decOther
		}
		if off > len(b) {
			return decTruncated
		}
		switch next {
		case 6:
			s.v6 = true
			s.srcRaw, s.dstRaw = b[8:24], b[24:40]
			s.src = netip.AddrFrom16([16]byte(b[8:24]))
			s.dst = netip.AddrFrom16([16]byte(b[24:40]))
			return tcpPart(b[off:min(end, len(b))], end-off, s)
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination, mobility, HIP, shim6
			if r := extHeader(b, off, end, 2); r != decTCP {
				return r
			}
			next, off = b[off], off+(int(b[off+1])+1)*8
		case 51: // AH counts in 4-byte units
			if r := extHeader(b, off, end, 2); r != decTCP {
				return r
			}
			next, off = b[off], off+(int(b[off+1])+2)*4
		case 44: // fragment header
			if r := extHeader(b, off, end, 8); r != decTCP {
				return r
			}
			fl := binary.BigEndian.Uint16(b[off+2:])
			if fl&0xfff9 != 0 { // a real fragment, not an "atomic" one
				if b[off] != 6 {
					return decOther
				}
				if end > len(b) {
					return decTruncated // a fragment is only of use whole
				}
				s.v6 = true
				s.srcRaw, s.dstRaw = b[8:24], b[24:40]
				s.src = netip.AddrFrom16([16]byte(b[8:24]))
				s.dst = netip.AddrFrom16([16]byte(b[24:40]))
				s.frag = fragInfo{id: binary.BigEndian.Uint32(b[off+4:]), offset: int(fl>>3) * 8, more: fl&1 != 0, data: b[off+8 : end]}
				return decFragment
			}
			next, off = b[off], off+8
		default:
			return decOther
		}
	}
}

// extHeader checks that the n bytes of an extension header at off are
// inside the payload (end) and inside the capture; decTCP means readable.
func extHeader(b []byte, off, end, n int) decodeResult {
	switch {
	case off+n > end:
		return decOther
	case off+n > len(b):
		return decTruncated
	}
	return decTCP
}

// tcpPart checks the TCP header of the captured part b of a segment whose
// length on the wire is wire.
func tcpPart(b []byte, wire int, s *segment) decodeResult {
	if wire < 20 {
		return decOther
	}
	if len(b) < 20 {
		return decTruncated
	}
	hl := int(b[12]>>4) * 4
	if hl < 20 || hl > wire {
		return decOther
	}
	if len(b) < hl {
		return decTruncated
	}
	s.tcp, s.wireLen = b, wire
	return decTCP
}
