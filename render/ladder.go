package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
)

// Ladder is a View that gathers the conversation and draws it as a
// sequence diagram at the end: a lane for the broker and one per client.
type Ladder struct {
	maxRows int
	rows    []ladderRow
	skipped int
	lanes   []string       // lane names; 0 is the broker
	laneOf  map[string]int // client key → lane
	broker  string
	flows   map[flowKey]bool
}

type flowKey struct {
	stream int
	dir    dissect.Direction
	id     int
}

type ladderRow struct {
	rel    time.Duration
	lane   int
	toBkr  bool // client → broker
	label  string
	note   bool   // a notice drawn across the client's lane
	bar    string // QoS 2 flow bracket: "┌", "│", "└" or ""
	answer bool
}

// maxLanes bounds the client lanes; later clients share the last lane.
const maxLanes = 16

// NewLadder returns a Ladder drawing at most maxRows arrows.
func NewLadder(maxRows int) *Ladder {
	if maxRows <= 0 {
		maxRows = 10000
	}
	return &Ladder{maxRows: maxRows, lanes: []string{"broker"}, laneOf: map[string]int{}, flows: map[flowKey]bool{}}
}

// NeedsTree: the ladder draws from the facts.
func (l *Ladder) NeedsTree() bool { return false }

func (l *Ladder) lane(m *Meta) int {
	client, server := m.Src, m.Dst
	if m.Dir == dissect.ToClient {
		client, server = m.Dst, m.Src
	}
	if l.broker == "" {
		l.broker = server.String()
	}
	key := client.String()
	if m.Analysis != nil && m.Analysis.ClientID != "" {
		key = m.Analysis.ClientID
	}
	if i, ok := l.laneOf[key]; ok {
		return i
	}
	if len(l.lanes) > maxLanes {
		l.laneOf[key] = len(l.lanes) - 1
		l.lanes[len(l.lanes)-1] = "(other clients)"
		return len(l.lanes) - 1
	}
	l.lanes = append(l.lanes, key)
	l.laneOf[key] = len(l.lanes) - 1
	return len(l.lanes) - 1
}

// Packet adds an arrow.
func (l *Ladder) Packet(pk *dissect.Packet, m *Meta) error {
	if len(l.rows) >= l.maxRows {
		l.skipped++
		return nil
	}
	row := ladderRow{rel: m.Rel, lane: l.lane(m), toBkr: m.Dir != dissect.ToClient}
	var b strings.Builder
	b.WriteString(specTypeNames[pk.Type&0x0f])
	if pk.PacketID >= 0 {
		b.WriteString(" id=")
		b.WriteString(strconv.Itoa(pk.PacketID))
	}
	switch pk.Type {
	case dissect.TypePublish:
		fmt.Fprintf(&b, " q%d", pk.QoS)
		if pk.Retain {
			b.WriteString(" r")
		}
		if pk.Dup {
			b.WriteString(" dup")
		}
		b.WriteString(" ")
		b.WriteString(pk.Topic)
	case dissect.TypeSubscribe, dissect.TypeUnsubscribe:
		b.WriteString(" ")
		b.WriteString(strings.Join(pk.Filters, ","))
	case dissect.TypeConnect:
		b.WriteString(" ")
		b.WriteString(pk.ClientID)
	}
	if pk.Reason > 0 {
		fmt.Fprintf(&b, " rc=0x%02x", pk.Reason)
	}
	if a := m.Analysis; a != nil {
		if a.ResponseTo > 0 {
			row.answer = true
			fmt.Fprintf(&b, " (%.3f ms)", float64(a.Latency)/float64(time.Millisecond))
		}
		if a.ForwardedFrom > 0 {
			fmt.Fprintf(&b, " fwd #%d +%.3f ms", a.ForwardedFrom, float64(a.ForwardLatency)/float64(time.Millisecond))
		}
		if a.WillOf > 0 {
			b.WriteString(" (will)")
		}
	}
	row.label = b.String()
	// QoS 2 flows: bracket the four steps.
	fk := flowKey{stream: m.Stream, id: pk.PacketID}
	switch {
	case pk.Type == dissect.TypePublish && pk.QoS == 2:
		fk.dir = m.Dir
		l.flows[fk] = true
		row.bar = "┌"
	case pk.Type == dissect.TypePubrel:
		fk.dir = m.Dir
		if l.flows[fk] {
			row.bar = "│"
		}
	case pk.Type == dissect.TypePubrec || pk.Type == dissect.TypePubcomp:
		fk.dir = oppositeDir(m.Dir)
		if l.flows[fk] {
			row.bar = "│"
			if pk.Type == dissect.TypePubcomp {
				row.bar = "└"
				delete(l.flows, fk)
			}
		}
	}
	if len(l.flows) > 4096 {
		l.flows = map[flowKey]bool{}
	}
	l.rows = append(l.rows, row)
	return nil
}

