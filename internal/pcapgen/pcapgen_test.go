package pcapgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	client4 = netip.MustParseAddrPort("127.0.0.1:50000")
	server4 = netip.MustParseAddrPort("127.0.0.1:1883")
	client6 = netip.MustParseAddrPort("[::1]:50001")
	server6 = netip.MustParseAddrPort("[::1]:1883")
)

// wantSeg is what one TCP frame must carry; seq/ack are relative to the ISNs.
type wantSeg struct {
	fromClient bool
	flags      string // e.g. "SA" for SYN+ACK
	seq, ack   uint32 // relative: seq to own ISN, ack to peer ISN
	payload    string
}

// conversation writes a connection with a handshake, plain, split,
// retransmitted and gapped data, and a close; want lists the frames.
func conversation(c *Conn) []wantSeg {
	c.Handshake()
	c.Send(ToServer, []byte("hello"))              // rel 1..5
	c.SendSplit(ToClient, []byte("abcdefg"), 3, 2) // 3+2+2
	c.SendAt(ToServer, 0, []byte("hel"))           // retransmission, no advance
	c.Skip(ToServer, 4)                            // lost bytes 5..8
	c.Send(ToServer, []byte("Z"))                  // rel 9
	c.Close()
	return []wantSeg{
		{true, "S", 0, 0, ""},
		{false, "SA", 0, 1, ""},
		{true, "A", 1, 1, ""},
		{true, "PA", 1, 1, "hello"},
		{false, "PA", 1, 6, "abc"},
		{false, "PA", 4, 6, "de"},
		{false, "PA", 6, 6, "fg"},
		{true, "PA", 1, 8, "hel"},
		{true, "PA", 10, 8, "Z"},
		{true, "FA", 11, 8, ""},
		{false, "FA", 8, 12, ""},
		{true, "A", 12, 9, ""},
	}
}

func flagString(tcp *layers.TCP) string {
	s := ""
	for _, f := range []struct {
		on bool
		c  string
	}{{tcp.SYN, "S"}, {tcp.FIN, "F"}, {tcp.RST, "R"}, {tcp.PSH, "P"}, {tcp.ACK, "A"}} {
		if f.on {
			s += f.c
		}
	}
	return s
}

func TestConversationEveryLinkAndFormat(t *testing.T) {
	links := []Link{
		{Kind: Ethernet},
		{Kind: Ethernet, VLANs: []uint16{100}},
		{Kind: Ethernet, VLANs: []uint16{100, 200}},
		{Kind: SLL}, {Kind: SLL2}, {Kind: Null}, {Kind: Loop},
		{Kind: RawIPv4}, {Kind: RawIPv6}, {Kind: Raw}, {Kind: RawDLT12},
	}
	formats := []Options{
		{Format: PCAP}, {Format: PCAP, Nanos: true}, {Format: PCAP, BigEndian: true},
		{Format: PCAP, BigEndian: true, Nanos: true}, {Format: PCAPNG},
	}
	for _, l := range links {
		for _, fam := range []string{"v4", "v6"} {
			if (l.Kind == RawIPv4 && fam == "v6") || (l.Kind == RawIPv6 && fam == "v4") {
				continue
			}
			for _, o := range formats {
				o.Link = l
				name := fmt.Sprintf("%v-vlan%d-%s-%d-nanos=%v-be=%v", l.LinkType(), len(l.VLANs), fam, o.Format, o.Nanos, o.BigEndian)
				t.Run(name, func(t *testing.T) {
					cl, sv := client4, server4
					if fam == "v6" {
						cl, sv = client6, server6
					}
					var c *Conn
					var want []wantSeg
					capture, err := Build(o, func(w *Writer) {
						c = w.Conn(cl, sv)
						want = conversation(c)
					})
					if err != nil {
						t.Fatal(err)
					}
					checkConversation(t, capture, l, c, cl, want)
				})
			}
		}
	}
}

