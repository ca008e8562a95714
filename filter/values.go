package filter

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/mqttdump/mqttdump/dissect"
)

// Packet is what a filter sees of one MQTT packet: its field tree and the
// frame and connection that carried it. Frame 0 means no capture (pasted
// hex): the frame, IP and TCP fields are then absent.
type Packet struct {
	MQTT     *dissect.Packet
	Frame    int           // frame.number: the frame that carried the packet's last byte
	Time     time.Time     // that frame's timestamp (frame.time_epoch)
	Rel      time.Duration // since the first frame of the capture (frame.time_relative)
	FrameLen int           // frame.len: that frame's length on the wire
	Src, Dst netip.AddrPort
	Stream   int // tcp.stream
	// Gen is what the connection stage worked out about the packet: the
	// generated fields mqtt.response_to, mqtt.latency, ...
	Gen Generated
}

// Generated are the connection stage's findings about one packet; a zero
// frame means the field is absent.
type Generated struct {
	ResponseTo int           // frame of the request this packet answers
	Latency    time.Duration // since that request

	FlowStart int           // PUBCOMP: frame of the QoS 2 PUBLISH that began the flow
	FlowTime  time.Duration // since that PUBLISH

	ForwardedFrom  int           // broker→subscriber PUBLISH: frame of the inbound PUBLISH it forwards
	ForwardLatency time.Duration // since that PUBLISH (or, for a will, since the connection ended)
	Retained       bool          // a retained message sent to a new subscriber
	WillOf         int           // a will message: frame of the CONNECT that carried it
}

// value is one field value during evaluation; only the member of its type
// is set. It lives on the stack: evaluation does not allocate.
type value struct {
	t    vtype
	u    uint64
	b    bool
	s    string // vString
	by   []byte // vBytes
	addr netip.Addr
	d    time.Duration
	def  *dissect.FieldDef // tree values: for the -T fields base
}

// visitor receives values one at a time; returning true stops the walk.
// Values are passed by copy so that nothing escapes to the heap.
type visitor interface {
	visit(v value) bool
}

// walk calls vis for each value of r in p, in tree order, until vis
// returns true; it reports whether vis stopped it and how many values it saw.
func walk(p *Packet, r *ref, vis visitor) (stopped bool, n int) {
	if r.fn == fnCount {
		inner := *r
		inner.fn = fnNone
		_, c := walkValues(p, &inner, neverStop{})
		return vis.visit(value{t: vUint, u: uint64(c)}), 1
	}
	return walkValues(p, r, vis)
}

// neverStop counts values (walk returns how many it saw).
type neverStop struct{}

func (neverStop) visit(value) bool { return false }

// stopFirst stops at the first value: a presence test.
type stopFirst struct{}

func (stopFirst) visit(value) bool { return true }

func walkValues(p *Packet, r *ref, vis visitor) (stopped bool, n int) {
	switch r.src {
	case srcMQTT:
		if p.MQTT == nil {
			return false, 0
		}
		v := value{t: vNone}
		if r.sliced {
			v = value{t: vBytes, by: p.MQTT.Raw}
		}
		return emit(r, v, len(p.MQTT.Raw), vis, &n), n
	case srcExpert:
		if p.MQTT == nil {
			return false, 0
		}
		for _, e := range p.MQTT.Experts() {
			if e != nil && e.ID == r.name {
				if vis.visit(value{t: vNone}) {
					return true, 1
				}
				n++
			}
		}
		return false, n
	case srcMeta:
		return walkMeta(p, r, vis)
	case srcGen:
		return walkGen(&p.Gen, r, vis)
	}
	if p.MQTT == nil {
		return false, 0
	}
	for _, f := range p.MQTT.Fields {
		if walkNodes(p.MQTT.Raw, f, r, vis, &n) {
			return true, n
		}
	}
	return false, n
}

func walkNodes(raw []byte, nd *dissect.Node, r *ref, vis visitor, n *int) bool {
	if nd == nil {
		return false
	}
	if nd.Def != nil && nd.Def.Abbrev == r.name {
		if emit(r, nodeValue(raw, nd, r.sliced || r.fn == fnLen), nd.Length, vis, n) {
			return true
		}
	}
	for _, c := range nd.Children {
		if walkNodes(raw, c, r, vis, n) {
			return true
		}
	}
	return false
}

