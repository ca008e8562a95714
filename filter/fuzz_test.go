package filter

import (
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

// FuzzParse: any text either compiles or gives an *Error with a column
// inside the text (or just past it); what compiles evaluates over real
// packets without panicking.
func FuzzParse(f *testing.F) {
	for _, e := range badExpressions {
		f.Add(e)
	}
	for _, e := range []string{
		`mqtt.msgtype == 3 && mqtt.qos > 0 && mqtt.topic matches "^sensors/"`,
		`mqtt.msg[0:2] == 7b:22`, `mqtt.msg[-1] == 7d`, `mqtt.topic in {"a", "b".."c"}`,
		`len(mqtt) > 2 || count(mqtt.topic) == 0`, `ip.addr == 10.0.0.0/8`, `ipv6.addr == ::1`,
		`!(frame.time_relative < 0.5)`, `mqtt.topic == "\x41\101\u00e9"`, `mqtt[1-2] == 00:01`,
	} {
		f.Add(e)
	}
	pkts := []*Packet{
		packet(f, hexConnect, dissect.V311), packet(f, hexPublish, dissect.V311),
		packet(f, hexPublish5, dissect.V5), packet(f, hexSubscribe, dissect.V311),
	}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Compile(expr)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("%q: error %T", expr, err)
			}
			if e.Col < 1 || e.Col > len(expr)+1 {
				t.Fatalf("%q: column %d outside the text", expr, e.Col)
			}
			if strings.Contains(e.Msg, "\n") {
				t.Fatalf("%q: error spans lines: %q", expr, e.Msg)
			}
			return
		}
		for _, p := range pkts {
			flt.Match(p)
		}
	})
}
