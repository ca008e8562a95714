package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ and ../../mqttdump.1")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mqttdump -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (review, then -update):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestHelpGolden: every help text goes to standard output with exit 0, the
// same whichever way it is asked for.
func TestHelpGolden(t *testing.T) {
	for _, c := range commands() {
		name := c.name
		if name == "" {
			name = "mqttdump"
		}
		asks := [][]string{{"help", c.name}}
		switch {
		case c.name == "":
			asks = [][]string{{"-h"}, {"--help"}, {"help"}}
		case c.flags != nil:
			asks = append(asks, []string{c.name, "-h"}, []string{c.name, "--help"})
		}
		var first string
		for i, args := range asks {
			args = nonEmpty(args)
			code, out, errs := runCLI(t, "", args...)
			if code != 0 || errs != "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errs)
			}
			if i == 0 {
				first = out
				golden(t, "help-"+name+".golden", out)
			} else if out != first {
				t.Errorf("%v differs from %v", args, asks[0])
			}
		}
	}
}

func nonEmpty(args []string) []string {
	var out []string
	for _, a := range args {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// TestVersion: version and --version print the version, the commit and
// the Go version (masked for the golden file: they change with every build).
func TestVersion(t *testing.T) {
	_, a, _ := runCLI(t, "", "version")
	_, b, _ := runCLI(t, "", "--version")
	if a != b {
		t.Errorf("version %q, --version %q", a, b)
	}
	masked := regexp.MustCompile(`(?m)^commit .*$`).ReplaceAllString(a, "commit COMMIT")
	masked = regexp.MustCompile(`(?m)^go1[^ ]* `).ReplaceAllString(masked, "GOVERSION ")
	golden(t, "version.golden", masked)
}

// TestCompletionGolden keeps the scripts under review; TestBashCompletion
// runs the bash one.
func TestCompletionGolden(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errs := runCLI(t, "", "completion", sh)
		if code != 0 || errs != "" {
			t.Fatalf("completion %s: exit %d, %q", sh, code, errs)
		}
		golden(t, "completion."+sh, out)
		// The shell itself must accept the script.
		if path, err := exec.LookPath(sh); err == nil {
			f := filepath.Join(t.TempDir(), "c."+sh)
			os.WriteFile(f, []byte(out), 0o644)
			check := exec.Command(path, "-n", f)
			if sh == "fish" {
				check = exec.Command(path, "--no-execute", f)
			}
			if msg, err := check.CombinedOutput(); err != nil {
				t.Errorf("%s rejects its script: %v\n%s", sh, err, msg)
			}
		} else if os.Getenv("MQTTDUMP_REQUIRE_E2E") == "1" {
			t.Errorf("%s is not installed (CI installs it)", sh)
		}
	}
	if code, _, errs := runCLI(t, "", "completion", "tcsh"); code != exitUsage || errs != "mqttdump: completion tcsh: want bash, zsh or fish\n" {
		t.Errorf("completion tcsh: exit %d, %q", code, errs)
	}
}

// TestBashCompletion sources the script in bash and asks it to complete.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	_, script, _ := runCLI(t, "", "completion", "bash")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "c.bash"), []byte(script), 0o644)
	// A stand-in mqttdump on PATH answers -D and -G fields as the real one does.
	stub := "#!/bin/sh\ncase \"$1\" in\n-D) printf '1.lo [up]\\n2.eth0 [up]\\n3.any (Pseudo-device that captures on all interfaces) [up]\\n' ;;\n" +
		"-G) printf 'F\\tTopic\\tmqtt.topic\\tFT_STRING\\tmqtt\\nF\\tQoS Level\\tmqtt.qos\\tFT_UINT8\\tmqtt\\n' ;;\nesac\n"
	os.WriteFile(filepath.Join(dir, "mqttdump"), []byte(stub), 0o755)
	for _, tt := range []struct {
		line string // the words typed, the last one being completed
		want []string
	}{
		{"mqttdump dec", []string{"decode"}},
		{"mqttdump --ver", []string{"--verbose", "--version"}},
		{"mqttdump -i ", []string{"lo", "eth0", "any"}},
		{"mqttdump -T ", []string{"text", "json", "fields"}},
		{"mqttdump --color a", []string{"auto", "always"}},
		{"mqttdump completion ", []string{"bash", "zsh", "fish"}},
		{"mqttdump decode --s", []string{"--summary"}},
		{"mqttdump help d", []string{"decode"}},
	} {
		words := strings.Fields(tt.line)
		if strings.HasSuffix(tt.line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + filepath.Join(dir, "c.bash") + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\n" +
			"COMP_CWORD=" + itoa(len(words)-1) + "\n_mqttdump\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tt.line, err, out)
		}
		got := strings.Fields(string(out))
		for _, w := range tt.want {
			if !contains(got, w) {
				t.Errorf("%q completes to %v, want %q among them", tt.line, got, w)
			}
		}
	}
	// Field names after -Y come from mqttdump -G fields (if -Y exists).
	if strings.Contains(script, "-Y|") || strings.Contains(script, "|-Y") {
		prog := "source " + filepath.Join(dir, "c.bash") + "\nCOMP_WORDS=(mqttdump -Y mqtt.t)\nCOMP_CWORD=2\n_mqttdump\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		if out, _ := cmd.CombinedOutput(); strings.TrimSpace(string(out)) != "mqtt.topic" {
			t.Errorf("-Y mqtt.t completes to %q", out)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestManPage: mqttdump.1 in the repository is what mqttdump man prints,
// and man(1) can format it.
func TestManPage(t *testing.T) {
	code, out, errs := runCLI(t, "", "man")
	if code != 0 || errs != "" {
		t.Fatalf("man: exit %d, %q", code, errs)
	}
	path := filepath.Join("..", "..", "mqttdump.1")
	if *update {
		os.WriteFile(path, []byte(out), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != out {
		t.Errorf("mqttdump.1 is not what mqttdump man prints: regenerate with go test ./cmd/mqttdump -run TestManPage -update")
	}
	for _, c := range commands() {
		fs := c.flags
		if fs == nil {
			continue
		}
		var missing []string
		for _, name := range flagNamesOf(c) {
			if !strings.Contains(out, `\-\-`+strings.ReplaceAll(name, "-", `\-`)) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			t.Errorf("man page lacks flags %v", missing)
		}
	}
	if groff, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = strings.NewReader(out)
		if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
			t.Errorf("groff warns: %v\n%s", err, msg)
		}
	}
}

func flagNamesOf(c command) []string {
	var names []string
	for _, cf := range allFlags() {
		if cf.cmd.name == c.name {
			for _, f := range cf.flags {
				names = append(names, f.Name)
			}
		}
	}
	return names
}

// TestErrorLinesGolden: bad flag values fail with one line and exit 2.
func TestErrorLinesGolden(t *testing.T) {
	cases := [][]string{
		{"-c", "0", "-r", "x.pcap"},
		{"--topic", "", "-r", "x.pcap"},
		{"--client", "", "-r", "x.pcap"},
		{"-r", "x.pcap", "-D"},
		{"-r", "x.pcap", "-i", "lo"},
		{"--idle-flush", "0", "-r", "x.pcap"},
		{"-i", "lo", "-p", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"},
		{"-r", "x.pcap", "host", "10.0.0.5"},
		{"-i", "99"},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"completion"},
		{},
	}
	var b strings.Builder
	for _, args := range cases {
		code, out, errs := runCLI(t, "", args...)
		if code != exitUsage || out != "" || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, errs)
		}
		b.WriteString("$ mqttdump " + strings.Join(args, " ") + "\n" + errs)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"-r", dir}, "", "mqttdump: " + dir + " is a directory, not a capture file\n"},
		{[]string{"-r", empty}, "", "mqttdump: " + empty + ": empty: no capture in it\n"},
		{[]string{"-r", "-"}, "", "mqttdump: standard input: empty: no capture in it\n"},
	} {
		code, _, errs := runCLI(t, tt.stdin, tt.args...)
		if code != exitFail || errs != tt.want {
			t.Errorf("%q: exit %d, %q; want 1, %q", tt.args, code, errs, tt.want)
		}
	}
	golden(t, "errors.golden", b.String())
}
