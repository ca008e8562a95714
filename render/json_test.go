package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mqttdump/mqttdump/dissect"
)

var testMeta = &Meta{
	Frame: 3, Time: time.Date(2024, 5, 1, 12, 0, 0, 412000, time.FixedZone("CEST", 7200)),
	Rel: 412 * time.Microsecond, Src: netip.MustParseAddrPort("127.0.0.1:52514"), Dst: netip.MustParseAddrPort("127.0.0.1:1883"), Stream: 0,
}

func jsonOf(t *testing.T, pk *dissect.Packet, m *Meta) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := New(&out, Options{Color: true}).JSON(pk, m); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestJSONValidOneLine(t *testing.T) {
	for _, pk := range []*dissect.Packet{connectExample(t), publishExample(t), publish5Example(t), malformedExample(t), nil} {
		for _, m := range []*Meta{nil, testMeta} {
			b := jsonOf(t, pk, m)
			if bytes.Count(b, []byte("\n")) != 1 || b[len(b)-1] != '\n' {
				t.Errorf("not one line: %q", b)
			}
			if !json.Valid(b) {
				t.Errorf("invalid JSON: %s", b)
			}
			if bytes.Contains(b, []byte("\x1b")) {
				t.Errorf("raw ESC in JSON (colour must not apply): %q", b)
			}
		}
	}
}

// topKeys returns the object's keys in document order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestJSONKeyOrder(t *testing.T) {
	got := strings.Join(topKeys(t, jsonOf(t, malformedExample(t), testMeta)), ",")
	want := "frame,time,time_relative,src,dst,stream,type,type_code,version,version_source,length,raw,summary,fields,expert,missing"
	if got != want {
		t.Errorf("keys\n got %s\nwant %s", got, want)
	}
	got = strings.Join(topKeys(t, jsonOf(t, connectExample(t), nil)), ",")
	want = "type,type_code,version,version_source,length,raw,summary,fields,expert"
	if got != want {
		t.Errorf("keys without meta\n got %s\nwant %s", got, want)
	}
}

type jsonNode struct {
	Name       string          `json:"name"`
	Abbrev     string          `json:"abbrev"`
	Offset     int             `json:"offset"`
	Length     int             `json:"length"`
	Value      json.RawMessage `json:"value"`
	Show       string          `json:"show"`
	Generated  bool            `json:"generated"`
	PropertyID int             `json:"property_id"`
	Children   []jsonNode      `json:"children"`
}

type jsonPacket struct {
	Frame         int        `json:"frame"`
	Time          string     `json:"time"`
	Src           string     `json:"src"`
	Dst           string     `json:"dst"`
	Type          string     `json:"type"`
	TypeCode      int        `json:"type_code"`
	Version       string     `json:"version"`
	VersionSource string     `json:"version_source"`
	Length        int        `json:"length"`
	Raw           string     `json:"raw"`
	Summary       string     `json:"summary"`
	Fields        []jsonNode `json:"fields"`
	Expert        []struct {
		Severity, Group, Message, Spec string
		Offset                         int
	} `json:"expert"`
	Missing int `json:"missing"`
}

func decodePacket(t *testing.T, b []byte) jsonPacket {
	t.Helper()
	var jp jsonPacket
	if err := json.Unmarshal(b, &jp); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return jp
}

func TestJSONTypes(t *testing.T) {
	jp := decodePacket(t, jsonOf(t, connectExample(t), testMeta))
	if jp.Frame != 3 || jp.Time != "2024-05-01T10:00:00.000412Z" || jp.Src != "127.0.0.1:52514" {
		t.Errorf("meta: %+v", jp)
	}
	if jp.Type != "connect" || jp.TypeCode != 1 || jp.Version != "3.1.1" || jp.VersionSource != "connect" || jp.Length != 40 {
		t.Errorf("header: %+v", jp)
	}
	if !strings.HasPrefix(jp.Raw, "102600044d515454") || jp.Summary != "MQTT v3.1.1 Connect Command" {
		t.Errorf("raw/summary: %q %q", jp.Raw, jp.Summary)
	}
	if jp.Expert == nil {
		t.Error("expert must be [] not absent")
	}
	byName := map[string]jsonNode{}
	for _, f := range jp.Fields {
		byName[f.Name] = f
	}
	checks := map[string]string{"Keep Alive": "60", "Protocol Name": `"MQTT"`}
	for name, want := range checks {
		if got := string(byName[name].Value); got != want {
			t.Errorf("%s value %s, want %s", name, got, want)
		}
	}
	flags := byName["Connect Flags"]
	if len(flags.Children) != 7 || string(flags.Children[0].Value) != "true" || string(flags.Children[2].Value) != "false" {
		t.Errorf("flag children: %+v", flags.Children)
	}
	if flags.Show != "Connect Flags: 0xc2, User Name Flag, Password Flag, Clean Session Flag" {
		t.Errorf("show %q", flags.Show)
	}

	jp = decodePacket(t, jsonOf(t, publish5Example(t), nil))
	if jp.VersionSource != "guess" || len(jp.Expert) != 1 || jp.Expert[0].Group != "note" || jp.Expert[0].Offset != 6 {
		t.Errorf("publish5: %+v", jp)
	}
	var gen, props, msg jsonNode
	for _, f := range jp.Fields {
		switch f.Name {
		case "Topic (from alias)":
			gen = f
		case "Properties":
			props = f
		case "Message":
			msg = f
		}
	}
	if !gen.Generated || string(gen.Value) != `"sensors/\u001b[31mred"` {
		t.Errorf("generated node: %+v", gen)
	}
	if string(props.Value) != "null" || len(props.Children) != 2 || props.Children[1].PropertyID != 0x23 {
		t.Errorf("properties: %+v", props)
	}
	if string(msg.Value) != `"01020304"` {
		t.Errorf("bytes value %s", msg.Value)
	}
}

