package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// writeMan prints the manual page in roff, made from the command table and
// the flag sets, so it cannot drift from the help. mqttdump.1 in the
// repository is this output (a test checks it).
func writeMan(w io.Writer) error {
	var b strings.Builder
	cmds := commands()
	b.WriteString(".TH MQTTDUMP 1 \"\" \"mqttdump\" \"User Commands\"\n")
	b.WriteString(".SH NAME\nmqttdump \\- a Wireshark\\-style MQTT packet dissector for the command line\n")
	b.WriteString(".SH SYNOPSIS\n.nf\n")
	for _, c := range cmds {
		for _, s := range c.synopsis {
			b.WriteString(roff(s) + "\n")
		}
	}
	b.WriteString(".fi\n.SH DESCRIPTION\n" + roff(cmds[0].about) + "\n")
	b.WriteString(".PP\nMQTT 3.1, 3.1.1 and 5.0 are decoded; field names are Wireshark's display\\-filter names, " +
		"so what a user knows from Wireshark and tshark carries over.\n")
	b.WriteString(".SH COMMANDS\n")
	for _, c := range cmds[1:] {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", roff(c.name), roff(c.about))
	}
	b.WriteString(".SH OPTIONS\n")
	for _, c := range cmds {
		if c.flags == nil {
			continue
		}
		title := "Reading captures"
		if c.name != "" {
			title = "mqttdump " + c.name
		}
		fmt.Fprintf(&b, ".SS \"%s\"\n", title)
		c.flags(quietStdio(stdio{})).VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			name, usage := pflag.UnquoteUsage(f)
			b.WriteString(".TP\n")
			if f.Shorthand != "" {
				fmt.Fprintf(&b, "\\fB\\-%s\\fR, ", f.Shorthand)
			}
			fmt.Fprintf(&b, "\\fB\\-\\-%s\\fR", roff(f.Name))
			if name != "" {
				fmt.Fprintf(&b, " \\fI%s\\fR", roff(name))
			}
			b.WriteString("\n" + roff(usage))
			if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" {
				fmt.Fprintf(&b, " (default: %s)", roff(d))
			}
			b.WriteString("\n")
		})
	}
	b.WriteString(".SH EXAMPLES\n")
	for _, c := range cmds {
		for _, e := range c.examples {
			fmt.Fprintf(&b, ".PP\n%s:\n.RS\n.nf\n%s\n.fi\n.RE\n", roff(capitalise(e.what)), roff(e.cmd))
		}
	}
	b.WriteString(".SH \"EXIT STATUS\"\n0 success; 1 a runtime failure (an unreadable or cut\\-off capture, no permission to capture); " +
		"2 bad usage or input (a bad flag, hex that is not hex, bytes that are not MQTT).\n")
	b.WriteString(".SH ENVIRONMENT\n.TP\n.B NO_COLOR\nWhen set, \\-\\-color auto never colours.\n" +
		".TP\n.B TERM\n\\fBdumb\\fR turns colour off under \\-\\-color auto.\n")
	b.WriteString(".SH \"SEE ALSO\"\n.BR tcpdump (1),\n.BR tshark (1),\n.BR wireshark\\-filter (4),\n.BR mosquitto (8)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// roff escapes text for a man page: backslashes, dashes (as \-) and a
// leading dot or quote, which roff would read as a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
