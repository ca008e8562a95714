package conn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/render"
)

// Filter decides which packets are shown. Display filters (-Y) plug in
// here beside the --type/--topic/--client filter.
type Filter interface {
	// Match reports whether pk, seen on connection c with metadata m, is shown.
	Match(pk *dissect.Packet, m *render.Meta, c *Conn) bool
}

// ConnFilter is a Filter that can also tell whether notices about a whole
// connection (how it ended, requests left unanswered) are shown.
type ConnFilter interface {
	MatchConn(c *Conn) bool
}

// matchConn applies f to a connection notice; filters that cannot tell
// let it through.
func matchConn(f Filter, c *Conn) bool {
	if cf, ok := f.(ConnFilter); ok {
		return cf.MatchConn(c)
	}
	return true
}

// MatchConn implements ConnFilter.
func (a All) MatchConn(c *Conn) bool {
	for _, f := range a {
		if f != nil && !matchConn(f, c) {
			return false
		}
	}
	return true
}

// MatchConn implements ConnFilter: --client selects the connection.
func (f *Basic) MatchConn(c *Conn) bool {
	return f.Client == "" || (c.HasConnect && c.ClientID == f.Client)
}

// A filter that reads the field tree says so with NeedsTree() bool, so the
// dissector builds the tree even for views that do not draw it.
type treeNeeder interface{ NeedsTree() bool }

func filterNeedsTree(f Filter) bool {
	t, ok := f.(treeNeeder)
	return ok && t.NeedsTree()
}

// All shows a packet only when every filter does (nil entries are skipped).
type All []Filter

// NeedsTree reports whether any of the filters reads the field tree.
func (a All) NeedsTree() bool {
	for _, f := range a {
		if f != nil && filterNeedsTree(f) {
			return true
		}
	}
	return false
}

// Match implements Filter.
func (a All) Match(pk *dissect.Packet, m *render.Meta, c *Conn) bool {
	for _, f := range a {
		if f != nil && !f.Match(pk, m, c) {
			return false
		}
	}
	return true
}

// Basic is the --type, --topic and --client filter.
type Basic struct {
	Types  map[uint8]bool // nil: all
	Topic  string         // "" : any
	Client string         // "" : any
}

// ParseTypes reads "publish,subscribe" or "3,8" (names case-insensitive).
func ParseTypes(list []string) (map[uint8]bool, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[uint8]bool{}
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if t, ok := dissect.ParseTypeKeyword(s); ok {
				m[t] = true
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 15 {
				return nil, fmt.Errorf("--type %s: not a packet type name or number 0-15 (names: %s)", s, strings.Join(dissect.TypeKeywords()[1:], ", "))
			}
			m[uint8(n)] = true
		}
	}
	return m, nil
}

// Match implements Filter. The client test uses the client id of the
// connection's CONNECT (both directions are shown).
func (f *Basic) Match(p *dissect.Packet, _ *render.Meta, c *Conn) bool {
	if f.Types != nil && !f.Types[p.Type] {
		return false
	}
	if f.Client != "" && (c == nil || !c.HasConnect || c.ClientID != f.Client) {
		return false
	}
	if f.Topic == "" {
		return true
	}
	switch p.Type {
	case dissect.TypePublish:
		return dissect.TopicMatches(f.Topic, p.Topic)
	case dissect.TypeSubscribe, dissect.TypeUnsubscribe:
		for _, s := range p.Filters {
			if s == f.Topic || dissect.TopicMatches(f.Topic, s) {
				return true
			}
		}
	}
	return false
}