func checkConversation(t *testing.T, capture []byte, l Link, c *Conn, cl netip.AddrPort, want []wantSeg) {
	t.Helper()
	frames, err := readAll(t, capture)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(frames) != len(want) {
		t.Fatalf("got %d frames, want %d", len(frames), len(want))
	}
	for i, f := range frames {
		if f.link != l.LinkType() {
			t.Errorf("frame %d: link type %v, want %v", i+1, f.link, l.LinkType())
		}
		p := decode(f)
		tcp := tcpOf(t, f)
		w := want[i]
		fromClient := tcp.SrcPort == layers.TCPPort(cl.Port())
		own, peer := c.ISN(ToServer), c.ISN(ToClient)
		if !fromClient {
			own, peer = peer, own
		}
		ack := tcp.Ack
		if tcp.ACK {
			ack -= peer
		}
		if fromClient != w.fromClient || flagString(tcp) != w.flags || tcp.Seq-own != w.seq || ack != w.ack || string(tcp.Payload) != w.payload {
			t.Errorf("frame %d: client=%v flags=%s seq=%d ack=%d payload=%q; want %+v",
				i+1, fromClient, flagString(tcp), tcp.Seq-own, ack, tcp.Payload, w)
		}
		checkChecksums(t, i+1, p, tcp)
		if n := len(l.VLANs); n > 0 {
			var tags []uint16
			for _, ly := range p.Layers() {
				if q, ok := ly.(*layers.Dot1Q); ok {
					tags = append(tags, q.VLANIdentifier)
				}
			}
			if fmt.Sprint(tags) != fmt.Sprint(l.VLANs) {
				t.Errorf("frame %d: VLAN tags %v, want %v", i+1, tags, l.VLANs)
			}
		}
	}
}

// checkChecksums verifies the TCP checksum with gopacket and the IPv4 header
// checksum with a plain 16-bit loop (both independent of sumBytes).
func checkChecksums(t *testing.T, n int, p gopacket.Packet, tcp *layers.TCP) {
	t.Helper()
	nl := p.NetworkLayer()
	if nl == nil {
		t.Fatalf("frame %d: no network layer", n)
	}
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		t.Fatal(err)
	}
	if ck, err := tcp.ComputeChecksum(); err != nil || ck != 0 {
		t.Errorf("frame %d: TCP checksum residue %#04x, err %v", n, ck, err)
	}
	if ip, ok := nl.(*layers.IPv4); ok {
		var sum uint32
		for i := 0; i+1 < len(ip.Contents); i += 2 {
			sum += uint32(ip.Contents[i])<<8 | uint32(ip.Contents[i+1])
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		if sum != 0xffff {
			t.Errorf("frame %d: IPv4 header checksum wrong (sum %#x)", n, sum)
		}
	}
}

func TestMidStreamAndSequenceWrap(t *testing.T) {
	var c *Conn
	capture, err := Build(Options{}, func(w *Writer) {
		c = w.Conn(client4, server4)
		c.SetISN(0xfffffffd, 7)
		c.SendSplit(ToServer, []byte("0123456789"), 2) // crosses 2^32
	})
	if err != nil {
		t.Fatal(err)
	}
	frames, err := readAll(t, capture)
	if err != nil || len(frames) != 5 {
		t.Fatalf("read %d frames, err %v; want 5", len(frames), err)
	}
	wantSeq := []uint32{0xfffffffe, 0, 2, 4, 6}
	for i, f := range frames {
		tcp := tcpOf(t, f)
		if tcp.SYN || !tcp.ACK || tcp.Seq != wantSeq[i] || tcp.Ack != 8 || string(tcp.Payload) != "0123456789"[2*i:2*i+2] {
			t.Errorf("frame %d: seq %#x ack %d payload %q syn %v", i+1, tcp.Seq, tcp.Ack, tcp.Payload, tcp.SYN)
		}
	}
	if c.Seq(ToServer) != 8 || c.Offset(ToServer) != 10 {
		t.Errorf("next seq %d offset %d, want 8 and 10", c.Seq(ToServer), c.Offset(ToServer))
	}
}

func TestTimestampsAndSnaplen(t *testing.T) {
	start := time.Date(2020, 5, 6, 7, 8, 9, 123456789, time.UTC)
	for _, o := range []Options{{Format: PCAP}, {Format: PCAP, Nanos: true, BigEndian: true}, {Format: PCAPNG}} {
		o.Start, o.Step, o.SnapLen = start, 1500*time.Microsecond+7, 100
		capture, err := Build(o, func(w *Writer) {
			c := w.Conn(client4, server4)
			c.Send(ToServer, make([]byte, 10))
			c.Send(ToServer, make([]byte, 500))
			w.Advance(time.Hour)
			c.Send(ToClient, make([]byte, 46)) // exactly 100 bytes on Ethernet
		})
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readAll(t, capture)
		if err != nil || len(frames) != 3 {
			t.Fatalf("%+v: read %d frames, err %v", o, len(frames), err)
		}
		res := time.Microsecond
		if o.Nanos || o.Format == PCAPNG {
			res = time.Nanosecond
		}
		lens := [][2]int{{64, 64}, {100, 554}, {100, 100}}
		for i, f := range frames {
			want := start.Add(time.Duration(i) * o.Step)
			if i == 2 {
				want = want.Add(time.Hour)
			}
			if !f.ci.Timestamp.Equal(want.Truncate(res)) {
				t.Errorf("%+v frame %d: time %v, want %v", o, i+1, f.ci.Timestamp, want.Truncate(res))
			}
			if f.ci.CaptureLength != lens[i][0] || f.ci.Length != lens[i][1] || len(f.data) != lens[i][0] {
				t.Errorf("%+v frame %d: caplen %d len %d data %d, want %v", o, i+1, f.ci.CaptureLength, f.ci.Length, len(f.data), lens[i])
			}
		}
	}
}

