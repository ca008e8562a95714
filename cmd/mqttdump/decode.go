package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/hexinput"
	"github.com/mqttdump/mqttdump/redact"
	"github.com/mqttdump/mqttdump/render"
	"github.com/mqttdump/mqttdump/transport"
)

// decodeOpts are the flags of mqttdump decode.
type decodeOpts struct {
	out     outputOpts
	file    string
	summary bool
}

func (o *decodeOpts) flagSet(sys stdio) *pflag.FlagSet {
	fs := pflag.NewFlagSet("decode", pflag.ContinueOnError)
	fs.SetOutput(sys.err)
	fs.SortFlags = false
	o.out.register(fs)
	fs.StringVarP(&o.file, "file", "f", "", "read the hex from FILE (- for standard input)")
	fs.BoolVarP(&o.summary, "summary", "s", false, "print only the one-line summary of each packet")
	fs.Usage = func() { writeHelp(sys.out, "decode", fs) }
	return fs
}

func runDecode(args []string, sys stdio) error {
	var do decodeOpts
	fs := do.flagSet(sys)
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	o, file, summary := &do.out, &do.file, &do.summary
	ver, err := o.check()
	if err != nil {
		return err
	}
	if o.format == "fields" {
		return usagef("-T fields needs a capture (-r or -i)")
	}
	in, closeIn, err := decodeInput(fs.Args(), *file, sys)
	if err != nil {
		return err
	}
	defer closeIn()
	out := newFlushWriter(sys.out, false)
	defer out.Flush()
	sys.out = out
	d := &decoder{opts: o, summary: *summary, pr: o.printer(sys), w: out, sess: dissect.NewSession(ver)}
	// Each packet is printed before the next is dissected: one arena serves all.
	d.sess.Arena = dissect.NewArena()
	d.sess.Payload = o.pay.decoders(o.maxBytes).ForConnection()
	err = hexinput.Stream(&capReader{r: in, left: maxHexInput}, d.add)
	if err == nil {
		err = d.endBlock()
	}
	if err != nil {
		var we writeError
		if errors.As(err, &we) {
			return err
		}
		return usagef("decode: %v", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// writeError is a failure to write the output (exit 1), not bad input.
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }

// decoder prints the MQTT packets of the pasted bytes as they are parsed.
// Bytes are kept per pasted block until the block ends (a block may be a
// whole frame, told by its headers) or, for long runs of bare MQTT, until
// packets are complete: memory follows the largest packet, not the paste.
type decoder struct {
	opts    *outputOpts
	summary bool
	pr      *render.Printer
	w       io.Writer
	sess    *dissect.Session
	buf     []byte // the current block's bytes not yet printed
	shown   int    // packets printed
	head    bool   // the current block's start has been judged MQTT
	dir     dissect.Direction
	framer  *transport.Framer // the block's, while it has one
	err     error             // first error of the framer's callback
}

// frameMax bounds a pasted frame (libpcap's largest snaplen): longer runs
// are bare MQTT and are printed as their packets complete.
const frameMax = 262144

func (d *decoder) add(b []byte, newBlock bool) error {
	if newBlock {
		if err := d.endBlock(); err != nil {
			return err
		}
	}
	d.buf = append(d.buf, b...)
	if len(d.buf) > frameMax {
		return d.drain(false)
	}
	return nil
}

// endBlock prints what is left of the block: a whole frame's headers and
// payload, or MQTT packets.
func (d *decoder) endBlock() error {
	defer func() { d.buf, d.head = d.buf[:0], false }()
	if len(d.buf) == 0 {
		return nil
	}
	if !d.head {
		if f, ok := capture.SplitFrame(d.buf); ok {
			return d.frame(f)
		}
	}
	return d.drain(true)
}

// frame prints a pasted frame's headers, one line each, then its MQTT.
func (d *decoder) frame(f capture.PastedFrame) error {
	if d.shown > 0 && !d.summary && d.opts.format == "text" {
		fmt.Fprintln(d.w)
	}
	if d.opts.format == "text" {
		for _, h := range f.Headers {
			if _, err := fmt.Fprintf(d.w, " %04x  [%d bytes] %s\n", h.Offset, h.Length, h.Text); err != nil {
				return writeError{err}
			}
		}
	}
	if len(f.Payload) == 0 {
		_, err := fmt.Fprintln(d.w, "(no TCP payload)")
		return err
	}
	d.dir = dissect.ToClient
	if f.DstPort < f.SrcPort {
		d.dir = dissect.ToServer // the lower port is the broker's, as a rule
	}
	d.buf = append(d.buf[:0], f.Payload...)
	d.shown = 0 // the headers stand between the packets
	return d.drain(true)
}

// drain prints the complete packets at the head of buf; at the end of a
// block (final) also an incomplete last packet, as far as it goes.
func (d *decoder) drain(final bool) error {
	b := d.buf
	if !d.head && len(b) > 0 {
		if why := notMQTT(b); why != "" {
			return errors.New(why)
		}
		d.head = true
	}
	// The capture's framer cuts the packets, so a paste resynchronises
	// after garbage the way a capture does.
	if d.framer == nil {
		d.framer = transport.NewFramer(transport.FramerConfig{Sink: d.framed})
	}
	d.framer.Write(b, transport.Source{})
	if final {
		d.framer.Finish()
		d.framer = nil
	}
	d.buf = d.buf[:0]
	err := d.err
	d.err = nil
	return err
}

// framed prints what the framer cuts: packets, and notes about skipped bytes.
func (d *decoder) framed(ev *transport.Event) {
	if d.err != nil {
		return
	}
	if ev.Kind == transport.KindPacket {
		if err := d.print(ev.Data); err != nil {
			d.err = writeError{err}
		}
		return
	}
	if d.opts.format == "json" {
		return
	}
	if _, err := fmt.Fprintf(d.w, "[note] %s\n", render.Escape(ev.Message)); err != nil {
		d.err = writeError{err}
	}
}

// notMQTT names bytes that are clearly something else, so a paste of the
// wrong thing is said to be that instead of shown as bogus packets. One
// packet whose declared length is exactly the paste counts as MQTT even
// with bad flags: that is how a broken packet is examined.
func notMQTT(b []byte) string {
	if dissect.Plausible(b) || dissect.FrameHead(b).Total == len(b) {
		return ""
	}
	switch {
	case websocketOrHTTP(b):
		return "no MQTT: this is HTTP text"
	case len(b) >= 3 && b[0] == 0x16 && b[1] == 3:
		return "no MQTT: this is a TLS handshake record"
	}
	return fmt.Sprintf("no MQTT: the bytes do not start with an MQTT fixed header (0x%02x %s)", b[0], dissect.TypeName(b[0]>>4))
}

func websocketOrHTTP(b []byte) bool {
	for _, p := range []string{"GET ", "POST ", "PUT ", "HEAD ", "HTTP/1.", "OPTIONS ", "DELETE "} {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			return true
		}
	}
	return false
}

func (d *decoder) print(pkt []byte) error {
	p := d.sess.Dissect(pkt, d.dir)
	redact.Packet(p, d.opts.pay.level)
	var err error
	switch {
	case d.opts.format == "json":
		err = d.pr.JSON(p, nil)
	case d.summary:
		err = d.pr.Summary(p, nil)
	default:
		if d.shown > 0 {
			fmt.Fprintln(d.w)
		}
		err = d.pr.Breakdown(p)
	}
	if err == nil && d.opts.hex && d.opts.format == "text" {
		err = d.pr.Hex(p)
	}
	d.shown++
	return err
}

// decodeInput opens the hex text: arguments (one a line), a file or stdin.
func decodeInput(args []string, file string, sys stdio) (io.Reader, func(), error) {
	nop := func() {}
	switch {
	case file != "" && len(args) > 0:
		return nil, nop, usagef("decode: give the hex as arguments or with -f, not both")
	case file == "-" || (file == "" && (len(args) == 0 || (len(args) == 1 && args[0] == "-"))):
		if f, ok := sys.in.(*os.File); ok && isTerminal(f) {
			return nil, nop, usagef("decode: no hex given (pass it as arguments, with -f FILE, or on standard input)")
		}
		return sys.in, nop, nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, nop, fmt.Errorf("cannot open %s: %w", file, unwrapPath(err))
		}
		return f, func() { f.Close() }, nil
	}
	// One argument a line: a comment ends with its argument.
	return strings.NewReader(strings.Join(args, "\n")), nop, nil
}

// maxHexInput bounds what decode reads: pasted hex is small, and a runaway
// pipe must not run for ever.
const maxHexInput = 64 << 20

// capReader fails once more than left bytes are read.
type capReader struct {
	r    io.Reader
	left int
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= n
	if c.left < 0 {
		return 0, fmt.Errorf("more than %d MiB of hex", maxHexInput>>20)
	}
	return n, err
}
