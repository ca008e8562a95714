package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/conn"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/payload"
	"github.com/mqttdump/mqttdump/redact"
	"github.com/mqttdump/mqttdump/render"
)

type captureOpts struct {
	out         outputOpts
	read, iface string
	list        bool
	ports       []string
	count       int
	write       string
	verbose     bool
	quiet       bool
	types       []string
	topic       string
	client      string
	snaplen     int
	maxPacket   int
	maxBuffered int
	idle        time.Duration
	bufferKiB   int
	disp        displayOpts
	// lineBuffered (-l) flushes standard output after every packet.
	lineBuffered bool
}

func runCapture(ctx context.Context, args []string, sys stdio) error {
	var o captureOpts
	fs := o.flagSet(sys)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return o.run(ctx, fs, sys)
}

// flagSet declares the capture mode's flags: the one source for parsing,
// help, the man page and shell completion.
func (o *captureOpts) flagSet(sys stdio) *pflag.FlagSet {
	fs := pflag.NewFlagSet("mqttdump", pflag.ContinueOnError)
	fs.SetOutput(sys.err)
	fs.SortFlags = false
	fs.StringVarP(&o.read, "read", "r", "", "read packets from a pcap or pcapng FILE (- for standard input)")
	fs.StringVarP(&o.iface, "interface", "i", "", "capture live on IFACE (Linux; root or CAP_NET_RAW)")
	fs.BoolVarP(&o.list, "list-interfaces", "D", false, "list the interfaces -i can use, and exit")
	fs.StringSliceVarP(&o.ports, "port", "p", []string{"1883"}, "MQTT TCP port(s): repeat or comma-separate")
	fs.BoolVarP(&o.verbose, "verbose", "V", false, "print the annotated byte-by-byte breakdown under each summary line")
	fs.IntVarP(&o.count, "count", "c", 0, "stop after N MQTT packets have been shown")
	fs.StringVarP(&o.write, "write", "w", "", "write the frames that carried the shown MQTT packets to a pcap FILE")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the end-of-run counts")
	fs.BoolVarP(&o.lineBuffered, "line-buffered", "l", false, "flush standard output after every packet (as tcpdump -l), for pipes into other programs")
	fs.StringSliceVar(&o.types, "type", nil, "show only these packet types: names or numbers, comma-separated (publish,subscribe or 3,8)")
	fs.StringVar(&o.topic, "topic", "", "show only PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters matching this MQTT filter (+ and # wildcards)")
	fs.StringVar(&o.client, "client", "", "show only the connection whose CONNECT carried this client id (both directions)")
	o.out.register(fs)
	o.disp.register(fs)
	fs.IntVarP(&o.snaplen, "snaplen", "s", 262144, "live capture: bytes kept of each frame")
	fs.IntVarP(&o.bufferKiB, "buffer-size", "B", capture.DefaultBufferSize>>10, "live capture: kernel buffer in KiB (frames arriving while it is full are dropped)")
	fs.IntVar(&o.maxPacket, "max-packet", capture.DefaultMaxPacket, "largest MQTT packet buffered whole; larger ones are reported by their header and skipped")
	fs.IntVar(&o.maxBuffered, "max-buffered", capture.DefaultMaxBuffered, "bytes buffered across all connections")
	fs.DurationVar(&o.idle, "idle-flush", capture.DefaultIdleFlush, "flush connections idle this long in capture time")
	fs.Usage = func() { writeHelp(sys.out, "", fs) }
	return fs
}

