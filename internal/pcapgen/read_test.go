package pcapgen

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// frame is one record read back from a capture.
type frame struct {
	ci   gopacket.CaptureInfo
	data []byte
	link layers.LinkType
}

// readAll reads a capture with pcapgo, choosing the reader by magic number.
// It returns the frames read and the error that stopped reading (nil at a
// clean end of file).
func readAll(t *testing.T, capture []byte) ([]frame, error) {
	t.Helper()
	var out []frame
	if bytes.HasPrefix(capture, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(capture), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatalf("pcapng header: %v", err)
		}
		for {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				return out, eofIsNil(err)
			}
			intf, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				t.Fatalf("interface %d: %v", ci.InterfaceIndex, err)
			}
			out = append(out, frame{ci, data, intf.LinkType})
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatalf("pcap header: %v", err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			return out, eofIsNil(err)
		}
		out = append(out, frame{ci, data, r.LinkType()})
	}
}

func eofIsNil(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// decode decodes a frame with gopacket. gopacket has no decoder for
// DLT_RAW 12, LINKTYPE_IPV4 and LINKTYPE_IPV6, so those are decoded from the
// IP version nibble.
func decode(f frame) gopacket.Packet {
	if f.link == 12 || f.link == layers.LinkTypeIPv4 || f.link == layers.LinkTypeIPv6 {
		first := layers.LayerTypeIPv4
		if len(f.data) > 0 && f.data[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
		return gopacket.NewPacket(f.data, first, gopacket.Default)
	}
	return gopacket.NewPacket(f.data, f.link, gopacket.Default)
}

// tcpOf returns the TCP layer of a frame, failing the test if absent.
func tcpOf(t *testing.T, f frame) *layers.TCP {
	t.Helper()
	p := decode(f)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("decode error: %v", el.Error())
	}
	tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		t.Fatalf("no TCP layer in %v", p)
	}
	return tcp
}
