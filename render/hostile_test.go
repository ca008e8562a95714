package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mqttdump/mqttdump/dissect"
	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
)

// Hostile input for the renderer: wire text built to take over a terminal,
// and values at the largest size MQTT allows.

// terminalAttacks are strings a peer could put in any text field.
var terminalAttacks = []string{
	"\x1b[2J\x1b[H",                    // clear screen, cursor home
	"\x1b]52;c;cm0gLXJmIH4=\x07",       // OSC 52: write the clipboard
	"\x1b]0;title\x1b\\",               // OSC set title, ST-terminated
	"\x9b31m",                          // raw 8-bit CSI byte (invalid UTF-8)
	"\u009b31m",                        // CSI as a UTF-8 C1 control
	"\u202eevil\u202c \u2066x\u2069",   // bidi overrides and isolates
	"abc\b\b\bxyz\rover\x00nul\x7fdel", // backspaces, CR, NUL, DEL
	"\xff\xfe\xc0\x80 bad utf8",        // invalid UTF-8
	"line\u2028sep\u2029par\u200bzw",   // line/paragraph separators, zero width
	"\\x1b forged escape",              // a literal backslash must not forge one
}

// attack joins every attack into one text.
func attack() string { return strings.Join(terminalAttacks, "|") }

// attackPackets builds packets of every type that carries wire text, with
// the attack in each text field, as [version, raw] pairs.
func attackPackets() []struct {
	v   dissect.Version
	raw []byte
} {
	a := attack()
	ab := []byte(a)
	props := []enc.Property{enc.UserProperty(a, a), enc.ContentType(a), enc.ResponseTopic(a),
		enc.CorrelationData(ab), enc.PayloadFormatIndicator(1)}
	v5 := []enc.Property{enc.UserProperty(a, a), enc.ReasonString(a)}
	type pk = struct {
		v   dissect.Version
		raw []byte
	}
	out := []pk{
		{dissect.V5, enc.EncodeConnect(enc.Connect{Version: enc.V5, ClientID: a, Username: ab, Password: ab,
			Properties: []enc.Property{enc.UserProperty(a, a), enc.AuthenticationMethod(a), enc.AuthenticationData(ab)},
			Will:       &enc.Will{Topic: a, Payload: ab, Properties: props}})},
		{dissect.V311, enc.EncodeConnect(enc.Connect{Version: enc.V311, ClientID: a, Username: ab, Password: ab,
			Will: &enc.Will{Topic: a, Payload: ab}})},
		{dissect.V31, enc.EncodeConnect(enc.Connect{Version: enc.V31, ClientID: a})},
		{dissect.V5, enc.EncodeConnack(enc.Connack{Version: enc.V5, Properties: []enc.Property{
			enc.AssignedClientIdentifier(a), enc.ReasonString(a), enc.ResponseInformation(a), enc.ServerReference(a), enc.UserProperty(a, a)}})},
		{dissect.V5, enc.EncodePublish(enc.Publish{Version: enc.V5, QoS: 1, PacketID: 1, Topic: a, Properties: props, Payload: ab})},
		{dissect.V311, enc.EncodePublish(enc.Publish{Version: enc.V311, Topic: a, Payload: ab})},
		{dissect.V311, enc.EncodePublish(enc.Publish{Version: enc.V311, Topic: "t", Payload: []byte("\x1b[2Jplain text payload \x1b]52;c;eA==\x07")})},
		{dissect.V5, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 2, Properties: []enc.Property{enc.UserProperty(a, a)},
			Subs: []enc.Subscription{{Filter: a, QoS: 1}}})},
		{dissect.V311, enc.EncodeUnsubscribe(enc.Unsubscribe{Version: enc.V311, PacketID: 3, Filters: []string{a}})},
		{dissect.V5, enc.EncodePuback(enc.Ack{PacketID: 1, Reason: 0x80, Properties: v5})},
		{dissect.V5, enc.EncodeDisconnect(enc.Disconnect{Version: enc.V5, Reason: 0x9c, Properties: append(v5, enc.ServerReference(a))})},
		{dissect.V5, enc.EncodeAuth(enc.Auth{Reason: 0x18, Properties: append(v5, enc.AuthenticationMethod(a), enc.AuthenticationData(ab))})},
	}
	// cut short and with an undecodable tail: the raw bytes still show
	pub := enc.EncodePublish(enc.Publish{Version: enc.V311, Topic: a, Payload: ab})
	out = append(out, pk{dissect.V311, pub[:len(pub)/2]})
	out = append(out, pk{dissect.V5, append(enc.EncodeDisconnect(enc.Disconnect{Version: enc.V5, Reason: 0x04, Full: true}), ab...)})
	return out
}

