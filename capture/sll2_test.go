package capture

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func TestSLL2Header(t *testing.T) {
	b := bytes.Repeat([]byte{0xee}, sll2Len)
	sll2Header{protocol: etherIPv6, ifindex: 0x01020304, hatype: 1, pkttype: packetOutgoing,
		addr: []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}.put(b)
	want := []byte{0x86, 0xdd, 0, 0, 1, 2, 3, 4, 0, 1, 4, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0}
	if !bytes.Equal(b, want) {
		t.Fatalf("header\n% x\nwant\n% x", b, want)
	}
	// An address longer than the header's 8 bytes is cut, its length too.
	sll2Header{addr: bytes.Repeat([]byte{9}, 20)}.put(b)
	if b[11] != 8 || !bytes.Equal(b[12:], bytes.Repeat([]byte{9}, 8)) {
		t.Fatalf("long address: % x", b)
	}
}

// A frame built the way -i any builds it decodes with gopacket's SLL2 layer
// and with the capture's own link decoder.
func TestSLL2FrameDecodes(t *testing.T) {
	raw := build(t, pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.Raw}}, func(w *pcapgen.Writer) {
		w.Conn(cli, srv).Send(pcapgen.ToServer, pingreq())
	})
	ip := raw[24+16:] // pcap file header, record header
	frame := make([]byte, sll2Len+len(ip))
	sll2Header{protocol: etherIPv4, ifindex: 1, hatype: 772, addr: make([]byte, 6)}.put(frame)
	copy(frame[sll2Len:], ip)

	p := gopacket.NewPacket(frame, layers.LinkTypeLinuxSLL2, gopacket.Default)
	sll, _ := p.Layer(layers.LayerTypeLinuxSLL2).(*layers.LinuxSLL2)
	if sll == nil || sll.ProtocolType != layers.EthernetTypeIPv4 || sll.InterfaceIndex != 1 ||
		sll.ARPHardwareType != 772 || sll.PacketType != layers.LinuxSLL2PacketTypeHost || sll.AddrLength != 6 {
		t.Fatalf("gopacket: %+v (%v)", sll, p.ErrorLayer())
	}
	tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if tcp == nil || tcp.DstPort != 1883 || !bytes.Equal(tcp.Payload, pingreq()) {
		t.Fatalf("gopacket TCP: %v", p)
	}
	var s segment
	if r := decodeFrame(layers.LinkTypeLinuxSLL2, frame, &s); r != decTCP || s.dst != srv.Addr() {
		t.Fatalf("decodeFrame: %v, %+v", r, s)
	}
}
