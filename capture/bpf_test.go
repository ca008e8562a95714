package capture

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func TestPortFilter(t *testing.T) {
	prog, err := portProgram([]uint16{1883, 8883})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := portFilter([]uint16{1883}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := portFilter(make([]uint16, maxFilterPorts+1), false); err == nil {
		t.Error("too many ports accepted")
	}
	type frame struct {
		name string
		want bool
	}
	var frames []frame
	for _, vlans := range [][]uint16{nil, {7}} {
		capture := build(t, pcapgen.Options{Link: pcapgen.Link{VLANs: vlans}}, func(w *pcapgen.Writer) {
			add := func(name string, want bool) { frames = append(frames, frame{name, want}) }
			w.Conn(cli, srv).Send(pcapgen.ToServer, pingreq())
			add("v4 to 1883", true)
			w.Conn(srv, cli).Send(pcapgen.ToServer, pingreq())
			add("v4 from 1883", true)
			w.Conn(cli6, netip.MustParseAddrPort("[::1]:8883")).Send(pcapgen.ToClient, pingreq())
			add("v6 from 8883", true)
			w.Conn(cli6, netip.MustParseAddrPort("[::1]:80")).Send(pcapgen.ToServer, pingreq())
			add("v6 to 80", false)
			w.Conn(cli, netip.MustParseAddrPort("127.0.0.1:80")).Send(pcapgen.ToServer, pingreq())
			add("v4 to 80", false)
			w.UDP(netip.MustParseAddrPort("127.0.0.1:1883"), netip.MustParseAddrPort("127.0.0.1:1883"), []byte("x"))
			add("udp 1883", false)
			w.ARP()
			add("arp", false)
		})
		r, err := pcapgo.NewReader(bytes.NewReader(capture))
		if err != nil {
			t.Fatal(err)
		}
		for i := len(frames) - 7; i < len(frames); i++ {
			data, _, err := r.ReadPacketData()
			if err != nil {
				t.Fatal(err)
			}
			n, err := vm.Run(data)
			if err != nil {
				t.Fatal(err)
			}
			if (n > 0) != frames[i].want {
				t.Errorf("vlans %v, %s: filter returned %d", vlans, frames[i].name, n)
			}
		}
	}
}
