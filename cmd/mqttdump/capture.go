package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
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
	"github.com/mqttdump/mqttdump/transport/tlsdec"
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
	maxConns    int
	tlsKeylog   string
	idle        time.Duration
	bufferKiB   int
	disp        displayOpts
	// lineBuffered (-l) flushes standard output after every packet.
	lineBuffered bool
	mode         mode
	maxClients   int // stats
	maxTopics    int // stats
	maxRows      int // ladder
}

// mode is what a capture run prints.
type mode uint8

const (
	modePackets mode = iota // packet by packet (the default)
	modeStats               // mqttdump stats: one report at the end
	modeLadder              // mqttdump ladder: a sequence diagram at the end
)

func (m mode) command() string {
	switch m {
	case modeStats:
		return "stats"
	case modeLadder:
		return "ladder"
	}
	return ""
}

func runCapture(ctx context.Context, args []string, sys stdio) error {
	return runCaptureMode(ctx, args, sys, modePackets)
}

func runCaptureMode(ctx context.Context, args []string, sys stdio, md mode) error {
	o := captureOpts{mode: md}
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
	name := "mqttdump"
	if c := o.mode.command(); c != "" {
		name += " " + c
	}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(sys.err)
	fs.SortFlags = false
	fs.StringVarP(&o.read, "read", "r", "", "read packets from a pcap or pcapng FILE (- for standard input)")
	fs.StringVarP(&o.iface, "interface", "i", "", "capture live on IFACE; any captures on all interfaces (Linux, root or CAP_NET_RAW)")
	fs.BoolVarP(&o.list, "list-interfaces", "D", false, "list the interfaces -i can use (any: all of them), and exit")
	fs.StringSliceVarP(&o.ports, "port", "p", nil, "more MQTT TCP ports besides 1883 and 8883: repeat or comma-separate (files find MQTT on any port by content)")
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
	switch o.mode {
	case modeStats:
		fs.IntVar(&o.maxClients, "stats-max-clients", 1000, "stats: distinct client ids reported; more are counted as (other)")
		fs.IntVar(&o.maxTopics, "stats-max-topics", 1000, "stats: distinct topics reported; more are counted as (other)")
	case modeLadder:
		fs.IntVar(&o.maxRows, "max-rows", 10000, "ladder: arrows drawn at most; the rest are counted")
	}
	fs.IntVarP(&o.snaplen, "snaplen", "s", 262144, "live capture: bytes kept of each frame")
	fs.IntVarP(&o.bufferKiB, "buffer-size", "B", capture.DefaultBufferSize>>10, "live capture: kernel buffer in KiB (frames arriving while it is full are dropped)")
	fs.IntVar(&o.maxPacket, "max-packet", capture.DefaultMaxPacket, "largest MQTT packet buffered whole; larger ones are reported by their header and skipped")
	fs.IntVar(&o.maxBuffered, "max-buffered", capture.DefaultMaxBuffered, "bytes buffered across all connections")
	fs.IntVar(&o.maxConns, "max-conns", capture.DefaultMaxConns, "TCP connections tracked at once; past it the least recently active are closed (counted as evicted)")
	fs.StringVar(&o.tlsKeylog, "tls-keylog", "", "decrypt TLS with the secrets of this NSS key log FILE (SSLKEYLOGFILE)")
	fs.DurationVar(&o.idle, "idle-flush", capture.DefaultIdleFlush, "flush connections idle this long in capture time")
	fs.Usage = func() { writeHelp(sys.out, o.mode.command(), fs) }
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
	mermaid := o.mode == modeLadder && o.out.format == "mermaid"
	if mermaid {
		o.out.format = "text"
	}
	ver, err := o.out.check()
	if err != nil {
		return err
	}
	if err := o.checkMode(fs); err != nil {
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
	if o.topic != "" && !dissect.ValidTopicFilter(o.topic) {
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
	r := &runner{opts: o, sys: sysOut, out: out, mermaid: mermaid}
	if o.write != "" {
		// Written beside the target and renamed at the end, so a run that
		// cannot read its input leaves an existing file alone.
		f, err := createTemp(o.write)
		if err != nil {
			return err
		}
		defer os.Remove(f.Name()) // after the rename: nothing left to remove
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
	cc := conn.Config{
		Version: ver,
		View:    view,
		Filter:  flt,
		Shown:   r.shown,
		Ends:    o.verbose,
		Payload: func() dissect.PayloadDecoder { return r.payloads.ForConnection() },
		Inspect: r.redact,
		Tree:    r.wfile != nil && o.out.pay.level != redact.Off,
	}
	switch o.mode {
	case modeStats:
		r.stats = conn.NewStats(o.maxClients, o.maxTopics)
		cc.Stats, cc.View = r.stats, render.Quiet{}
	case modeLadder:
		r.ladder = render.NewLadder(o.maxRows)
		cc.View, cc.Ends = r.ladder, true
	}
	r.stage = conn.New(cc)
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
			st, runErr = capture.ReadFile(ctx, o.read, cfg, r.event)
		}
	} else {
		st, runErr = r.live(ctx, cfg)
	}
	if errors.Is(runErr, errEnough) {
		runErr = nil
	} else if runErr == nil || st.Frames > 0 {
		// Requests and connections still open are said at the end.
		if err := r.stage.Finish(); err != nil && runErr == nil {
			runErr = err
		}
		if err := r.report(st); err != nil && runErr == nil {
			runErr = err
		}
	}
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write output: %w", err)
	}
	if r.wfile != nil {
		if err := r.finishWrite(runErr == nil || st.Frames > 0, st.LinkType); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr == nil || st.Frames > 0 {
		r.endOfRun(st)
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
	if o.maxPacket <= 0 || o.maxBuffered <= 0 || o.maxConns <= 0 {
		return cfg, usagef("--max-packet, --max-buffered and --max-conns must be positive")
	}
	if o.bufferKiB <= 0 || o.bufferKiB > 1<<20 {
		return cfg, usagef("--buffer-size %d: want 1-1048576 KiB", o.bufferKiB)
	}
	cfg.MaxPacket, cfg.MaxBuffered, cfg.IdleFlush = o.maxPacket, o.maxBuffered, o.idle
	cfg.MaxConns = o.maxConns
	if o.tlsKeylog != "" {
		kl, err := readKeyLog(o.tlsKeylog)
		if err != nil {
			return cfg, err
		}
		cfg.KeyLog = kl
	}
	cfg.BufferSize = o.bufferKiB << 10
	return cfg, nil
}

// ifaceEntry is one line of -D.
type ifaceEntry struct {
	name, desc string
	up         bool
}

// interfaceList is what -D lists and -i N numbers: the interfaces, then
// the pseudo-interface any, as tcpdump lists it.
func interfaceList() ([]ifaceEntry, error) {
	ifs, err := capture.Interfaces()
	if err != nil {
		return nil, err
	}
	list := make([]ifaceEntry, 0, len(ifs)+1)
	for _, ifc := range ifs {
		list = append(list, ifaceEntry{name: ifc.Name, up: ifc.Flags&net.FlagUp != 0})
	}
	if runtime.GOOS == "linux" {
		list = append(list, ifaceEntry{name: capture.AnyInterface, desc: "Pseudo-device that captures on all interfaces", up: true})
	}
	return list, nil
}

func listInterfaces(sys stdio) error {
	ifs, err := interfaceList()
	if err != nil {
		return fmt.Errorf("list interfaces: %w", err)
	}
	for i, ifc := range ifs {
		state := "down"
		if ifc.up {
			state = "up"
		}
		if ifc.desc != "" {
			fmt.Fprintf(sys.out, "%d.%s (%s) [%s]\n", i+1, ifc.name, ifc.desc, state)
		} else {
			fmt.Fprintf(sys.out, "%d.%s [%s]\n", i+1, ifc.name, state)
		}
	}
	return nil
}

// errEnough stops the capture once -c packets have been shown.
var errEnough = errors.New("packet count reached")

// runner wires the capture to the connection stage and the output.
type runner struct {
	opts    *captureOpts
	sys     stdio
	out     *flushWriter
	stage   *conn.Pipeline
	stats   *conn.Stats
	ladder  *render.Ladder
	mermaid bool
	wfile   *os.File
	w       *capture.PcapWriter
	shownN  int

	wErr    error           // -w could not start its file
	tainted map[dirKey]bool // --redact: a skipped CONNECT/AUTH may end in the next packet's first frame

	payloads *payload.Set
}

// event hands a capture event to the connection stage; -w forgets the
// frames it keeps for a connection once it closes.
func (r *runner) event(ev *capture.Event) error {
	if ev.Kind == capture.EventClose && r.w != nil {
		r.w.Forget(ev.Stream)
	}
	if ev.Kind == capture.EventClose && r.tainted != nil {
		delete(r.tainted, dirKey{ev.Stream, dissect.ToServer})
		delete(r.tainted, dirKey{ev.Stream, dissect.ToClient})
	}
	r.skippedSecret(ev)
	return r.stage.Event(ev)
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
	all := cfg.MQTTPorts()
	ports := make([]string, len(all))
	for i, p := range all {
		ports[i] = strconv.Itoa(int(p))
	}
	fmt.Fprintf(r.sys.err, "listening on %s, MQTT on tcp port %s, snapshot length %d bytes\n",
		r.opts.iface, strings.Join(ports, ","), r.opts.snaplen)
	return l.Run(ctx, r.event)
}

// endOfRun prints the counts on stderr, like tcpdump.
func (r *runner) endOfRun(st capture.Stats) {
	c := r.stage.Counts()
	rc := render.Counts{Frames: st.Frames, Shown: c.Shown, Total: c.Total, Connections: st.Connections,
		NotMQTT: st.NotMQTT, Encrypted: st.Encrypted,
		Gaps: c.Gaps, Malformed: c.Malformed, Oversize: st.Oversize, Truncated: st.Truncated,
		Live: r.opts.iface != "", Dropped: st.Dropped, Received: st.Received, Quiet: r.opts.quiet, Evicted: st.Evicted, Unsupported: st.UnsupportedLink,
		FragDropped: st.FragDropped, FragOverlap: st.FragOverlap}
	if st.Interrupted && isTerminalWriter(r.sys.err) {
		fmt.Fprintln(r.sys.err) // after the terminal's ^C, as tcpdump does
	}
	if r.w != nil {
		rc.Unwritten, rc.WrittenLate = r.w.Skipped, r.w.Late
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
	ifs, err := interfaceList()
	if err != nil {
		return err
	}
	for _, ifc := range ifs {
		if ifc.name == o.iface {
			return nil
		}
	}
	if n < 1 || n > len(ifs) {
		return usagef("-i %d: there are %d interfaces (mqttdump -D lists them)", n, len(ifs))
	}
	o.iface = ifs[n-1].name
	return nil
}

// checkMode refuses flags of the packet view in stats and ladder, and
// formats a subcommand does not write.
func (o *captureOpts) checkMode(fs *pflag.FlagSet) error {
	if o.mode == modePackets {
		return nil
	}
	name := o.mode.command()
	if o.verbose || o.out.hex || o.write != "" || o.quiet || o.count != 0 || fs.Changed("field") {
		return usagef("%s: -V, -x, -w, -q, -c and -e are for the packet view", name)
	}
	switch {
	case o.mode == modeStats && o.out.format != "text" && o.out.format != "json":
		return usagef("stats -T %s: want text or json", o.out.format)
	case o.mode == modeLadder && o.out.format != "text":
		return usagef("ladder -T %s: want text or mermaid", o.out.format)
	}
	return nil
}

// report prints what stats and ladder gathered.
func (r *runner) report(st capture.Stats) error {
	var err error
	switch r.opts.mode {
	case modeStats:
		rep := r.stats.Report(st.Frames, r.stage.Findings())
		if r.opts.out.format == "json" {
			err = render.WriteStatsJSON(r.out, rep)
		} else {
			err = render.WriteStatsText(r.out, rep, render.StatsOptions{Histograms: isTerminalWriter(r.out.term)})
		}
	case modeLadder:
		if r.mermaid {
			err = r.ladder.WriteMermaid(r.out)
		} else {
			err = r.ladder.WriteText(r.out)
		}
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// readKeyLog reads the --tls-keylog file.
func readKeyLog(path string) (*tlsdec.KeyLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--tls-keylog: cannot open %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	kl, err := tlsdec.ParseKeyLog(f)
	if err != nil {
		return nil, fmt.Errorf("--tls-keylog %s: %w", path, err)
	}
	return kl, nil
}
