package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// command is one subcommand: how to run it and how to explain it. The
// table below is the one source for dispatch, help, the man page and shell
// completion.
type command struct {
	name     string // "" is the default: read a capture
	synopsis []string
	summary  string // one line, for lists
	about    string // a paragraph, for help and the man page
	examples []example
	// flags declares the command's flags (nil: none). Help, the man page and
	// completion call it with a throw-away stdio.
	flags func(sys stdio) *pflag.FlagSet
	run   func(ctx context.Context, args []string, sys stdio) error
	// args completes the command's positional arguments in shells.
	args []string
}

// example is a worked example: what it is for, then the command.
type example struct{ what, cmd string }

// commands lists every subcommand, the common jobs first.
func commands() []command {
	return []command{
		{
			name: "",
			synopsis: []string{
				"mqttdump -r FILE [flags]",
				"mqttdump -i IFACE [flags]",
				"mqttdump -D",
			},
			summary: "read a capture file or a live interface and show its MQTT",
			about: "Reads a pcap or pcapng file (-r, - for standard input) or captures live (-i, Linux, root or " +
				"CAP_NET_RAW), reassembles both directions of every TCP connection that carries MQTT and prints each " +
				"MQTT control packet: a summary line (default), the annotated byte-by-byte breakdown (-V), an " +
				"annotated hex dump (-x) or NDJSON (-T json). The end-of-run counts go to standard error.",
			examples: []example{
				{"every MQTT packet of a capture, one line each", "mqttdump -r capture.pcap"},
				{"the annotated byte-by-byte breakdown of each packet", "mqttdump -r capture.pcap -V"},
				{"only PUBLISH and PUBACK packets on sensor topics", "mqttdump -r capture.pcap --type publish,puback --topic 'sensors/#'"},
				{"NDJSON, one object per packet, for jq", "mqttdump -r capture.pcap -T json | jq .summary"},
				{"one client's connection, saved for Wireshark", "mqttdump -r capture.pcap --client sensor-7 -w sensor-7.pcap"},
				{"live on the loopback interface, 100 packets", "sudo mqttdump -i lo -c 100"},
				{"live on every interface (Linux cooked capture), saved for Wireshark", "sudo mqttdump -i any -w all.pcap"},
				{"from tcpdump through a pipe (-U: tcpdump writes each packet at once)", "sudo tcpdump -U -i eth0 -w - port 1883 | mqttdump -r - -l"},
				{"the interfaces -i can use (any: all of them)", "mqttdump -D"},
			},
			flags: func(sys stdio) *pflag.FlagSet { var o captureOpts; return o.flagSet(sys) },
			run:   runCapture,
		},
		{
			name:     "decode",
			synopsis: []string{"mqttdump decode [flags] [HEX ...]"},
			summary:  "decode MQTT packets from pasted hex, or a whole pasted frame",
			about: "Decodes MQTT packets from hex given as arguments (one per line; a # comment ends with its " +
				"argument), with -f FILE, or on standard input. Spaced or packed hex, 0x and \\x prefixes, commas, " +
				"colons, Python b'...' literals, C arrays, xxd, hexdump, hexdump -C, od, od -x, tcpdump -x/-X/-XX " +
				"and Wireshark/tshark hex dumps are read (offsets and ASCII columns are ignored). A whole frame " +
				"(Ethernet, Linux cooked or raw IP, then TCP) is recognised: its headers are named one a line and the " +
				"MQTT after them decoded. Bytes that are not MQTT (HTTP, TLS, random) are named as such (exit 2).",
			examples: []example{
				{"one packet, spaced hex", "mqttdump decode '10 26 00 04 4d 51 54 54 04 c2 00 3c 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6d 69 6e 00 08 70 61 73 73 77 6f 72 64'"},
				{"any hex dump on standard input", "xxd packet.bin | mqttdump decode"},
				{"a frame copied from tcpdump -XX or tshark -x", "tcpdump -r capture.pcap -XX -c 1 | mqttdump decode"},
				{"several packets, one summary line each", "mqttdump decode -s 'c0 00 # ping' 'e0 00 # disconnect'"},
				{"MQTT 5 packets without their CONNECT", "mqttdump decode -f pasted.txt --mqtt-version 5"},
			},
			flags: func(sys stdio) *pflag.FlagSet { var o decodeOpts; return o.flagSet(sys) },
			run:   func(_ context.Context, args []string, sys stdio) error { return runDecode(args, sys) },
		},
		statsCommand(),
		ladderCommand(),
		{
			name:     "completion",
			synopsis: []string{"mqttdump completion bash|zsh|fish"},
			summary:  "print a shell completion script",
			about: "Prints a completion script for bash, zsh or fish. It completes subcommands, flags and their " +
				"values, interface names after -i and field names after -Y and -e.",
			examples: []example{
				{"bash, for this shell", "source <(mqttdump completion bash)"},
				{"zsh, installed", "mqttdump completion zsh > \"${fpath[1]}/_mqttdump\""},
				{"fish, installed", "mqttdump completion fish > ~/.config/fish/completions/mqttdump.fish"},
			},
			run:  runCompletion,
			args: []string{"bash", "zsh", "fish"},
		},
		{
			name:     "version",
			synopsis: []string{"mqttdump version", "mqttdump --version"},
			summary:  "print the version, the Go version and the commit",
			about:    "Prints mqttdump's version, the commit it was built from (from the Go build information) and the Go version.",
			run:      func(_ context.Context, _ []string, sys stdio) error { return writeVersion(sys.out) },
		},
		{
			name:     "man",
			synopsis: []string{"mqttdump man"},
			summary:  "print the manual page (roff)",
			about:    "Prints the manual page, made from the same flags and texts as the help: mqttdump man | man -l -",
			run:      func(_ context.Context, _ []string, sys stdio) error { return writeMan(sys.out) },
		},
		{
			name:     "help",
			synopsis: []string{"mqttdump help [COMMAND]"},
			summary:  "help for mqttdump or one of its commands",
			about:    "Prints the help of a command, with worked examples; mqttdump -h and mqttdump COMMAND -h do the same.",
			run:      runHelp,
		},
	}
}