func TestBigEndianHeaderBytes(t *testing.T) {
	capture, err := Build(Options{BigEndian: true, Nanos: true, Link: Link{Kind: Null}}, func(w *Writer) {
		w.Conn(client4, server4).Send(ToServer, []byte("x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint32(capture); got != 0xa1b23c4d {
		t.Errorf("magic %#x, want big-endian nanosecond magic", got)
	}
	// DLT_NULL family follows the file's (host's) byte order.
	if fam := binary.BigEndian.Uint32(capture[24+16:]); fam != 2 {
		t.Errorf("null family %#x, want 2 big-endian", fam)
	}
}

func TestPcapngInterfaces(t *testing.T) {
	capture, err := Build(Options{Format: PCAPNG}, func(w *Writer) {
		sll, err := w.AddInterface(Link{Kind: SLL2})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := w.AddInterface(Link{Kind: RawIPv6})
		if err != nil {
			t.Fatal(err)
		}
		w.Conn(client4, server4).Send(ToServer, []byte("eth"))
		sll.Conn(client4, server4).Send(ToClient, []byte("sll2"))
		raw.Conn(client6, server6).Send(ToServer, []byte("raw6"))
	})
	if err != nil {
		t.Fatal(err)
	}
	frames, err := readAll(t, capture)
	if err != nil || len(frames) != 3 {
		t.Fatalf("read %d frames, err %v", len(frames), err)
	}
	want := []struct {
		ifc     int
		link    layers.LinkType
		payload string
	}{{0, layers.LinkTypeEthernet, "eth"}, {1, layers.LinkTypeLinuxSLL2, "sll2"}, {2, layers.LinkTypeIPv6, "raw6"}}
	for i, f := range frames {
		if f.ci.InterfaceIndex != want[i].ifc || f.link != want[i].link || string(tcpOf(t, f).Payload) != want[i].payload {
			t.Errorf("frame %d: interface %d link %v payload %q, want %+v", i+1, f.ci.InterfaceIndex, f.link, tcpOf(t, f).Payload, want[i])
		}
	}
}

func TestOtherFrames(t *testing.T) {
	for _, l := range []Link{{Kind: Ethernet}, {Kind: SLL}, {Kind: SLL2}} {
		capture, err := Build(Options{Link: l}, func(w *Writer) {
			w.ARP()
			w.UDP(netip.MustParseAddrPort("127.0.0.1:5353"), netip.MustParseAddrPort("127.0.0.1:53"), []byte("dns?"))
			w.Conn(client4, netip.MustParseAddrPort("127.0.0.1:8080")).Send(ToServer, []byte("GET /"))
			w.WriteFrame(gopacket.CaptureInfo{}, []byte{1, 2, 3})
			if w.Frames() != 4 {
				t.Errorf("Frames() = %d, want 4", w.Frames())
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readAll(t, capture)
		if err != nil || len(frames) != 4 {
			t.Fatalf("%v: read %d frames, err %v", l.LinkType(), len(frames), err)
		}
		if arp, ok := decode(frames[0]).Layer(layers.LayerTypeARP).(*layers.ARP); !ok || arp.Operation != 1 || !bytes.Equal(arp.DstProtAddress, []byte{127, 0, 0, 2}) {
			t.Errorf("%v frame 1: not an ARP request: %v", l.LinkType(), decode(frames[0]))
		}
		p := decode(frames[1])
		udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || udp.DstPort != 53 || string(udp.Payload) != "dns?" {
			t.Fatalf("%v frame 2: not the UDP datagram: %v", l.LinkType(), p)
		}
		// Re-serialize with gopacket's checksum code and compare.
		again := *udp
		if err := again.SetNetworkLayerForChecksum(p.NetworkLayer()); err != nil {
			t.Fatal(err)
		}
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true}, &again, gopacket.Payload(udp.Payload)); err != nil {
			t.Fatal(err)
		}
		if again.Checksum != udp.Checksum {
			t.Errorf("%v: UDP checksum %#04x, gopacket computes %#04x", l.LinkType(), udp.Checksum, again.Checksum)
		}
		if tcp := tcpOf(t, frames[2]); tcp.DstPort != 8080 {
			t.Errorf("frame 3: port %d", tcp.DstPort)
		}
		if !bytes.Equal(frames[3].data, []byte{1, 2, 3}) {
			t.Errorf("frame 4: %x", frames[3].data)
		}
	}
}

func TestLargestSegment(t *testing.T) {
	for _, cl := range []netip.AddrPort{client4, client6} {
		sv := server4
		if cl.Addr().Is6() {
			sv = server6
		}
		capture, err := Build(Options{}, func(w *Writer) {
			w.Conn(cl, sv).Send(ToServer, make([]byte, MaxSegment))
		})
		if err != nil {
			t.Fatalf("%v: %v", cl, err)
		}
		frames, err := readAll(t, capture)
		if err != nil || len(frames) != 1 || len(tcpOf(t, frames[0]).Payload) != MaxSegment {
			t.Errorf("%v: %d frames, err %v", cl, len(frames), err)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]func(w *Writer){
		"arp on raw":    func(w *Writer) { w.ARP() },
		"v6 on rawIPv4": func(w *Writer) { w.Conn(client6, server6).Send(ToServer, nil) },
		"not loopback": func(w *Writer) {
			w.Conn(netip.MustParseAddrPort("10.0.0.1:1"), server4).Send(ToServer, nil)
		},
		"mixed families": func(w *Writer) { w.Conn(client4, server6).Send(ToServer, nil) },
		"too big":        func(w *Writer) { w.Conn(client4, server4).Send(ToServer, make([]byte, MaxSegment+1)) },
		"bad split":      func(w *Writer) { w.Conn(client4, server4).SendSplit(ToServer, []byte("ab"), 0) },
		"bad frame":      func(w *Writer) { w.WriteFrame(gopacket.CaptureInfo{CaptureLength: 5, Length: 5}, []byte{1}) },
		"after cut": func(w *Writer) {
			w.CutNext(3)
			w.WriteFrame(gopacket.CaptureInfo{}, []byte{1, 2, 3, 4})
			w.WriteFrame(gopacket.CaptureInfo{}, []byte{1})
		},
	}
	for name, fill := range cases {
		if _, err := Build(Options{Link: Link{Kind: RawIPv4}}, fill); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, Options{Link: Link{Kind: SLL, VLANs: []uint16{1}}}); err == nil {
		t.Error("VLAN on SLL accepted")
	}
	w, err := NewWriter(&bytes.Buffer{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddInterface(Link{}); err == nil {
		t.Error("AddInterface on pcap accepted")
	}
}

func TestBrokenFiles(t *testing.T) {
	for _, f := range []Format{PCAP, PCAPNG} {
		cut, err := Build(Options{Format: f}, func(w *Writer) {
			c := w.Conn(client4, server4)
			c.Send(ToServer, []byte("first"))
			w.CutNext(20)
			c.Send(ToServer, []byte("second"))
		})
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readAll(t, cut)
		if len(frames) != 1 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("format %d cut: %d frames, err %v; want 1 frame and unexpected EOF", f, len(frames), err)
		}
		huge, err := Build(Options{Format: f}, func(w *Writer) {
			w.Conn(client4, server4).Send(ToServer, []byte("first"))
			w.WriteOversizedRecord(0xffffffff, []byte("junk"))
		})
		if err != nil {
			t.Fatal(err)
		}
		frames, err = readAll(t, huge)
		if len(frames) != 1 || err == nil {
			t.Errorf("format %d oversized: %d frames, err %v; want 1 frame and an error", f, len(frames), err)
		}
	}
}

func TestDeterministic(t *testing.T) {
	fill := func(w *Writer) {
		for i := range 20 {
			c := w.Conn(netip.AddrPortFrom(client4.Addr(), uint16(40000+i)), server4)
			c.Handshake()
			c.Send(ToServer, []byte("payload"))
		}
	}
	a, err := Build(Options{Format: PCAPNG}, fill)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(Options{Format: PCAPNG}, fill)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two builds differ")
	}
	w, _ := NewWriter(&bytes.Buffer{}, Options{})
	c1, c2 := w.Conn(client4, server4), w.Conn(netip.AddrPortFrom(client4.Addr(), 50002), server4)
	if c1.ISN(ToServer) == c2.ISN(ToServer) || c1.ISN(ToServer) == c1.ISN(ToClient) {
		t.Error("ISNs repeat across connections or directions")
	}
}
