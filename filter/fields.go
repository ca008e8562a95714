package filter

import (
	"sort"
	"strings"

	"github.com/mqttdump/mqttdump/dissect"
)

// vtype is a field's value type as a filter sees it.
type vtype uint8

const (
	vNone   vtype = iota // protocol or container: presence, and slices of its bytes
	vUint                // integers (tshark's FT_UINT*)
	vBool                // flags
	vString              // text
	vBytes               // binary, and every slice
	vIPv4
	vIPv6
	vTime // seconds, relative (frame.time_relative) or since the epoch
)

func (t vtype) String() string {
	switch t {
	case vUint:
		return "an unsigned integer"
	case vBool:
		return "a boolean"
	case vString:
		return "a string"
	case vBytes:
		return "a byte sequence"
	case vIPv4:
		return "an IPv4 address"
	case vIPv6:
		return "an IPv6 address"
	case vTime:
		return "a time in seconds"
	}
	return "a protocol or field without a value"
}

// source says where a field's values come from.
type source uint8

const (
	srcTree   source = iota // nodes of the MQTT field tree with this abbreviation
	srcMQTT                 // the "mqtt" protocol itself: always present, its bytes the packet
	srcMeta                 // frame, IP and TCP metadata
	srcExpert               // a finding with this id on the packet
	srcGen                  // what the connection stage worked out (Packet.Gen)
)

// metaID names one metadata field.
type metaID uint8

const (
	mFrame metaID = iota
	mFrameNumber
	mTimeRelative
	mTimeEpoch
	mFrameLen
	mIP
	mIPSrc
	mIPDst
	mIPAddr
	mIPv6
	mIPv6Src
	mIPv6Dst
	mIPv6Addr
	mTCP
	mTCPSrcPort
	mTCPDstPort
	mTCPPort
	mTCPStream
)

// genID names one generated field.
type genID uint8

const (
	gResponseTo genID = iota
	gLatency
	gFlowStart
	gFlowTime
	gForwardedFrom
	gForwardLatency
	gRetainedCopy
	gWillOf
)

type genField struct {
	id   genID
	info FieldInfo
	t    vtype
}

func gen(id genID, t vtype, name, abbrev, typ, base, desc string) genField {
	return genField{id, FieldInfo{Name: name, Abbrev: abbrev, Type: typ, Parent: "mqtt", Base: base, Desc: desc}, t}
}

// genFields are the connection stage's generated fields, named as the
// breakdown and JSON name them and typed as Wireshark types its own
// (dns.response_to is an FT_FRAMENUM, dns.time an FT_RELATIVE_TIME): a
// filter or -e reads them from the stage's analysis, with or without a tree.
var genFields = []genField{
	gen(gResponseTo, vUint, "Response to", "mqtt.response_to", "FT_FRAMENUM", "", "Frame of the request this packet answers"),
	gen(gLatency, vTime, "Latency", "mqtt.latency", "FT_RELATIVE_TIME", "", "Time since the request this packet answers"),
	gen(gFlowStart, vUint, "Flow started in", "mqtt.flow_start", "FT_FRAMENUM", "", "PUBCOMP: frame of the QoS 2 PUBLISH that began the flow"),
	gen(gFlowTime, vTime, "Flow time", "mqtt.flow_time", "FT_RELATIVE_TIME", "", "PUBCOMP: time since the QoS 2 PUBLISH that began the flow"),
	gen(gForwardedFrom, vUint, "Forwarded from", "mqtt.forwarded_from", "FT_FRAMENUM", "", "Broker's PUBLISH: frame of the inbound PUBLISH it forwards"),
	gen(gForwardLatency, vTime, "Forward latency", "mqtt.forward_latency", "FT_RELATIVE_TIME", "", "Broker's PUBLISH: time since the PUBLISH (or will) it forwards"),
	gen(gRetainedCopy, vBool, "Retained copy for a new subscriber", "mqtt.retained_copy", "FT_BOOLEAN", "0", ""),
	gen(gWillOf, vUint, "Will message of the CONNECT in", "mqtt.will_of", "FT_FRAMENUM", "", "Broker's PUBLISH of a will: frame of the CONNECT that carried it"),
}

// FieldInfo describes one name a filter or -e accepts, as tshark -G fields
// lists it.
type FieldInfo struct {
	Protocol bool   // a protocol line ("P") rather than a field ("F")
	Name     string // "Keep Alive"
	Abbrev   string // "mqtt.kalive"
	Type     string // "FT_UINT16"
	Parent   string // "mqtt"
	Base     string // "BASE_DEC", "BASE_HEX", "8" for flags, ""
	Mask     uint64
	Desc     string
}

type metaField struct {
	id   metaID
	info FieldInfo
	t    vtype
}

func proto(id metaID, name, abbrev string) metaField {
	return metaField{id, FieldInfo{Protocol: true, Name: name, Abbrev: abbrev}, vNone}
}

func meta(id metaID, t vtype, name, abbrev, typ, parent, base, desc string) metaField {
	return metaField{id, FieldInfo{Name: name, Abbrev: abbrev, Type: typ, Parent: parent, Base: base, Desc: desc}, t}
}

