package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Secrets the redaction test looks for in every output.
const (
	secretUser = "usr-Zq9v"
	secretPass = "pw-Xk7Q-secret"
	secretWill = "will-Mn3r-payload"
)

// TestPayloadsLive publishes real payloads with mosquitto_pub (a JSON
// file, the same file gzipped) and a CONNECT with user name, password and
// will, captured by tcpdump; then checks the decoded payloads, that
// --redact=all leaves no secret in any view or in the -w capture, and
// that tshark reads the redacted frames with valid IP and TCP checksums.
// (Frames --redact did not change keep their checksums: on loopback
// those are the kernel's offloaded, "incorrect" ones.)
func TestPayloadsLive(t *testing.T) {
	needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "mosquitto_pub", "tcpdump", "tshark")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	b := startBroker(ctx, t, tools["mosquitto"])
	dir := t.TempDir()
	pcap := filepath.Join(dir, "run.pcap")
	tdErr := filepath.Join(dir, "tcpdump.err")
	port := strconv.Itoa(b.port)
	td := startProc(ctx, t, "", nil, createFile(t, tdErr), tools["tcpdump"],
		"-U", "--immediate-mode", "-s", "8192", "-Z", "root", "-i", "lo", "-w", pcap, "tcp port "+port)
	if err := waitForFile(tdErr, "listening on", 15*time.Second, td); err != nil {
		t.Fatalf("tcpdump not capturing: %v", err)
	}

	doc := `{"temp": 21.5, "unit": "C", "ok": true, "tags": ["a", "b"], "none": null}`
	jsonFile := filepath.Join(dir, "doc.json")
	gzFile := filepath.Join(dir, "doc.json.gz")
	os.WriteFile(jsonFile, []byte(doc), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(doc))
	zw.Close()
	os.WriteFile(gzFile, gz.Bytes(), 0o644)

	pub := func(args ...string) {
		base := []string{"-h", "127.0.0.1", "-p", port}
		runProc(t, 20*time.Second, "", tools["mosquitto_pub"], append(base, args...)...)
	}
	pub("-t", "sensors/json", "-f", jsonFile)
	pub("-t", "sensors/gz", "-f", gzFile)
	pub("-t", "login/test", "-m", "hi", "-u", secretUser, "-P", secretPass,
		"--will-topic", "will/"+secretWill, "--will-payload", secretWill, "-V", "mqttv311")

	waitStable(pcap, 0, 500*time.Millisecond, 10*time.Second)
	if err := td.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := td.wait(15 * time.Second); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}

	sum, _, code := runMqttdump(t, "-r", pcap, "--port", port, "--type", "publish")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		`[sensors/json] QoS 0 ` + strconv.Itoa(len(doc)) + ` bytes: {"temp":21.5,"unit":"C","ok":true,"tags":["a","b"],"none":null}`,
		`[sensors/gz] QoS 0 `, `: gzip `, `→` + strconv.Itoa(len(doc)) + `: {"temp":21.5,"unit":"C"`,
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lines lack %q:\n%s", want, sum)
		}
	}
	verbose, _, _ := runMqttdump(t, "-r", pcap, "--port", port, "--topic", "sensors/#", "-V")
	for _, want := range []string{"JavaScript Object Notation", "Member: temp", "Number value: 21.5", "Decompressed: " + strconv.Itoa(len(doc)) + " bytes", "String value: C"} {
		if !strings.Contains(verbose, want) {
			t.Errorf("-V lacks %q", want)
		}
	}
	// payload fields are in the registry: filters and -T fields know them
	keys, stderr, code := runMqttdump(t, "-r", pcap, "--port", port, "-Y", `json.key == "unit"`, "-T", "fields", "-e", "json.value.string")
	if code != 0 || strings.Count(keys, "C") != 2 {
		t.Errorf("-Y json.key -T fields: exit %d, %q %s", code, keys, stderr)
	}
	nojson, _, _ := runMqttdump(t, "-r", pcap, "--port", port, "--type", "publish", "--no-payload")
	if strings.Contains(nojson, `{"temp"`) {
		t.Errorf("--no-payload still shows the payload:\n%s", nojson)
	}

	// Without --redact the secrets are there (so the check below can fail).
	plain, _, _ := runMqttdump(t, "-r", pcap, "--port", port, "-V")
	if !strings.Contains(plain, secretPass) || !strings.Contains(plain, secretUser) || !strings.Contains(plain, secretWill) {
		t.Fatalf("the capture does not carry the secrets:\n%s", plain)
	}
	secrets := []string{secretPass, secretUser, secretWill,
		hex.EncodeToString([]byte(secretPass)), hex.EncodeToString([]byte(secretUser)), hex.EncodeToString([]byte(secretWill))}
	views := [][]string{{}, {"-V"}, {"-x"}, {"-T", "json"}, {"-T", "fields", "-e", "mqtt.passwd", "-e", "mqtt.username", "-e", "mqtt.willmsg", "-e", "mqtt.willtopic"}, {"-V", "-x", "--max-bytes", "0"}}
	for _, v := range views {
		args := append([]string{"-r", pcap, "--port", port, "--redact=all"}, v...)
		out, stderr, code := runMqttdump(t, args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", v, code, stderr)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("--redact=all %v shows %q", v, s)
			}
		}
		if len(v) > 0 && v[0] == "-V" && !strings.Contains(out, "Password: <redacted "+strconv.Itoa(len(secretPass))+" bytes>") {
			t.Errorf("--redact=all %v: no redaction marker for the password", v)
		}
	}
	// --redact alone hides the password but not the user name.
	cred, _, _ := runMqttdump(t, "-r", pcap, "--port", port, "-V", "--redact")
	if strings.Contains(cred, secretPass) || !strings.Contains(cred, secretUser) {
		t.Errorf("--redact: password hidden %v, user name shown %v", !strings.Contains(cred, secretPass), strings.Contains(cred, secretUser))
	}

	// -w: same frames, the secrets replaced by filler, checksums valid.
	red := filepath.Join(dir, "redacted.pcap")
	if _, stderr, code := runMqttdump(t, "-r", pcap, "--port", port, "--redact=all", "-w", red); code != 0 {
		t.Fatalf("-w: exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(red)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secretPass, secretUser, secretWill} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the -w capture still holds %q", s)
		}
	}
	if !bytes.Contains(raw, bytes.Repeat([]byte("*"), len(secretPass))) {
		t.Error("no filler in the -w capture")
	}
	out := runQuiet(t, 60*time.Second, tools["tshark"], "-r", red, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-d", "tcp.port=="+port+",mqtt", "-Y", "mqtt.passwd", "-T", "fields",
		"-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "mqtt.passwd", "-e", "mqtt.username", "-e", "mqtt.willmsg")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	found := false
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) < 5 {
			t.Fatalf("tshark line %q", l)
		}
		if f[0] != "1" || f[1] != "1" {
			t.Errorf("tshark: checksum status ip %s tcp %s (1 = good) in %q", f[0], f[1], l)
		}
		if f[2] != "" {
			found = true
			if f[2] != strings.Repeat("*", len(secretPass)) {
				t.Errorf("tshark reads the password as %q", f[2])
			}
		}
	}
	if !found {
		t.Errorf("tshark found no CONNECT with a password in the -w capture:\n%s", out)
	}
	bad := runQuiet(t, 60*time.Second, tools["tshark"], "-r", red, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-d", "tcp.port=="+port+",mqtt", "-Y", "_ws.expert.message contains \"checksum\" && mqtt.passwd")
	if strings.TrimSpace(bad) != "" {
		t.Errorf("tshark reports bad checksums on redacted frames:\n%s", bad)
	}
}
