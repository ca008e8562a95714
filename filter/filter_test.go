package filter

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Test packets: a 3.1.1 CONNECT (clean session, user, password), a QoS 1
// PUBLISH with retain on "sensors/temp", and a 5.0 PUBLISH with properties.
const (
	hexConnect   = "10 26 00 04 4D 51 54 54 04 C2 00 3C 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6D 69 6E 00 08 70 61 73 73 77 6F 72 64"
	hexPublish   = "33 17 00 0c 73 65 6e 73 6f 72 73 2f 74 65 6d 70 00 07 7b 22 74 22 3a 31 7d"
	hexPublish5  = "30 12 00 03 61 2f 62 0a 23 00 05 26 00 01 6b 00 01 76 68 69"
	hexSubscribe = "82 0e 00 02 00 03 61 2f 62 01 00 03 63 2f 64 02"
)

func packet(t testing.TB, h string, v dissect.Version) *Packet {
	t.Helper()
	s := dissect.NewSession(v)
	p := s.Dissect(mustHex(t, h), dissect.ToServer)
	return &Packet{
		MQTT: p, Frame: 7, Time: time.Unix(1700000000, 250000000), Rel: 1500 * time.Millisecond,
		FrameLen: 120, Stream: 3,
		Src: netip.MustParseAddrPort("10.1.2.3:50000"), Dst: netip.MustParseAddrPort("192.168.0.9:1883"),
	}
}

func TestTestPacketsAreClean(t *testing.T) {
	for _, h := range []string{hexConnect, hexPublish, hexPublish5, hexSubscribe} {
		v := dissect.V311
		if h == hexPublish5 {
			v = dissect.V5
		}
		if ex := packet(t, h, v).MQTT.Experts(); len(ex) > 0 {
			t.Errorf("%s: findings %v", h, ex[0])
		}
	}
}

