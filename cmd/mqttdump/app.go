package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/render"
)

// Exit statuses: 0 fine, 1 a runtime failure (I/O, capture), 2 bad usage or input.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// stdio is the process's environment, passed in so tests can run the CLI in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	env      func(string) string
}

// usageError is bad flags or input: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// outputOpts are the flags shared by the capture and decode modes.
type outputOpts struct {
	format   string // text | json
	color    string // auto | always | never
	maxBytes int
	hex      bool
	version  string
	time     render.TimeFormat // -t, set by the capture mode
	pay      payloadOpts
}

func (o *outputOpts) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.format, "format", "T", "text", "output format: text, json (NDJSON, one object per MQTT packet) or fields (-e, as tshark)")
	fs.StringVar(&o.color, "color", "auto", "colour: auto (only on a terminal, honours NO_COLOR), always or never")
	fs.IntVar(&o.maxBytes, "max-bytes", 64, "cut long values after this many bytes in the breakdown (0 = show all)")
	fs.BoolVarP(&o.hex, "hex", "x", false, "also print each packet's bytes as an annotated hex dump")
	fs.StringVar(&o.version, "mqtt-version", "auto", "MQTT version when no CONNECT is seen: auto (guess), 3.1, 3.1.1 or 5")
	o.pay.register(fs)
}

func (o *outputOpts) check() (dissect.Version, error) {
	if o.format != "text" && o.format != "json" && o.format != "fields" {
		return 0, usagef("-T %s: want text, json or fields", o.format)
	}
	switch o.color {
	case "auto", "always", "never":
	default:
		return 0, usagef("--color %s: want auto, always or never", o.color)
	}
	if o.maxBytes < 0 {
		return 0, usagef("--max-bytes %d: must not be negative", o.maxBytes)
	}
	if err := o.pay.check(); err != nil {
		return 0, err
	}
	if o.version == "auto" {
		return dissect.VersionUnknown, nil
	}
	v, ok := dissect.ParseVersion(o.version)
	if !ok {
		return 0, usagef("--mqtt-version %s: want auto, 3.1, 3.1.1 or 5", o.version)
	}
	return v, nil
}

// printer builds the render.Printer for stdout, deciding colour once.
func (o *outputOpts) printer(sys stdio) *render.Printer {
	on := false
	switch o.color {
	case "always":
		on = true
	case "auto":
		w := sys.out
		if fw, ok := w.(*flushWriter); ok {
			w = fw.term
		}
		if f, ok := w.(*os.File); ok && sys.env("NO_COLOR") == "" && sys.env("TERM") != "dumb" {
			on = isatty.IsTerminal(f.Fd())
		}
	}
	return render.New(sys.out, render.Options{Color: on, MaxValueBytes: o.maxBytes, Time: o.time, NoPayload: o.pay.noPayload})
}

func run(ctx context.Context, args []string, sys stdio) int {
	err := dispatch(ctx, args, sys)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintf(sys.err, "mqttdump: %s\n", msg)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFail
}

// dispatch runs the subcommand args name, or reads a capture.
func dispatch(ctx context.Context, args []string, sys stdio) error {
	if len(args) == 0 {
		return runCapture(ctx, args, sys)
	}
	if args[0] == "--version" {
		return writeVersion(sys.out)
	}
	if c, ok := lookup(args[0]); ok && c.name != "" {
		return c.run(ctx, args[1:], sys)
	}
	if !strings.HasPrefix(args[0], "-") {
		return usagef("unknown command %q (commands: %s; mqttdump -h for help)", args[0], strings.Join(commandNames(), ", "))
	}
	return runCapture(ctx, args, sys)
}