// metaFields are the frame, IP and TCP fields, named and typed as in
// tshark 4.0 (tshark -G fields).
var metaFields = []metaField{
	proto(mFrame, "Frame", "frame"),
	meta(mFrameNumber, vUint, "Frame Number", "frame.number", "FT_UINT32", "frame", "BASE_DEC", ""),
	meta(mTimeRelative, vTime, "Time since reference or first frame", "frame.time_relative", "FT_RELATIVE_TIME", "frame", "", "Time relative to time reference or first frame"),
	meta(mTimeEpoch, vTime, "Epoch Time", "frame.time_epoch", "FT_RELATIVE_TIME", "frame", "", "Epoch time when this frame was captured"),
	meta(mFrameLen, vUint, "Frame length on the wire", "frame.len", "FT_UINT32", "frame", "BASE_DEC", ""),
	proto(mIP, "Internet Protocol Version 4", "ip"),
	meta(mIPSrc, vIPv4, "Source Address", "ip.src", "FT_IPv4", "ip", "", ""),
	meta(mIPDst, vIPv4, "Destination Address", "ip.dst", "FT_IPv4", "ip", "", ""),
	meta(mIPAddr, vIPv4, "Source or Destination Address", "ip.addr", "FT_IPv4", "ip", "", ""),
	proto(mIPv6, "Internet Protocol Version 6", "ipv6"),
	meta(mIPv6Src, vIPv6, "Source Address", "ipv6.src", "FT_IPv6", "ipv6", "", "Source IPv6 Address"),
	meta(mIPv6Dst, vIPv6, "Destination Address", "ipv6.dst", "FT_IPv6", "ipv6", "", "Destination IPv6 Address"),
	meta(mIPv6Addr, vIPv6, "Source or Destination Address", "ipv6.addr", "FT_IPv6", "ipv6", "", ""),
	proto(mTCP, "Transmission Control Protocol", "tcp"),
	meta(mTCPSrcPort, vUint, "Source Port", "tcp.srcport", "FT_UINT16", "tcp", "BASE_PT_TCP", ""),
	meta(mTCPDstPort, vUint, "Destination Port", "tcp.dstport", "FT_UINT16", "tcp", "BASE_PT_TCP", ""),
	meta(mTCPPort, vUint, "Source or Destination Port", "tcp.port", "FT_UINT16", "tcp", "BASE_PT_TCP", ""),
	meta(mTCPStream, vUint, "Stream index", "tcp.stream", "FT_UINT32", "tcp", "BASE_DEC", ""),
}

// Vocabulary lists every name a filter and -e accept: the protocols, the
// frame/IP/TCP fields, every field of the registry, the generated fields
// of the connection stage and the expert ids
// (dissect.ExpertIDs: a filter tests them by presence),
// in tshark -G fields' order (a protocol, then its fields).
func Vocabulary() []FieldInfo {
	var out []FieldInfo
	for _, m := range metaFields {
		out = append(out, m.info)
	}
	out = append(out, FieldInfo{Protocol: true, Name: "MQ Telemetry Transport Protocol", Abbrev: "mqtt"})
	for _, d := range dissect.Fields() {
		out = append(out, FieldInfo{Name: d.Name, Abbrev: d.Abbrev, Type: d.TypeName(), Parent: d.Protocol(),
			Base: d.BaseName(), Mask: d.Mask})
	}
	for _, g := range genFields {
		out = append(out, g.info)
	}
	for _, e := range dissect.ExpertIDs() {
		out = append(out, FieldInfo{Name: e.Summary, Abbrev: e.ID, Type: "FT_NONE", Parent: "mqtt"})
	}
	return out
}

// ref is a resolved field name.
type ref struct {
	name   string
	t      vtype
	src    source
	meta   metaID
	gen    genID
	def    *dissect.FieldDef // srcTree
	sliced bool              // a slice follows: values are bytes
	slice  sliceSpec
	fn     fnKind // len() or count() around the field
}

// fnKind is a function applied to a field.
type fnKind uint8

const (
	fnNone  fnKind = iota
	fnLen          // the length in bytes of each value
	fnCount        // how many values there are
)

func (r *ref) fnName() string {
	if r.fn == fnCount {
		return "count"
	}
	return "len"
}

// resultType is what a test of the reference compares: a number for the
// functions, else the (sliced) value.
func (r *ref) resultType() vtype {
	if r.fn != fnNone {
		return vUint
	}
	return r.valueType()
}

// valueType is what the reference yields after its slice.
func (r *ref) valueType() vtype {
	if r.sliced {
		return vBytes
	}
	return r.t
}

// resolve finds a field by name.
func resolve(name string) (ref, bool) {
	if name == "mqtt" {
		return ref{name: name, t: vNone, src: srcMQTT}, true
	}
	if d, ok := dissect.Lookup(name); ok {
		return ref{name: name, t: kindType(d.Kind), src: srcTree, def: d}, true
	}
	for _, m := range metaFields {
		if m.info.Abbrev == name {
			return ref{name: name, t: m.t, src: srcMeta, meta: m.id}, true
		}
	}
	for _, g := range genFields {
		if g.info.Abbrev == name {
			return ref{name: name, t: g.t, src: srcGen, gen: g.id}, true
		}
	}
	if _, ok := dissect.LookupExpert(name); ok {
		return ref{name: name, t: vNone, src: srcExpert}, true
	}
	return ref{}, false
}

func kindType(k dissect.Kind) vtype {
	switch k {
	case dissect.KindUint:
		return vUint
	case dissect.KindBool:
		return vBool
	case dissect.KindString:
		return vString
	case dissect.KindBytes:
		return vBytes
	}
	return vNone
}

// suggest returns up to three known names nearest to name (edit distance),
// for "did you mean".
func suggest(name string) []string {
	type cand struct {
		s string
		d int
	}
	var cs []cand
	limit := max(2, len(name)/4)
	for _, f := range Vocabulary() {
		d := editDistance(name, f.Abbrev)
		if d <= limit || (len(name) >= 6 && strings.HasPrefix(f.Abbrev, name)) {
			cs = append(cs, cand{f.Abbrev, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs {
		if len(out) == 3 {
			break
		}
		out = append(out, c.s)
	}
	return out
}

// editDistance is Levenshtein's distance over bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
