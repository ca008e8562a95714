package dissect

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/testenv"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad test hex %q: %v", s, err)
	}
	return b
}

// values flattens a packet to abbrev -> ValueText of every node, in order.
func values(p *Packet) map[string][]string {
	m := map[string][]string{}
	for _, f := range p.Fields {
		f.Walk(func(n *Node) { m[n.Def.Abbrev] = append(m[n.Def.Abbrev], n.ValueText()) })
	}
	return m
}

func TestFrameHeadRemainingLength(t *testing.T) {
	cases := []struct {
		hex    string
		status FrameStatus
		hdr    int
		rem    int
	}{
		{"c0 00", FrameComplete, 2, 0},
		{"30 7f", FrameNeedMore, 2, 127},
		{"30 80 01", FrameNeedMore, 3, 128},
		{"30 ff 7f", FrameNeedMore, 3, 16383},
		{"30 80 80 01", FrameNeedMore, 4, 16384},
		{"30 ff ff 7f", FrameNeedMore, 4, 2097151},
		{"30 80 80 80 01", FrameNeedMore, 5, 2097152},
		{"30 ff ff ff 7f", FrameNeedMore, 5, 268435455},
		{"30 80 80 80 80 01", FrameMalformed, 0, -1},
		{"30 80 00", FrameNeedMore, 3, 0}, // non-minimal but decodable: the dissector flags it
		{"30", FrameNeedMore, 0, -1},
		{"30 80", FrameNeedMore, 0, -1},
		{"30 80 80 80", FrameNeedMore, 0, -1},
	}
	for _, c := range cases {
		f := FrameHead(mustHex(t, c.hex))
		if c.hex == "30 80 00" {
			c.status = FrameComplete
		}
		if f.Status != c.status || f.HeaderLen != c.hdr || f.Remaining != c.rem {
			t.Errorf("%s: got status %d hdr %d rem %d, want %d %d %d", c.hex, f.Status, f.HeaderLen, f.Remaining, c.status, c.hdr, c.rem)
		}
	}
}

// Every prefix of a valid packet is "need more" and dissects without panic
// into a consistent tree that says how many bytes are missing.
func TestTruncationAtEveryByte(t *testing.T) {
	full := mustHex(t, designConnect)
	for i := 0; i < len(full); i++ {
		if st := FrameHead(full[:i]).Status; st != FrameNeedMore {
			t.Fatalf("prefix %d: status %d, want need-more", i, st)
		}
		p := NewSession(VersionUnknown).Dissect(full[:i], DirUnknown)
		if err := p.Check(); err != nil {
			t.Fatalf("prefix %d: %v", i, err)
		}
		if i >= 2 && p.Missing != len(full)-i {
			t.Errorf("prefix %d: Missing %d, want %d", i, p.Missing, len(full)-i)
		}
		if i >= 2 && i < len(full) && !p.Malformed {
			t.Errorf("prefix %d: truncated packet not marked malformed", i)
		}
	}
}

const designConnect = "10 26 00 04 4D 51 54 54 04 C2 00 3C 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6D 69 6E 00 08 70 61 73 73 77 6F 72 64"

type tcase struct {
	name    string
	ver     Version // VersionUnknown: learn or guess
	hex     string
	want    map[string]string // abbrev -> ValueText of its first node ("" key absent check via absent)
	absent  []string
	experts []string // substrings that must appear among the findings, in any order
	clean   bool     // no findings except the guess note
	info    string
}

