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
	if !strings.Contains(guessed, "MQTT v5.0   Connect Ack") || !strings.Contains(guessed, "version guessed") {
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
		{[]string{}, exitUsage, "mqttdump: nothing to read: give -r FILE or -i IFACE (mqttdump -h for help)\n"},
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

// TestDecodePastedFrames: whole frames from tcpdump -X (no link header),
// tcpdump -XX (Ethernet) and tshark -x are cut at their headers, each header
// named on one line, and the MQTT after them decoded.
func TestDecodePastedFrames(t *testing.T) {
	for _, tt := range []struct {
		file string
		want []string
	}{
		{"tcpdump-X.txt", []string{
			" 0000  [20 bytes] Internet Protocol Version 4, Src: 127.0.0.1, Dst: 127.0.0.1",
			" 0014  [32 bytes] Transmission Control Protocol, Src Port: 50292, Dst Port: 1883, Seq: 4116881629, Ack: 2409549268, Len: 59",
			"MQTT v3.1.1 Connect Command [client id: demo-sub]",
			"MQTT v3.1.1 Connect Ack (Connection Accepted)",
			"MQTT v3.1.1 Subscribe Request (id=1) [demo/#]",
			"MQTT v3.1.1 Subscribe Ack (id=1)",
		}},
		{"tcpdump-XX.txt", []string{" 0000  [14 bytes] Ethernet II, Src: 00:00:00:00:00:00, Dst: 00:00:00:00:00:00", "Connect Ack (Connection Accepted)"}},
		{"tshark-x.txt", []string{"Internet Protocol Version 6, Src: ::1, Dst: ::1", "Connect Command [client id: myvoiceismypassport]"}},
	} {
		code, out, errs := runCLI(t, "", "decode", "-s", "-f", "../../hexinput/testdata/"+tt.file)
		if code != 0 || errs != "" {
			t.Fatalf("%s: exit %d, stderr %q", tt.file, code, errs)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.file, w, out)
			}
		}
		if strings.Contains(out, "Reserved") {
			t.Errorf("%s: headers decoded as MQTT:\n%s", tt.file, out)
		}
	}
}

// TestDecodeNotMQTT: a paste of something else is named, exit 2, no packets.
func TestDecodeNotMQTT(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a", "mqttdump: decode: no MQTT: this is HTTP text\n"},
		{"16 03 01 00 a5 01 00 00 a1 03 03", "mqttdump: decode: no MQTT: this is a TLS handshake record\n"},
		{"de ad be ef 01 02 03", "mqttdump: decode: no MQTT: the bytes do not start with an MQTT fixed header (0xde Ping Response)\n"},
	} {
		code, out, errs := runCLI(t, "", "decode", tt.in)
		if code != exitUsage || out != "" || errs != tt.want {
			t.Errorf("decode %q: exit %d, stdout %q, stderr %q; want exit 2, %q", tt.in, code, out, errs, tt.want)
		}
	}
	// A single broken packet whose length is right is still shown.
	if code, out, _ := runCLI(t, "", "decode", "-s", "00 00"); code != 0 || !strings.Contains(out, "Reserved") {
		t.Errorf("decode 00 00: exit %d, %q", code, out)
	}
}

// TestDecodeArgumentComments: a comment ends with its argument.
func TestDecodeArgumentComments(t *testing.T) {
	code, out, _ := runCLI(t, "", "decode", "-s", "c0 00 # ping", "e0 00 # disconnect")
	if code != 0 || !strings.Contains(out, "Ping Request") || !strings.Contains(out, "Disconnect") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
