// Package conn is the connection stage: it takes the capture's events,
// keeps one MQTT session per TCP connection (resuming one the capture
// flushed while idle), dissects each packet, applies the filters, keeps the
// counters and hands shown packets and notices to a render.View.
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
}

// Conn is what the stage keeps per MQTT connection.
type Conn struct {
	Stream int // capture stream index of the TCP connection it last ran on
	// HasConnect: a CONNECT was seen; ClientID is its client identifier.
	HasConnect bool
	ClientID   string

	sess *dissect.Session
}

// Counts are the stage's counters.
type Counts struct {
	Shown, Total, Malformed, Gaps, Notes int
}

// Pipeline is the connection stage. Not safe for concurrent use: feed it
// events in capture order from one goroutine.
type Pipeline struct {
	cfg      Config
	view     render.View
	tree     bool
	sessions map[int]*Conn
	parked   parking
	arena    *dissect.Arena
	aliases  *dissect.AliasBudget // topic-alias bytes of all sessions together
	first    time.Time
	prevRead time.Time     // -t d: the previous packet dissected
	prevShow time.Time     // -t dd: the previous packet shown
	m        render.Meta   // reused for every packet
	n        render.Notice // reused for every notice
	counts   Counts
}

// New returns a Pipeline.
func New(cfg Config) *Pipeline {
	v := cfg.View
	if v == nil {
		v = render.Quiet{}
	}
	return &Pipeline{
		cfg:      cfg,
		view:     v,
		tree:     v.NeedsTree() || needsTree(cfg.Filter),
		sessions: map[int]*Conn{},
		parked:   parking{m: map[connKey]*Conn{}},
		arena:    dissect.NewArena(),
		aliases:  &dissect.AliasBudget{Max: AliasBudget},
	}
}

// AliasBudget caps the topic-alias tables of all connections together
// (each session also has its own cap, dissect.DefaultMaxAliasBytes).
const AliasBudget = 64 << 20

// Counts returns the counters so far.
func (pl *Pipeline) Counts() Counts { return pl.counts }

// Event takes one capture event (the capture.Handler signature).
func (pl *Pipeline) Event(ev *capture.Event) error {
	if pl.first.IsZero() {
		// frame.time_relative counts from the capture's first frame.
		pl.first = ev.Start
		if pl.first.IsZero() {
			pl.first = ev.Time
		}
	}
	switch ev.Kind {
	case capture.EventClose:
		if c := pl.sessions[ev.Stream]; c != nil {
			pl.parked.put(connKey{ev.Src, ev.Dst}, c)
		}
		delete(pl.sessions, ev.Stream)
		return nil
	case capture.EventGap, capture.EventNote:
		return pl.notice(ev)
	}
	c := pl.sessions[ev.Stream]
	if c == nil {
		c = pl.parked.take(keyOf(ev))
		if c == nil {
			c = &Conn{sess: dissect.NewSession(pl.cfg.Version)}
			// Each packet is drawn before the next is dissected, so one
			// arena serves every connection; views that draw no field
			// tree let the dissector skip it.
			c.sess.Arena = pl.arena
			c.sess.FactsOnly = !pl.tree
			c.sess.Aliases = pl.aliases
		}
		c.Stream = ev.Stream
		pl.sessions[ev.Stream] = c
	}
	p := c.sess.Dissect(ev.Data, ev.Dir)
	pl.counts.Total++
	if p.Malformed {
		pl.counts.Malformed++
	}
	if p.Type == dissect.TypeConnect {
		c.HasConnect, c.ClientID = true, p.ClientID
	}
	m := pl.meta(ev)
	m.Delta = since(&pl.prevRead, ev.Time)
	if pl.cfg.Filter != nil && !pl.cfg.Filter.Match(p, m, c) {
		return nil
	}
	m.DeltaShown = since(&pl.prevShow, ev.Time)
	pl.counts.Shown++
	if err := pl.view.Packet(p, m); err != nil {
		return err
	}
	if pl.cfg.Shown != nil {
		return pl.cfg.Shown(ev)
	}
	return nil
}

func (pl *Pipeline) meta(ev *capture.Event) *render.Meta {
	pl.m = render.Meta{Frame: ev.Frame, Time: ev.Time, Rel: ev.Time.Sub(pl.first),
		Src: ev.Src, Dst: ev.Dst, Stream: ev.Stream, FrameLen: ev.FrameLen}
	return &pl.m
}

// since returns now minus *prev (0 the first time) and moves *prev to now.
func since(prev *time.Time, now time.Time) time.Duration {
	var d time.Duration
	if !prev.IsZero() {
		d = now.Sub(*prev)
	}
	*prev = now
	return d
}

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

// connKey names a connection by its client and server addresses.
type connKey struct{ client, server netip.AddrPort }

func keyOf(ev *capture.Event) connKey {
	if ev.Dir == dissect.ToClient {
		return connKey{ev.Dst, ev.Src}
	}
	return connKey{ev.Src, ev.Dst}
}
