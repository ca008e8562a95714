package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const designConnect = "10 26 00 04 4D 51 54 54 04 C2 00 3C 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6D 69 6E 00 08 70 61 73 73 77 6F 72 64"

// runCLI runs the command in-process and returns its exit status and output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(string) string { return "" }
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb, env: env})
	return code, out.String(), errb.String()
}

func TestDecodeDesignConnect(t *testing.T) {
	code, out, errs := runCLI(t, "", "decode", designConnect)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"MQTT Connect Command (v3.1.1), 40 bytes",
		" 0009  c2                          Connect Flags: 0xc2, User Name Flag, Password Flag, Clean Session Flag",
		"1... .... = User Name Flag: Set",
		".1.. .... = Password Flag: Set",
		"..0. .... = Will Retain: Not set",
		"...0 0... = QoS Level: At most once delivery (Fire and Forget) (0)",
		".... .0.. = Will Flag: Not set",
		".... ..1. = Clean Session Flag: Set",
		".... ...0 = (Reserved): Not set",
		" 000a  00 3c                       Keep Alive: 60",
		"Client ID: 123456789",
		"User Name: admin",
		"Password: password",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The same through standard input, and from an xxd dump of the bytes.
	_, viaStdin, _ := runCLI(t, designConnect, "decode")
	if viaStdin != out {
		t.Errorf("stdin output differs:\n%s", viaStdin)
	}
	xxd := "00000000: 1026 0004 4d51 5454 04c2 003c 0009 3132  .&..MQTT...<..12\n" +
		"00000010: 3334 3536 3738 3900 0561 646d 696e 0008  3456789..admin..\n" +
		"00000020: 7061 7373 776f 7264                      password\n"
	_, viaXxd, _ := runCLI(t, xxd, "decode", "-")
	if viaXxd != out {
		t.Errorf("xxd output differs:\n%s", viaXxd)
	}
}

func TestDecodeJSON(t *testing.T) {
	code, out, _ := runCLI(t, designConnect, "decode", "-T", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var obj struct {
		Type          string            `json:"type"`
		Version       string            `json:"version"`
		VersionSource string            `json:"version_source"`
		Length        int               `json:"length"`
		Fields        []json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if obj.Type != "connect" || obj.Version != "3.1.1" || obj.VersionSource != "connect" || obj.Length != 40 || len(obj.Fields) == 0 {
		t.Errorf("unexpected JSON: %+v", obj)
	}
	if !strings.Contains(out, `"abbrev":"mqtt.kalive","offset":10,"length":2,"value":60`) {
		t.Errorf("keep alive node missing:\n%s", out)
	}
}

func TestDecodeBadInput(t *testing.T) {
	cases := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"decode", "zz"}, "mqttdump: decode: not hex: 'z' at line 1, column 1\n"},
		{"   \n", []string{"decode"}, "mqttdump: decode: no hex given\n"},
		{"", []string{"decode", "-T", "xml", "c000"}, "mqttdump: -T xml: want text, json or fields\n"},
		{"", []string{"decode", "--mqtt-version", "4.2", "c000"}, "mqttdump: --mqtt-version 4.2: want auto, 3.1, 3.1.1 or 5\n"},
		{"", []string{"decode", "-f", "/nonexistent/x.hex"}, "mqttdump: cannot open /nonexistent/x.hex: no such file or directory\n"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, c.stdin, c.args...)
		wantCode := exitUsage
		if strings.Contains(c.want, "cannot open") {
			wantCode = exitFail
		}
		if code != wantCode || errs != c.want || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d, %q", c.args, code, errs, out, wantCode, c.want)
		}
	}
}