// terminalUnsafe returns a description of the first thing in s (one line,
// or a whole output with '\n' line ends) a terminal could act on: ESC,
// any C0 control but '\n', DEL, C1 controls (raw or as UTF-8), bidi
// controls, invalid UTF-8.
func terminalUnsafe(s string) string {
	if i := strings.IndexByte(s, 0x1b); i >= 0 {
		return fmt.Sprintf("ESC at byte %d", i)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Sprintf("invalid UTF-8 byte %#x at %d", s[i], i)
		case r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Sprintf("control %U at byte %d", r, i)
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return fmt.Sprintf("bidi control %U at byte %d", r, i)
		}
		i += size
	}
	return ""
}

// ownColour matches exactly the SGR sequences the palette emits.
var ownColour = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestHostileTerminalEscapes: every text view of packets full of terminal
// attacks is safe to print; with colour on, the only escape sequences are
// our SGR colour codes; JSON stays valid and carries the text exactly.
func TestHostileTerminalEscapes(t *testing.T) {
	for _, a := range terminalAttacks[:8] {
		if terminalUnsafe(a) == "" {
			t.Fatalf("the check misses %q", a)
		}
	}
	for i, c := range attackPackets() {
		pk := dissect.NewSession(c.v).Dissect(c.raw, dissect.ToServer)
		if err := pk.Check(); err != nil {
			t.Fatalf("packet %d: invariants: %v", i, err)
		}
		for _, o := range []Options{{MaxValueBytes: 64}, {}, {Color: true, MaxValueBytes: 64}} {
			for name, draw := range map[string]func(p *Printer) error{
				"summary":   func(p *Printer) error { return p.Summary(pk, testMeta) },
				"breakdown": func(p *Printer) error { return p.Breakdown(pk) },
				"hex":       func(p *Printer) error { return p.Hex(pk) },
			} {
				var out bytes.Buffer
				if err := draw(New(&out, o)); err != nil {
					t.Fatalf("packet %d %s: %v", i, name, err)
				}
				text := out.String()
				if o.Color {
					text = ownColour.ReplaceAllString(text, "")
				}
				if why := terminalUnsafe(text); why != "" {
					t.Errorf("packet %d (%s) %s, colour %v: %s in\n%q", i, pk.InfoText(), name, o.Color, why, text)
				}
			}
		}
		var out bytes.Buffer
		if err := New(&out, Options{}).JSON(pk, testMeta); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("packet %d: invalid JSON: %q", i, out.Bytes())
		}
		if bytes.IndexFunc(out.Bytes(), func(r rune) bool { return r < 0x20 && r != '\n' }) >= 0 {
			t.Errorf("packet %d: raw control character in JSON: %q", i, out.Bytes())
		}
	}
}

// TestHostileTerminalEscapesJSONExact: string values that are valid UTF-8
// come back from the JSON exactly as sent, control characters included.
func TestHostileTerminalEscapesJSONExact(t *testing.T) {
	valid := strings.Join([]string{terminalAttacks[0], terminalAttacks[1], terminalAttacks[4], terminalAttacks[5], terminalAttacks[6]}, "|")
	raw := enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: valid, Properties: []enc.Property{enc.UserProperty("k", valid)}})
	pk := dissect.NewSession(dissect.V5).Dissect(raw, dissect.ToServer)
	vals := jsonValues(t, pk)
	if !contains(vals["mqtt.topic"], valid) {
		t.Errorf("topic in JSON = %q, want %q", vals["mqtt.topic"], valid)
	}
	if !contains(vals["mqtt.property.user_property.value"], valid) && !containsSub(vals, valid) {
		t.Errorf("user property value not carried exactly: %q", vals)
	}
}