func (o *captureOpts) run(ctx context.Context, fs *pflag.FlagSet, sys stdio) error {
	if fs.NArg() > 0 {
		// tcpdump takes a capture filter here; mqttdump filters what it decoded.
		return usagef("unexpected argument %q: mqttdump takes no capture filter expression; "+
			"select packets with a display filter (-Y 'ip.addr == 10.0.0.5', as tshark) or --type/--topic/--client, "+
			"or filter with tcpdump first (tcpdump -r FILE -w - 'EXPR' | mqttdump -r -)", strings.Join(fs.Args(), " "))
	}
	if err := o.check(fs); err != nil {
		return err
	}
	if err := o.ifaceByNumber(); err != nil {
		return err
	}
	if o.list {
		return listInterfaces(sys)
	}
	if o.disp.list != "" {
		return listVocabulary(o.disp.list, sys)
	}
	ver, err := o.out.check()
	if err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	disp, err := o.disp.check(o.out.format, fs.Changed("filter"))
	if err != nil {
		return err
	}
	o.out.time = disp.timeFmt
	types, err := conn.ParseTypes(o.types)
	if err != nil {
		return usageError{err.Error()}
	}
	if o.topic != "" && !conn.ValidFilter(o.topic) {
		return usagef("--topic %q: not a valid MQTT topic filter", o.topic)
	}
	switch {
	case o.read != "" && o.iface != "":
		return usagef("give -r FILE or -i IFACE, not both")
	case o.read == "" && o.iface == "":
		return usagef("nothing to read: give -r FILE or -i IFACE (mqttdump -h for help)")
	}
	// Output is buffered (one write per packet would dominate the run
	// time on large captures), but flushed after every packet when someone
	// is watching: a live capture or a terminal.
	out := newFlushWriter(sys.out, o.iface != "" || o.lineBuffered || isTerminalWriter(sys.out) || isPipeInput(o.read, sys))
	defer out.Flush()
	sysOut := sys
	sysOut.out = out
	r := &runner{opts: o, sys: sysOut, out: out}
	if o.write != "" {
		f, err := os.Create(o.write)
		if err != nil {
			return fmt.Errorf("cannot create %s: %w", o.write, unwrapPath(err))
		}
		defer f.Close()
		r.wfile = f
		cfg.KeepFrames = true
	}
	r.payloads = o.out.pay.decoders(o.out.maxBytes)
	var flt conn.Filter = &conn.Basic{Types: types, Topic: o.topic, Client: o.client}
	if disp.filter != nil {
		flt = conn.All{flt, &conn.Display{F: disp.filter}}
	}
	view, err := o.view(sysOut, &disp)
	if err != nil {
		return err
	}
	r.stage = conn.New(conn.Config{
		Version: ver,
		View:    view,
		Filter:  flt,
		Shown:   r.shown,
		Payload: func() dissect.PayloadDecoder { return r.payloads.ForConnection() },
		Inspect: r.redact,
		Tree:    r.wfile != nil && o.out.pay.level != redact.Off,
	})
	var st capture.Stats
	var runErr error
	if o.read != "" {
		// Files get the two-stage pipeline unless output is watched live,
		// -w needs the frames (they live only during the callback) or -c
		// should stop reading at once.
		if r.wfile == nil && !out.each && o.count == 0 {
			stage := newAsyncStage(r.stage.Event)
			st, runErr = capture.ReadFile(ctx, o.read, cfg, stage.add)
			if consErr := stage.finish(); consErr != nil || errors.Is(runErr, errConsumerStopped) {
				runErr = consErr
			}
		} else {
			st, runErr = capture.ReadFile(ctx, o.read, cfg, r.stage.Event)
		}
	} else {
		st, runErr = r.live(ctx, cfg)
	}
	if errors.Is(runErr, errEnough) {
		runErr = nil
	}
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write output: %w", err)
	}
	if runErr == nil || st.Frames > 0 {
		r.endOfRun(st)
	}
	if r.wfile != nil {
		if err := r.wfile.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("write %s: %w", o.write, err)
		}
	}
	return runErr
}

// view picks what each shown packet is drawn as.
func (o *captureOpts) view(sys stdio, d *display) (render.View, error) {
	if o.quiet {
		return render.Quiet{}, nil
	}
	if d.fieldsOK {
		fp := render.NewFieldsPrinter(sys.out, d.fields, d.fopts)
		return &render.FieldsView{P: fp, Out: sys.err, Tree: d.fieldsNeedTree()}, fp.Header()
	}
	return &render.Packets{P: o.out.printer(sys), Out: sys.out, Err: sys.err,
		JSON: o.out.format == "json", Breakdown: o.verbose, Hex: o.out.hex}, nil
}

func (o *captureOpts) config() (capture.Config, error) {
	var cfg capture.Config
	seen := map[uint16]bool{}
	for _, item := range o.ports {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			n, err := strconv.ParseUint(s, 10, 16)
			if err != nil || n == 0 {
				return cfg, usagef("--port %s: want a TCP port number 1-65535", s)
			}
			if !seen[uint16(n)] {
				seen[uint16(n)] = true
				cfg.Ports = append(cfg.Ports, uint16(n))
			}
		}
	}
	if o.iface != "" && len(cfg.Ports) > capture.MaxLivePorts {
		return cfg, usagef("--port: a live capture's kernel filter takes at most %d ports, got %d", capture.MaxLivePorts, len(cfg.Ports))
	}
	if o.snaplen <= 0 || o.snaplen > 262144 {
		return cfg, usagef("--snaplen %d: want 1-262144", o.snaplen)
	}
	if o.maxPacket <= 0 || o.maxBuffered <= 0 {
		return cfg, usagef("--max-packet and --max-buffered must be positive")
	}
	if o.bufferKiB <= 0 || o.bufferKiB > 1<<20 {
		return cfg, usagef("--buffer-size %d: want 1-1048576 KiB", o.bufferKiB)
	}
	cfg.MaxPacket, cfg.MaxBuffered, cfg.IdleFlush = o.maxPacket, o.maxBuffered, o.idle
	cfg.BufferSize = o.bufferKiB << 10
	return cfg, nil
}