func oppositeDir(d dissect.Direction) dissect.Direction {
	switch d {
	case dissect.ToServer:
		return dissect.ToClient
	case dissect.ToClient:
		return dissect.ToServer
	}
	return d
}

// Notice adds a note on the client's lane.
func (l *Ladder) Notice(n *Notice) error {
	if len(l.rows) >= l.maxRows {
		l.skipped++
		return nil
	}
	if !n.Meta.Src.IsValid() {
		return nil
	}
	l.rows = append(l.rows, ladderRow{rel: n.Meta.Rel, lane: l.lane(&n.Meta), note: true, label: "[" + n.Kind + "] " + n.Message})
	return nil
}

const laneWidth = 28

// WriteText draws the diagram for a terminal.
func (l *Ladder) WriteText(w io.Writer) error {
	var b strings.Builder
	cols := len(l.lanes)
	center := func(i int) int { return 12 + i*laneWidth + laneWidth/2 }
	width := center(cols-1) + laneWidth/2 + 1
	head := []rune(strings.Repeat(" ", width))
	for i, name := range l.lanes {
		if i == 0 && l.broker != "" {
			name = "broker " + l.broker
		}
		name = cutText(Escape(name), laneWidth-2)
		start := center(i) - len([]rune(name))/2
		for j, r := range []rune(name) {
			if start+j >= 0 && start+j < len(head) {
				head[start+j] = r
			}
		}
	}
	b.WriteString(strings.TrimRight(string(head), " "))
	b.WriteByte('\n')
	for _, r := range l.rows {
		line := []rune(strings.Repeat(" ", width))
		for i := range l.lanes {
			line[center(i)] = '|'
		}
		ts := []rune(fmt.Sprintf("%10.6f", r.rel.Seconds()))
		copy(line, ts)
		if r.bar != "" {
			line[11] = []rune(r.bar)[0]
		}
		a, z := center(0), center(r.lane)
		label := []rune(Escape(r.label))
		if r.note {
			text := []rune(" " + string(label))
			pos := z + 2
			out := string(line[:min(pos, len(line))])
			b.WriteString(strings.TrimRight(out, " "))
			b.WriteString(string(text))
			b.WriteByte('\n')
			continue
		}
		for x := a + 1; x < z; x++ {
			line[x] = '-'
		}
		if r.toBkr {
			line[a+1] = '<'
		} else {
			line[z-1] = '>'
		}
		span := z - a - 3
		if len(label) > span {
			label = append(label[:max(span-1, 0)], '…')
		}
		start := a + 2 + (span-len(label))/2
		for j, c := range label {
			line[start+j] = c
		}
		b.WriteString(strings.TrimRight(string(line), " "))
		b.WriteByte('\n')
	}
	if l.skipped > 0 {
		fmt.Fprintf(&b, "… %d more packets and notices not drawn (--max-rows)\n", l.skipped)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMermaid writes a Mermaid sequenceDiagram.
func (l *Ladder) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	for i, name := range l.lanes {
		if i == 0 && l.broker != "" {
			name = "broker " + l.broker
		}
		fmt.Fprintf(&b, "    participant L%d as %s\n", i, mermaidText(name))
	}
	for _, r := range l.rows {
		label := fmt.Sprintf("%.6f %s", r.rel.Seconds(), r.label)
		switch {
		case r.note:
			fmt.Fprintf(&b, "    Note over L%d: %s\n", r.lane, mermaidText(label))
		default:
			if r.bar != "" {
				label = "QoS2 " + label
			}
			from, to, arrow := r.lane, 0, "->>"
			if !r.toBkr {
				from, to = 0, r.lane
			}
			if r.answer {
				arrow = "-->>"
			}
			fmt.Fprintf(&b, "    L%d%sL%d: %s\n", from, arrow, to, mermaidText(label))
		}
	}
	if l.skipped > 0 {
		fmt.Fprintf(&b, "    Note over L0: %d more packets and notices not drawn\n", l.skipped)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText writes the characters Mermaid would take for syntax
// (statement separator, entity start, markup) as its #NN; entity codes.
func mermaidText(s string) string {
	s = Escape(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ';', '#', '<', '>', '"', '`', '{', '}':
			fmt.Fprintf(&b, "#%d;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
