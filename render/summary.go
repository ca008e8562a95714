package render

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
)

// Summary writes one line per packet, like Wireshark's Info column with a
// tcpdump-style prefix when the packet came from a capture:
//
//	3 0.000412 127.0.0.1:52514 -> 127.0.0.1:1883 MQTT v3.1.1 Publish Message (id=1) [test/a] QoS 1 retain 13 bytes
func (p *Printer) Summary(pk *dissect.Packet, m *Meta) error {
	pk = orEmpty(pk)
	if m != nil {
		p.buf = p.appendMetaPrefix(p.buf, m)
	}
	p.buf = p.appendSummary(p.buf, pk, true)
	if m != nil {
		p.buf = appendAnalysis(p.buf, m.Analysis)
	}
	p.buf = append(p.buf, '\n')
	return p.flush("summary")
}

func (p *Printer) appendMetaPrefix(dst []byte, m *Meta) []byte {
	dst = appendPadInt(dst, m.Frame, 5)
	dst = append(dst, ' ')
	dst = AppendTime(dst, m, p.o.Time)
	dst = append(dst, ' ')
	dst = p.addrs.appendPadAddr(dst, m.Src)
	dst = append(dst, " -> "...)
	dst = p.addrs.appendPadAddr(dst, m.Dst)
	dst = appendTransportMarker(dst, m)
	return append(dst, ' ')
}

// AppendTime writes the packet's time as tshark's -t format shows it, to
// the microsecond: "0.004880", "22:03:15.192819", "2026-11-22 22:03:15.192819",
// "1795316475.192819".
func AppendTime(dst []byte, m *Meta, tf TimeFormat) []byte {
	switch tf {
	case TimeAbsolute:
		return m.Time.Local().AppendFormat(dst, "15:04:05.000000")
	case TimeAbsoluteDate:
		return m.Time.Local().AppendFormat(dst, "2006-01-02 15:04:05.000000")
	case TimeDelta:
		return appendSeconds(dst, m.Delta)
	case TimeDeltaShown:
		return appendSeconds(dst, m.DeltaShown)
	case TimeEpoch:
		return appendSeconds(dst, time.Duration(m.Time.UnixNano()))
	case TimeUTC:
		return m.Time.UTC().AppendFormat(dst, "15:04:05.000000")
	case TimeUTCDate:
		return m.Time.UTC().AppendFormat(dst, "2006-01-02 15:04:05.000000")
	}
	return appendSeconds(dst, m.Rel)
}

// addrWidth fits the longest IPv4 address and port, "255.255.255.255:65535",
// so lines of one capture line up (IPv6 addresses are longer and push on).
const addrWidth = 21

// addrCache remembers the padded text of recently printed addresses, in
// slots chosen by port and the address's last bytes: a capture shows the
// same addresses on every line, and formatting them was a tenth of the
// summary view.
type addrCache struct {
	slot [addrSlots]addrText
}

// addrSlots: a capture of a few hundred open connections (twice as many
// addresses) mostly hits.
const addrSlots = 1024

type addrText struct {
	a netip.AddrPort
	n uint8 // 0: empty
	b [maxCachedAddr]byte
}

// maxCachedAddr is the longest padded address kept (an IPv6 address with
// a port can be longer; it is formatted each time).
const maxCachedAddr = 40

func (c *addrCache) appendPadAddr(dst []byte, a netip.AddrPort) []byte {
	b := a.Addr().As16()
	h := uint(uint32(a.Port())<<16|uint32(b[15])<<8|uint32(b[14])) * 0x9e3779b1 >> 22 & (addrSlots - 1)
	t := &c.slot[h]
	if t.n > 0 && t.a == a {
		return append(dst, t.b[:t.n]...)
	}
	start := len(dst)
	dst = appendPadAddr(dst, a)
	if n := len(dst) - start; n <= maxCachedAddr {
		t.a, t.n = a, uint8(n)
		copy(t.b[:], dst[start:])
	}
	return dst
}

func appendPadAddr(dst []byte, a netip.AddrPort) []byte {
	start := len(dst)
	dst = appendAddr(dst, a)
	for i := len(dst) - start; i < addrWidth; i++ {
		dst = append(dst, ' ')
	}
	return dst
}

// appendPadInt right-aligns v in width columns.
func appendPadInt(dst []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, ' ')
	}
	return append(dst, s...)
}

// appendSeconds writes d as seconds with 6 decimals, without floats so the
// digits are exact.
func appendSeconds(dst []byte, d time.Duration) []byte {
	if d < 0 {
		dst = append(dst, '-')
		d = -d
	}
	us := int64(d / time.Microsecond)
	dst = strconv.AppendInt(dst, us/1e6, 10)
	dst = append(dst, '.')
	frac := us % 1e6
	var digits [6]byte // right to left: a constant divisor is a multiply
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, digits[:]...)
}

// summaryInfoFactor: the Info text of a summary line is cut after this many
// times Options.MaxValueBytes (256 bytes by default).
const summaryInfoFactor = 4

