package filter

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Valid expressions compile (their meaning is TestEval's).
func TestParseValid(t *testing.T) {
	for _, e := range []string{
		"mqtt", "mqtt.topic", "(mqtt.topic)", "((mqtt.qos == 1))",
		"mqtt.qos==1", "mqtt.qos == 1 && mqtt.retain || !mqtt.dupflag",
		"mqtt.msgid in {1,2,3..5}", "mqtt.msgid in { 1 , 2 }",
		"mqtt.topic matches r\"^a\\d+$\"", "mqtt.msg[0:2] == 7b:22", "mqtt.msg[-2:] == 7b22",
		"mqtt.msg[1-3] == 00:01:02", "mqtt[0] == 0x30", "len(mqtt.topic) > 3", "count(mqtt.topic) >= 2",
		"ip.addr == 127.0.0.1 and tcp.port == 1883", "ipv6.addr == ::1", "frame.time_relative <= 0.5",
		"mqtt.expert.bytes_left_over", "mqtt.topic eq \"a\" and mqtt.qos ne 1 or mqtt.qos ge 1",
		"mqtt.conflag.cleansess == True", "mqtt.topic == \"\\x41\\101\\u00e9\\n\"",
	} {
		if _, err := Compile(e); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
}

// badExpressions are the invalid inputs whose error lines are golden
// (testdata/errors.golden); a few are checked exactly here too.
var badExpressions = []string{
	"",
	"   ",
	"mqtt.qos ==",
	"mqtt.qoss == 1",
	"mqtt.topc",
	"mqtt.qos == 1 &&",
	"mqtt.qos == 1 and",
	"not",
	"(mqtt.qos == 1",
	"mqtt.qos == 1)",
	"mqtt.qos = 1",
	"mqtt.qos == x",
	"mqtt.qos == 1.5",
	"mqtt.qos == \"Publish\"",
	"mqtt.retain == yes",
	"mqtt.topic == \"open",
	"mqtt.topic == \"bad \\x4\"",
	"mqtt.topic matches \"(\"",
	"mqtt.topic matches abc",
	"mqtt.qos contains 1",
	"mqtt.qos matches \"1\"",
	"mqtt.properties == 1",
	"mqtt.properties > 1",
	"mqtt.msg == 7g",
	"mqtt.msg == 7b:22:",
	"mqtt.msg[",
	"mqtt.msg[0:2",
	"mqtt.msg[x] == 7b",
	"mqtt.msg[3-1] == 7b",
	"mqtt.kalive[0] == 1",
	"frame.number[0] == 1",
	"mqtt.msgid in {}",
	"mqtt.msgid in {1 2}",
	"mqtt.msgid in {1, 2",
	"mqtt.msgid in 1",
	"mqtt.retain in {True..False}",
	"ip.src == 300.1.1.1",
	"ip.src == ::1",
	"ip.src > 10.0.0.0/8",
	"ip.src in {10.0.0.0/8}",
	"ipv6.src == 127.0.0.1",
	"frame.time_relative > abc",
	"mqtt.topic == mqtt.willtopic",
	"1 == mqtt.qos",
	"len(mqtt.qos",
	"len()",
	"upper(mqtt.topic) == \"A\"",
	"len(mqtt.topic)",
	"mqtt.qos == 1 xor mqtt.retain",
	"mqtt.qos == 1 # comment",
	"'ab' == mqtt.qos",
	"== 1",
	"and mqtt.qos",
	"mqtt.expert.no_such_finding",
}

func TestParseErrorsExact(t *testing.T) {
	for expr, want := range map[string]string{
		"mqtt.qos ==":    `"mqtt.qos ==": a value is expected after "==" at column 11`,
		"mqtt.qoss == 1": `"mqtt.qoss == 1": "mqtt.qoss" is not a field (did you mean mqtt.qos?) at column 1`,
		"mqtt.qos == x":  `"mqtt.qos == x": "x" is not an unsigned integer (decimal, 0x hex or 0 octal) or a value name, which mqtt.qos (an unsigned integer) needs at column 13`,
		"(mqtt.qos == 1": `"(mqtt.qos == 1": the "(" is never closed at column 1`,
	} {
		_, err := Compile(expr)
		if err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", expr, err, want)
		}
	}
}

func TestParseErrorsGolden(t *testing.T) {
	var b strings.Builder
	for _, e := range badExpressions {
		_, err := Compile(e)
		if err == nil {
			t.Errorf("%q compiled", e)
			continue
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("%q: error %T, want *Error", e, err)
		}
		b.WriteString(err.Error() + "\n")
	}
	golden := filepath.Join("testdata", "errors.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("errors differ from %s (go test -update to rewrite):\n%s", golden, b.String())
	}
}

func TestSliceSpec(t *testing.T) {
	b := []byte{0, 1, 2, 3, 4}
	for _, tt := range []struct {
		s    string
		want string // hex of the result, "-" for no value
	}{
		{"0", "00"}, {"4", "04"}, {"5", "-"}, {"-1", "04"}, {"-5", "00"}, {"-6", "-"},
		{"0:2", "0001"}, {"3:2", "0304"}, {"3:3", "-"}, {":2", "0001"}, {"2:", "020304"}, {"5:", ""},
		{"1-3", "010203"}, {"0-4", "0001020304"}, {"0-5", "-"}, {"-2:", "0304"}, {"-3--1", "020304"},
	} {
		s, ok := parseSlice(tt.s)
		if !ok {
			t.Errorf("[%s] did not parse", tt.s)
			continue
		}
		got, ok := s.apply(b)
		g := "-"
		if ok {
			g = ""
			for _, x := range got {
				g += string("0123456789abcdef"[x>>4]) + string("0123456789abcdef"[x&15])
			}
		}
		if g != tt.want {
			t.Errorf("[%s] = %s, want %s", tt.s, g, tt.want)
		}
	}
}
