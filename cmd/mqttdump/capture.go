package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/payload"
	"github.com/mqttdump/mqttdump/redact"
	"github.com/mqttdump/mqttdump/render"
)

const captureUsage = `Usage: mqttdump -r FILE [flags]      read a pcap or pcapng file (- for standard input)
       mqttdump -i IFACE [flags]     capture live (Linux; needs root or CAP_NET_RAW)
       mqttdump -D                   list interfaces
       mqttdump decode [flags] HEX   decode pasted hex (mqttdump decode -h)

Keeps TCP on the MQTT ports, reassembles both directions of every connection
and prints each MQTT packet: a summary line (default), the annotated
breakdown (-V), a hex dump (-x) or NDJSON (-T json).

Flags:
`

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
}

func runCapture(ctx context.Context, args []string, sys stdio) error {
	fs := pflag.NewFlagSet("mqttdump", pflag.ContinueOnError)
	fs.SetOutput(sys.err)
	fs.SortFlags = false
	var o captureOpts
	fs.StringVarP(&o.read, "read", "r", "", "read packets from a pcap or pcapng FILE (- for standard input)")
	fs.StringVarP(&o.iface, "interface", "i", "", "capture live on IFACE (Linux; root or CAP_NET_RAW)")
	fs.BoolVarP(&o.list, "list-interfaces", "D", false, "list the interfaces -i can use, and exit")
	fs.StringSliceVarP(&o.ports, "port", "p", []string{"1883"}, "MQTT TCP port(s): repeat or comma-separate")
	fs.BoolVarP(&o.verbose, "verbose", "V", false, "print the annotated byte-by-byte breakdown under each summary line")
	fs.IntVarP(&o.count, "count", "c", 0, "stop after N MQTT packets have been shown")
	fs.StringVarP(&o.write, "write", "w", "", "write the frames that carried the shown MQTT packets to a pcap FILE")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the end-of-run counts")
	fs.StringSliceVar(&o.types, "type", nil, "show only these packet types: names or numbers, comma-separated (publish,subscribe or 3,8)")
	fs.StringVar(&o.topic, "topic", "", "show only PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters matching this MQTT filter (+ and # wildcards)")
	fs.StringVar(&o.client, "client", "", "show only the connection whose CONNECT carried this client id (both directions)")
	o.out.register(fs)
	fs.IntVarP(&o.snaplen, "snaplen", "s", 262144, "live capture: bytes kept of each frame")
	fs.IntVarP(&o.bufferKiB, "buffer-size", "B", capture.DefaultBufferSize>>10, "live capture: kernel buffer in KiB (frames arriving while it is full are dropped)")
	fs.IntVar(&o.maxPacket, "max-packet", capture.DefaultMaxPacket, "largest MQTT packet buffered whole; larger ones are reported by their header and skipped")
	fs.IntVar(&o.maxBuffered, "max-buffered", capture.DefaultMaxBuffered, "bytes buffered across all connections")
	fs.DurationVar(&o.idle, "idle-flush", capture.DefaultIdleFlush, "flush connections idle this long in capture time")
	fs.Usage = func() {
		fmt.Fprint(sys.err, captureUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (capture filters are not supported; use --port, --type, --topic, --client)", fs.Arg(0))
	}
	if o.list {
		return listInterfaces(sys)
	}
	ver, err := o.out.check()
	if err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	types, err := parseTypes(o.types)
	if err != nil {
		return err
	}
	if o.topic != "" && !validFilter(o.topic) {
		return usagef("--topic %q: not a valid MQTT topic filter", o.topic)
	}
	switch {
	case o.read != "" && o.iface != "":
		return usagef("give -r FILE or -i IFACE, not both")
	case o.read == "" && o.iface == "":
		fs.Usage()
		return usagef("nothing to read: give -r FILE, -i IFACE or decode HEX")
	}
	// Output is buffered (one write per packet would dominate the run
	// time on large captures), but flushed after every packet when someone
	// is watching: a live capture or a terminal.
	out := newFlushWriter(sys.out, o.iface != "" || isTerminalWriter(sys.out))
	defer out.Flush()
	sysOut := sys
	sysOut.out = out
	pl := &pipeline{
		opts:     &o,
		ver:      ver,
		filter:   filter{types: types, topic: o.topic, client: o.client},
		pr:       o.out.printer(sysOut),
		sys:      sysOut,
		out:      out,
		sessions: map[int]*connState{},
		arena:    dissect.NewArena(),
		payloads: o.out.pay.decoders(o.out.maxBytes),
		parked:   parking{m: map[connKey]*connState{}},
	}
	if o.write != "" {
		f, err := os.Create(o.write)
		if err != nil {
			return fmt.Errorf("cannot create %s: %w", o.write, unwrapPath(err))
		}
		defer f.Close()
		pl.wfile = f
		cfg.KeepFrames = true
	}
	var st capture.Stats
	var runErr error
	if o.read != "" {
		// Files get the two-stage pipeline unless output is watched live,
		// -w needs the frames (they live only during the callback) or -c
		// should stop reading at once.
		if pl.wfile == nil && !out.each && o.count == 0 {
			stage := newAsyncStage(pl.event)
			st, runErr = capture.ReadFile(ctx, o.read, cfg, stage.add)
			if consErr := stage.finish(); consErr != nil || errors.Is(runErr, errConsumerStopped) {
				runErr = consErr
			}
		} else {
			st, runErr = capture.ReadFile(ctx, o.read, cfg, pl.event)
		}
	} else {
		st, runErr = pl.live(ctx, cfg)
	}
	if errors.Is(runErr, errEnough) {
		runErr = nil
	}
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write output: %w", err)
	}
	if runErr == nil || st.Frames > 0 {
		pl.endOfRun(st)
	}
	if pl.wfile != nil {
		if err := pl.wfile.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("write %s: %w", o.write, err)
		}
	}
	return runErr
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
	if o.count < 0 {
		return cfg, usagef("-c %d: must not be negative", o.count)
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

// connState is what the CLI keeps per connection.
type connState struct {
	sess     *dissect.Session
	clientOK bool // its CONNECT carried the --client id
	// addresses as text, per direction, made once per connection
	addrs [3][2]string
}

// pipeline dissects, filters and renders capture events.
type pipeline struct {
	opts     *captureOpts
	ver      dissect.Version
	filter   filter
	pr       *render.Printer
	sys      stdio
	sessions map[int]*connState
	first    time.Time
	wfile    *os.File
	out      *flushWriter
	m        render.Meta // reused for every packet
	arena    *dissect.Arena
	parked   parking
	w        *capture.PcapWriter
	payloads *payload.Set
	poisoned poisoned // frames -w leaves out: their secrets could not be redacted

	shown, total, malformed, gaps, notes int
}

func (pl *pipeline) event(ev *capture.Event) error {
	if pl.first.IsZero() {
		pl.first = ev.Time
	}
	switch ev.Kind {
	case capture.EventClose:
		if cs := pl.sessions[ev.Stream]; cs != nil {
			pl.parked.put(connKey{ev.Src, ev.Dst}, cs)
		}
		delete(pl.sessions, ev.Stream)
		return nil
	case capture.EventGap, capture.EventNote:
		return pl.notice(ev)
	}
	cs := pl.sessions[ev.Stream]
	if cs == nil {
		cs = pl.parked.take(keyOf(ev))
	}
	if cs == nil {
		cs = &connState{sess: dissect.NewSession(pl.ver)}
		// Each packet is rendered before the next is dissected, so one
		// arena serves every connection; summary lines and counts need no
		// field tree.
		cs.sess.Arena = pl.arena
		cs.sess.FactsOnly = pl.opts.quiet || (pl.opts.out.format == "text" && !pl.opts.verbose && !pl.opts.out.hex)
		// -w with --redact needs the tree to find the secrets' bytes
		cs.sess.FactsOnly = cs.sess.FactsOnly && (pl.wfile == nil || pl.opts.out.pay.level == redact.Off)
		cs.sess.Payload = pl.payloads.ForConnection()
	}
	if pl.sessions[ev.Stream] == nil {
		pl.sessions[ev.Stream] = cs
	}
	p := cs.sess.Dissect(ev.Data, ev.Dir)
	if spans := redact.Packet(p, pl.opts.out.pay.level); pl.wfile != nil && !redactFrames(ev.Frames, ev.Data, spans) {
		pl.poisoned.add(ev.Frames)
	}
	pl.total++
	if p.Malformed {
		pl.malformed++
	}
	if p.Type == dissect.TypeConnect && pl.filter.client != "" {
		cs.clientOK = p.ClientID == pl.filter.client
	}
	if !pl.filter.show(p, cs.clientOK) {
		return nil
	}
	pl.shown++
	if err := pl.render(p, ev, cs); err != nil {
		return err
	}
	if pl.wfile != nil {
		if err := pl.writeFrames(ev); err != nil {
			return err
		}
	}
	if err := pl.out.packetDone(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if pl.opts.count > 0 && pl.shown >= pl.opts.count {
		return errEnough
	}
	return nil
}

func (pl *pipeline) meta(ev *capture.Event, cs *connState) *render.Meta {
	a := &cs.addrs[ev.Dir]
	if a[0] == "" {
		a[0], a[1] = ev.Src.String(), ev.Dst.String()
	}
	pl.m = render.Meta{Frame: ev.Frame, Time: ev.Time, Rel: ev.Time.Sub(pl.first),
		Src: a[0], Dst: a[1], Stream: ev.Stream}
	return &pl.m
}

func (pl *pipeline) render(p *dissect.Packet, ev *capture.Event, cs *connState) error {
	if pl.opts.quiet {
		return nil
	}
	m := pl.meta(ev, cs)
	var err error
	if pl.opts.out.format == "json" {
		err = pl.pr.JSON(p, m)
	} else {
		err = pl.pr.Summary(p, m)
		if err == nil && pl.opts.verbose {
			err = pl.pr.Breakdown(p)
		}
		if err == nil && pl.opts.out.hex {
			err = pl.pr.Hex(p)
		}
		if err == nil && (pl.opts.verbose || pl.opts.out.hex) {
			_, err = fmt.Fprintln(pl.sys.out)
		}
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// notice reports gaps, resynchronisation and skipped packets where they
// happened: inline in text output, on stderr with JSON (stdout stays one
// object per MQTT packet).
func (pl *pipeline) notice(ev *capture.Event) error {
	if ev.Kind == capture.EventGap {
		pl.gaps++
	} else {
		pl.notes++
	}
	if pl.opts.quiet {
		return nil
	}
	line := fmt.Sprintf("%5d %.6f %s -> %s [%s] %s\n", ev.Frame, ev.Time.Sub(pl.first).Seconds(),
		ev.Src, ev.Dst, ev.Kind, render.Escape(ev.Message))
	w := pl.sys.out
	if pl.opts.out.format == "json" {
		w = pl.sys.err
	}
	if _, err := fmt.Fprint(w, line); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func (pl *pipeline) writeFrames(ev *capture.Event) error {
	if len(ev.Frames) == 0 {
		return nil
	}
	if pl.w == nil {
		w, err := capture.NewPcapWriter(pl.wfile, ev.Frames[0].LinkType, 0)
		if err != nil {
			return fmt.Errorf("-w %s: %w", pl.opts.write, err)
		}
		pl.w = w
	}
	if err := pl.w.WriteFrames(pl.poisoned.filter(ev.Frames)); err != nil {
		return fmt.Errorf("-w %s: %w", pl.opts.write, err)
	}
	return nil
}

func (pl *pipeline) live(ctx context.Context, cfg capture.Config) (capture.Stats, error) {
	l, err := capture.OpenLive(pl.opts.iface, cfg, pl.opts.snaplen)
	if err != nil {
		return capture.Stats{}, err
	}
	defer l.Close()
	if l.Warning != "" {
		fmt.Fprintf(pl.sys.err, "mqttdump: warning: %s\n", l.Warning)
	}
	ports := make([]string, len(cfg.Ports))
	for i, p := range cfg.Ports {
		ports[i] = strconv.Itoa(int(p))
	}
	fmt.Fprintf(pl.sys.err, "listening on %s, MQTT on tcp port %s, snapshot length %d bytes\n",
		pl.opts.iface, strings.Join(ports, ","), pl.opts.snaplen)
	return l.Run(ctx, pl.event)
}

// endOfRun prints the counts on stderr, like tcpdump.
func (pl *pipeline) endOfRun(st capture.Stats) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s read, %s shown", plural(st.Frames, "frame"), plural(pl.shown, "MQTT packet"))
	if pl.shown != pl.total {
		fmt.Fprintf(&b, " (of %d)", pl.total)
	}
	fmt.Fprintf(&b, ", %s, %s, %d malformed", plural(st.Connections, "connection"), plural(pl.gaps, "gap"), pl.malformed)
	if st.Oversize > 0 {
		fmt.Fprintf(&b, ", %d oversize skipped", st.Oversize)
	}
	if st.Truncated > 0 {
		fmt.Fprintf(&b, ", %d frames truncated by snaplen", st.Truncated)
	}
	if pl.opts.iface != "" {
		fmt.Fprintf(&b, ", %d dropped by kernel", st.Dropped)
	}
	if pl.poisoned.left > 0 {
		fmt.Fprintf(&b, ", %d frames not written (--redact could not find the secret bytes in them)", pl.poisoned.left)
	}
	b.WriteString(payloadStats(pl.payloads))
	if pl.w != nil && pl.w.Skipped > 0 {
		fmt.Fprintf(&b, ", %d frames of another link type not written", pl.w.Skipped)
	}
	fmt.Fprintln(pl.sys.err, b.String())
}

// connKey names a connection by its client and server addresses.
type connKey struct{ client, server netip.AddrPort }

func keyOf(ev *capture.Event) connKey {
	if ev.Dir == dissect.ToClient {
		return connKey{ev.Dst, ev.Src}
	}
	return connKey{ev.Src, ev.Dst}
}

// parking keeps the state of recently closed connections. The capture closes
// a connection that has been idle longer than --idle-flush; when the same
// addresses speak again (a long keep-alive), the connection resumes with
// the version, topic aliases and --client match it had, instead of being
// guessed afresh. Bounded: the oldest entries go first.
type parking struct {
	m     map[connKey]*connState
	order []connKey
}

const maxParked = 4096

func (p *parking) put(k connKey, cs *connState) {
	if _, ok := p.m[k]; !ok {
		p.order = append(p.order, k)
	}
	p.m[k] = cs
	for len(p.m) > maxParked && len(p.order) > 0 {
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
	if len(p.order) > 2*maxParked {
		// Drop keys already taken back, so order stays bounded.
		kept := p.order[:0]
		for _, k := range p.order {
			if _, ok := p.m[k]; ok {
				kept = append(kept, k)
			}
		}
		p.order = kept
	}
}

func (p *parking) take(k connKey) *connState {
	cs := p.m[k]
	if cs != nil {
		delete(p.m, k)
	}
	return cs
}

// plural writes "1 gap", "2 gaps".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
