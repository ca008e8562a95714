package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

const session311 = "../../samples/mqtt311-session.pcap"

// -G fields lists the vocabulary in tshark's format.
func TestListFieldsGolden(t *testing.T) {
	code, out, errs := runCLI(t, "", "-G", "fields")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"F\tKeep Alive\tmqtt.kalive\tFT_UINT16\tmqtt\tBASE_DEC\t0x0\t\n",
		"F\tHeader Flags\tmqtt.hdrflags\tFT_UINT8\tmqtt\tBASE_HEX\t0x0\t\n",
		"F\tClean Session Flag\tmqtt.conflag.cleansess\tFT_BOOLEAN\tmqtt\t8\t0x2\t\n",
		"F\tMsg Len\tmqtt.len\tFT_UINT64\tmqtt\tBASE_DEC\t0x0\t\n",
		"P\tMQ Telemetry Transport Protocol\tmqtt\n",
		"F\tFrame Number\tframe.number\tFT_UINT32\tframe\tBASE_DEC\t0x0\t\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("-G fields lacks %q", want)
		}
	}
	golden(t, "fields.golden", out)
	if code, _, errs := runCLI(t, "", "-G", "protocols"); code != 2 || !strings.Contains(errs, "only -G fields") {
		t.Errorf("-G protocols: exit %d, %q", code, errs)
	}
}

// A bad -Y or -e is one line, exit 2, and nothing is read (the file named
// does not even exist).
func TestDisplayUsageErrors(t *testing.T) {
	var lines strings.Builder
	for _, args := range [][]string{
		{"-Y", "mqtt.qos =="},
		{"-Y", "mqtt.qoss == 1"},
		{"-Y", ""},
		{"-Y", "mqtt.topic matches \"(\""},
		{"-T", "fields"},
		{"-T", "fields", "-e", "mqtt.topik"},
		{"-e", "mqtt.topic"},
		{"-T", "fields", "-e", "mqtt.topic", "-E", "quote=x"},
		{"-T", "fields", "-e", "mqtt.topic", "-E", "bogus=1"},
		{"-t", "x"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"-r", "/nonexistent/never-read.pcap"}, args...)...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || strings.Contains(errs, "never-read") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
		lines.WriteString(strings.Join(args, " ") + " => " + errs)
	}
	golden(t, "display-errors.golden", lines.String())
	code, _, errs := runCLI(t, "", "decode", "-T", "fields", "30 00")
	if code != 2 || !strings.Contains(errs, "needs a capture") {
		t.Errorf("decode -T fields: exit %d, %q", code, errs)
	}
}

func TestDisplayFilter(t *testing.T) {
	code, out, errs := runCLI(t, "", "-r", session311, "-Y", `mqtt.msgtype == 3 && mqtt.qos > 0 && mqtt.topic matches "^demo/"`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var frames []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		frames = append(frames, strings.Fields(l)[0])
	}
	if got := strings.Join(frames, " "); got != "34 35 50 53" { // what tshark -Y selects
		t.Errorf("frames %s, want 34 35 50 53\n%s", got, out)
	}
	if !strings.Contains(errs, "4 MQTT packets shown (of 30)") {
		t.Errorf("counts: %s", errs)
	}
	// -Y and --type must both hold.
	_, out, _ = runCLI(t, "", "-r", session311, "-Y", "mqtt.msgid == 1", "--type", "puback")
	if n := strings.Count(out, "\n"); n != 2 || strings.Count(out, "Publish Ack") != 2 {
		t.Errorf("-Y with --type:\n%s", out)
	}
	// Metadata-only filters keep the facts-only path and agree with it.
	_, out, _ = runCLI(t, "", "-r", session311, "-Y", "tcp.srcport == 1883 && frame.number < 12")
	if strings.Count(out, "\n") != 3 {
		t.Errorf("tcp.srcport filter:\n%s", out)
	}
}

