package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/hexinput"
	"github.com/mqttdump/mqttdump/redact"
)

const decodeUsage = `Usage: mqttdump decode [flags] [HEX ...]

Decodes MQTT packets from pasted hex and prints the annotated breakdown.
The hex comes from the arguments, from -f FILE, or from standard input
(no arguments, or "-"). Spaced or packed hex, 0x/\x prefixes, commas,
colons, Python b'...' literals, C arrays, xxd, hexdump -C, od and
Wireshark hex dumps are all accepted. Several packets in a row are shown
one after another.

Flags:
`

func runDecode(args []string, sys stdio) error {
	fs := pflag.NewFlagSet("decode", pflag.ContinueOnError)
	fs.SetOutput(sys.err)
	var o outputOpts
	o.register(fs)
	file := fs.StringP("file", "f", "", "read the hex from FILE (- for standard input)")
	summary := fs.BoolP("summary", "s", false, "print only the one-line summary of each packet")
	fs.Usage = func() {
		fmt.Fprint(sys.err, decodeUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	ver, err := o.check()
	if err != nil {
		return err
	}
	text, err := decodeInput(fs.Args(), *file, sys)
	if err != nil {
		return err
	}
	raw, err := hexinput.Parse(text)
	if err != nil {
		return usagef("decode: %v", err)
	}
	out := newFlushWriter(sys.out, false)
	defer out.Flush()
	sys.out = out
	pr := o.printer(sys)
	sess := dissect.NewSession(ver)
	sess.Payload = o.pay.decoders(o.maxBytes).ForConnection()
	for i, pkt := range splitPackets(raw) {
		p := sess.Dissect(pkt, dissect.DirUnknown)
		redact.Packet(p, o.pay.level)
		switch {
		case o.format == "json":
			err = pr.JSON(p, nil)
		case *summary:
			err = pr.Summary(p, nil)
		default:
			if i > 0 {
				fmt.Fprintln(sys.out)
			}
			err = pr.Breakdown(p)
		}
		if err == nil && o.hex && o.format == "text" {
			err = pr.Hex(p)
		}
		if err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// decodeInput gathers the hex text from arguments, a file or stdin.
func decodeInput(args []string, file string, sys stdio) (string, error) {
	read := func(name string, r io.Reader) (string, error) {
		b, err := readLimited(r)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", name, err)
		}
		return string(b), nil
	}
	switch {
	case file != "" && len(args) > 0:
		return "", usagef("decode: give the hex as arguments or with -f, not both")
	case file == "-" || (file == "" && (len(args) == 0 || (len(args) == 1 && args[0] == "-"))):
		if f, ok := sys.in.(*os.File); ok && isTerminal(f) {
			return "", usagef("decode: no hex given (pass it as arguments, with -f FILE, or on standard input)")
		}
		return read("standard input", sys.in)
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("cannot open %s: %w", file, unwrapPath(err))
		}
		defer f.Close()
		return read(file, f)
	}
	return strings.Join(args, " "), nil
}

// maxHexInput bounds what decode reads: pasted hex is small, and a runaway
// pipe must not eat memory.
const maxHexInput = 64 << 20

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxHexInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxHexInput {
		return nil, fmt.Errorf("more than %d MiB of hex", maxHexInput>>20)
	}
	return b, nil
}

// splitPackets frames a byte string into MQTT packets with the same framer
// the capture path uses. An incomplete last packet is returned as it is (the
// dissector says how many bytes are missing); after a remaining length that
// cannot be read, the rest is one undecodable packet.
func splitPackets(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		f := dissect.FrameHead(b)
		if f.Status != dissect.FrameComplete {
			return append(out, b)
		}
		out = append(out, b[:f.Total])
		b = b[f.Total:]
	}
	return out
}
