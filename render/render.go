// Package render turns dissected MQTT packets into text (summary line,
// annotated breakdown, hex dump) or NDJSON on an io.Writer. Every byte of
// wire text that reaches a terminal goes through Escape.
package render

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/transport"
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
	// Time is the summary line's time column (-t).
	Time TimeFormat
}

// TimeFormat is tshark's -t: how the summary line shows a packet's time.
type TimeFormat uint8

const (
	TimeRelative     TimeFormat = iota // r: seconds since the first frame of the capture
	TimeAbsolute                       // a: local time of day
	TimeAbsoluteDate                   // ad: local date and time
	TimeDelta                          // d: since the previous MQTT packet read
	TimeDeltaShown                     // dd: since the previous MQTT packet shown
	TimeEpoch                          // e: seconds since 1970
	TimeUTC                            // u: UTC time of day
	TimeUTCDate                        // ud: UTC date and time
)

// ParseTimeFormat reads -t's argument: r, a, ad, d, dd, e, u, ud.
func ParseTimeFormat(s string) (TimeFormat, bool) {
	for i, name := range []string{"r", "a", "ad", "d", "dd", "e", "u", "ud"} {
		if s == name {
			return TimeFormat(i), true
		}
	}
	return 0, false
}

// Meta is what the capture knows about a packet; nil for `decode`.
type Meta struct {
	Frame    int            // 1-based frame that carried the packet's last byte
	Time     time.Time      // that frame's timestamp
	Rel      time.Duration  // since the first frame of the capture
	Src, Dst netip.AddrPort // 127.0.0.1:52514, [::1]:1883
	Stream   int            // connection index, 0-based, in order of first sight
	Dir      dissect.Direction
	// Analysis is what the connection stage's analyzers found; nil for none.
	Analysis *Analysis
	FrameLen int // the frame's length on the wire (frame.len)
	// Delta is the time since the previous MQTT packet read, DeltaShown
	// since the previous one shown (-t d, -t dd).
	Delta, DeltaShown time.Duration
	// Transport says how the connection carries MQTT; nil or plain TCP
	// draws nothing extra (see transport.go).
	Transport *transport.Info
	WebSocket *transport.MessageInfo // the message that carried the packet, if any
}

// appendAddr writes an address as netip prints it, escaped when a zone
// could carry arbitrary text.
func appendAddr(dst []byte, a netip.AddrPort) []byte {
	if !a.IsValid() || a.Addr().Zone() != "" {
		return appendEscaped(dst, a.String())
	}
	if ip := a.Addr(); ip.Is4() {
		// The common case, written directly: netip's general path was a
		// few percent of the summary view.
		b := ip.As4()
		dst = appendUint(dst, uint(b[0]))
		for _, o := range b[1:] {
			dst = appendUint(append(dst, '.'), uint(o))
		}
		return appendUint(append(dst, ':'), uint(a.Port()))
	}
	return a.AppendTo(dst)
}

// appendUint writes v in decimal, the short values (octets) without strconv.
func appendUint(dst []byte, v uint) []byte {
	switch {
	case v < 10:
		return append(dst, byte('0'+v))
	case v < 100:
		return append(dst, byte('0'+v/10), byte('0'+v%10))
	case v < 1000:
		return append(dst, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
	}
	return strconv.AppendUint(dst, uint64(v), 10)
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
	// text holds a node's display line while it is escaped (appendNodeText)
	text []byte
	// rawHex is the hex of the packet -T json is writing (when it is at
	// most maxRawHex bytes), and raw the packet: a value that is a slice
	// of it is copied from there, not encoded again.
	rawHex, raw []byte
	err         error // first write error of a spill, reported by flush
	addrs       addrCache
	info        []byte                       // a packet's Info text while the summary escapes it
	heads       map[*dissect.FieldDef]string // see jsonHead
}

// spillAt is how much output a call gathers before writing part of it: a
// huge packet streams instead of growing one giant buffer.
const spillAt = 64 << 10

// spill writes b once it is large and returns it emptied; a write error is
// kept for flush.
func (p *Printer) spill(b []byte) []byte {
	if len(b) < spillAt {
		return b
	}
	if p.err == nil {
		_, p.err = p.w.Write(b)
	}
	return b[:0]
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
	err := p.err
	if err == nil {
		_, err = p.w.Write(p.buf)
	}
	p.buf, p.err = p.buf[:0], nil
	if cap(p.buf) > 4*spillAt {
		p.buf = make([]byte, 0, 4096) // do not keep a huge packet's buffer
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
