package e2e

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// A session whose every text field is a terminal attack, through the real
// binary: nothing the peer sent may reach the terminal as a control.

// cliAttack holds the sequences a hostile peer would send: clear screen,
// OSC 52 clipboard write, 8-bit CSI raw and as UTF-8 C1, bidi overrides,
// backspaces, CR, NUL, DEL and invalid UTF-8.
const cliAttack = "\x1b[2J\x1b[H|\x1b]52;c;cm0gLXJmIH4=\x07|\x9b31m|\u009b31m|" +
	"\u202eevil\u202c\u2066x\u2069|abc\b\b\bxyz\rover\x00nul\x7f|\xff\xfe\xc0\x80"

// hostileSession returns the packets of one MQTT 5 session with the attack
// in client id, credentials, will, topics, filters, payloads, user and
// string properties and reason strings, client and server side.
func hostileSession() (toServer, toClient [][]byte) {
	a, ab := cliAttack, []byte(cliAttack)
	props := []enc.Property{enc.UserProperty(a, a), enc.ContentType(a), enc.ResponseTopic(a), enc.CorrelationData(ab)}
	toServer = [][]byte{
		enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, KeepAlive: 60, ClientID: a, Username: ab, Password: ab,
			Properties: []enc.Property{enc.UserProperty(a, a), enc.AuthenticationMethod(a)},
			Will:       &enc.Will{Topic: a, Payload: ab, Properties: props}}),
		enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1, Subs: []enc.Subscription{{Filter: a, QoS: 1}, {Filter: "#"}}}),
		enc.EncodePublish(enc.Publish{Version: enc.V5, QoS: 1, PacketID: 2, Topic: a, Properties: props, Payload: ab}),
		enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: "plain", Payload: []byte("text payload " + a)}),
		enc.EncodeUnsubscribe(enc.Unsubscribe{Version: enc.V5, PacketID: 3, Filters: []string{a}}),
		enc.EncodeDisconnect(enc.Disconnect{Version: enc.V5, Reason: 0x04, Properties: []enc.Property{enc.ReasonString(a), enc.UserProperty(a, a)}}),
	}
	toClient = [][]byte{
		enc.EncodeConnack(enc.Connack{Version: enc.V5, Properties: []enc.Property{enc.AssignedClientIdentifier(a), enc.ReasonString(a), enc.ServerReference(a)}}),
		enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: a, Payload: ab, Properties: []enc.Property{enc.UserProperty(a, a)}}),
		enc.EncodePuback(enc.Ack{PacketID: 2, Reason: 0x80, Properties: []enc.Property{enc.ReasonString(a)}}),
	}
	return toServer, toClient
}

// writeHostileCapture writes the session to a pcap in dir, with a second
// connection that starts mid-stream (no CONNECT, version guessed) and a
// packet cut short at the end.
func writeHostileCapture(t *testing.T, dir string) string {
	t.Helper()
	toServer, toClient := hostileSession()
	capture, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
		srv := netip.MustParseAddrPort("127.0.0.1:1883")
		c := w.Conn(netip.MustParseAddrPort("127.0.0.1:50123"), srv)
		c.Handshake()
		c.Send(pcapgen.ToServer, toServer[0])
		c.Send(pcapgen.ToClient, toClient[0])
		for _, p := range toServer[1:] {
			c.SendSplit(pcapgen.ToServer, p, 100)
		}
		for _, p := range toClient[1:] {
			c.Send(pcapgen.ToClient, p)
		}
		c.Close()
		m := w.Conn(netip.MustParseAddrPort("127.0.0.1:50124"), srv)
		m.Send(pcapgen.ToServer, toServer[2])
		m.Send(pcapgen.ToServer, toServer[2][:len(toServer[2])/2])
	})
	if err != nil {
		t.Fatalf("build capture: %v", err)
	}
	path := filepath.Join(dir, "hostile.pcap")
	if err := os.WriteFile(path, capture, 0o644); err != nil {
		t.Fatalf("write capture: %v", err)
	}
	return path
}

