// Package render turns dissected MQTT packets into text (summary line,
// annotated breakdown, hex dump) or NDJSON on an io.Writer. Every byte of
// wire text that reaches a terminal goes through Escape.
package render

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/fatih/color"
)

// Options decide how a Printer draws.
type Options struct {
	// Color turns on ANSI colour; the caller decides (--color, NO_COLOR, isatty).
	Color bool
	// MaxValueBytes cuts long values after this many bytes with
	// "… N more bytes"; 0 shows everything.
	MaxValueBytes int
	// NoPayload leaves the payload preview off the summary line.
	NoPayload bool
}

// Meta is what the capture knows about a packet; nil for `decode`.
type Meta struct {
	Frame    int            // 1-based frame that carried the packet's last byte
	Time     time.Time      // that frame's timestamp
	Rel      time.Duration  // since the first frame of the capture
	Src, Dst netip.AddrPort // 127.0.0.1:52514, [::1]:1883
	Stream   int            // connection index, 0-based, in order of first sight
}

// appendAddr writes an address as netip prints it, escaped when a zone
// could carry arbitrary text.
func appendAddr(dst []byte, a netip.AddrPort) []byte {
	if !a.IsValid() || a.Addr().Zone() != "" {
		return appendEscaped(dst, a.String())
	}
	return a.AppendTo(dst)
}

// paint is one colour as the escape sequences around a text, worked out
// once from a fatih/color object so the hot path needs no fmt.
type paint struct{ pre, post string }

func newPaint(on bool, attrs ...color.Attribute) paint {
	c := color.New(attrs...)
	if !on {
		c.DisableColor()
		return paint{}
	}
	c.EnableColor()
	s := c.Sprint("\x00")
	i := strings.IndexByte(s, 0)
	if i < 0 {
		return paint{}
	}
	return paint{pre: s[:i], post: s[i+1:]}
}

// palette holds the Printer's colours; all empty when colour is off.
type palette struct {
	title, offset, bytes, bits, generated, cut paint
	note, protocol, malformed                  paint
}

func newPalette(on bool) palette {
	return palette{
		title:     newPaint(on, color.Bold),
		offset:    newPaint(on, color.Faint),
		bytes:     newPaint(on, color.FgBlue),
		bits:      newPaint(on, color.Faint),
		generated: newPaint(on, color.Italic),
		cut:       newPaint(on, color.Faint),
		note:      newPaint(on, color.FgCyan),
		protocol:  newPaint(on, color.FgYellow),
		malformed: newPaint(on, color.FgRed, color.Bold),
	}
}

// Printer writes packets to one writer. It reuses its buffers between
// calls, so it is not safe for concurrent use.
type Printer struct {
	w   io.Writer
	o   Options
	pal palette
	buf []byte // output of the current call, written once
	tmp []byte // scratch for escaping and number formatting
}

// New returns a Printer writing to w.
func New(w io.Writer, o Options) *Printer {
	if o.MaxValueBytes < 0 {
		o.MaxValueBytes = 0
	}
	return &Printer{w: w, o: o, pal: newPalette(o.Color), buf: make([]byte, 0, 4096)}
}

// flush writes the buffered output in one call.
func (p *Printer) flush(what string) error {
	_, err := p.w.Write(p.buf)
	p.buf = p.buf[:0]
	if err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
