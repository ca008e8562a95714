package redact

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/transport"
)

// frame builds an Ethernet frame carrying payload at TCP seq, with
// checksums from gopacket (the reference the rewrite must match).
func frame(t *testing.T, v6 bool, seq uint32, payload []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	tcp := &layers.TCP{SrcPort: 50000, DstPort: 1883, Seq: seq, ACK: true, PSH: true, Window: 512}
	var ip gopacket.SerializableLayer
	if v6 {
		eth.EthernetType = layers.EthernetTypeIPv6
		l := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolTCP, HopLimit: 64, SrcIP: net.ParseIP("::1"), DstIP: net.ParseIP("::2")}
		tcp.SetNetworkLayerForChecksum(l)
		ip = l
	} else {
		l := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 2)}
		tcp.SetNetworkLayerForChecksum(l)
		ip = l
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRedactPacketAndFrames(t *testing.T) {
	secret := []byte("hunter2-secret")
	connect := mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, CleanStart: true, ClientID: "c", Username: []byte("bob"), Password: secret,
		Properties: []mqttenc.Property{mqttenc.AuthenticationMethod("SCRAM"), mqttenc.AuthenticationData([]byte("authdata!"))}})
	for _, v6 := range []bool{false, true} {
		p := dissect.NewSession(dissect.VersionUnknown).Dissect(connect, dissect.ToServer)
		spans := Packet(p, Credentials)
		if len(spans) != 2 || bytes.Contains(p.Raw, secret) || bytes.Contains(p.Raw, []byte("authdata!")) || !bytes.Contains(p.Raw, []byte("bob")) {
			t.Fatalf("spans %v raw %q", spans, p.Raw)
		}
		if n := p.Find("mqtt.passwd"); n == nil || n.Value != Marker(len(secret)) {
			t.Errorf("password node %+v", n)
		}
		// the packet split over two frames, after 5 bytes of something else
		stream := append([]byte{0xc0, 0, 0xd0, 0, 0xe0}, connect...)
		cut := 30
		f1 := frame(t, v6, 1000, stream[:cut])
		f2 := frame(t, v6, 1000+uint32(cut), stream[cut:])
		frames := []Frame{{layers.LinkTypeEthernet, f1, 0}, {layers.LinkTypeEthernet, f2, int64(cut)}}
		at := []transport.Span{{From: 5, To: 5 + int64(len(connect))}}
		if !Frames(frames, connect, spans, at, false) {
			t.Fatal("packet not located in its frames")
		}
		// checksums as gopacket computes them over the redacted bytes
		got := append(append([]byte(nil), f1[54+4*btoi(v6)*5:]...), f2[54+4*btoi(v6)*5:]...)
		if bytes.Contains(got, secret) || bytes.Contains(got, []byte("authdata!")) || !bytes.Equal(got[5:], p.Raw) {
			t.Errorf("v6=%v: frames carry %q, want %q", v6, got[5:], p.Raw)
		}
		if want := frame(t, v6, 1000, got[:cut]); !bytes.Equal(f1, want) {
			t.Errorf("v6=%v: first frame checksums differ from gopacket's", v6)
		}
		if want := frame(t, v6, 1000+uint32(cut), got[cut:]); !bytes.Equal(f2, want) {
			t.Errorf("v6=%v: second frame checksums differ from gopacket's", v6)
		}
		// bytes that are not mapped one to one (TLS, deflate) are refused
		if Frames([]Frame{{layers.LinkTypeEthernet, frame(t, v6, 1, bytes.Repeat([]byte{0x17}, 80)), 0}}, connect, spans, nil, false) {
			t.Error("redacted a packet whose bytes are not mapped to the frames")
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestLevels(t *testing.T) {
	connect := mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V311, ClientID: "c", Username: []byte("bob"), Password: []byte("pw"),
		Will: &mqttenc.Will{Topic: "w/t", Payload: []byte("bye")}})
	for _, c := range []struct {
		l     Level
		spans int
	}{{Off, 0}, {Credentials, 1}, {All, 4}} {
		p := dissect.NewSession(dissect.VersionUnknown).Dissect(connect, dissect.ToServer)
		if got := len(Packet(p, c.l)); got != c.spans {
			t.Errorf("level %d: %d spans, want %d", c.l, got, c.spans)
		}
	}
	for _, s := range []string{"x", "ALL"} {
		if _, err := ParseLevel(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
