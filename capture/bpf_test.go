package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func TestPortFilter(t *testing.T) {
	if _, err := portFilter([]uint16{1883}, filterOpts{dropOutgoing: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := portFilter([]uint16{1883}, filterOpts{cooked: true, dropOutgoing: true, loopbacks: []int{1, 7}}); err != nil {
		t.Fatal(err)
	}
	if _, err := portFilter(make([]uint16, maxFilterPorts+1), filterOpts{}); err == nil {
		t.Error("too many ports accepted")
	}
	if _, err := portFilter([]uint16{1883}, filterOpts{cooked: true, dropOutgoing: true, loopbacks: make([]int, maxLoopbacks+1)}); err == nil {
		t.Error("too many loopbacks accepted")
	}
	// The whole port list, so the longest jumps are assembled too.
	all := make([]uint16, maxFilterPorts)
	for i := range all {
		all[i] = uint16(9000 + i)
	}
	all[0], all[maxFilterPorts-1] = 1883, 8883
	for _, ports := range [][]uint16{{1883, 8883}, all} {
		for _, tc := range []struct {
			name   string
			link   pcapgen.Link
			cooked bool
		}{
			{"ethernet", pcapgen.Link{}, false},
			{"ethernet+vlan", pcapgen.Link{VLANs: []uint16{7}}, false},
			// -i any: the kernel runs the filter on the network-layer
			// packet, which is an SLL2 frame without its 20-byte header.
			{"cooked", pcapgen.Link{Kind: pcapgen.SLL2}, true},
		} {
			prog, err := portProgram(ports, tc.cooked)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bpf.Assemble(prog); err != nil {
				t.Fatalf("%s, %d ports: %v", tc.name, len(ports), err)
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range filterFrames(t, tc.link) {
				data := f.data
				if tc.cooked {
					data = data[sll2Len:]
				}
				n, err := vm.Run(data)
				if err != nil {
					t.Fatal(err)
				}
				if (n > 0) != f.want {
					t.Errorf("%s, %d ports, %s: filter returned %d", tc.name, len(ports), f.name, n)
				}
			}
		}
	}
}

type filterFrame struct {
	name string
	want bool
	data []byte
}

// filterFrames is a sample of frames on link, some to or from the MQTT
// ports 1883 and 8883 (want) and some not.
func filterFrames(t *testing.T, link pcapgen.Link) []filterFrame {
	t.Helper()
	var frames []filterFrame
	add := func(name string, want bool) { frames = append(frames, filterFrame{name: name, want: want}) }
	capture := build(t, pcapgen.Options{Link: link}, func(w *pcapgen.Writer) {
		w.Conn(cli, srv).Send(pcapgen.ToServer, pingreq())
		add("v4 to 1883", true)
		w.Conn(srv, cli).Send(pcapgen.ToServer, pingreq())
		add("v4 from 1883", true)
		w.Conn(cli6, netip.MustParseAddrPort("[::1]:8883")).Send(pcapgen.ToClient, pingreq())
		add("v6 from 8883", true)
		w.Conn(cli6, netip.MustParseAddrPort("[::1]:8883")).Send(pcapgen.ToServer, pingreq())
		add("v6 to 8883", true)
		w.Conn(cli6, netip.MustParseAddrPort("[::1]:80")).Send(pcapgen.ToServer, pingreq())
		add("v6 to 80", false)
		w.Conn(cli, netip.MustParseAddrPort("127.0.0.1:80")).Send(pcapgen.ToServer, pingreq())
		add("v4 to 80", false)
		w.UDP(netip.MustParseAddrPort("127.0.0.1:1883"), netip.MustParseAddrPort("127.0.0.1:1883"), []byte("x"))
		add("udp 1883", false)
		w.UDP(netip.MustParseAddrPort("[::1]:8883"), netip.MustParseAddrPort("[::1]:8883"), []byte("x"))
		add("udp6 8883", false)
		w.ARP()
		add("arp", false)
	})
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	hl := map[pcapgen.LinkKind]int{pcapgen.Ethernet: 14 + 4*len(link.VLANs), pcapgen.SLL2: sll2Len}[link.Kind]
	for i := range frames {
		data, _, err := r.ReadPacketData()
		if err != nil {
			t.Fatal(err)
		}
		frames[i].data = data
	}
	// Variants of the first frame (IPv4 to 1883): with IP options, so the
	// TCP header is found through the header length; and as a later
	// fragment, which has no TCP header.
	v4 := frames[0].data
	opts := append(append(append([]byte(nil), v4[:hl+20]...), 1, 1, 1, 0), v4[hl+20:]...)
	opts[hl] = 0x46
	frames = append(frames, filterFrame{"v4 with options to 1883", true, opts})
	frag := append([]byte(nil), v4...)
	binary.BigEndian.PutUint16(frag[hl+6:], 100)
	frames = append(frames, filterFrame{"v4 later fragment", false, frag})
	return frames
}

// In front of the port test: outgoing copies are dropped on every
// interface (a socket on lo) or on the loopback indexes only (-i any). The
// VM knows no packet metadata, so the jumps are checked by walking them.
func TestWithoutOutgoing(t *testing.T) {
	prog := []bpf.Instruction{bpf.RetConstant{Val: 1}}
	for _, los := range [][]int{nil, {1}, {1, 5, 9}} {
		got, err := withoutOutgoing(prog, los)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkt := range []struct {
			typ, ifindex uint32
			want         uint32
		}{
			{packetOutgoing, 1, 0}, {0, 1, 1}, {packetOutgoing, 5, 0}, {packetOutgoing, 9, 0}, {packetOutgoing, 2, 0}, {0, 2, 1},
		} {
			want := pkt.want
			if los != nil && pkt.typ == packetOutgoing {
				want = 0
				found := false
				for _, l := range los {
					found = found || uint32(l) == pkt.ifindex
				}
				if !found {
					want = 1
				}
			}
			if r := walkMeta(t, got, pkt.typ, pkt.ifindex); r != want {
				t.Errorf("loopbacks %v, type %d on %d: returned %d, want %d", los, pkt.typ, pkt.ifindex, r, want)
			}
		}
	}
}

// walkMeta runs a program of metadata loads, equality jumps and returns.
func walkMeta(t *testing.T, prog []bpf.Instruction, typ, ifindex uint32) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		switch i := prog[pc].(type) {
		case bpf.LoadExtension:
			switch i.Num {
			case bpf.ExtType:
				a = typ
			case bpf.ExtInterfaceIndex:
				a = ifindex
			default:
				t.Fatalf("extension %v", i.Num)
			}
		case bpf.JumpIf:
			if i.Cond != bpf.JumpEqual {
				t.Fatalf("jump %v", i)
			}
			if a == i.Val {
				pc += int(i.SkipTrue)
			} else {
				pc += int(i.SkipFalse)
			}
		case bpf.RetConstant:
			return i.Val
		default:
			t.Fatalf("instruction %v", i)
		}
	}
	t.Fatal("ran off the end")
	return 0
}
