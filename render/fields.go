package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/filter"
	"github.com/mqttdump/mqttdump/internal/hexenc"
)

// FieldsOptions are tshark's -E options for -T fields.
type FieldsOptions struct {
	Header     bool   // header=y: a first line with the field names
	Separator  string // between fields (default tab)
	Occurrence byte   // 'f' first, 'l' last, 'a' all (default)
	Aggregator string // between the values of one field (default ",")
	Quote      byte   // 'd' double, 's' single, 'n' none (default)
}

// DefaultFieldsOptions are tshark's defaults.
func DefaultFieldsOptions() FieldsOptions {
	return FieldsOptions{Separator: "\t", Occurrence: 'a', Aggregator: ",", Quote: 'n'}
}

// Set applies one -E option, "header=y", "separator=/t", ...
func (o *FieldsOptions) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("-E %s: want key=value (header, separator, occurrence, aggregator, quote)", kv)
	}
	char := func() (string, error) {
		switch v {
		case "/t":
			return "\t", nil
		case "/s":
			return " ", nil
		}
		if len(v) == 0 {
			return "", fmt.Errorf("-E %s: a character is expected (/t, /s or one character)", kv)
		}
		return v[:1], nil
	}
	var err error
	switch k {
	case "header":
		switch v {
		case "y":
			o.Header = true
		case "n":
			o.Header = false
		default:
			return fmt.Errorf("-E %s: want header=y or header=n", kv)
		}
	case "separator":
		o.Separator, err = char()
	case "aggregator":
		o.Aggregator, err = char()
	case "occurrence":
		switch v {
		case "f", "l", "a":
			o.Occurrence = v[0]
		default:
			return fmt.Errorf("-E %s: want occurrence=f, l or a", kv)
		}
	case "quote":
		switch v {
		case "d", "s", "n":
			o.Quote = v[0]
		default:
			return fmt.Errorf("-E %s: want quote=d, s or n", kv)
		}
	default:
		return fmt.Errorf("-E %s: unknown option %q (header, separator, occurrence, aggregator, quote)", kv, k)
	}
	return err
}

// FieldsPrinter writes one line per MQTT packet with the values of the
// chosen fields, as tshark -T fields does per frame.
type FieldsPrinter struct {
	w      io.Writer
	fields []*filter.Field
	o      FieldsOptions
	buf    []byte
	vals   []filter.Value
}

// NewFieldsPrinter returns a printer for the fields, in order.
func NewFieldsPrinter(w io.Writer, fields []*filter.Field, o FieldsOptions) *FieldsPrinter {
	return &FieldsPrinter{w: w, fields: fields, o: o}
}

// Header writes the header line if the options ask for one.
func (p *FieldsPrinter) Header() error {
	if !p.o.Header {
		return nil
	}
	b := p.buf[:0]
	for i, f := range p.fields {
		if i > 0 {
			b = append(b, p.o.Separator...)
		}
		b = append(b, f.Name()...)
	}
	p.buf = append(b, '\n')
	return p.flush()
}

// Packet writes the line of one packet.
func (p *FieldsPrinter) Packet(pk *filter.Packet) error {
	b := p.buf[:0]
	for i, f := range p.fields {
		if i > 0 {
			b = append(b, p.o.Separator...)
		}
		p.vals = f.Values(pk, p.vals[:0])
		vals := p.vals
		switch {
		case len(vals) == 0:
			continue
		case p.o.Occurrence == 'f':
			vals = vals[:1]
		case p.o.Occurrence == 'l':
			vals = vals[len(vals)-1:]
		}
		q := quoteChar(p.o.Quote)
		b = append(b, q...)
		for j := range vals {
			if j > 0 {
				b = append(b, p.o.Aggregator...)
			}
			b = AppendFieldValue(b, &vals[j])
		}
		b = append(b, q...)
	}
	p.buf = append(b, '\n')
	return p.flush()
}

