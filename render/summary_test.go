package render

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mqttdump/mqttdump/dissect"
)

func summaryOf(t *testing.T, pk *dissect.Packet, m *Meta) string {
	t.Helper()
	var out bytes.Buffer
	if err := New(&out, Options{}).Summary(pk, m); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestSummary(t *testing.T) {
	want := "    3 0.000412 127.0.0.1:52514       -> 127.0.0.1:1883        MQTT v3.1.1 Publish Message (id=1) [test/a] QoS 1 retain 40 bytes\n"
	if got := summaryOf(t, publishExample(t), testMeta); got != want {
		t.Errorf("with meta\n got %q\nwant %q", got, want)
	}
	want = "MQTT v3.1.1 Publish Message (id=1) [test/a] QoS 1 retain 40 bytes\n"
	if got := summaryOf(t, publishExample(t), nil); got != want {
		t.Errorf("without meta\n got %q\nwant %q", got, want)
	}
}

func TestSummaryPublishFlags(t *testing.T) {
	pk := publishExample(t)
	pk.Dup, pk.Retain, pk.QoS, pk.Payload = true, false, 2, 1
	if got := summaryOf(t, pk, nil); !strings.HasSuffix(got, " QoS 2 dup 1 byte\n") {
		t.Errorf("got %q", got)
	}
}

func TestSummaryVersionAndExperts(t *testing.T) {
	got := summaryOf(t, publish5Example(t), nil)
	want := `MQTT v5.0   Publish Message [sensors/\x1b[31mred] QoS 0 4 bytes (version guessed)` + "\n" // notes stay out of the line
	if got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	pk := malformedExample(t)
	pk.Version = dissect.VersionUnknown
	got = summaryOf(t, pk, nil)
	want = "MQTT v?     Connect Command [incomplete: 20 more bytes expected] [malformed: Client ID runs past the end of the packet, +1 more]\n"
	if got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

func TestSummaryEscapesEverything(t *testing.T) {
	pk := &dissect.Packet{Type: dissect.TypeConnect, Version: dissect.V311, Info: "Connect \u202e\x1b[2J\r",
		Fields: []*dissect.Node{{Def: dMsg, Expert: []*dissect.Expert{{Severity: dissect.SevProtocol, Message: "bad \x07 bell"}}}}}
	m := *testMeta
	m.Src = netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone("\x1b]0;x\x07"), 1883)
	got := summaryOf(t, pk, &m)
	checkTerminalSafe(t, strings.TrimSuffix(got, "\n"))
	if !strings.Contains(got, `Connect \u202e\x1b[2J\r`) || !strings.Contains(got, `[protocol: bad \x07 bell]`) {
		t.Errorf("got %q", got)
	}
}

func TestAppendSeconds(t *testing.T) {
	cases := map[time.Duration]string{
		0:                         "0.000000",
		412 * time.Microsecond:    "0.000412",
		3*time.Second + 999999999: "3.999999",
		125 * time.Second:         "125.000000",
		-1500 * time.Millisecond:  "-1.500000",
	}
	for d, want := range cases {
		if got := string(appendSeconds(nil, d)); got != want {
			t.Errorf("%v: got %q want %q", d, got, want)
		}
	}
}

func BenchmarkSummary(b *testing.B) {
	pk := publishExample(b)
	p := New(discard{}, Options{})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Summary(pk, testMeta)
	}
}

func BenchmarkJSON(b *testing.B) {
	pk := publishExample(b)
	p := New(discard{}, Options{})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.JSON(pk, testMeta)
	}
}

func BenchmarkBreakdown(b *testing.B) {
	pk := connectExample(b)
	p := New(discard{}, Options{MaxValueBytes: 64})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Breakdown(pk)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// A 64 KB topic does not make a 64 KB summary line, unless asked for.
func TestSummaryCutsHugeInfo(t *testing.T) {
	pk := &dissect.Packet{Type: dissect.TypePublish, Version: dissect.V311, Info: "Publish Message [" + strings.Repeat("é", 30000) + "]"}
	var b strings.Builder
	if err := New(&b, Options{MaxValueBytes: 64}).Summary(pk, nil); err != nil {
		t.Fatal(err)
	}
	line := b.String()
	if len(line) > 400 || !strings.Contains(line, "…]") || !utf8.ValidString(line) {
		t.Fatalf("summary of a huge topic: %d bytes: %.120q", len(line), line)
	}
	b.Reset()
	if err := New(&b, Options{}).Summary(pk, nil); err != nil {
		t.Fatal(err)
	}
	if len(b.String()) < 60000 {
		t.Fatalf("MaxValueBytes 0 must show all: %d bytes", b.Len())
	}
}

// The direct IPv4 and whole-microsecond paths must print what the general
// ones (netip, strconv.AppendFloat) print.
func TestFastFormattersMatchGeneral(t *testing.T) {
	for _, s := range []string{"0.0.0.0:0", "1.2.3.4:5", "10.20.30.40:1883", "99.100.199.200:9999", "255.255.255.255:65535", "127.0.0.1:10000", "[::1]:1883", "[::ffff:1.2.3.4]:80"} {
		a := netip.MustParseAddrPort(s)
		if got := string(appendAddr(nil, a)); got != a.String() {
			t.Errorf("appendAddr(%s) = %q", s, got)
		}
	}
	for _, d := range []time.Duration{0, time.Microsecond, 999 * time.Microsecond, time.Millisecond, 1234567 * time.Microsecond, 1500, 2500, 3500, 1<<40 + 1000, -2 * time.Millisecond, 123456789} {
		want := strconv.AppendFloat(nil, float64(d)/float64(time.Millisecond), 'f', 3, 64)
		want = append(want, " ms"...)
		if got := appendMillis(nil, d); string(got) != string(want) {
			t.Errorf("appendMillis(%d) = %q, want %q", d, got, want)
		}
	}
}