// nodeValue is a node's value; for a slice, its bytes (the value's bytes
// for text and binary fields, else the bytes the node covers).
func nodeValue(raw []byte, nd *dissect.Node, forSlice bool) value {
	v := value{def: nd.Def}
	switch x := nd.Value.(type) {
	case uint64:
		v.t, v.u = vUint, x
	case bool:
		v.t, v.b = vBool, x
	case string:
		v.t, v.s = vString, x
	case []byte:
		v.t, v.by = vBytes, x
	default:
		v.t = vNone
	}
	if forSlice {
		switch v.t {
		case vString:
			v.t, v.by = vBytes, unsafeBytes(v.s)
		case vBytes:
		default:
			v.t, v.by = vBytes, span(raw, nd)
		}
	}
	return v
}

// span returns the node's bytes clipped to the packet.
func span(raw []byte, n *dissect.Node) []byte {
	start, end := n.Offset, n.Offset+n.Length
	if n.Length <= 0 || start < 0 || start >= len(raw) {
		return nil
	}
	if end > len(raw) || end < start {
		end = len(raw)
	}
	return raw[start:end]
}

// emit applies the reference's slice and hands the value on; a slice
// outside the value yields nothing, as in Wireshark.
func emit(r *ref, v value, size int, vis visitor, n *int) bool {
	if r.sliced {
		b, ok := r.slice.apply(v.by)
		if !ok {
			return false
		}
		v.t, v.by = vBytes, b
		size = len(b)
	}
	if r.fn == fnLen {
		if v.t == vBytes {
			size = len(v.by)
		}
		v = value{t: vUint, u: uint64(size)}
	}
	*n++
	return vis.visit(v)
}

func walkMeta(p *Packet, r *ref, vis visitor) (bool, int) {
	if p.Frame <= 0 {
		return false, 0
	}
	n := 0
	one := func(v value) bool {
		n++
		return vis.visit(v)
	}
	src, dst := p.Src.Addr(), p.Dst.Addr()
	v4 := src.Is4() || src.Is4In6()
	v6 := src.IsValid() && !v4
	tcp := p.Src.IsValid()
	switch r.meta {
	case mFrame:
		return one(value{t: vNone}), n
	case mFrameNumber:
		return one(value{t: vUint, u: uint64(p.Frame)}), n
	case mTimeRelative:
		return one(value{t: vTime, d: p.Rel}), n
	case mTimeEpoch:
		return one(value{t: vTime, d: time.Duration(p.Time.UnixNano())}), n
	case mFrameLen:
		return one(value{t: vUint, u: uint64(p.FrameLen)}), n
	case mIP:
		if v4 {
			return one(value{t: vNone}), n
		}
	case mIPSrc, mIPDst, mIPAddr:
		if !v4 {
			return false, 0
		}
		if r.meta != mIPDst && one(value{t: vIPv4, addr: src.Unmap()}) {
			return true, n
		}
		if r.meta != mIPSrc && one(value{t: vIPv4, addr: dst.Unmap()}) {
			return true, n
		}
	case mIPv6:
		if v6 {
			return one(value{t: vNone}), n
		}
	case mIPv6Src, mIPv6Dst, mIPv6Addr:
		if !v6 {
			return false, 0
		}
		if r.meta != mIPv6Dst && one(value{t: vIPv6, addr: src}) {
			return true, n
		}
		if r.meta != mIPv6Src && one(value{t: vIPv6, addr: dst}) {
			return true, n
		}
	case mTCP:
		if tcp {
			return one(value{t: vNone}), n
		}
	case mTCPSrcPort, mTCPDstPort, mTCPPort:
		if !tcp {
			return false, 0
		}
		if r.meta != mTCPDstPort && one(value{t: vUint, u: uint64(p.Src.Port())}) {
			return true, n
		}
		if r.meta != mTCPSrcPort && one(value{t: vUint, u: uint64(p.Dst.Port())}) {
			return true, n
		}
	case mTCPStream:
		if tcp {
			return one(value{t: vUint, u: uint64(p.Stream)}), n
		}
	}
	return false, n
}

