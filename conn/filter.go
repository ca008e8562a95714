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

// A filter that reads the field tree says so with NeedsTree() bool, so the
// dissector builds the tree even for views that do not draw it.
type treeNeeder interface{ NeedsTree() bool }

func needsTree(f Filter) bool {
	t, ok := f.(treeNeeder)
	return ok && t.NeedsTree()
}

// All shows a packet only when every filter does (nil entries are skipped).
type All []Filter

// NeedsTree reports whether any of the filters reads the field tree.
func (a All) NeedsTree() bool {
	for _, f := range a {
		if f != nil && needsTree(f) {
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

// ValidFilter checks an MQTT topic filter given on the command line.
func ValidFilter(f string) bool {
	if f == "" {
		return false
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return false
		}
		if strings.Contains(l, "+") && l != "+" {
			return false
		}
	}
	return true
}

// TopicMatches applies MQTT wildcard semantics (4.7): '+' one level, '#'
// this level and all below; topics starting with '$' are not matched by a
// filter starting with a wildcard.
func TopicMatches(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(topic, "/")
		if fl != "+" && fl != tl {
			return false
		}
		if !fmore || !tmore {
			// "a/#" also matches "a" itself.
			return fmore == tmore || (fmore && frest == "#")
		}
		filter, topic = frest, trest
	}
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
		return TopicMatches(f.Topic, p.Topic)
	case dissect.TypeSubscribe, dissect.TypeUnsubscribe:
		for _, s := range p.Filters {
			if s == f.Topic || TopicMatches(f.Topic, s) {
				return true
			}
		}
	}
	return false
}