// lookup finds a command by name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// runHelp prints the help of the command named, or the main help.
func runHelp(_ context.Context, args []string, sys stdio) error {
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	c, ok := lookup(name)
	if !ok || name == "" && len(args) > 0 {
		return usagef("help %s: no such command (commands: %s)", name, strings.Join(commandNames(), ", "))
	}
	var fs *pflag.FlagSet
	if c.flags != nil {
		fs = c.flags(quietStdio(sys))
	}
	writeHelp(sys.out, c.name, fs)
	return nil
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		if c.name != "" {
			names = append(names, c.name)
		}
	}
	return names
}

// quietStdio is sys with nowhere to write: flag sets built only to be described.
func quietStdio(sys stdio) stdio {
	sys.out, sys.err = io.Discard, io.Discard
	return sys
}

// writeHelp prints a command's help: usage, what it does, examples, flags.
func writeHelp(w io.Writer, name string, fs *pflag.FlagSet) {
	c, _ := lookup(name)
	var b strings.Builder
	for i, s := range c.synopsis {
		lead := "Usage: "
		if i > 0 {
			lead = "       "
		}
		b.WriteString(lead + s + "\n")
	}
	b.WriteString("\n" + wrap(c.about, 78, "") + "\n")
	if name == "" {
		b.WriteString("\nCommands:\n")
		for _, sc := range commands() {
			if sc.name != "" {
				fmt.Fprintf(&b, "  %-11s %s\n", sc.name, sc.summary)
			}
		}
	}
	if len(c.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(&b, "  # %s\n  %s\n\n", e.what, e.cmd)
		}
	} else {
		b.WriteString("\n")
	}
	if fs != nil {
		b.WriteString("Flags:\n")
		b.WriteString(fs.FlagUsagesWrapped(100))
	}
	if name == "" {
		b.WriteString("\nmqttdump help COMMAND (or mqttdump COMMAND -h) explains a command; mqttdump man prints the manual.\n")
	}
	io.WriteString(w, b.String())
}

// wrap breaks text into lines of at most width runes, each after indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}
