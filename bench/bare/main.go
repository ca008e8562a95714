// Command bare is the yardstick of issue #12: gopacket's bare TCP
// reassembly of a capture (frames read, decoded and reassembled, the bytes
// dropped), the floor a dissector built on it cannot go below.
//
//	go run ./bench/bare FILE
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/gopacket/gopacket/reassembly"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bare FILE")
		os.Exit(2)
	}
	n, err := run(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	fmt.Printf("%d bytes reassembled\n", n)
}

// sink counts what reassembly hands on.
type sink struct{ n *int64 }

func (s sink) Accept(*layers.TCP, gopacket.CaptureInfo, reassembly.TCPFlowDirection, reassembly.Sequence, *bool, reassembly.AssemblerContext) bool {
	return true
}
func (s sink) ReassembledSG(sg reassembly.ScatterGather, _ reassembly.AssemblerContext) {
	l, _ := sg.Lengths()
	*s.n += int64(l)
}
func (s sink) ReassemblyComplete(reassembly.AssemblerContext) bool { return true }

type factory struct{ n *int64 }

func (f factory) New(_, _ gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	return sink(f)
}

type ctx struct{ ci gopacket.CaptureInfo }

func (c *ctx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

func run(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	var total int64
	asm := reassembly.NewAssembler(reassembly.NewStreamPool(factory{&total}))
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	c := &ctx{}
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return total, err
		}
		_ = parser.DecodeLayers(data, &decoded)
		for _, t := range decoded {
			if t != layers.LayerTypeTCP {
				continue
			}
			var flow gopacket.Flow
			if decoded[1] == layers.LayerTypeIPv4 {
				flow = ip4.NetworkFlow()
			} else {
				flow = ip6.NetworkFlow()
			}
			c.ci = ci
			asm.AssembleWithContext(flow, &tcp, c)
		}
	}
	asm.FlushAll()
	return total, nil
}