func TestDecodeSeveralAndIncomplete(t *testing.T) {
	// CONNECT (5.0), CONNACK with a property, then a PUBLISH cut short.
	in := "10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00  20 06 00 00 03 22 00 0a  30 0a 00 03 61 2f 62 00 68"
	code, out, _ := runCLI(t, "", "decode", in)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"MQTT Connect Command (v5.0)", "MQTT Connect Ack (v5.0)", "Topic Alias Maximum: 10",
		"MQTT Publish Message (v5.0)", "incomplete: 3 more bytes expected"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Without the CONNECT the version is guessed, or taken from the flag.
	_, guessed, _ := runCLI(t, "", "decode", "-s", "20 06 00 00 03 22 00 0a")
	if !strings.Contains(guessed, "MQTT v5.0 Connect Ack") || !strings.Contains(guessed, "version guessed") {
		t.Errorf("guess not shown: %q", guessed)
	}
	_, flagged, _ := runCLI(t, "", "decode", "-s", "--mqtt-version", "3.1.1", "40 02 00 07")
	if strings.TrimSpace(flagged) != "MQTT v3.1.1 Publish Ack (id=7)" {
		t.Errorf("flagged version: %q", flagged)
	}
}

func TestCaptureUsageAndErrors(t *testing.T) {
	notCapture := t.TempDir() + "/x.txt"
	if err := os.WriteFile(notCapture, []byte("hello, this is not a capture file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, exitUsage, "mqttdump: nothing to read: give -r FILE, -i IFACE or decode HEX\n"},
		{[]string{"-r", "/nonexistent.pcap"}, exitFail, "mqttdump: cannot open /nonexistent.pcap: no such file or directory\n"},
		{[]string{"-r", notCapture}, exitFail, "not a pcap or pcapng file"},
		{[]string{"-r", "x", "--port", "70000"}, exitUsage, "mqttdump: --port 70000: want a TCP port number 1-65535\n"},
		{[]string{"-r", "x", "--type", "bogus"}, exitUsage, "--type bogus: not a packet type name"},
		{[]string{"-r", "x", "--topic", "a/#/b"}, exitUsage, `--topic "a/#/b": not a valid MQTT topic filter`},
		{[]string{"-r", "x", "-i", "lo"}, exitUsage, "give -r FILE or -i IFACE, not both"},
		{[]string{"--bogus"}, exitUsage, "unknown flag: --bogus"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}

func TestReadSampleSummaryAndFilters(t *testing.T) {
	code, out, errs := runCLI(t, "", "-r", "../../samples/mqtt311-session.pcap", "--type", "publish,puback", "--topic", "demo/+")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 {
		t.Fatalf("too few lines:\n%s", out)
	}
	for _, l := range lines {
		if !strings.Contains(l, "Publish Message") || !strings.Contains(l, "[demo/") {
			t.Errorf("filtered output has %q", l)
		}
	}
	if !strings.Contains(errs, "MQTT packets shown (of 30)") {
		t.Errorf("end-of-run line: %q", errs)
	}
}

func TestTopicMatches(t *testing.T) {
	cases := []struct {
		filter, topic string
		want          bool
	}{
		{"#", "a/b", true}, {"#", "$SYS/x", false}, {"a/#", "a", true}, {"a/#", "a/b/c", true},
		{"a/+", "a/b", true}, {"a/+", "a/b/c", false}, {"a/+", "a", false}, {"+/+", "/x", true},
		{"sensors/+/temp", "sensors/k/temp", true}, {"sensors/+/temp", "sensors/k/hum", false},
		{"a/b", "a/b", true}, {"a/b", "a/b/", false}, {"+", "", true}, {"$SYS/#", "$SYS/a", true},
	}
	for _, c := range cases {
		if got := topicMatches(c.filter, c.topic); got != c.want {
			t.Errorf("topicMatches(%q, %q) = %v", c.filter, c.topic, got)
		}
	}
}

// The binary exits with the run's status (and nothing panics on bad flags).
func TestBinaryExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := t.TempDir() + "/mqttdump"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	err := exec.Command(bin, "decode", "zz").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage {
		t.Fatalf("decode zz: %v, want exit status 2", err)
	}
}
