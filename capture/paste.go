package capture

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// PastedFrame is a whole frame that someone pasted as hex (tshark -x,
// tcpdump -xx, Wireshark's "Copy as Hex Dump"): its headers, one line each,
// and the TCP payload after them.
type PastedFrame struct {
	Headers []Header
	Payload []byte // the TCP payload, within the frame
	SrcPort uint16
	DstPort uint16
}

// Header is one link, network or transport header of a pasted frame.
type Header struct {
	Offset, Length int
	Text           string // "Internet Protocol Version 4, Src: 127.0.0.1, Dst: 127.0.0.1"
}

// pasteLinks are the link types a pasted frame may start with, the most
// telling first: each must lead to a consistent IP header and a TCP header.
var pasteLinks = []gopacket.LayerType{
	layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
	layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
}

// SplitFrame recognises a pasted whole frame: a link header (or none) and
// IPv4 or IPv6 whose lengths agree with the bytes, carrying TCP. It returns
// false for anything else, MQTT bytes above all, so a paste of bare MQTT is
// never mistaken for a frame.
func SplitFrame(b []byte) (PastedFrame, bool) {
	for _, first := range pasteLinks {
		if f, ok := splitAs(first, b); ok {
			return f, true
		}
	}
	return PastedFrame{}, false
}

func splitAs(first gopacket.LayerType, b []byte) (PastedFrame, bool) {
	if !linkPlausible(first, b) {
		return PastedFrame{}, false
	}
	pkt := gopacket.NewPacket(b, first, gopacket.DecodeOptions{NoCopy: true, Lazy: false})
	var f PastedFrame
	off := 0
	sawIP := false
	for _, l := range pkt.Layers() {
		n := len(l.LayerContents())
		switch v := l.(type) {
		case *layers.Ethernet:
			f.add(off, n, fmt.Sprintf("Ethernet II, Src: %s, Dst: %s", v.SrcMAC, v.DstMAC))
		case *layers.Dot1Q:
			f.add(off, n, fmt.Sprintf("802.1Q Virtual LAN, ID: %d", v.VLANIdentifier))
		case *layers.LinuxSLL:
			f.add(off, n, fmt.Sprintf("Linux cooked capture v1, Source: %s", net.HardwareAddr(v.Addr)))
		case *layers.LinuxSLL2:
			f.add(off, n, fmt.Sprintf("Linux cooked capture v2, Interface index: %d", v.InterfaceIndex))
		case *layers.Loopback:
			f.add(off, n, fmt.Sprintf("Null/Loopback, Family: %s", v.Family))
		case *layers.IPv4:
			if int(v.IHL)*4 < 20 || int(v.Length) != len(b)-off && !(int(v.Length) < len(b)-off && len(b)-off <= 60) {
				return PastedFrame{}, false // lengths disagree (a little Ethernet padding is fine)
			}
			sawIP = true
			f.add(off, n, fmt.Sprintf("Internet Protocol Version 4, Src: %s, Dst: %s", v.SrcIP, v.DstIP))
		case *layers.IPv6:
			if int(v.Length)+40 != len(b)-off {
				return PastedFrame{}, false
			}
			sawIP = true
			f.add(off, n, fmt.Sprintf("Internet Protocol Version 6, Src: %s, Dst: %s", v.SrcIP, v.DstIP))
		case *layers.IPv6HopByHop, *layers.IPv6Routing, *layers.IPv6Destination:
			f.add(off, n, "IPv6 extension header")
		case *layers.TCP:
			if !sawIP || int(v.DataOffset) < 5 {
				return PastedFrame{}, false
			}
			f.SrcPort, f.DstPort = uint16(v.SrcPort), uint16(v.DstPort)
			f.add(off, n, fmt.Sprintf("Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Ack: %d, Len: %d",
				v.SrcPort, v.DstPort, v.Seq, v.Ack, len(v.Payload)))
			f.Payload = v.Payload
			return f, true
		default:
			return PastedFrame{}, false
		}
		off += n
	}
	return PastedFrame{}, false
}

func (f *PastedFrame) add(off, n int, text string) {
	f.Headers = append(f.Headers, Header{Offset: off, Length: n, Text: text})
}

// linkPlausible checks the fields that tell one link header from another
// before decoding, so bare MQTT bytes are not read as a frame.
func linkPlausible(first gopacket.LayerType, b []byte) bool {
	ipAt := func(off int) bool { return len(b) > off && (b[off]>>4 == 4 || b[off]>>4 == 6) }
	switch first {
	case layers.LayerTypeEthernet:
		if len(b) < 14+20 {
			return false
		}
		switch binary.BigEndian.Uint16(b[12:]) {
		case etherIPv4, etherIPv6, 0x8100, 0x88a8:
			return true
		}
	case layers.LayerTypeLinuxSLL:
		if len(b) < 16+20 || binary.BigEndian.Uint16(b[0:]) > 4 {
			return false
		}
		p := binary.BigEndian.Uint16(b[14:])
		return (p == etherIPv4 || p == etherIPv6) && ipAt(16)
	case layers.LayerTypeLinuxSLL2:
		if len(b) < 20+20 {
			return false
		}
		p := binary.BigEndian.Uint16(b[0:])
		return (p == etherIPv4 || p == etherIPv6) && ipAt(20)
	case layers.LayerTypeLoopback:
		if len(b) < 4+20 {
			return false
		}
		fam := binary.LittleEndian.Uint32(b)
		if fam > 0xff {
			fam = binary.BigEndian.Uint32(b)
		}
		return (fam == 2 || fam == 24 || fam == 28 || fam == 30) && ipAt(4)
	case layers.LayerTypeIPv4:
		return len(b) >= 40 && b[0]>>4 == 4
	case layers.LayerTypeIPv6:
		return len(b) >= 60 && b[0]>>4 == 6
	}
	return false
}