// sgrOnly matches the colour sequences mqttdump itself emits.
var sgrOnly = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// checkTerminalOutput fails on anything in out a terminal could act on:
// ESC (beyond SGR colour when colour is on), C0 controls but '\n', DEL, C1
// controls raw or as UTF-8, bidi controls, invalid UTF-8.
func checkTerminalOutput(t *testing.T, what, out string, colour bool) {
	t.Helper()
	if colour {
		out = sgrOnly.ReplaceAllString(out, "")
	}
	for i, line := range strings.Split(out, "\n") {
		for j := 0; j < len(line); {
			r, size := utf8.DecodeRuneInString(line[j:])
			bad := ""
			switch {
			case r == utf8.RuneError && size == 1:
				bad = fmt.Sprintf("invalid UTF-8 byte %#x", line[j])
			case r == 0x1b:
				bad = "ESC not part of an SGR colour code"
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
				bad = fmt.Sprintf("control %U", r)
			case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
				bad = fmt.Sprintf("bidi control %U", r)
			}
			if bad != "" {
				t.Errorf("%s: line %d byte %d: %s in %q", what, i+1, j, bad, line)
				return
			}
			j += size
		}
	}
}

// TestHostileCLIEscapes runs mqttdump -r over the hostile capture in every
// text view, with colour off and forced on, and `decode` over the same
// packets as hex.
func TestHostileCLIEscapes(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	capture := writeHostileCapture(t, dir)
	for _, args := range [][]string{
		{},
		{"-V"},
		{"-x"},
		{"-V", "-x", "--max-bytes", "0"},
		{"--color=always"},
		{"--color=always", "-V", "-x"},
		{"--color=always", "-V", "--max-bytes", "0", "--mqtt-version", "5"},
	} {
		all := append([]string{"-r", capture}, args...)
		stdout, stderr, code := runMqttdump(t, all...)
		what := "mqttdump " + strings.Join(all[2:], " ")
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", what, code, stderr)
		}
		if strings.Count(stdout, "Publish Message") < 4 {
			t.Errorf("%s: expected at least 4 PUBLISH lines, got:\n%.2000q", what, stdout)
		}
		colour := strings.Contains(what, "--color=always")
		if colour && !strings.Contains(stdout, "\x1b[") {
			t.Errorf("%s: no colour on stdout", what)
		}
		checkTerminalOutput(t, what+" (stdout)", stdout, colour)
		checkTerminalOutput(t, what+" (stderr)", stderr, colour)
	}

	toServer, toClient := hostileSession()
	var hexArgs []string
	for _, p := range append(toServer, toClient...) {
		hexArgs = append(hexArgs, hex.EncodeToString(p))
	}
	for _, flags := range [][]string{{}, {"-x"}, {"-s"}, {"--color=always", "-x"}, {"--mqtt-version", "5", "--max-bytes", "0"}} {
		// one packet per invocation: decode's version guess then sees
		// each packet fresh, as a user pasting one would.
		for i, h := range hexArgs {
			all := append(append([]string{"decode"}, flags...), h)
			stdout, stderr, code := runMqttdump(t, all...)
			what := fmt.Sprintf("mqttdump decode %s (packet %d)", strings.Join(flags, " "), i)
			if code != 0 {
				t.Errorf("%s: exit %d\n%s", what, code, stderr)
			}
			if stdout == "" {
				t.Errorf("%s: no output", what)
			}
			colour := len(flags) > 0 && flags[0] == "--color=always"
			if colour && !strings.Contains(stdout, "\x1b[") {
				t.Errorf("%s: no colour on stdout", what)
			}
			checkTerminalOutput(t, what+" (stdout)", stdout, colour)
			checkTerminalOutput(t, what+" (stderr)", stderr, colour)
		}
	}
	// all packets in one paste, as hex on standard input via -f -
	stdout, stderr, code := runMqttdumpStdin(t, strings.Join(hexArgs, "\n"), "decode", "-x", "-f", "-")
	if code != 0 {
		t.Errorf("decode -f -: exit %d\n%s", code, stderr)
	}
	checkTerminalOutput(t, "decode -x -f -", stdout+stderr, false)
}

// runMqttdumpStdin is runMqttdump with stdin text.
func runMqttdumpStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin := needBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb strings.Builder
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("mqttdump %s: timed out", strings.Join(args, " "))
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("mqttdump %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}