func quoteChar(q byte) string {
	switch q {
	case 'd':
		return `"`
	case 's':
		return "'"
	}
	return ""
}

func (p *FieldsPrinter) flush() error {
	_, err := p.w.Write(p.buf)
	p.buf = p.buf[:0]
	if err != nil {
		return fmt.Errorf("write fields: %w", err)
	}
	return nil
}

// AppendFieldValue writes a value as tshark -T fields prints it: integers
// in the field's base (0x30 for mqtt.hdrflags), flags as 1 or 0, bytes as
// plain lowercase hex, times as seconds with nine decimals, text escaped
// for the terminal.
func AppendFieldValue(dst []byte, v *filter.Value) []byte {
	switch v.Kind {
	case filter.ValueUint:
		if v.Def != nil {
			return v.Def.AppendUint(dst, v.Uint)
		}
		return strconv.AppendUint(dst, v.Uint, 10)
	case filter.ValueBool:
		if v.Bool {
			return append(dst, '1')
		}
		return append(dst, '0')
	case filter.ValueString:
		return appendEscaped(dst, v.Str)
	case filter.ValueBytes:
		return hexenc.AppendEncode(dst, v.Bytes)
	case filter.ValueAddr:
		return v.Addr.AppendTo(dst)
	case filter.ValueTime:
		return appendSecondsN(dst, v.Dur, 9)
	}
	return dst
}

// appendSecondsN writes d as seconds with n decimals (n <= 9), exactly.
func appendSecondsN(dst []byte, d time.Duration, n int) []byte {
	if d < 0 {
		dst = append(dst, '-')
		d = -d
	}
	ns := int64(d)
	dst = strconv.AppendInt(dst, ns/1e9, 10)
	if n <= 0 {
		return dst
	}
	dst = append(dst, '.')
	frac := ns % 1e9
	div := int64(1e8)
	for i := 0; i < n; i++ {
		dst = append(dst, byte('0'+frac/div%10))
		div /= 10
	}
	return dst
}

// WriteFieldList writes every field the way tshark -G fields does: "P"
// lines for protocols, "F" lines for fields (name, abbreviation, type,
// protocol, base, mask, description), tab-separated.
func WriteFieldList(w io.Writer, list []filter.FieldInfo) error {
	var b []byte
	for _, f := range list {
		if f.Protocol {
			b = fmt.Appendf(b, "P\t%s\t%s\n", f.Name, f.Abbrev)
			continue
		}
		b = fmt.Appendf(b, "F\t%s\t%s\t%s\t%s\t%s\t0x%x\t%s\n", f.Name, f.Abbrev, f.Type, f.Parent, f.Base, f.Mask, f.Desc)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write field list: %w", err)
	}
	return nil
}

// FilterPacket is what filters and -e see of a packet and its metadata.
func FilterPacket(pk *dissect.Packet, m *Meta) filter.Packet {
	p := filter.Packet{MQTT: pk}
	if m != nil {
		p.Frame, p.Time, p.Rel, p.FrameLen = m.Frame, m.Time, m.Rel, m.FrameLen
		p.Src, p.Dst, p.Stream = m.Src, m.Dst, m.Stream
		if m.Analysis != nil {
			p.Gen = m.Analysis.Generated
		}
	}
	return p
}

// FieldsView is the -T fields view: one line of field values per packet.
type FieldsView struct {
	P *FieldsPrinter
	// Out is where notices go (standard error: standard output stays one
	// line per packet).
	Out  io.Writer
	Tree bool // some field reads the field tree
	pkt  filter.Packet
}

// NeedsTree implements View.
func (v *FieldsView) NeedsTree() bool { return v.Tree }

// Packet implements View.
func (v *FieldsView) Packet(pk *dissect.Packet, m *Meta) error {
	v.pkt = FilterPacket(pk, m)
	return v.P.Packet(&v.pkt)
}

// Notice implements View.
func (v *FieldsView) Notice(n *Notice) error { return WriteNotice(v.Out, n) }