var cases = []tcase{
	{name: "connect 3.1.1 design", hex: designConnect, clean: true,
		want: map[string]string{"mqtt.kalive": "60", "mqtt.clientid": "123456789", "mqtt.username": "admin",
			"mqtt.passwd": "password", "mqtt.conflag.uname": "Set", "mqtt.conflag.cleansess": "Set",
			"mqtt.conflag.willflag": "Not set", "mqtt.ver": "MQTT v3.1.1 (4)", "mqtt.len": "38", "mqtt.msgtype": "Connect Command (1)"},
		info: "Connect Command [client id: 123456789]"},
	{name: "connect 3.1 with will", hex: "10 1f 00 06 4d 51 49 73 64 70 03 2e 00 0a 00 03 61 62 63 00 03 77 2f 74 00 04 64 65 61 64 00 00",
		want: map[string]string{"mqtt.protoname": "MQIsdp", "mqtt.willtopic": "w/t", "mqtt.willmsg": "64656164",
			"mqtt.conflag.qos": "At least once delivery (Acknowledged deliver) (1)", "mqtt.conflag.retain": "Set"},
		experts: []string{"left over"}},
	{name: "connect reserved flag and name mismatch", hex: "10 0c 00 04 4d 51 54 54 03 03 00 3c 00 00",
		experts: []string{"reserved connect flag", "does not match level", "MQTT 3.1 requires a client identifier"}},
	{name: "connack 3.1.1 refused", ver: V311, hex: "20 02 00 05",
		want: map[string]string{"mqtt.conack.flags.sp": "Not set", "mqtt.conack.val": "Connection Refused: not authorized (5)"},
		info: "Connect Ack (Connection Refused: not authorized)", clean: true},
	{name: "connack 3.1.1 refused with session present", ver: V311, hex: "20 02 01 05",
		want:    map[string]string{"mqtt.conack.flags.sp": "Set"},
		experts: []string{"session present must be 0 when the connection is refused [MQTT-3.2.2-4]"}},
	{name: "connack 5.0 refused with session present", ver: V5, hex: "20 03 01 87 00",
		experts: []string{"session present must be 0 when the connection is refused [MQTT-3.2.2-6]"}},
	{name: "connect 3.1.1 empty client id, clean session 0", ver: V311, hex: "10 0c 00 04 4d 51 54 54 04 00 00 3c 00 00",
		info: "Connect Command [client id: ]", experts: []string{"zero-byte client identifier requires Clean Session 1 [MQTT-3.1.3-7]"}},
	{name: "connect 3.1.1 empty client id, clean session 1", ver: V311, hex: "10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00",
		info: "Connect Command [client id: ]", clean: true},
	{name: "connect 5.0 empty client id, clean start 0", ver: V5, hex: "10 0d 00 04 4d 51 54 54 05 00 00 3c 00 00 00", clean: true},
	{name: "connect truncated before the client id", ver: V311, hex: "10 0c 00 04 4d 51 54 54 04 02 00 3c",
		info: "Connect Command", experts: []string{"Client ID Length needs 2 bytes, packet truncated after 12 bytes"}},
	{name: "suback 3.1.1 mixed return codes", ver: V311, hex: "90 05 00 01 00 01 80",
		info: "Subscribe Ack (id=1) [0x00, 0x01, 0x80 Failure]", clean: true},
	{name: "suback 5.0 mixed reason codes", ver: V5, hex: "90 06 00 01 00 00 02 87",
		info: "Subscribe Ack (id=1) [0x00, 0x02, 0x87 Not authorized]", clean: true},
	{name: "suback 3.1.1 all failures", ver: V311, hex: "90 04 00 01 80 80",
		info: "Subscribe Ack (id=1) (Failure)", clean: true},
	{name: "connack 3.1.1 needs 1 byte", ver: V311, hex: "20 01 00",
		experts: []string{"needs 1 byte, 0 left"}},
	{name: "publish qos0 retain", ver: V311, hex: "31 15 00 06 74 65 73 74 2f 61 68 65 6c 6c 6f 20 77 6f 72 6c 64 21 21",
		want:   map[string]string{"mqtt.topic": "test/a", "mqtt.retain": "Set", "mqtt.msg": "68656c6c6f20776f726c642121"},
		absent: []string{"mqtt.msgid"}, clean: true, info: "Publish Message [test/a]"},
	{name: "publish qos3", ver: V311, hex: "36 07 00 01 74 00 01 68 69", experts: []string{"QoS 3 is reserved"}},
	{name: "publish wildcard topic", ver: V311, hex: "30 05 00 03 61 2f 23", experts: []string{"wildcard"}},
	{name: "publish invalid utf8", ver: V311, hex: "30 04 00 02 c3 28", experts: []string{"not valid UTF-8"}},
	{name: "publish nul in topic", ver: V311, hex: "30 04 00 02 61 00", experts: []string{"U+0000"}},
	{name: "publish empty topic 3.1.1", ver: V311, hex: "30 02 00 00", experts: []string{"zero-length topic"}},
	{name: "publish topic length past end", ver: V311, hex: "30 04 00 09 61 62", experts: []string{"runs past the end"}},
	{name: "publish packet id 0", ver: V311, hex: "32 05 00 01 74 00 00", experts: []string{"packet identifier 0"}},
	{name: "puback 3.1.1", ver: V311, hex: "40 02 00 07", want: map[string]string{"mqtt.msgid": "7"}, clean: true, info: "Publish Ack (id=7)"},
	{name: "puback extra bytes 3.1.1", ver: V311, hex: "40 03 00 07 00", experts: []string{"left over"}},
	{name: "puback 5 short", ver: V5, hex: "40 02 00 07", clean: true, absent: []string{"mqtt.puback.reason_code"}},
	{name: "puback 5 reason only", ver: V5, hex: "40 03 00 07 10", clean: true,
		want: map[string]string{"mqtt.puback.reason_code": "No matching subscribers (16)"}, info: "Publish Ack (id=7) (No matching subscribers)"},
	{name: "pubrec 5 reason and reason string", ver: V5, hex: "50 0a 00 07 80 06 1f 00 03 62 61 64",
		want: map[string]string{"mqtt.pubrec.reason_code": "Unspecified error (128)", "mqtt.property.reason_string": "bad"}, clean: true},
	{name: "pubrel wrong flags", ver: V311, hex: "60 02 00 01", experts: []string{"must be 0010"}},
	{name: "subscribe 3.1.1", ver: V311, hex: "82 09 00 01 00 04 74 65 73 74 01",
		want: map[string]string{"mqtt.sub.qos": "At least once delivery (Acknowledged deliver) (1)", "mqtt.topic": "test"}, clean: true,
		info: "Subscribe Request (id=1) [test]"},
	{name: "subscribe 5 options", ver: V5, hex: "82 0c 00 02 02 0b 05 00 03 61 2f 23 2e",
		want: map[string]string{"mqtt.subscription_options_qos": "Exactly once delivery (Assured Delivery) (2)",
			"mqtt.subscription_options_nl": "Set", "mqtt.subscription_options_rap": "Set",
			"mqtt.subscription_options_retain":      "Do not send msgs at subscription time (2)",
			"mqtt.property.subscription_identifier": "5"}, clean: true},
	{name: "subscribe 5 reserved option bits", ver: V5, hex: "82 08 00 02 00 00 01 61 c0", experts: []string{"reserved subscription option bits"}},
	{name: "subscribe bad filter", ver: V311, hex: "82 08 00 02 00 03 61 23 62 00", experts: []string{"'#' must be alone"}},
	{name: "suback 3.1.1", ver: V311, hex: "90 04 00 01 00 80", want: map[string]string{"mqtt.suback.qos": "At most once delivery (Fire and Forget) (0)"}, clean: true},
	{name: "suback 5", ver: V5, hex: "90 05 00 01 00 02 a2", want: map[string]string{"mqtt.suback.reason_code": "Granted QoS 2 (2)"}, clean: true},
	{name: "unsubscribe 3.1.1", ver: V311, hex: "a2 05 00 03 00 01 78", want: map[string]string{"mqtt.topic": "x"}, clean: true},
	{name: "unsuback 5", ver: V5, hex: "b0 04 00 03 00 11", want: map[string]string{"mqtt.unsuback.reason_code": "No subscription existed (17)"}, clean: true},
	{name: "pingreq", ver: V311, hex: "c0 00", clean: true, info: "Ping Request"},
	{name: "pingresp extra", ver: V311, hex: "d0 01 00", experts: []string{"left over"}},
	{name: "disconnect 5 empty", ver: V5, hex: "e0 00", clean: true},
	{name: "disconnect 5 reason props", ver: V5, hex: "e0 07 8e 05 11 00 00 00 0a",
		want: map[string]string{"mqtt.disconnect.reason_code": "Session taken over (142)", "mqtt.property.session_expiry_interval": "10"}, clean: true},
	{name: "auth 5", ver: V5, hex: "f0 0e 18 0c 15 00 04 53 43 52 4d 16 00 02 01 02",
		want: map[string]string{"mqtt.auth.reason_code": "Continue authentication (24)", "mqtt.property.authentication_method": "SCRM",
			"mqtt.property.authentication_data": "0102"}, clean: true},
	{name: "type 15 in 3.1.1", ver: V311, hex: "f0 00", experts: []string{"reserved before MQTT 5.0"}},
	{name: "type 0", ver: V311, hex: "00 00", experts: []string{"packet type 0 is reserved"}},
	{name: "remaining length too long", ver: V311, hex: "30 80 80 80 80 01", experts: []string{"longer than 4 bytes"}},
	{name: "remaining length non-minimal", ver: V311, hex: "c0 80 00", experts: []string{"non-minimal"}},
	{name: "property not allowed", ver: V5, hex: "40 08 00 01 00 04 13 00 0a 00", experts: []string{"Server Keep Alive is not allowed in Publish Ack"}},
	{name: "duplicate property", ver: V5, hex: "e0 0c 00 0a 11 00 00 00 01 11 00 00 00 02", experts: []string{"more than once"}},
	{name: "property length past packet", ver: V5, hex: "e0 03 00 09 11", experts: []string{"runs past the end"}},
	{name: "unknown property", ver: V5, hex: "e0 04 00 02 7e 00", experts: []string{"unknown property identifier 0x7e"}},
	{name: "user properties repeated", ver: V5, hex: "e0 14 00 12 26 00 01 61 00 01 62 26 00 01 61 00 02 63 64 1f 00 00",
		want: map[string]string{"mqtt.property.user_property": "a: b", "mqtt.prop_key": "a"}, clean: true},
	{name: "connect 5 with properties and will properties",
		hex: "10 2e 00 04 4d 51 54 54 05 06 00 3c 05 11 00 00 00 3c 00 02 69 64 07 18 00 00 00 05 01 01 00 03 77 2f 74 00 02 68 69" +
			" 00 00 00 00 00 00 00 00",
		want: map[string]string{"mqtt.property.session_expiry_interval": "60", "mqtt.property.will_delay_interval": "5",
			"mqtt.property.payload_format_indicator": "1", "mqtt.conflag.cleansess": "Set"},
		experts: []string{"left over"}},
}