// appendSummary writes the summary text without the capture prefix. With
// term set the wire text is terminal-escaped and coloured; without it the
// text is raw (for JSON, which does its own escaping).
func (p *Printer) appendSummary(dst []byte, pk *dissect.Packet, term bool) []byte {
	dst = append(dst, "MQTT "...)
	start := len(dst)
	dst = appendVersion(dst, pk.Version)
	if term {
		// "v3.1" and "v5.0" padded to "v3.1.1", so the types line up.
		for i := len(dst) - start; i < len("v3.1.1"); i++ {
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, ' ')
	if term {
		// A topic can be 64 KB: the line keeps a readable length unless
		// --max-bytes 0 asks for everything (JSON always carries it whole).
		p.info = pk.AppendInfo(p.info[:0])
		info, whole := unsafeString(p.info), true
		if p.o.MaxValueBytes > 0 {
			info, whole = cutUTF8(info, summaryInfoFactor*p.o.MaxValueBytes)
		}
		dst = appendEscaped(dst, info)
		if !whole {
			dst = append(dst, "…]"...)
		}
	} else {
		dst = pk.AppendInfo(dst)
	}
	if pk.Type == dissect.TypePublish {
		dst = append(dst, " QoS "...)
		dst = strconv.AppendInt(dst, int64(pk.QoS), 10)
		if pk.Dup {
			dst = append(dst, " dup"...)
		}
		if pk.Retain {
			dst = append(dst, " retain"...)
		}
		dst = append(dst, ' ')
		dst = appendByteCount(dst, pk.Payload)
		if pk.Preview != "" && !p.o.NoPayload {
			dst = p.appendPreview(dst, pk.Preview, term)
		}
	}
	if pk.VersionSource == dissect.SourceGuess {
		dst = append(dst, " (version guessed)"...)
	}
	if pk.Missing > 0 {
		dst = append(dst, ' ')
		dst = p.paintIf(term, p.pal.malformed, dst, func(d []byte) []byte {
			d = append(d, "[incomplete: "...)
			d = appendMoreBytes(d, pk.Missing)
			return append(d, " expected]"...)
		})
	}
	if f := tallyExperts(pk); f.count > 0 {
		dst = append(dst, ' ')
		dst = p.paintIf(term, p.severityPaint(f.worst.Severity), dst, func(d []byte) []byte {
			d = append(d, '[')
			d = append(d, f.worst.Severity.Group()...)
			d = append(d, ": "...)
			if term {
				d = appendEscaped(d, f.worst.Message)
			} else {
				d = append(d, f.worst.Message...)
			}
			if f.count > 1 {
				d = append(d, ", +"...)
				d = strconv.AppendInt(d, int64(f.count-1), 10)
				d = append(d, " more"...)
			}
			return append(d, ']')
		})
	}
	return dst
}

// paintIf wraps what body appends in colour c when drawing for a terminal.
func (p *Printer) paintIf(term bool, c paint, dst []byte, body func([]byte) []byte) []byte {
	if term {
		dst = append(dst, c.pre...)
	}
	dst = body(dst)
	if term {
		dst = append(dst, c.post...)
	}
	return dst
}

func (p *Printer) severityPaint(s dissect.Severity) paint {
	switch s {
	case dissect.SevMalformed:
		return p.pal.malformed
	case dissect.SevProtocol:
		return p.pal.protocol
	}
	return p.pal.note
}

// appendVersion writes "v3.1.1", or "v?" when the version is unknown.
func appendVersion(dst []byte, v dissect.Version) []byte {
	if v == dissect.VersionUnknown {
		return append(dst, "v?"...)
	}
	dst = append(dst, 'v')
	return append(dst, v.String()...)
}

// appendByteCount writes "1 byte" or "N bytes".
func appendByteCount(dst []byte, n int) []byte {
	dst = strconv.AppendInt(dst, int64(n), 10)
	if n == 1 {
		return append(dst, " byte"...)
	}
	return append(dst, " bytes"...)
}

// appendMoreBytes writes "N more byte(s)".
func appendMoreBytes(dst []byte, n int) []byte {
	dst = strconv.AppendInt(dst, int64(n), 10)
	if n == 1 {
		return append(dst, " more byte"...)
	}
	return append(dst, " more bytes"...)
}

// expertTally is the most severe protocol or malformed finding (the first
// of its severity in wire order) and how many such findings there are.
type expertTally struct {
	worst *dissect.Expert
	count int
}

// tallyExperts counts the protocol and malformed findings and keeps the worst.
func tallyExperts(pk *dissect.Packet) expertTally {
	var t expertTally
	for _, e := range pk.Experts() {
		if e == nil || e.Severity < dissect.SevProtocol {
			continue // notes (version guessed, alias resolved) would only crowd the line
		}
		t.count++
		if t.worst == nil || e.Severity > t.worst.Severity {
			t.worst = e
		}
	}
	return t
}

// appendPreview writes ": " and the payload preview, cut to MaxValueBytes;
// for a terminal it is escaped like every wire text.
func (p *Printer) appendPreview(dst []byte, preview string, term bool) []byte {
	dst = append(dst, ": "...)
	s, whole := preview, true
	if p.o.MaxValueBytes > 0 {
		s, whole = cutUTF8(preview, p.o.MaxValueBytes)
	}
	if term {
		dst = appendEscaped(dst, s)
	} else {
		dst = append(dst, s...)
	}
	if !whole {
		dst = append(dst, "…"...)
	}
	return dst
}
