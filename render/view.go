package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/mqttdump/mqttdump/dissect"
)

// View is what the connection stage draws each shown packet and notice to.
// A view says whether it needs the packet's field tree, so summaries and
// counts can skip building it.
type View interface {
	// NeedsTree reports whether Packet reads pk.Fields (breakdown, hex,
	// JSON); without it the dissector fills only facts, Info and findings.
	NeedsTree() bool
	// Packet draws one shown packet; pk and m are valid only during the call.
	Packet(pk *dissect.Packet, m *Meta) error
	// Notice reports something the capture or an analyzer found between
	// packets (a gap, a resynchronisation, an unanswered request).
	Notice(n *Notice) error
}

// Notice is a finding between packets, tied to the frame where it was made.
type Notice struct {
	Meta    Meta
	Kind    string // "gap", "note", ...
	Message string // human text; wire text in it is escaped when drawn
}

// Packets is the packet-by-packet view: a summary line, optionally the
// breakdown and hex dump under it, or NDJSON.
type Packets struct {
	P         *Printer
	Out       io.Writer // the Printer's writer: blank lines and text notices go here
	Err       io.Writer // with JSON, notices go here so stdout stays one object a line
	JSON      bool
	Breakdown bool
	Hex       bool
}

// NeedsTree: summary lines alone are drawn from the facts.
func (v *Packets) NeedsTree() bool { return v.JSON || v.Breakdown || v.Hex }

// Packet draws pk as configured.
func (v *Packets) Packet(pk *dissect.Packet, m *Meta) error {
	var err error
	if v.JSON {
		err = v.P.JSON(pk, m)
	} else {
		err = v.P.Summary(pk, m)
		if err == nil && v.Breakdown {
			err = v.P.TransportLine(m)
		}
		if err == nil && v.Breakdown {
			err = v.P.Breakdown(pk)
		}
		if err == nil && v.Hex {
			err = v.P.Hex(pk)
		}
		if err == nil && (v.Breakdown || v.Hex) {
			_, err = io.WriteString(v.Out, "\n") // fmt.Fprintln was 2% of -V
		}
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// Notice writes the notice inline in text output, on Err with JSON.
func (v *Packets) Notice(n *Notice) error {
	w := v.Out
	if v.JSON {
		w = v.Err
	}
	return WriteNotice(w, n)
}

// WriteNotice writes one notice line:
//
//	12 0.004100 127.0.0.1:40000 -> 127.0.0.1:1883 [gap] 120 bytes missing
func WriteNotice(w io.Writer, n *Notice) error {
	line := fmt.Sprintf("%5d %.6f %s -> %s [%s] %s\n", n.Meta.Frame, n.Meta.Rel.Seconds(),
		n.Meta.Src, n.Meta.Dst, n.Kind, Escape(n.Message))
	if _, err := fmt.Fprint(w, line); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// Quiet draws nothing (-q): only the end-of-run counts are printed.
type Quiet struct{}

func (Quiet) NeedsTree() bool                     { return false }
func (Quiet) Packet(*dissect.Packet, *Meta) error { return nil }
func (Quiet) Notice(*Notice) error                { return nil }

// Counts are the end-of-run figures.
type Counts struct {
	Frames      int // records read
	Shown       int // MQTT packets that passed the filters
	Total       int // MQTT packets dissected
	Connections int
	NotMQTT     int // connections on MQTT ports that are not MQTT
	Encrypted   int // connections on MQTT ports that are TLS not decrypted
	Gaps        int
	Malformed   int
	Oversize    int // packets skipped for exceeding a buffer limit
	Truncated   int // frames cut by the snaplen
	Live        bool
	Dropped     int // live: frames the kernel dropped
	Received    int // live: frames the kernel filter passed
	Unwritten   int // -w: frames of another link type not written
	Evicted     int // connections closed early by the --max-conns cap
	Unsupported int // frames of pcapng interfaces of an unsupported link type
	WrittenLate int // -w: frames written out of order (reorder window full)
	FragDropped int // IP datagrams whose fragments were given up
	FragOverlap int // IP datagrams with fragments overlapping with different bytes
	// Quiet: nothing was shown (-q), so the line counts what was decoded
	// (and, with filters, how many of those matched).
	Quiet bool
}

// WriteCounts writes the end-of-run line, like tcpdump's:
//
//	412 frames read, 30 MQTT packets shown, 2 connections, 0 gaps, 0 malformed
func WriteCounts(w io.Writer, c Counts) error {
	var b strings.Builder
	switch {
	case c.Quiet:
		fmt.Fprintf(&b, "%s read, %s decoded", plural(c.Frames, "frame"), plural(c.Total, "MQTT packet"))
		if c.Shown != c.Total {
			fmt.Fprintf(&b, " (%d matched)", c.Shown)
		}
	default:
		fmt.Fprintf(&b, "%s read, %s shown", plural(c.Frames, "frame"), plural(c.Shown, "MQTT packet"))
		if c.Shown != c.Total {
			fmt.Fprintf(&b, " (of %d)", c.Total)
		}
	}
	fmt.Fprintf(&b, ", %s, %s, %d malformed", plural(c.Connections, "connection"), plural(c.Gaps, "gap"), c.Malformed)
	if c.NotMQTT > 0 {
		fmt.Fprintf(&b, ", %d not MQTT", c.NotMQTT)
	}
	if c.Encrypted > 0 {
		fmt.Fprintf(&b, ", %d TLS not decrypted", c.Encrypted)
	}
	if c.Oversize > 0 {
		fmt.Fprintf(&b, ", %d oversize skipped", c.Oversize)
	}
	if c.Truncated > 0 {
		fmt.Fprintf(&b, ", %d frames truncated by snaplen", c.Truncated)
	}
	if c.Evicted > 0 {
		fmt.Fprintf(&b, ", %d connections evicted (--max-conns)", c.Evicted)
	}
	if c.Unsupported > 0 {
		fmt.Fprintf(&b, ", %d frames of an unsupported link type skipped", c.Unsupported)
	}
	if c.FragDropped > 0 {
		fmt.Fprintf(&b, ", %d fragmented datagrams incomplete", c.FragDropped)
	}
	if c.FragOverlap > 0 {
		fmt.Fprintf(&b, ", %d fragmented datagrams with conflicting overlaps (first bytes kept)", c.FragOverlap)
	}
	if c.Live {
		fmt.Fprintf(&b, ", %d received by filter, %d dropped by kernel", c.Received, c.Dropped)
	}
	if c.WrittenLate > 0 {
		fmt.Fprintf(&b, ", %d frames written out of order (-w reorder window full)", c.WrittenLate)
	}
	if c.Unwritten > 0 {
		fmt.Fprintf(&b, ", %d frames of another link type not written", c.Unwritten)
	}
	_, err := fmt.Fprintln(w, b.String())
	return err
}

// plural writes "1 gap", "2 gaps".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