// jsonValues renders pk as JSON and returns abbrev -> string values.
func jsonValues(t *testing.T, pk *dissect.Packet) map[string][]string {
	t.Helper()
	var out bytes.Buffer
	if err := New(&out, Options{}).JSON(pk, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Fields []jsonField `json:"fields"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("JSON: %v\n%.300s", err, out.Bytes())
	}
	vals := map[string][]string{}
	var walk func([]jsonField)
	walk = func(fs []jsonField) {
		for _, f := range fs {
			if s, ok := f.Value.(string); ok {
				vals[f.Abbrev] = append(vals[f.Abbrev], s)
			}
			walk(f.Children)
		}
	}
	walk(doc.Fields)
	return vals
}

type jsonField struct {
	Abbrev   string      `json:"abbrev"`
	Value    any         `json:"value"`
	Children []jsonField `json:"children"`
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// containsSub reports whether any value of any field equals s.
func containsSub(vals map[string][]string, s string) bool {
	for _, ss := range vals {
		if contains(ss, s) {
			return true
		}
	}
	return false
}

// maxTopic is a 65535-byte topic (the 2-byte length's maximum), valid
// UTF-8 with two-byte runes so a cut can land inside one.
func maxTopic() string {
	var b strings.Builder
	for b.Len() < 65535-3 {
		b.WriteString("a/é/")
	}
	s := b.String()
	return s + strings.Repeat("z", 65535-len(s))
}

// TestHostileMaxLengthTopicRendered: a 65535-byte topic in PUBLISH and
// SUBSCRIBE. The breakdown with MaxValueBytes 64 cuts it (no line carries
// more than 64 bytes of it, a "more bytes" marker says what was left out,
// and the whole breakdown stays small); JSON carries it whole and is valid.
func TestHostileMaxLengthTopicRendered(t *testing.T) {
	topic := maxTopic()
	for _, c := range []struct {
		v   dissect.Version
		raw []byte
	}{
		{dissect.V311, enc.EncodePublish(enc.Publish{Version: enc.V311, QoS: 1, PacketID: 1, Topic: topic, Payload: []byte("p")})},
		{dissect.V5, enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: topic, Payload: []byte("p")})},
		{dissect.V311, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V311, PacketID: 2, Subs: []enc.Subscription{{Filter: topic, QoS: 1}}})},
		{dissect.V5, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 2, Subs: []enc.Subscription{{Filter: topic}}})},
	} {
		{
			pk := dissect.NewSession(c.v).Dissect(c.raw, dissect.ToServer)
			name := fmt.Sprintf("%v %s", c.v, dissect.TypeName(pk.Type))
			var out bytes.Buffer
			if err := New(&out, Options{MaxValueBytes: 64}).Breakdown(pk); err != nil {
				t.Fatal(err)
			}
			bd := out.String()
			if len(bd) > 16<<10 {
				t.Errorf("%s: breakdown of %d bytes for a cut value", name, len(bd))
			}
			if !strings.Contains(bd, "more bytes") {
				t.Errorf("%s: no cut marker in\n%.2000s", name, bd)
			}
			for _, line := range strings.Split(bd, "\n") {
				if n := longestTopicRun(line); n > 64 {
					t.Errorf("%s: a line carries %d bytes of the topic: %.200q", name, n, line)
				}
			}
			if why := terminalUnsafe(bd); why != "" {
				t.Errorf("%s: %s", name, why)
			}
			vals := jsonValues(t, pk)
			if !contains(vals["mqtt.topic"], topic) && !contains(vals["mqtt.sub.topic"], topic) && !containsSub(vals, topic) {
				t.Errorf("%s: JSON does not carry the 65535-byte topic whole", name)
			}
			out.Reset()
			if err := New(&out, Options{MaxValueBytes: 64}).Summary(pk, testMeta); err != nil {
				t.Fatal(err)
			}
			// Not cut by MaxValueBytes (Wireshark's Info is not either):
			// logged so a change is visible.
			t.Logf("%s: summary line of %d bytes", name, out.Len())
		}
	}
}

// longestTopicRun is the longest run of maxTopic's alphabet in line.
func longestTopicRun(line string) int {
	best, run := 0, 0
	for _, r := range line {
		if r == 'a' || r == '/' || r == 'é' || r == 'z' {
			run += utf8.RuneLen(r)
			best = max(best, run)
			continue
		}
		run = 0
	}
	return best
}
