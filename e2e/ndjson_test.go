package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// packet is one NDJSON object of `mqttdump -T json`.
type packet struct {
	Frame         int      `json:"frame"`
	Time          string   `json:"time"`
	Src           string   `json:"src"`
	Dst           string   `json:"dst"`
	Stream        int      `json:"stream"`
	Type          string   `json:"type"`
	TypeCode      int      `json:"type_code"`
	Version       string   `json:"version"`
	VersionSource string   `json:"version_source"`
	Length        int      `json:"length"`
	Raw           string   `json:"raw"`
	Summary       string   `json:"summary"`
	Fields        []node   `json:"fields"`
	Expert        []expert `json:"expert"`

	line int                 // 1-based line in the output
	flat map[string][]string // abbrev -> values, built by parseNDJSON
}

// node is one field of the tree.
type node struct {
	Name     string          `json:"name"`
	Abbrev   string          `json:"abbrev"`
	Offset   int             `json:"offset"`
	Length   int             `json:"length"`
	Value    json.RawMessage `json:"value"`
	Show     string          `json:"show"`
	Children []node          `json:"children"`
}

type expert struct {
	Severity string `json:"severity"`
	Group    string `json:"group"`
	Message  string `json:"message"`
	Spec     string `json:"spec"`
}

// parseNDJSON decodes one packet per non-empty line. Unknown keys are
// allowed (the schema may grow); a line that is not a JSON object is an
// error.
func parseNDJSON(out []byte) ([]*packet, error) {
	var pkts []*packet
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		p := &packet{line: n}
		if err := json.Unmarshal(line, p); err != nil {
			return nil, fmt.Errorf("line %d: %w: %.200s", n, err, line)
		}
		p.flat = flatten(p.Fields)
		pkts = append(pkts, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read NDJSON: %w", err)
	}
	return pkts, nil
}

// flatten maps every abbreviation in the tree to its values in wire order
// (depth first), as text: strings unquoted, numbers and booleans as
// written, byte values as the hex the JSON carries.
func flatten(nodes []node) map[string][]string {
	m := make(map[string][]string)
	var walk func([]node)
	walk = func(ns []node) {
		for _, n := range ns {
			if n.Abbrev != "" {
				m[n.Abbrev] = append(m[n.Abbrev], valueText(n.Value))
			}
			walk(n.Children)
		}
	}
	walk(nodes)
	return m
}

// valueText renders a JSON value as plain text ("" for null or absent).
func valueText(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	return string(v)
}

// get returns the first value of abbrev, and whether there is one.
func (p *packet) get(abbrev string) (string, bool) {
	vs := p.flat[abbrev]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// getInt returns the first value of abbrev as an integer, -1 when absent
// or not a number.
func (p *packet) getInt(abbrev string) int {
	s, ok := p.get(abbrev)
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// String identifies the packet in failure messages.
func (p *packet) String() string {
	return fmt.Sprintf("line %d frame %d stream %d %s->%s %s %q", p.line, p.Frame, p.Stream, p.Src, p.Dst, p.Type, p.Summary)
}

// toServer reports whether the packet goes to the broker on port.
func (p *packet) toServer(port int) bool {
	return strings.HasSuffix(p.Dst, ":"+strconv.Itoa(port))
}