// TestEval runs each operator and literal kind over the test packets.
func TestEval(t *testing.T) {
	con := packet(t, hexConnect, dissect.V311)
	pub := packet(t, hexPublish, dissect.V311)
	pub5 := packet(t, hexPublish5, dissect.V5)
	sub := packet(t, hexSubscribe, dissect.V311)
	v6 := packet(t, hexPublish, dissect.V311)
	v6.Src, v6.Dst = netip.MustParseAddrPort("[2001:db8::1]:40000"), netip.MustParseAddrPort("[::1]:1883")
	guessed := packet(t, hexPublish, dissect.VersionUnknown) // no CONNECT: version guessed
	pasted := packet(t, hexPublish, dissect.V311)
	pasted.Frame = 0
	tests := []struct {
		expr string
		p    *Packet
		want bool
	}{
		// presence
		{"mqtt", pub, true},
		{"mqtt.topic", pub, true},
		{"mqtt.topic", con, false},
		{"!mqtt.topic", con, true},
		{"not mqtt.topic", con, true},
		{"mqtt.properties", pub5, true},
		{"mqtt.properties", pub, false},
		{"frame", pub, true},
		{"frame", pasted, false},
		{"frame.number == 7", pasted, false},
		{"ip", pub, true},
		{"ipv6", pub, false},
		{"ipv6", v6, true},
		{"tcp", pub, true},
		// integers: decimal, hex, octal, binary, char, value names
		{"mqtt.qos == 1", pub, true},
		{"mqtt.qos eq 1", pub, true},
		{"mqtt.qos == 0x1", pub, true},
		{"mqtt.msgid == 07", pub, true},
		{"mqtt.msgid == 010", pub, false},
		{"mqtt.msgid == 0b111", pub, true},
		{"mqtt.hdrflags == 0x33", pub, true},
		{"mqtt.hdrflags == 51", pub, true},
		{"mqtt.msgtype == 3", pub, true},
		{"mqtt.msgtype == \"Publish Message\"", pub, true},
		{"mqtt.msgtype == \"publish message\"", pub, true},
		{"mqtt.kalive == 60", con, true},
		{"mqtt.kalive != 60", con, false},
		{"mqtt.kalive ne 61", con, true},
		{"mqtt.kalive > 59 && mqtt.kalive < 61", con, true},
		{"mqtt.kalive >= 60 and mqtt.kalive <= 60", con, true},
		{"mqtt.kalive gt 60 or mqtt.kalive lt 60", con, false},
		{"mqtt.kalive ge 60 and mqtt.kalive le 60", con, true},
		{"mqtt.kalive > -1", con, true},
		{"mqtt.kalive == -1", con, false},
		{"mqtt.qos == 'A'", pub, false},
		{"mqtt.len == 23", pub, true},
		// booleans
		{"mqtt.retain == True", pub, true},
		{"mqtt.retain == 1", pub, true},
		{"mqtt.retain == False", pub, false},
		{"mqtt.retain == 0", pub5, true},
		{"mqtt.conflag.cleansess", con, true},
		{"mqtt.conflag.cleansess == 1", con, true},
		{"mqtt.conflag.cleansess > 0", con, true},
		{"mqtt.conflag.willflag == 0", con, true},
		// strings
		{"mqtt.topic == \"sensors/temp\"", pub, true},
		{"mqtt.topic == \"sensors\\x2ftemp\"", pub, true},
		{"mqtt.topic == r\"sensors/temp\"", pub, true},
		{"mqtt.clientid == 123456789", con, true},
		{"mqtt.topic > \"sensors/a\"", pub, true},
		{"mqtt.topic < \"sensors/a\"", pub, false},
		{"mqtt.topic contains \"sors\"", pub, true},
		{"mqtt.topic contains \"x\"", pub, false},
		{"mqtt.topic matches \"^sensors/\"", pub, true},
		{"mqtt.topic matches \"^SENSORS/\"", pub, true},
		{"mqtt.topic matches \"(?-i)^SENSORS/\"", pub, false},
		{"mqtt.topic ~ \"te.p$\"", pub, true},
		{"mqtt.passwd == \"password\"", con, true},
		{"mqtt.username == admin", con, true},
		// bytes and slices
		{"mqtt.msg == 7b:22:74:22:3a:31:7d", pub, true},
		{"mqtt.msg == 7b2274223a317d", pub, true},
		{"mqtt.msg[0:2] == 7b:22", pub, true},
		{"mqtt.msg[0:2] == 7b.22", pub, true},
		{"mqtt.msg[0:2] == 7b-22", pub, true},
		{"mqtt.msg[0] == 7b", pub, true},
		{"mqtt.msg[0] == '{'", pub, true},
		{"mqtt.msg[0:2] == \"{\\\"\"", pub, true},
		{"mqtt.msg[1-2] == 22:74", pub, true},
		{"mqtt.msg[:2] == 7b:22", pub, true},
		{"mqtt.msg[5:] == 31:7d", pub, true},
		{"mqtt.msg[-1] == 7d", pub, true},
		{"mqtt.msg[0:100] == 7b", pub, false},
		{"mqtt.msg contains 74:22", pub, true},
		{"mqtt.msg contains \"t\\\"\"", pub, true},
		{"mqtt.msg matches \"\\\"t\\\":1\"", pub, true},
		{"mqtt.topic[0:7] == \"sensors\"", pub, true},
		{"mqtt.topic[0] == 73", pub, true},
		{"mqtt[0] == 33", pub, true},
		{"mqtt[0:2] == 33:17", pub, true},
		{"mqtt.properties[0] == 0a", pub5, true},
		{"len(mqtt.topic) == 12", pub, true},
		{"len(mqtt.msg) > 6", pub, true},
		{"len(mqtt.kalive) == 2", con, true},
		{"len(mqtt) == 25", pub, true},
		// repeated fields: any/all
		{"mqtt.topic == \"a/b\"", sub, true},
		{"mqtt.topic == \"c/d\"", sub, true},
		{"mqtt.topic != \"a/b\"", sub, false},
		{"mqtt.topic ~= \"a/b\"", sub, true},
		{"mqtt.topic any_ne \"a/b\"", sub, true},
		{"mqtt.topic === \"a/b\"", sub, false},
		{"mqtt.topic all_eq \"a/b\"", sub, false},
		{"mqtt.topic != \"x\"", sub, true},
		{"mqtt.topic != \"x\"", con, false},
		{"mqtt.sub.qos === 1", sub, false},
		{"mqtt.sub.qos > 1", sub, true},
		{"count(mqtt.topic) == 2", sub, true},
		{"count(mqtt.topic) == 0", con, true},
		{"tcp.port == 1883", pub, true},
		{"tcp.port == 50000", pub, true},
		{"tcp.port != 1883", pub, false},
		{"tcp.srcport == 1883", pub, false},
		{"tcp.dstport == 1883", pub, true},
		{"tcp.stream == 3", pub, true},
		// sets
		{"mqtt.msgtype in {1, 3}", pub, true},
		{"mqtt.msgtype in {1, 2}", pub, false},
		{"mqtt.msgtype in {1..3}", pub, true},
		{"mqtt.msgtype in {4..9, 0}", pub, false},
		{"mqtt.topic in {\"x\", \"sensors/temp\"}", pub, true},
		{"mqtt.topic in {\"c\"..\"d\"}", sub, true},
		{"ip.addr in {10.1.2.3, 1.1.1.1}", pub, true},
		{"frame.time_relative in {1..2}", pub, true},
		// properties and resolved topics
		{"mqtt.property.topic_alias == 5", pub5, true},
		{"mqtt.property.user_property == \"k=v\"", pub5, true},
		{"mqtt.prop_key == k && mqtt.prop_value == v", pub5, true},
		{"mqtt.property_id == 0x23", pub5, true},
		// frame, IP, TCP
		{"frame.number == 7", pub, true},
		{"frame.len == 120", pub, true},
		{"frame.time_relative == 1.5", pub, true},
		{"frame.time_relative > 1.4999", pub, true},
		{"frame.time_relative < 1", pub, false},
		{"frame.time_epoch == 1700000000.25", pub, true},
		{"ip.src == 10.1.2.3", pub, true},
		{"ip.dst == 192.168.0.9", pub, true},
		{"ip.addr == 192.168.0.9", pub, true},
		{"ip.addr == 10.0.0.0/8", pub, true},
		{"ip.src == 192.168.0.0/16", pub, false},
		{"ip.src != 10.1.2.3", pub, false},
		{"ip.src > 10.1.2.2", pub, true},
		{"ipv6.src == 2001:db8::1", v6, true},
		{"ipv6.addr == ::1", v6, true},
		{"ipv6.addr == 2001:db8::/32", v6, true},
		{"ipv6.dst == ::2", v6, false},
		{"ip.src == 10.1.2.3", v6, false},
		// logic and precedence: and binds tighter than or
		{"mqtt.qos == 0 or mqtt.qos == 1 and mqtt.retain", pub, true},
		{"mqtt.qos == 1 or mqtt.qos == 0 and mqtt.retain == 0", pub, true},
		{"(mqtt.qos == 1 or mqtt.qos == 0) and mqtt.retain == 0", pub, false},
		{"!(mqtt.qos == 1) || mqtt.dupflag", pub, true}, // a flag that is not set is present
		{"!(mqtt.qos == 1) || mqtt.dupflag == 1", pub, false},
		{"not not mqtt", pub, true},
		{"mqtt.msgtype == 3 && mqtt.qos > 0 && mqtt.topic matches \"^sensors/\"", pub, true},
		// expert ids
		{"mqtt.unknown_version", pub, false},
		{"mqtt.unknown_version", guessed, true},
		{"!mqtt.unknown_version", guessed, false},
		{"mqtt.expert.connect_reserved_flag", pub, false},
	}
	for _, tt := range tests {
		f, err := Compile(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := f.Match(tt.p); got != tt.want {
			t.Errorf("%s on %s: got %v, want %v", tt.expr, tt.p.MQTT.InfoText(), got, tt.want)
		}
	}
}

// Expert ids are tested by presence of a finding with that id.
func TestExpertID(t *testing.T) {
	p := packet(t, hexPublish, dissect.V311)
	// A hand-built packet: its findings are read from the tree.
	fields := p.MQTT.Fields
	fields[0].Expert = []*dissect.Expert{{ID: "mqtt.expert.connect_reserved_flag", Severity: dissect.SevNote, Message: "x"}}
	p.MQTT = &dissect.Packet{Raw: p.MQTT.Raw, Fields: fields}
	for expr, want := range map[string]bool{
		"mqtt.expert.connect_reserved_flag":                  true,
		"!mqtt.expert.connect_reserved_flag":                 false,
		"mqtt.expert.bytes_left_over":                        false,
		"mqtt.unknown_version":                               false,
		"mqtt.expert.connect_reserved_flag && mqtt.qos == 1": true,
	} {
		f, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(p); got != want {
			t.Errorf("%s: got %v, want %v", expr, got, want)
		}
	}
}

// TestGeneratedFields: the connection stage's fields read from Packet.Gen,
// present only where the analysis found them, typed as frame numbers and
// relative times.
func TestGeneratedFields(t *testing.T) {
	ack := packet(t, hexPublish, dissect.V311)
	ack.Gen = Generated{ResponseTo: 5, Latency: 250 * time.Microsecond}
	comp := packet(t, hexPublish, dissect.V311)
	comp.Gen = Generated{ResponseTo: 6, Latency: time.Millisecond, FlowStart: 3, FlowTime: 3 * time.Millisecond}
	fwd := packet(t, hexPublish, dissect.V311)
	fwd.Gen = Generated{ForwardedFrom: 2, ForwardLatency: 40 * time.Microsecond, Retained: true}
	will := packet(t, hexPublish, dissect.V311)
	will.Gen = Generated{WillOf: 1, ForwardLatency: 2 * time.Second}
	plain := packet(t, hexPublish, dissect.V311)
	tests := []struct {
		expr string
		p    *Packet
		want bool
	}{
		{"mqtt.latency", ack, true},
		{"mqtt.latency", plain, false},
		{"mqtt.latency", fwd, false},
		{"mqtt.latency > 0.0001", ack, true},
		{"mqtt.latency > 0.0003", ack, false},
		{"mqtt.latency == 0.00025", ack, true},
		{"mqtt.response_to == 5", ack, true},
		{"mqtt.response_to < 5", ack, false},
		{"mqtt.response_to", plain, false},
		{"mqtt.flow_start == 3 && mqtt.flow_time >= 0.003", comp, true},
		{"mqtt.flow_time", ack, false},
		{"mqtt.forwarded_from == 2 && mqtt.forward_latency < 0.001", fwd, true},
		{"mqtt.retained_copy", fwd, true},
		{"mqtt.retained_copy", ack, false},
		{"mqtt.will_of == 1 && mqtt.forward_latency == 2", will, true},
		{"mqtt.forwarded_from", will, false},
		{"mqtt.response_to || mqtt.forwarded_from", plain, false},
	}
	for _, tc := range tests {
		f, err := Compile(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if f.NeedsTree() {
			t.Errorf("%s needs the tree", tc.expr)
		}
		if got := f.Match(tc.p); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.expr, got, tc.want)
		}
	}
	for _, tc := range []struct {
		field string
		p     *Packet
		want  []Value
	}{
		{"mqtt.response_to", ack, []Value{{Kind: ValueUint, Uint: 5}}},
		{"mqtt.latency", ack, []Value{{Kind: ValueTime, Dur: 250 * time.Microsecond}}},
		{"mqtt.latency", plain, nil},
		{"mqtt.flow_time", comp, []Value{{Kind: ValueTime, Dur: 3 * time.Millisecond}}},
		{"mqtt.forward_latency", will, []Value{{Kind: ValueTime, Dur: 2 * time.Second}}},
		{"mqtt.retained_copy", fwd, []Value{{Kind: ValueBool, Bool: true}}},
	} {
		f, err := ParseField(tc.field)
		if err != nil {
			t.Fatal(err)
		}
		got := f.Values(tc.p, nil)
		same := len(got) == len(tc.want)
		for i := range got {
			g, w := got[i], tc.want[i]
			same = same && g.Kind == w.Kind && g.Uint == w.Uint && g.Bool == w.Bool && g.Dur == w.Dur
		}
		if !same {
			t.Errorf("-e %s: %+v, want %+v", tc.field, got, tc.want)
		}
	}
	if _, err := Compile(`mqtt.latency == "x"`); err == nil {
		t.Error("a string compared with a time compiled")
	}
	seen := map[string]string{}
	for _, f := range Vocabulary() {
		seen[f.Abbrev] = f.Type
	}
	for name, typ := range map[string]string{"mqtt.latency": "FT_RELATIVE_TIME", "mqtt.response_to": "FT_FRAMENUM",
		"mqtt.flow_time": "FT_RELATIVE_TIME", "mqtt.forwarded_from": "FT_FRAMENUM", "mqtt.forward_latency": "FT_RELATIVE_TIME"} {
		if seen[name] != typ {
			t.Errorf("-G fields: %s is %q, want %s", name, seen[name], typ)
		}
	}
}
