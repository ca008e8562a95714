package main

import (
	"strconv"
	"strings"

	"github.com/mqttdump/mqttdump/dissect"
)

// filter decides which packets are shown (--type, --topic, --client).
type filter struct {
	types  map[uint8]bool // nil: all
	topic  string         // "" : any
	client string         // "" : any
}

// parseTypes reads "publish,subscribe" or "3,8" (names case-insensitive).
func parseTypes(list []string) (map[uint8]bool, error) {
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
				return nil, usagef("--type %s: not a packet type name or number 0-15 (names: %s)", s, strings.Join(dissect.TypeKeywords()[1:], ", "))
			}
			m[uint8(n)] = true
		}
	}
	return m, nil
}

// validFilter checks an MQTT topic filter given on the command line.
func validFilter(f string) bool {
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

// topicMatches applies MQTT wildcard semantics (4.7): '+' one level, '#'
// this level and all below; topics starting with '$' are not matched by a
// filter starting with a wildcard.
func topicMatches(filter, topic string) bool {
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

// show reports whether p passes; clientOK says whether its connection
// carried the wanted client id.
func (f *filter) show(p *dissect.Packet, clientOK bool) bool {
	if f.types != nil && !f.types[p.Type] {
		return false
	}
	if f.client != "" && !clientOK {
		return false
	}
	if f.topic == "" {
		return true
	}
	switch p.Type {
	case dissect.TypePublish:
		return topicMatches(f.topic, p.Topic)
	case dissect.TypeSubscribe, dissect.TypeUnsubscribe:
		for _, s := range p.Filters {
			if s == f.topic || topicMatches(f.topic, s) {
				return true
			}
		}
	}
	return false
}
