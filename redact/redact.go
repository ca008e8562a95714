// Package redact keeps credentials out of mqttdump's output: it replaces
// the bytes of secrets in a dissected packet (and in the capture frames
// written with -w) by filler and their values by a marker with the length.
package redact

import (
	"fmt"
	"strconv"

	"github.com/mqttdump/mqttdump/dissect"
)

// Level says what is secret.
type Level uint8

const (
	Off         Level = iota
	Credentials       // CONNECT password, Authentication Data (CONNECT, CONNACK, AUTH)
	All               // also the will topic and message and the user name
)

// ParseLevel reads the --redact value: "" (not given), "on" or
// "credentials" (the flag alone), "all", or "none".
func ParseLevel(s string) (Level, error) {
	switch s {
	case "", "none", "off":
		return Off, nil
	case "on", "credentials", "true":
		return Credentials, nil
	case "all":
		return All, nil
	}
	return Off, fmt.Errorf("--redact=%s: want --redact (credentials) or --redact=all", s)
}

// Filler replaces secret bytes; a capture written with -w carries as many
// of them as the secret had bytes, so lengths still add up.
const Filler = '*'

// Marker is the value text of a redacted field.
func Marker(n int) string { return "<redacted " + strconv.Itoa(n) + " bytes>" }

// Span is a byte range of the packet.
type Span struct{ Off, Len int }

const authDataID = 0x16

// secret reports whether n holds a secret at level l.
func secret(n *dissect.Node, l Level) bool {
	if n.Def == nil || n.Generated {
		return false
	}
	switch n.Def.Abbrev {
	case "mqtt.passwd":
		return true
	case "mqtt.willtopic", "mqtt.willmsg", "mqtt.username":
		return l >= All
	}
	return n.PropID == authDataID
}

// Packet redacts p in place: secret nodes get the marker as their value
// and lose their decoded children, and Raw becomes a copy with the
// secret bytes replaced by Filler. It returns the replaced spans (for
// -w). A packet dissected without a tree (FactsOnly) has nothing to find.
func Packet(p *dissect.Packet, l Level) []Span {
	if l == Off || p == nil || !mayHold(p.Type) {
		return nil
	}
	var spans []Span
	var walk func(ns []*dissect.Node)
	walk = func(ns []*dissect.Node) {
		for _, n := range ns {
			if n == nil {
				continue
			}
			if secret(n, l) {
				spans = append(spans, mark(n)...)
				continue
			}
			walk(n.Children)
		}
	}
	walk(p.Fields)
	if len(spans) == 0 {
		return nil
	}
	raw := append([]byte(nil), p.Raw...)
	for _, s := range spans {
		for i := s.Off; i < s.Off+s.Len && i < len(raw); i++ {
			if i >= 0 {
				raw[i] = Filler
			}
		}
	}
	p.Raw = raw
	return spans
}

// mayHold: only CONNECT, CONNACK and AUTH carry what is redacted.
func mayHold(t uint8) bool {
	return t == dissect.TypeConnect || t == dissect.TypeConnack || t == dissect.TypeAuth
}

// mark redacts n and its subtree and returns the bytes to replace: the
// value bytes (for a property, its value child, so the identifier and
// length stay readable).
func mark(n *dissect.Node) []Span {
	var spans []Span
	if n.PropID == authDataID {
		for _, c := range n.Children {
			if c != nil && c.Def != nil && c.Def.Abbrev == "mqtt.property.binary" {
				c.Value, c.Show = Marker(c.Length), ""
				spans = append(spans, Span{c.Offset, c.Length})
			}
		}
		n.Value, n.Show = Marker(sumLen(spans)), ""
		return spans
	}
	n.Value, n.Show, n.Children = Marker(n.Length), "", nil
	if n.Length > 0 && n.Source == nil {
		spans = append(spans, Span{n.Offset, n.Length})
	}
	return spans
}

func sumLen(ss []Span) int {
	t := 0
	for _, s := range ss {
		t += s.Len
	}
	return t
}
