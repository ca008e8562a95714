// Package conn is the connection stage: it takes the capture's events,
// keeps one MQTT session per TCP connection (resuming one the capture
// flushed while idle), dissects each packet, runs the analyzers (request
// and answer pairing, broker fan-out, keep-alive, negotiated limits,
// statistics), applies the filters, keeps the counters and hands shown
// packets and notices to a render.View.
package conn

import (
	"net/netip"
	"time"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/render"
)

// Config sets up a Pipeline.
type Config struct {
	// Version is the MQTT version to assume when no CONNECT is seen
	// (VersionUnknown: guess).
	Version dissect.Version
	// View draws shown packets and notices; nil draws nothing.
	View render.View
	// Filter decides which packets are shown; nil shows all.
	Filter Filter
	// Shown, when set, runs after each shown packet is drawn, with the
	// event that carried it (-w, flushing, -c). An error stops the run.
	Shown func(ev *capture.Event) error
	// Stats, when set, collects the statistics of the shown packets.
	Stats *Stats
	// Ends draws a notice for every connection's end, not only for the
	// ends that are findings (keep-alive expiry, takeover, unanswered
	// requests).
	Ends bool
	// Payload, when set, gives each new connection's session its payload
	// decoder (package payload).
	Payload func() dissect.PayloadDecoder
	// Inspect, when set, sees every dissected packet before the filter,
	// with its event, and may change it (--redact).
	Inspect func(p *dissect.Packet, ev *capture.Event)
	// Tree keeps the field tree even when the view draws none (Inspect
	// needs it: --redact with -w finds the secrets' bytes in it).
	Tree bool
}

// Conn is what the stage keeps per MQTT connection.
type Conn struct {
	Stream int // capture stream index of the TCP connection it last ran on
	// HasConnect: a CONNECT was seen; ClientID is its client identifier.
	HasConnect bool
	ClientID   string
	Client     netip.AddrPort // the side that sent CONNECT (or the first packet's sender by direction)
	Server     netip.AddrPort
	Version    dissect.Version
	KeepAlive  int // effective keep alive in seconds (CONNECT, or CONNACK's Server Keep Alive)
	CleanStart bool
	HasWill    bool
	Start      time.Time
	// ConnectLatency is CONNECT to CONNACK (0: not seen).
	ConnectLatency time.Duration
	// Packets and Bytes by sender direction (dissect.ToServer, ToClient).
	Packets, Bytes [3]int
	// End says how the connection ended, once it has.
	End string

	sess      *dissect.Session
	ex        exchanges
	lim       [3]limits // limits on what each direction may send
	last      [3]time.Time
	lastFrame [3]int
	disc      *disconnect
	takenBy   int // frame of the CONNECT that took the session over (0: none)
	takenOn   int // its stream
	will      *fanEntry
	ended     bool
	// stats is this connection's entry in the statistics (nil until the
	// first packet counted; unused without stats).
	stats *render.ClientStats
}

type disconnect struct {
	dir    dissect.Direction
	reason int
	frame  int
}

// Counts are the stage's counters.
type Counts struct {
	Shown, Total, Malformed, Gaps, Notes int
	// Unanswered requests, by exchange kind, reported at the end of their
	// connection (or of the capture).
	Unanswered [numKinds]int
	// Evicted is state the analyzers dropped at their caps (in-flight ids,
	// parked connections, persistent sessions, fan-out entries).
	Evicted int
}

// Pipeline is the connection stage. Not safe for concurrent use: feed it
// events in capture order from one goroutine.
type Pipeline struct {
	cfg       Config
	view      render.View
	tree      bool
	sessions  map[int]*Conn
	parked    parking
	byClient  map[string]*Conn // open connections by client id (takeover)
	persisted sessions
	fan       fanTable
	arena     *dissect.Arena
	first     time.Time
	last      time.Time
	lastFrame int
	m         render.Meta     // reused for every packet
	an        render.Analysis // reused for every packet
	n         render.Notice   // reused for every notice
	counts    Counts
	evictions int
	findings  map[string]int
	finished  bool
	aliases   *dissect.AliasBudget // topic-alias bytes of all sessions together
	prevRead  time.Time            // -t d: the previous packet dissected
	prevShow  time.Time            // -t dd: the previous packet shown
}