func TestDissectCases(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewSession(c.ver).Dissect(mustHex(t, c.hex), ToServer)
			if err := p.Check(); err != nil {
				t.Fatalf("invariants: %v", err)
			}
			vals := values(p)
			for k, want := range c.want {
				got := vals[k]
				if len(got) == 0 || got[0] != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range c.absent {
				if len(vals[k]) > 0 {
					t.Errorf("%s present: %q", k, vals[k])
				}
			}
			var found []string
			for _, e := range p.Experts() {
				if !strings.Contains(e.Message, "guessed") {
					found = append(found, e.String())
				}
			}
			all := strings.Join(found, "\n")
			for _, want := range c.experts {
				if !strings.Contains(all, want) {
					t.Errorf("finding %q missing; got:\n%s", want, all)
				}
			}
			if c.clean && len(found) > 0 {
				t.Errorf("unexpected findings:\n%s", all)
			}
			if c.info != "" && p.InfoText() != c.info {
				t.Errorf("info %q, want %q", p.InfoText(), c.info)
			}
		})
	}
}

func TestSessionLearnsVersionFromConnect(t *testing.T) {
	s := NewSession(VersionUnknown)
	p := s.Dissect(mustHex(t, "10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00"), ToServer)
	if p.Version != V5 || p.VersionSource != SourceConnect || s.Version != V5 {
		t.Fatalf("connect: version %v/%v, session %v", p.Version, p.VersionSource, s.Version)
	}
	ack := s.Dissect(mustHex(t, "20 03 00 00 00"), ToClient)
	if ack.Version != V5 || ack.VersionSource != SourceConnect {
		t.Fatalf("connack: %v/%v", ack.Version, ack.VersionSource)
	}
	if v := values(ack)["mqtt.connack.reason_code"]; len(v) != 1 {
		t.Fatalf("connack decoded without reason code: %v", values(ack))
	}
}