func TestJSONUnknownVersionAndMissing(t *testing.T) {
	pk := malformedExample(t)
	pk.Version, pk.VersionSource = dissect.VersionUnknown, dissect.SourceGuess
	jp := decodePacket(t, jsonOf(t, pk, nil))
	if jp.Version != "unknown" || jp.VersionSource != "none" || jp.Missing != 20 || jp.Length != 40 {
		t.Errorf("%+v", jp)
	}
	if len(jp.Expert) != 2 || jp.Expert[0].Severity != "warning" || jp.Expert[1].Severity != "error" ||
		jp.Expert[1].Group != "malformed" || jp.Expert[0].Spec != "MQTT-3.1.2-3" {
		t.Errorf("experts in wire order: %+v", jp.Expert)
	}
}

func TestJSONString(t *testing.T) {
	cases := map[string]string{
		"plain":           `"plain"`,
		"q\"b\\":          `"q\"b\\"`,
		"\x1b[0m\n\t\x00": `"\u001b[0m\n\t\u0000"`,
		"bad\xffx":        `"bad\ufffdx"`,
		"ls\u2028":        `"ls\u2028"`,
		"温度":              `"温度"`,
	}
	for in, want := range cases {
		got := string(appendJSONString(nil, in))
		if got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", in, got, want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("invalid: %s", got)
		}
		if utf8Valid := json.Unmarshal([]byte(got), new(string)); utf8Valid != nil {
			t.Error(utf8Valid)
		}
	}
}

func FuzzJSONString(f *testing.F) {
	f.Add("a\"\\\x00\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("%q decoded as %q", s, back)
		}
	})
}

// TestJSONEscapesTerminalControls: C1 controls, DEL, bidi marks,
// embeddings, overrides and isolates and the BOM come out as \u....
// escapes (no raw byte a terminal would act on), and decode back exactly.
func TestJSONEscapesTerminalControls(t *testing.T) {
	for _, r := range []rune{0x7f, 0x80, 0x85, 0x9b, 0x9f, 0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2066, 0x2067, 0x2068, 0x2069, 0xfeff, 0x2028, 0x2029} {
		in := "a" + string(r) + "b"
		got := string(appendJSONString(nil, in))
		want := `"a\u` + strings.ToLower(strings.TrimPrefix(strconvQuoteHex(r), "0x")) + `b"`
		if got != want {
			t.Errorf("U+%04X: %s, want %s", r, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != in {
			t.Errorf("U+%04X: decodes to %q, %v", r, back, err)
		}
	}
	// Neighbours that are plain text stay raw.
	for _, s := range []string{"\u00a0", "\u200d", "\u2030", "\u2065", "é"} {
		if got := string(appendJSONString(nil, s)); got != `"`+s+`"` {
			t.Errorf("%q escaped: %s", s, got)
		}
	}
}

func strconvQuoteHex(r rune) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf]})
}

// TestJSONExpertIDs: every expert entry carries its id and Wireshark's
// severity and group beside the old keys; an escape byte in a protocol
// name reaches the message raw, so the JSON holds it escaped once.
func TestJSONExpertIDs(t *testing.T) {
	raw := []byte{0x10, 0x0d, 0x00, 0x04, 'M', 0x1b, 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 'c'}
	pk := dissect.NewSession(dissect.VersionUnknown).Dissect(raw, dissect.ToServer)
	var jp struct {
		Expert []map[string]any `json:"expert"`
	}
	b := jsonOf(t, pk, nil)
	if err := json.Unmarshal(b, &jp); err != nil {
		t.Fatal(err)
	}
	if len(jp.Expert) != 1 {
		t.Fatalf("experts %v", jp.Expert)
	}
	e := jp.Expert[0]
	if e["id"] != "mqtt.expert.protocol_name" || e["ws_severity"] != "warn" || e["ws_group"] != "protocol" ||
		e["severity"] != "warning" || e["group"] != "protocol" {
		t.Errorf("expert entry %v", e)
	}
	if msg := e["message"].(string); !strings.Contains(msg, "M\x1bTT") {
		t.Errorf("message %q does not hold the name as sent", msg)
	}
	if !bytes.Contains(b, []byte(`M\u001bTT`)) || bytes.Contains(b, []byte(`\\x1b`)) || bytes.Contains(b, []byte(`\\u001b`)) {
		t.Errorf("escape byte not escaped exactly once: %s", b)
	}
}
