package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runMqttdump runs the binary to completion (one minute at most) and
// returns stdout, stderr and the exit code.
func runMqttdump(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runMqttdumpStdin(t, "", args...)
}

// jsonRun runs mqttdump with -T json, requires exit 0 and parses stdout.
func jsonRun(t *testing.T, args ...string) ([]*packet, string) {
	t.Helper()
	out, stderr, code := runMqttdump(t, append(args, "-T", "json")...)
	if code != 0 {
		t.Fatalf("mqttdump %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	pkts, err := parseNDJSON([]byte(out))
	if err != nil {
		t.Fatalf("mqttdump %s: %v", strings.Join(args, " "), err)
	}
	return pkts, stderr
}

// types lists the packets' type names in order.
func types(pkts []*packet) []string {
	out := make([]string, len(pkts))
	for i, p := range pkts {
		out[i] = p.Type
	}
	return out
}

// TestCLIOnSample checks the display options of the CLI on the README's
// main example (30 MQTT packets, see samples/README.md).
func TestCLIOnSample(t *testing.T) {
	sample := filepath.Join(samplesDir, "mqtt311-session.pcap")
	all, _ := jsonRun(t, "-r", sample)
	if len(all) != 30 {
		t.Fatalf("%d packets, want 30", len(all))
	}

	t.Run("type by name", func(t *testing.T) {
		pkts, _ := jsonRun(t, "-r", sample, "--type", "publish")
		if got := types(pkts); len(got) != 6 || slices.ContainsFunc(got, func(s string) bool { return s != "publish" }) {
			t.Errorf("--type publish: %v", got)
		}
	})
	t.Run("type by number", func(t *testing.T) {
		pkts, _ := jsonRun(t, "-r", sample, "--type", "3,8")
		c := countByType(pkts)
		if len(pkts) != 7 || c["publish"] != 6 || c["subscribe"] != 1 {
			t.Errorf("--type 3,8: %s", describeCounts(c))
		}
	})
	t.Run("client", func(t *testing.T) {
		pkts, _ := jsonRun(t, "-r", sample, "--client", "demo-pub1")
		want := []string{"connect", "connack", "publish", "puback", "disconnect"}
		if got := types(pkts); !slices.Equal(got, want) {
			t.Errorf("--client demo-pub1: %v, want %v", got, want)
		}
	})
	t.Run("topic", func(t *testing.T) {
		pkts, _ := jsonRun(t, "-r", sample, "--topic", "demo/c")
		if len(pkts) != 2 {
			t.Errorf("--topic demo/c: %d packets, want the 2 PUBLISHes", len(pkts))
		}
		for _, p := range pkts {
			if topic, _ := p.get("mqtt.topic"); p.Type != "publish" || topic != "demo/c" {
				t.Errorf("--topic demo/c showed %v", p)
			}
		}
	})
	t.Run("count", func(t *testing.T) {
		pkts, _ := jsonRun(t, "-r", sample, "-c", "3")
		if len(pkts) != 3 {
			t.Fatalf("-c 3: %d packets", len(pkts))
		}
		for i, p := range pkts {
			if p.Frame != all[i].Frame || p.Raw != all[i].Raw {
				t.Errorf("-c 3: packet %d is %v, want %v", i, p, all[i])
			}
		}
	})
	t.Run("quiet", func(t *testing.T) {
		out, stderr, code := runMqttdump(t, "-r", sample, "-q")
		if code != 0 || out != "" {
			t.Errorf("-q: exit %d, stdout %q", code, out)
		}
		if got := parseEndOfRun(stderr); got.shown != 30 || got.connections != 4 {
			t.Errorf("-q end of run %+v:\n%s", got, stderr)
		}
	})
	t.Run("write then read", func(t *testing.T) {
		written := filepath.Join(t.TempDir(), "publishes.pcap")
		if _, stderr, code := runMqttdump(t, "-r", sample, "--type", "publish", "-w", written, "-q"); code != 0 {
			t.Fatalf("-w: exit %d\n%s", code, stderr)
		}
		// Without the CONNECTs the version is unknown; --mqtt-version sets it.
		back, _ := jsonRun(t, "-r", written, "--mqtt-version", "3.1.1")
		var want []string
		for _, p := range all {
			if p.Type == "publish" {
				want = append(want, p.Raw)
			}
		}
		var got []string
		for _, p := range back {
			got = append(got, p.Raw)
			if p.Version != "3.1.1" || p.VersionSource != "flag" {
				t.Errorf("version %q (%s), want 3.1.1 (flag): %v", p.Version, p.VersionSource, p)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("read back %d packets %q, want %d %q", len(got), got, len(want), want)
		}
	})
	t.Run("verbose", func(t *testing.T) {
		out, stderr, code := runMqttdump(t, "-r", sample, "-V", "-c", "1", "--color", "never")
		if code != 0 {
			t.Fatalf("-V: exit %d\n%s", code, stderr)
		}
		for _, want := range []string{"Connect Command", "Client ID: demo-sub", "User Name: alice", "Keep Alive: 30"} {
			if !strings.Contains(out, want) {
				t.Errorf("-V output lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestCLIErrors checks exit codes: 2 for usage, 1 for runtime failures,
// with one line naming the problem.
func TestCLIErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such.pcap")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-r", missing}, 1, "no-such.pcap"},
		{[]string{"--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"-r", filepath.Join(samplesDir, "mqtt311-session.pcap"), "--mqtt-version", "9"}, 2, "9"},
	} {
		out, stderr, code := runMqttdump(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || !strings.HasPrefix(stderr, "mqttdump: ") {
			t.Errorf("mqttdump %s: exit %d, stderr %q, stdout %q; want exit %d and a \"mqttdump: \" line naming %q",
				strings.Join(tc.args, " "), code, stderr, out, tc.code, tc.want)
		}
	}
}