// New returns a Pipeline.
func New(cfg Config) *Pipeline {
	v := cfg.View
	if v == nil {
		v = render.Quiet{}
	}
	return &Pipeline{
		cfg:       cfg,
		view:      v,
		tree:      v.NeedsTree() || filterNeedsTree(cfg.Filter) || cfg.Tree,
		sessions:  map[int]*Conn{},
		parked:    parking{m: map[connKey]*Conn{}},
		byClient:  map[string]*Conn{},
		persisted: sessions{m: map[string]*saved{}},
		fan:       newFanTable(),
		arena:     dissect.NewArena(),
		findings:  map[string]int{},
		aliases:   &dissect.AliasBudget{Max: AliasBudget},
	}
}

// AliasBudget caps the topic-alias tables of all connections together
// (each session also has its own cap, dissect.DefaultMaxAliasBytes).
const AliasBudget = 64 << 20

// Counts returns the counters so far.
func (pl *Pipeline) Counts() Counts {
	c := pl.counts
	c.Evicted = pl.evictions
	return c
}

// Findings returns the analyzers' findings by rule.
func (pl *Pipeline) Findings() map[string]int { return pl.findings }

// Event takes one capture event (the capture.Handler signature).
func (pl *Pipeline) Event(ev *capture.Event) error {
	if pl.first.IsZero() {
		// frame.time_relative counts from the capture's first frame.
		pl.first = ev.Start
		if pl.first.IsZero() {
			pl.first = ev.Time
		}
	}
	pl.last, pl.lastFrame = ev.Time, ev.Frame
	switch ev.Kind {
	case capture.EventClose:
		c := pl.sessions[ev.Stream]
		delete(pl.sessions, ev.Stream)
		if c == nil {
			return nil
		}
		if ev.FinBy == dissect.DirUnknown && ev.RstBy == dissect.DirUnknown {
			// Flushed by the capture (idle, or end of input): it may speak
			// again; the end of the capture settles it.
			if old := pl.parked.put(connKey{ev.Src, ev.Dst}, c); old != nil {
				pl.evictions++
				return pl.end(old, ev, "evicted from the connection table while idle")
			}
			return nil
		}
		return pl.end(c, ev, closeText(ev, c))
	case capture.EventGap, capture.EventNote:
		return pl.notice(ev)
	}
	c := pl.sessions[ev.Stream]
	if c == nil {
		// A connection that began with a SYN is a new TCP connection even
		// on the addresses of a closed one: a new session, nothing resumed.
		c = pl.parked.take(keyOf(ev))
		if ev.SYN {
			c = nil
		}
		if c == nil {
			c = &Conn{sess: dissect.NewSession(pl.cfg.Version), Start: ev.Time}
			k := keyOf(ev)
			c.Client, c.Server = k.client, k.server
			// Each packet is drawn before the next is dissected, so one
			// arena serves every connection.
			c.sess.Arena = pl.arena
			c.sess.Aliases = pl.aliases
			if pl.cfg.Payload != nil {
				c.sess.Payload = pl.cfg.Payload()
			}
		}
		c.Stream = ev.Stream
		pl.sessions[ev.Stream] = c
	}
	// Views that draw no field tree let the dissector skip it, except for
	// the few packet types whose fields the analyzers read.
	c.sess.FactsOnly = !pl.tree && (len(ev.Data) == 0 || !needsTree(ev.Data[0]))
	p := c.sess.Dissect(ev.Data, ev.Dir)
	if pl.cfg.Inspect != nil {
		pl.cfg.Inspect(p, ev)
	}
	pl.counts.Total++
	m := pl.meta(ev)
	pl.an = render.Analysis{}
	pl.analyze(c, p, ev)
	pl.an.ClientID = c.ClientID
	m.Analysis = &pl.an
	if p.Malformed {
		pl.counts.Malformed++
	}
	m.Delta = since(&pl.prevRead, ev.Time)
	if pl.cfg.Filter != nil && !pl.cfg.Filter.Match(p, m, c) {
		return nil
	}
	m.DeltaShown = since(&pl.prevShow, ev.Time)
	pl.counts.Shown++
	if pl.cfg.Stats != nil {
		pl.cfg.Stats.packet(p, m, c, ev.Dir)
	}
	if err := pl.view.Packet(p, m); err != nil {
		return err
	}
	if pl.cfg.Shown != nil {
		return pl.cfg.Shown(ev)
	}
	return nil
}