// walkGen yields a generated field: a frame and its time are present
// together, as the breakdown shows them.
func walkGen(g *Generated, r *ref, vis visitor) (bool, int) {
	var v value
	switch r.gen {
	case gResponseTo, gLatency:
		if g.ResponseTo <= 0 {
			return false, 0
		}
		v = value{t: vUint, u: uint64(g.ResponseTo)}
		if r.gen == gLatency {
			v = value{t: vTime, d: g.Latency}
		}
	case gFlowStart, gFlowTime:
		if g.FlowStart <= 0 {
			return false, 0
		}
		v = value{t: vUint, u: uint64(g.FlowStart)}
		if r.gen == gFlowTime {
			v = value{t: vTime, d: g.FlowTime}
		}
	case gForwardedFrom:
		if g.ForwardedFrom <= 0 {
			return false, 0
		}
		v = value{t: vUint, u: uint64(g.ForwardedFrom)}
	case gForwardLatency:
		if g.ForwardedFrom <= 0 && g.WillOf <= 0 {
			return false, 0
		}
		v = value{t: vTime, d: g.ForwardLatency}
	case gRetainedCopy:
		if !g.Retained {
			return false, 0
		}
		v = value{t: vBool, b: true}
	case gWillOf:
		if g.WillOf <= 0 {
			return false, 0
		}
		v = value{t: vUint, u: uint64(g.WillOf)}
	default:
		return false, 0
	}
	n := 0
	return emit(r, v, 0, vis, &n), n
}

// sliceSpec is Wireshark's [i:n] (offset, length), [i-j] (inclusive),
// [i] (one byte), [:n] and [i:] (to the end); negative offsets count from
// the end.
type sliceSpec struct {
	start   int
	length  int  // when !toEnd
	toEnd   bool // [i:]
	endIncl bool // [i-j]: length holds j
}

func (s sliceSpec) apply(b []byte) ([]byte, bool) {
	start := s.start
	if start < 0 {
		start += len(b)
	}
	if start < 0 || start > len(b) {
		return nil, false
	}
	if s.toEnd {
		return b[start:], true
	}
	end := start + s.length
	if s.endIncl {
		end = s.length + 1
		if s.length < 0 {
			end = len(b) + s.length + 1
		}
	}
	if end < start || end > len(b) {
		return nil, false
	}
	return b[start:end], true
}

// unsafeBytes views a string's bytes without copying; the result is only
// read (slices and comparisons of field values).
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Field is one field name resolved for -T fields.
type Field struct{ r ref }

// ParseField resolves a field name as -e takes it; an unknown name gives an
// *Error with the nearest names.
func ParseField(name string) (*Field, error) {
	r, ok := resolve(name)
	if !ok {
		msg := strconv.Quote(name) + " is not a field"
		if s := suggest(name); len(s) > 0 {
			msg += " (did you mean " + strings.Join(s, ", ") + "?)"
		}
		return nil, &Error{Expr: name, Col: 1, Msg: msg}
	}
	return &Field{r: r}, nil
}

// Name is the field's abbreviation.
func (f *Field) Name() string { return f.r.name }

// NeedsTree reports whether the field's values come from the field tree.
func (f *Field) NeedsTree() bool { return f.r.src == srcTree }

// ValueKind is the type of a Value.
type ValueKind uint8

const (
	ValueNone   ValueKind = iota // a protocol, container or finding: present, no value
	ValueUint                    // Uint (Def says the base when the value came from the tree)
	ValueBool                    // Bool
	ValueString                  // Str
	ValueBytes                   // Bytes
	ValueAddr                    // Addr (IPv4 or IPv6)
	ValueTime                    // Dur: seconds, relative or since the epoch
)

// Value is one occurrence of a field in a packet.
type Value struct {
	Kind  ValueKind
	Uint  uint64
	Bool  bool
	Str   string
	Bytes []byte
	Addr  netip.Addr
	Dur   time.Duration
	Def   *dissect.FieldDef // set for tree fields
}

// collector appends every value it visits.
type collector struct{ out []Value }

func (c *collector) visit(v value) bool {
	x := Value{Def: v.def}
	switch v.t {
	case vUint:
		x.Kind, x.Uint = ValueUint, v.u
	case vBool:
		x.Kind, x.Bool = ValueBool, v.b
	case vString:
		x.Kind, x.Str = ValueString, v.s
	case vBytes:
		x.Kind, x.Bytes = ValueBytes, v.by
	case vIPv4, vIPv6:
		x.Kind, x.Addr = ValueAddr, v.addr
	case vTime:
		x.Kind, x.Dur = ValueTime, v.d
	}
	c.out = append(c.out, x)
	return false
}

// Values appends the field's values in p to dst, in tree order.
func (f *Field) Values(p *Packet, dst []Value) []Value {
	c := collector{out: dst}
	walk(p, &f.r, &c)
	return c.out
}
