package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// maxFilterPorts keeps every jump of the filter within bpf's 8-bit offsets.
const maxFilterPorts = 16

// MaxLivePorts is how many ports a live capture's kernel filter can take.
const MaxLivePorts = maxFilterPorts

// filterOpts says what the packets a kernel filter sees look like.
type filterOpts struct {
	// cooked: packets start at the network header (a SOCK_DGRAM socket, as
	// for -i any), not at an Ethernet header.
	cooked bool
	// dropOutgoing drops the copies the host sent: on every interface
	// (a socket bound to a loopback interface) or, when loopbacks is set,
	// only on those interface indexes.
	dropOutgoing bool
	loopbacks    []int
}

// portFilter assembles the kernel filter "tcp port A or tcp port B ...":
// IPv4 and IPv6 (without extension headers); on Ethernet frames untagged
// or with one 802.1Q tag. Packet sockets usually see VLAN tags stripped
// into metadata, so the tagged branch is for the cases where they are not.
func portFilter(ports []uint16, o filterOpts) ([]bpf.RawInstruction, error) {
	prog, err := portProgram(ports, o.cooked)
	if err != nil {
		return nil, err
	}
	if o.dropOutgoing {
		if prog, err = withoutOutgoing(prog, o.loopbacks); err != nil {
			return nil, err
		}
	}
	return bpf.Assemble(prog)
}

// portProgram is portFilter before assembly (the tests run it in bpf.VM).
func portProgram(ports []uint16, cooked bool) ([]bpf.Instruction, error) {
	if len(ports) == 0 || len(ports) > maxFilterPorts {
		return nil, fmt.Errorf("the kernel filter takes 1 to %d ports, got %d", maxFilterPorts, len(ports))
	}
	var a asm
	bases := []uint32{14, 18}
	if cooked {
		// No link header: the IP version nibble tells v4 from v6 (the
		// protocol in skb metadata would do too, but bpf.VM cannot test
		// that, and the decoder checks the SLL2 protocol anyway).
		bases = []uint32{0}
		a.op(bpf.LoadAbsolute{Off: 0, Size: 1})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		a.jeq(0x40, "v4_0", "")
		a.jeq(0x60, "v6_0", "drop")
	} else {
		a.op(bpf.LoadAbsolute{Off: 12, Size: 2})
		a.jeq(etherIPv4, "v4_14", "")
		a.jeq(etherIPv6, "v6_14", "")
		a.jeq(0x8100, "vlan", "drop")
		a.label("vlan")
		a.op(bpf.LoadAbsolute{Off: 16, Size: 2})
		a.jeq(etherIPv4, "v4_18", "")
		a.jeq(etherIPv6, "v6_18", "drop")
	}
	for _, base := range bases {
		a.label(fmt.Sprintf("v4_%d", base))
		a.op(bpf.LoadAbsolute{Off: base + 9, Size: 1})
		a.jeq(6, "", "drop")
		a.op(bpf.LoadAbsolute{Off: base + 6, Size: 2})
		a.jset(0x1fff, "drop", "") // not the first fragment: no TCP header
		a.op(bpf.LoadMemShift{Off: base})
		a.op(bpf.LoadIndirect{Off: base, Size: 2})
		a.ports(ports, "accept", "")
		a.op(bpf.LoadIndirect{Off: base + 2, Size: 2})
		a.ports(ports, "accept", "drop")

		a.label(fmt.Sprintf("v6_%d", base))
		a.op(bpf.LoadAbsolute{Off: base + 6, Size: 1})
		a.jeq(6, "", "drop")
		a.op(bpf.LoadAbsolute{Off: base + 40, Size: 2})
		a.ports(ports, "accept", "")
		a.op(bpf.LoadAbsolute{Off: base + 42, Size: 2})
		a.ports(ports, "accept", "drop")
	}
	a.label("accept")
	a.op(bpf.RetConstant{Val: 262144})
	a.label("drop")
	a.op(bpf.RetConstant{Val: 0})
	return a.resolve()
}

// asm is a tiny assembler with symbolic jump targets ("" = next instruction).
type asm struct {
	ins    []bpf.Instruction
	jumps  []jump
	labels map[string]int
}

type jump struct {
	at   int
	yes  string
	no   string
	cond bpf.JumpTest
	val  uint32
}

func (a *asm) op(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.ins)
}

func (a *asm) jeq(v uint32, yes, no string) {
	a.jumps = append(a.jumps, jump{at: len(a.ins), yes: yes, no: no, cond: bpf.JumpEqual, val: v})
	a.ins = append(a.ins, nil)
}

func (a *asm) jset(v uint32, yes, no string) {
	a.jumps = append(a.jumps, jump{at: len(a.ins), yes: yes, no: no, cond: bpf.JumpBitsSet, val: v})
	a.ins = append(a.ins, nil)
}

// ports compares A with each port: any match goes to yes, none to no.
func (a *asm) ports(ports []uint16, yes, no string) {
	for i, p := range ports {
		next := ""
		if i == len(ports)-1 {
			next = no
		}
		a.jeq(uint32(p), yes, next)
	}
}

func (a *asm) resolve() ([]bpf.Instruction, error) {
	for _, j := range a.jumps {
		skip := func(l string) (uint8, error) {
			if l == "" {
				return 0, nil
			}
			t, ok := a.labels[l]
			if !ok {
				return 0, fmt.Errorf("bpf: no label %q", l)
			}
			d := t - j.at - 1
			if d < 0 || d > 255 {
				return 0, fmt.Errorf("bpf: jump to %q out of range (%d)", l, d)
			}
			return uint8(d), nil
		}
		yes, err := skip(j.yes)
		if err != nil {
			return nil, err
		}
		no, err := skip(j.no)
		if err != nil {
			return nil, err
		}
		a.ins[j.at] = bpf.JumpIf{Cond: j.cond, Val: j.val, SkipTrue: yes, SkipFalse: no}
	}
	return a.ins, nil
}

// packetOutgoing is the packet type (sll_pkttype) of a frame the host sent.
const packetOutgoing = 4

// maxLoopbacks bounds the interface tests in front of a filter.
const maxLoopbacks = 8

// withoutOutgoing puts in front of a filter a test that drops frames the
// host sent, on any interface or only on the loopback interfaces given. On
// a loopback interface every frame is seen twice, once going out and once
// coming in; libpcap skips the outgoing copy, and so must we for frame
// numbers to match tcpdump's. On other interfaces (-i any) what the host
// sent is kept.
func withoutOutgoing(prog []bpf.Instruction, loopbacks []int) ([]bpf.Instruction, error) {
	if len(loopbacks) == 0 {
		return append([]bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipTrue: 0, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		}, prog...), nil
	}
	n := len(loopbacks)
	if n > maxLoopbacks {
		return nil, fmt.Errorf("the kernel filter takes at most %d loopback interfaces, got %d", maxLoopbacks, n)
	}
	pre := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipTrue: 0, SkipFalse: uint8(n + 2)},
		bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
	}
	for i, idx := range loopbacks {
		var no uint8
		if i == n-1 {
			no = 1 // past the drop, to the port test
		}
		pre = append(pre, bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(idx), SkipTrue: uint8(n - 1 - i), SkipFalse: no})
	}
	pre = append(pre, bpf.RetConstant{Val: 0})
	return append(pre, prog...), nil
}
