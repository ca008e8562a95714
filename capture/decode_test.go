package capture

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// ipv6Frame builds a raw IPv6 frame carrying TCP 50000->1883 behind the
// given extension headers (each: next-header byte is patched in order).
func ipv6Frame(exts [][]byte, payload []byte) []byte {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], 50000)
	binary.BigEndian.PutUint16(tcp[2:], 1883)
	tcp[12] = 5 << 4
	tcp[13] = 0x18 // PSH ACK
	tcp = append(tcp, payload...)
	var body []byte
	first := byte(6)
	if len(exts) > 0 {
		first = exts[0][0]
	}
	for i, e := range exts {
		h := append([]byte(nil), e[1:]...)
		h[0] = 6
		if i+1 < len(exts) {
			h[0] = exts[i+1][0]
		}
		body = append(body, h...)
	}
	body = append(body, tcp...)
	b := make([]byte, 40, 40+len(body))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(body)))
	b[6], b[7] = first, 64
	b[8+15], b[24+15] = 1, 2 // ::1 -> ::2
	return append(b, body...)
}

// hopByHop is an extension header of type 0 and 8*(n+1) bytes; the first
// byte of the slice names its type, the rest is the header.
func extHdr(typ byte, units int) []byte {
	h := make([]byte, 1+(units+1)*8)
	h[0] = typ
	h[2] = byte(units)
	return h
}

func TestDecodeFrameBounds(t *testing.T) {
	full := ipv6Frame([][]byte{extHdr(0, 0), extHdr(60, 2)}, []byte{0xc0, 0})
	tests := []struct {
		name string
		lt   layers.LinkType
		b    []byte
		want decodeResult
	}{
		{"ipv6 two ext headers", layers.LinkTypeIPv6, full, decTCP},
		// The snaplen cut the frame inside the second extension header.
		{"ext header past capture", layers.LinkTypeIPv6, full[:70], decTruncated},
		{"ext header start past capture", layers.LinkTypeIPv6, full[:48], decTruncated},
		{"ext header type byte only", layers.LinkTypeIPv6, full[:49], decTruncated},
		{"tcp header cut", layers.LinkTypeIPv6, full[:40+8+24+10], decTruncated},
		{"ext header past payload length", layers.LinkTypeIPv6, func() []byte {
			b := append([]byte(nil), full...)
			b[40+8+1] = 200 // 1608 bytes, more than the payload
			return b
		}(), decOther},
		{"ipv6 header only", layers.LinkTypeIPv6, full[:40], decTruncated},
		{"empty", layers.LinkTypeEthernet, nil, decOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s segment
			if got := decodeFrame(tt.lt, tt.b, &s); got != tt.want {
				t.Fatalf("decodeFrame = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestTruncatedExtensionHeaderGoesOn: a frame whose IPv6 extension header
// runs past the captured bytes is counted as truncated and the packets
// after it are still delivered (it used to panic).
func TestTruncatedExtensionHeaderGoesOn(t *testing.T) {
	capture := build(t, pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.RawIPv6}}, func(w *pcapgen.Writer) {
		c := w.Conn(cli6, srv6)
		c.Handshake()
		c.Send(pcapgen.ToServer, connect("a"))
		f := ipv6Frame([][]byte{extHdr(0, 0), extHdr(60, 2)}, []byte{0xc0, 0})
		w.WriteFrame(gopacket.CaptureInfo{CaptureLength: 70, Length: len(f)}, f[:70])
		c.Send(pcapgen.ToServer, pingreq())
	})
	evs, st := mustRead(t, capture, Config{})
	samePackets(t, packetsOf(evs), connect("a"), pingreq())
	if st.Truncated != 1 {
		t.Errorf("Truncated = %d, want 1", st.Truncated)
	}
}

// FuzzDecodeFrame runs the L2-L4 decoder alone on any bytes and link type:
// no panic, and a TCP result lies inside the frame with a whole header.
func FuzzDecodeFrame(f *testing.F) {
	full := ipv6Frame([][]byte{extHdr(0, 0), extHdr(44, 0), extHdr(51, 1)}, []byte{0xc0, 0})
	f.Add(uint16(layers.LinkTypeIPv6), full)
	f.Add(uint16(layers.LinkTypeIPv6), full[:70])
	eth := append([]byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x81, 0, 0, 5, 0x86, 0xdd}, full...)
	f.Add(uint16(layers.LinkTypeEthernet), eth)
	f.Add(uint16(layers.LinkTypeLinuxSLL2), append([]byte{0x86, 0xdd}, make([]byte, 18)...))
	f.Fuzz(func(t *testing.T, lt uint16, b []byte) {
		var s segment
		r := decodeFrame(layers.LinkType(lt), b, &s)
		if r != decTCP {
			return
		}
		if len(s.tcp) < 20 || len(s.tcp) > len(b) || s.wireLen < len(s.tcp) {
			t.Fatalf("tcp part %d bytes (wire %d) of a %d-byte frame", len(s.tcp), s.wireLen, len(b))
		}
		if hl := int(s.tcp[12]>>4) * 4; hl > len(s.tcp) {
			t.Fatalf("tcp header %d bytes, %d captured", hl, len(s.tcp))
		}
	})
}