func (pl *Pipeline) meta(ev *capture.Event) *render.Meta {
	pl.m = render.Meta{Frame: ev.Frame, Time: ev.Time, Rel: sub(ev.Time, pl.first),
		Src: ev.Src, Dst: ev.Dst, Stream: ev.Stream, Dir: ev.Dir, FrameLen: ev.FrameLen,
		Transport: ev.Transport, WebSocket: ev.WebSocket}
	return &pl.m
}

// since returns now minus *prev (0 the first time) and moves *prev to now.
func since(prev *time.Time, now time.Time) time.Duration {
	var d time.Duration
	if !prev.IsZero() {
		d = sub(now, *prev)
	}
	*prev = now
	return d
}

// sub is a.Sub(b) for capture times (which carry no monotonic clock
// reading) without Sub's overflow arithmetic while the two are within a
// century; time.Time.Sub was 4% of a summary run.
func sub(a, b time.Time) time.Duration {
	if s := a.Unix() - b.Unix(); s > -maxSubSeconds && s < maxSubSeconds {
		return time.Duration(s)*time.Second + time.Duration(a.Nanosecond()-b.Nanosecond())
	}
	return a.Sub(b)
}

const maxSubSeconds = 100 * 365 * 24 * 3600

// notice reports gaps, resynchronisation and skipped packets where they
// happened.
func (pl *Pipeline) notice(ev *capture.Event) error {
	if ev.Kind == capture.EventGap {
		pl.counts.Gaps++
	} else {
		pl.counts.Notes++
	}
	pl.n = render.Notice{Meta: *pl.meta(ev), Kind: ev.Kind.String(), Message: ev.Message}
	return pl.view.Notice(&pl.n)
}

// connNotice reports something about connection c at the current point of
// the capture, from the client's side.
func (pl *Pipeline) connNotice(c *Conn, kind, msg string) error {
	pl.n = render.Notice{Meta: render.Meta{Frame: pl.lastFrame, Time: pl.last, Rel: pl.last.Sub(pl.first),
		Src: c.Client, Dst: c.Server, Stream: c.Stream, Dir: dissect.ToServer, Analysis: &render.Analysis{ClientID: c.ClientID}},
		Kind: kind, Message: msg}
	if pl.cfg.Stats != nil {
		pl.cfg.Stats.notice(c, kind)
	}
	if pl.cfg.Filter != nil && !matchConn(pl.cfg.Filter, c) {
		return nil
	}
	return pl.view.Notice(&pl.n)
}

// Finish ends every connection still open (or parked) at the end of the
// capture and the persistent sessions still waiting for answers.
func (pl *Pipeline) Finish() error {
	if pl.finished {
		return nil
	}
	pl.finished = true
	var open []*Conn
	for _, c := range pl.sessions {
		open = append(open, c)
	}
	open = append(open, pl.parked.all()...)
	sortConns(open)
	for _, c := range open {
		if err := pl.endAt(c, "still open at the end of the capture"); err != nil {
			return err
		}
	}
	return pl.persisted.finish(pl)
}

// connKey names a connection by its client and server addresses.
type connKey struct{ client, server netip.AddrPort }

func keyOf(ev *capture.Event) connKey {
	if ev.Dir == dissect.ToClient {
		return connKey{ev.Dst, ev.Src}
	}
	return connKey{ev.Src, ev.Dst}
}