func TestGuessPicksMQTT5WithProperties(t *testing.T) {
	s := NewSession(VersionUnknown)
	// CONNACK with a property block: Topic Alias Maximum 10. As 3.1.1 it has
	// 3 bytes left over; as 5.0 it is clean.
	p := s.Dissect(mustHex(t, "20 06 00 00 03 22 00 0a"), ToClient)
	if p.Version != V5 || p.VersionSource != SourceGuess {
		t.Fatalf("guessed %v/%v", p.Version, p.VersionSource)
	}
	if s.Version != V5 {
		t.Fatalf("session did not keep the evidence-based guess")
	}
	p311 := NewSession(VersionUnknown).Dissect(mustHex(t, "40 02 00 01"), ToClient)
	if p311.Version != V311 || p311.VersionSource != SourceGuess {
		t.Fatalf("plain PUBACK guessed %v/%v, want 3.1.1 guess", p311.Version, p311.VersionSource)
	}
	found := false
	for _, e := range p311.Experts() {
		found = found || strings.Contains(e.Message, "guessed")
	}
	if !found {
		t.Fatal("guess not said in the tree")
	}
}

func TestTopicAliasPerDirection(t *testing.T) {
	s := NewSession(V5)
	// PUBLISH topic "a/b" with alias 3, then an empty topic with alias 3.
	s.Dissect(mustHex(t, "30 0b 00 03 61 2f 62 03 23 00 03 68 69"), ToServer)
	p := s.Dissect(mustHex(t, "30 08 00 00 03 23 00 03 68 69"), ToServer)
	if p.Topic != "a/b" {
		t.Fatalf("alias not resolved: %q", p.Topic)
	}
	var gen *Node
	for _, n := range p.Fields {
		if n.Generated {
			gen = n
		}
	}
	if gen == nil || gen.Value != "a/b" {
		t.Fatalf("no generated topic node")
	}
	other := s.Dissect(mustHex(t, "30 08 00 00 03 23 00 03 68 69"), ToClient)
	if other.Topic != "" {
		t.Fatalf("alias leaked across directions: %q", other.Topic)
	}
	if !strings.Contains(other.Experts()[0].Message, "unknown topic alias") {
		t.Fatalf("unknown alias not reported: %v", other.Experts())
	}
}

// Every abbreviation the dissector can produce is Wireshark's, or lives
// under mqtt.property., or is one of Wireshark's generic names.
func TestAbbreviationsAreWiresharks(t *testing.T) {
	known := map[string]bool{"data.data": true, "_ws.malformed": true}
	f, err := os.Open(filepath.Join(testenv.Reference(t), "tshark-mqtt-fields.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) > 2 {
			known[cols[2]] = true
		}
	}
	check := func(a string) {
		if !known[a] && !strings.HasPrefix(a, "mqtt.property.") {
			t.Errorf("abbreviation %q is neither Wireshark's nor under mqtt.property.", a)
		}
	}
	for _, c := range cases {
		for _, v := range []Version{V31, V311, V5} {
			p := NewSession(v).Dissect(mustHex(t, c.hex), ToServer)
			for _, n := range p.Fields {
				n.Walk(func(n *Node) { check(n.Def.Abbrev) })
			}
		}
	}
	for _, s := range propSpecs {
		check(s.def.Abbrev)
	}
}