func listInterfaces(sys stdio) error {
	ifs, err := capture.Interfaces()
	if err != nil {
		return fmt.Errorf("list interfaces: %w", err)
	}
	for i, ifc := range ifs {
		state := "down"
		if ifc.Flags&1 != 0 {
			state = "up"
		}
		fmt.Fprintf(sys.out, "%d.%s [%s]\n", i+1, ifc.Name, state)
	}
	return nil
}

// errEnough stops the capture once -c packets have been shown.
var errEnough = errors.New("packet count reached")

// runner wires the capture to the connection stage and the output.
type runner struct {
	opts   *captureOpts
	sys    stdio
	out    *flushWriter
	stage  *conn.Pipeline
	wfile  *os.File
	w      *capture.PcapWriter
	shownN int

	payloads *payload.Set
	poisoned poisoned // frames -w leaves out: their secrets could not be redacted
}

// shown runs after each shown packet is drawn: -w, flushing, -c.
func (r *runner) shown(ev *capture.Event) error {
	if r.wfile != nil {
		if err := r.writeFrames(ev); err != nil {
			return err
		}
	}
	if err := r.out.packetDone(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	r.shownN++
	if r.opts.count > 0 && r.shownN >= r.opts.count {
		return errEnough
	}
	return nil
}

func (r *runner) live(ctx context.Context, cfg capture.Config) (capture.Stats, error) {
	l, err := capture.OpenLive(r.opts.iface, cfg, r.opts.snaplen)
	if err != nil {
		return capture.Stats{}, err
	}
	defer l.Close()
	if l.Warning != "" {
		fmt.Fprintf(r.sys.err, "mqttdump: warning: %s\n", l.Warning)
	}
	ports := make([]string, len(cfg.Ports))
	for i, p := range cfg.Ports {
		ports[i] = strconv.Itoa(int(p))
	}
	fmt.Fprintf(r.sys.err, "listening on %s, MQTT on tcp port %s, snapshot length %d bytes\n",
		r.opts.iface, strings.Join(ports, ","), r.opts.snaplen)
	return l.Run(ctx, r.stage.Event)
}

// endOfRun prints the counts on stderr, like tcpdump.
func (r *runner) endOfRun(st capture.Stats) {
	c := r.stage.Counts()
	rc := render.Counts{Frames: st.Frames, Shown: c.Shown, Total: c.Total, Connections: st.Connections,
		Gaps: c.Gaps, Malformed: c.Malformed, Oversize: st.Oversize, Truncated: st.Truncated,
		Live: r.opts.iface != "", Dropped: st.Dropped, Quiet: r.opts.quiet}
	if st.Interrupted && isTerminalWriter(r.sys.err) {
		fmt.Fprintln(r.sys.err) // after the terminal's ^C, as tcpdump does
	}
	if r.w != nil {
		rc.Unwritten = r.w.Skipped
	}
	render.WriteCounts(r.sys.err, rc)
	r.payloadCounts()
}

// check refuses flag values that make no sense, with one line each.
func (o *captureOpts) check(fs *pflag.FlagSet) error {
	switch {
	case o.list && (o.read != "" || o.iface != ""):
		return usagef("-D lists the interfaces and exits: it takes no -r or -i")
	case fs.Changed("count") && o.count <= 0:
		return usagef("-c %d: want a positive number of packets", o.count)
	case fs.Changed("topic") && o.topic == "":
		return usagef("--topic '': give an MQTT topic filter, such as 'sensors/#'")
	case fs.Changed("client") && o.client == "":
		return usagef("--client '': give a client identifier")
	case o.idle <= 0:
		return usagef("--idle-flush %s: want a positive duration, such as 2m", o.idle)
	}
	return nil
}

// ifaceByNumber takes -i N as the Nth interface -D lists, as tcpdump does,
// unless an interface is really called N.
func (o *captureOpts) ifaceByNumber() error {
	n, err := strconv.Atoi(o.iface)
	if err != nil || o.iface == "" {
		return nil
	}
	ifs, err := capture.Interfaces()
	if err != nil {
		return err
	}
	for _, ifc := range ifs {
		if ifc.Name == o.iface {
			return nil
		}
	}
	if n < 1 || n > len(ifs) {
		return usagef("-i %d: there are %d interfaces (mqttdump -D lists them)", n, len(ifs))
	}
	o.iface = ifs[n-1].Name
	return nil
}