func TestFieldsOutput(t *testing.T) {
	code, out, errs := runCLI(t, "", "-r", session311, "-T", "fields", "-e", "frame.number", "-e", "mqtt.topic",
		"-e", "mqtt.msgid", "-e", "mqtt.hdrflags", "-e", "mqtt.conflag.cleansess", "-e", "mqtt.msg",
		"-e", "frame.time_relative", "-e", "ip.src", "-e", "tcp.srcport", "-E", "header=y", "-Y", "frame.number <= 22")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "fields-session311.golden", out)
	_, out, _ = runCLI(t, "", "-r", session311, "-T", "fields", "-e", "mqtt.topic", "-e", "frame.number",
		"-E", "separator=,", "-E", "quote=s", "-Y", "mqtt.msgtype == 8")
	if out != "'demo/#','8'\n" { // tshark quotes every non-empty field

		t.Errorf("separator/quote: %q", out)
	}
}

func TestTimeFormats(t *testing.T) {
	first := func(args ...string) string {
		_, out, _ := runCLI(t, "", append([]string{"-r", session311, "-c", "2"}, args...)...)
		var col []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(l)
			arrow := 0
			for i, w := range f {
				if w == "->" {
					arrow = i
					break
				}
			}
			col = append(col, strings.Join(f[1:arrow-1], " "))
		}
		return strings.Join(col, " | ")
	}
	for tf, want := range map[string]string{
		"r":  "0.004880 | 0.005153", // from the first frame, as tshark
		"e":  "1795316475.197699 | 1795316475.197972",
		"ud": "2026-11-22 03:01:15.197699 | 2026-11-22 03:01:15.197972",
		"u":  "03:01:15.197699 | 03:01:15.197972",
		"d":  "0.000000 | 0.000273",
		"dd": "0.000000 | 0.000273",
	} {
		if got := first("-t", tf); got != want {
			t.Errorf("-t %s: %q, want %q", tf, got, want)
		}
	}
}

// The analyzers' generated fields work in -Y and -e like any other field,
// without the field tree, and agree with the JSON's keys.
func TestGeneratedFieldsCLI(t *testing.T) {
	code, out, errs := runCLI(t, "", "-r", session311, "-Y", "mqtt.latency > 0.0001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "generated-filter.golden", out)
	code, out, errs = runCLI(t, "", "-r", session311, "-T", "fields", "-e", "frame.number", "-e", "mqtt.msgtype",
		"-e", "mqtt.response_to", "-e", "mqtt.latency", "-e", "mqtt.flow_start", "-e", "mqtt.flow_time",
		"-e", "mqtt.forwarded_from", "-e", "mqtt.forward_latency", "-e", "mqtt.retained_copy", "-E", "header=y",
		"-Y", "mqtt.response_to || mqtt.forwarded_from")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "generated-fields.golden", out)
	// Every JSON response_to and latency is the -e value of its frame.
	_, js, _ := runCLI(t, "", "-r", session311, "-T", "json")
	want := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		var o struct {
			Frame      int      `json:"frame"`
			ResponseTo int      `json:"response_to"`
			Latency    *float64 `json:"latency"`
		}
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatal(err)
		}
		if o.ResponseTo > 0 {
			want[strconv.Itoa(o.Frame)] = fmt.Sprintf("%d %.6f", o.ResponseTo, *o.Latency)
		}
	}
	_, out, _ = runCLI(t, "", "-r", session311, "-T", "fields", "-e", "frame.number", "-e", "mqtt.response_to", "-e", "mqtt.latency", "-Y", "mqtt.response_to")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) || len(want) == 0 {
		t.Errorf("%d answers in -T fields, %d in the JSON", len(lines), len(want))
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		lat, _ := strconv.ParseFloat(f[2], 64)
		if got := fmt.Sprintf("%s %.6f", f[1], lat); want[f[0]] != got {
			t.Errorf("frame %s: -e gives %s, JSON %s", f[0], got, want[f[0]])
		}
	}
}
