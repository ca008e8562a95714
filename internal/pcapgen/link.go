package pcapgen

import (
	"encoding/binary"
	"fmt"

	"github.com/gopacket/gopacket/layers"
)

// LinkKind selects the link-layer encapsulation of an interface. The zero
// value is Ethernet, so a forgotten setting gives the most common capture.
type LinkKind uint8

const (
	Ethernet LinkKind = iota // LINKTYPE_ETHERNET 1, optional 802.1Q tags
	SLL                      // LINKTYPE_LINUX_SLL 113
	SLL2                     // LINKTYPE_LINUX_SLL2 276
	Null                     // DLT_NULL 0: 4-byte address family in host order
	Loop                     // DLT_LOOP 108: 4-byte address family in network order
	RawIPv4                  // LINKTYPE_IPV4 228: IPv4 only
	RawIPv6                  // LINKTYPE_IPV6 229: IPv6 only
	Raw                      // LINKTYPE_RAW 101: IPv4 or IPv6
	RawDLT12                 // DLT_RAW as some BSDs write it (12): IPv4 or IPv6
)

// Link describes one capture interface.
type Link struct {
	Kind LinkKind
	// VLANs are 802.1Q tag IDs, outermost first (Ethernet only, at most 2).
	VLANs []uint16
	// Family6 is the IPv6 address family for Null and Loop (24, 28 or 30);
	// zero means 30 (macOS, the usual source of DLT_NULL captures).
	Family6 uint32
}

// LinkType is the pcap link type number written to the file.
func (l Link) LinkType() layers.LinkType {
	switch l.Kind {
	case SLL:
		return layers.LinkTypeLinuxSLL
	case SLL2:
		return layers.LinkTypeLinuxSLL2
	case Null:
		return layers.LinkTypeNull
	case Loop:
		return layers.LinkTypeLoop
	case RawIPv4:
		return layers.LinkTypeIPv4
	case RawIPv6:
		return layers.LinkTypeIPv6
	case Raw:
		return layers.LinkTypeRaw
	case RawDLT12:
		return layers.LinkType(12)
	}
	return layers.LinkTypeEthernet
}

func (l Link) validate() error {
	if l.Kind > RawDLT12 {
		return fmt.Errorf("unknown link kind %d", l.Kind)
	}
	if len(l.VLANs) > 2 {
		return fmt.Errorf("at most 2 VLAN tags, got %d", len(l.VLANs))
	}
	if len(l.VLANs) > 0 && l.Kind != Ethernet {
		return fmt.Errorf("VLAN tags need Ethernet")
	}
	for _, id := range l.VLANs {
		if id > 0xfff {
			return fmt.Errorf("VLAN id %d over 4095", id)
		}
	}
	return nil
}

// EtherTypes used in link headers.
const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
	etherARP  = 0x0806
	etherVLAN = 0x8100
)

// Linux SLL packet types: what the kernel reports for lo traffic.
const (
	sllHost     = 0
	sllOutgoing = 4
)

const arphrdLoopback = 772

// headerLen is the size of the link header for this link.
func (l Link) headerLen() int {
	switch l.Kind {
	case Ethernet:
		return 14 + 4*len(l.VLANs)
	case SLL:
		return 16
	case SLL2:
		return 20
	case Null, Loop:
		return 4
	}
	return 0
}

// putHeader writes the link header into b (len(b) == headerLen()).
// outgoing marks client->server frames for SLL's packet type; bigEndian is
// the host byte order for DLT_NULL.
func (l Link) putHeader(b []byte, etherType uint16, outgoing, bigEndian bool) error {
	pktType := uint16(sllHost)
	if outgoing {
		pktType = sllOutgoing
	}
	switch l.Kind {
	case Ethernet:
		clear(b[:12]) // loopback interfaces use all-zero MACs
		off := 12
		for _, id := range l.VLANs {
			binary.BigEndian.PutUint16(b[off:], etherVLAN)
			binary.BigEndian.PutUint16(b[off+2:], id)
			off += 4
		}
		binary.BigEndian.PutUint16(b[off:], etherType)
	case SLL:
		binary.BigEndian.PutUint16(b[0:], pktType)
		binary.BigEndian.PutUint16(b[2:], arphrdLoopback)
		binary.BigEndian.PutUint16(b[4:], 6)
		clear(b[6:14])
		binary.BigEndian.PutUint16(b[14:], etherType)
	case SLL2:
		binary.BigEndian.PutUint16(b[0:], etherType)
		binary.BigEndian.PutUint16(b[2:], 0)
		binary.BigEndian.PutUint32(b[4:], 1) // ifindex of lo
		binary.BigEndian.PutUint16(b[8:], arphrdLoopback)
		b[10] = byte(pktType)
		b[11] = 6
		clear(b[12:20])
	case Null, Loop:
		fam, err := l.family(etherType)
		if err != nil {
			return err
		}
		if l.Kind == Loop || bigEndian {
			binary.BigEndian.PutUint32(b, fam)
		} else {
			binary.LittleEndian.PutUint32(b, fam)
		}
	case RawIPv4:
		if etherType != etherIPv4 {
			return fmt.Errorf("link type IPv4 carries IPv4 only")
		}
	case RawIPv6:
		if etherType != etherIPv6 {
			return fmt.Errorf("link type IPv6 carries IPv6 only")
		}
	case Raw, RawDLT12:
		if etherType != etherIPv4 && etherType != etherIPv6 {
			return fmt.Errorf("raw IP link carries IP only")
		}
	}
	return nil
}

func (l Link) family(etherType uint16) (uint32, error) {
	switch etherType {
	case etherIPv4:
		return 2, nil
	case etherIPv6:
		if l.Family6 != 0 {
			return l.Family6, nil
		}
		return 30, nil
	}
	return 0, fmt.Errorf("loopback link carries IP only, not EtherType %#04x", etherType)
}
