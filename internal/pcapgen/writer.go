// Package pcapgen builds synthetic pcap and pcapng captures for tests and
// benchmarks: deterministic (fixed start time, fixed clock step, ISNs derived
// from the addresses), fast (headers built by hand into one reused buffer)
// and small to use:
//
//	var buf bytes.Buffer
//	w, _ := pcapgen.NewWriter(&buf, pcapgen.Options{})
//	c := w.Conn(netip.MustParseAddrPort("127.0.0.1:50000"), netip.MustParseAddrPort("127.0.0.1:1883"))
//	c.Handshake()
//	c.Send(pcapgen.ToServer, connectBytes)
//	c.Close()
//	err := w.Flush()
//
// Errors are sticky, as in bufio: the first one stops all later output and
// is returned by Err and Flush, so test code can build a whole capture and
// check once.
package pcapgen

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// Format is the capture file format.
type Format uint8

const (
	PCAP   Format = iota // libpcap format (microsecond or nanosecond, either byte order)
	PCAPNG               // pcapng via pcapgo (little-endian, nanosecond)
)

// Defaults for Options.
const (
	DefaultSnapLen = 262144
	DefaultStep    = time.Millisecond
)

// DefaultStart is the timestamp of the first frame unless Options.Start is set.
var DefaultStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Options configures a Writer. The zero value writes a little-endian
// microsecond pcap on Ethernet.
type Options struct {
	Format    Format
	Nanos     bool // pcap only: nanosecond timestamps (pcapng is always nanosecond)
	BigEndian bool // pcap only: big-endian headers; DLT_NULL families follow it
	Link      Link // interface 0
	// SnapLen caps the captured bytes of every frame (CaptureLength <
	// Length beyond it); 0 means DefaultSnapLen.
	SnapLen int
	Start   time.Time     // zero means DefaultStart
	Step    time.Duration // clock advance per frame; 0 means DefaultStep
}

// ErrFinished is returned for writes after CutNext ended the file.
var ErrFinished = errors.New("capture already ended by a cut record")

// Writer emits frames to one capture file.
type Writer struct {
	opt    Options
	out    *bufio.Writer
	ng     *pcapgo.NgWriter // nil for pcap
	order  binary.ByteOrder // pcap header byte order
	ifaces []*Iface
	now    time.Time
	frames int
	ipID   uint16
	buf    []byte // reused frame buffer
	rec    [16]byte
	err    error
	cut    int // bytes to keep of the next record, -1 when no cut is pending
	done   bool
}

// NewWriter writes the file header (and, for pcapng, the section header and
// interface 0) to out. Call Flush at the end.
func NewWriter(out io.Writer, opt Options) (*Writer, error) {
	if err := opt.Link.validate(); err != nil {
		return nil, fmt.Errorf("interface 0: %w", err)
	}
	if opt.SnapLen < 0 || opt.Step < 0 {
		return nil, fmt.Errorf("negative snaplen %d or step %v", opt.SnapLen, opt.Step)
	}
	if opt.SnapLen == 0 {
		opt.SnapLen = DefaultSnapLen
	}
	if opt.Step == 0 {
		opt.Step = DefaultStep
	}
	if opt.Start.IsZero() {
		opt.Start = DefaultStart
	}
	w := &Writer{
		opt:   opt,
		out:   bufio.NewWriterSize(out, 1<<20),
		order: binary.LittleEndian,
		now:   opt.Start,
		buf:   make([]byte, 0, 2048),
		cut:   -1,
	}
	if opt.BigEndian {
		w.order = binary.BigEndian
	}
	switch opt.Format {
	case PCAP:
		if err := w.writePcapHeader(); err != nil {
			return nil, fmt.Errorf("write pcap header: %w", err)
		}
	case PCAPNG:
		if opt.BigEndian {
			return nil, fmt.Errorf("pcapng is written little-endian only")
		}
		ng, err := pcapgo.NewNgWriterInterface(w.out, w.ngInterface(opt.Link),
			pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "mqttdump pcapgen"}})
		if err != nil {
			return nil, fmt.Errorf("write pcapng header: %w", err)
		}
		w.ng = ng
	default:
		return nil, fmt.Errorf("unknown format %d", opt.Format)
	}
	w.ifaces = append(w.ifaces, &Iface{w: w, id: 0, link: opt.Link})
	return w, nil
}

// Build is a shortcut for tests: it runs fill on a new Writer and returns
// the finished capture.
func Build(opt Options, fill func(w *Writer)) ([]byte, error) {
	var b bytes.Buffer
	w, err := NewWriter(&b, opt)
	if err != nil {
		return nil, err
	}
	fill(w)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (w *Writer) ngInterface(l Link) pcapgo.NgInterface {
	return pcapgo.NgInterface{
		Name:                fmt.Sprintf("lo%d", len(w.ifaces)),
		LinkType:            l.LinkType(),
		SnapLength:          uint32(w.opt.SnapLen),
		TimestampResolution: 9,
	}
}

func (w *Writer) writePcapHeader() error {
	var h [24]byte
	magic := uint32(0xa1b2c3d4)
	if w.opt.Nanos {
		magic = 0xa1b23c4d
	}
	w.order.PutUint32(h[0:], magic)
	w.order.PutUint16(h[4:], 2)
	w.order.PutUint16(h[6:], 4)
	w.order.PutUint32(h[16:], uint32(w.opt.SnapLen))
	w.order.PutUint32(h[20:], uint32(w.opt.Link.LinkType()))
	_, err := w.out.Write(h[:])
	return err
}

// AddInterface adds a pcapng interface with its own link type.
func (w *Writer) AddInterface(l Link) (*Iface, error) {
	if w.ng == nil {
		return nil, fmt.Errorf("add interface: pcap has a single link type; use PCAPNG")
	}
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("add interface: %w", err)
	}
	id, err := w.ng.AddInterface(w.ngInterface(l))
	if err != nil {
		return nil, fmt.Errorf("add interface: %w", err)
	}
	ifc := &Iface{w: w, id: id, link: l}
	w.ifaces = append(w.ifaces, ifc)
	return ifc, nil
}

// Iface0 is the interface given in Options.Link.
func (w *Writer) Iface0() *Iface { return w.ifaces[0] }

// Frames is the number of frames written so far, so right after a write it
// is that frame's 1-based number.
func (w *Writer) Frames() int { return w.frames }

// Now is the timestamp the next frame will get.
func (w *Writer) Now() time.Time { return w.now }

// Advance moves the clock forward by d (idle periods, timeouts).
func (w *Writer) Advance(d time.Duration) { w.now = w.now.Add(d) }

// Err is the first error met, if any.
func (w *Writer) Err() error { return w.err }

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Flush writes buffered output; it returns the first error met.
func (w *Writer) Flush() error {
	if w.ng != nil {
		if err := w.ng.Flush(); err != nil {
			w.fail(fmt.Errorf("flush pcapng: %w", err))
		}
	}
	if err := w.out.Flush(); err != nil {
		w.fail(fmt.Errorf("flush: %w", err))
	}
	return w.err
}

// WriteFrame writes data as one record, as is. Zero fields of ci are filled
// in: Timestamp from the clock, CaptureLength and Length from len(data). The
// snaplen is not applied. ci.InterfaceIndex picks the pcapng interface.
func (w *Writer) WriteFrame(ci gopacket.CaptureInfo, data []byte) {
	if ci.Timestamp.IsZero() {
		ci.Timestamp = w.now
	}
	if ci.CaptureLength == 0 && ci.Length == 0 {
		ci.CaptureLength, ci.Length = len(data), len(data)
	}
	if ci.CaptureLength != len(data) || ci.Length < ci.CaptureLength {
		w.fail(fmt.Errorf("write frame: capture length %d, length %d, data %d bytes", ci.CaptureLength, ci.Length, len(data)))
		return
	}
	if ci.InterfaceIndex < 0 || ci.InterfaceIndex >= len(w.ifaces) {
		w.fail(fmt.Errorf("write frame: no interface %d", ci.InterfaceIndex))
		return
	}
	w.record(ci, data)
}

// emit writes a built frame on interface ifc, applying the snaplen.
func (w *Writer) emit(ifc int, frame []byte) {
	ci := gopacket.CaptureInfo{
		Timestamp:      w.now,
		Length:         len(frame),
		CaptureLength:  min(len(frame), w.opt.SnapLen),
		InterfaceIndex: ifc,
	}
	w.record(ci, frame[:ci.CaptureLength])
}

func (w *Writer) record(ci gopacket.CaptureInfo, data []byte) {
	if w.err != nil {
		return
	}
	if w.done {
		w.fail(ErrFinished)
		return
	}
	w.frames++
	w.now = w.now.Add(w.opt.Step)
	if w.cut >= 0 {
		w.writeCut(ci, data)
		return
	}
	if w.ng != nil {
		if err := w.ng.WritePacket(ci, data); err != nil {
			w.fail(fmt.Errorf("frame %d: %w", w.frames, err))
		}
		return
	}
	w.putPcapRecordHeader(ci.Timestamp, uint32(ci.CaptureLength), uint32(ci.Length))
	if _, err := w.out.Write(w.rec[:]); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames, err))
		return
	}
	if _, err := w.out.Write(data); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames, err))
	}
}

func (w *Writer) putPcapRecordHeader(ts time.Time, capLen, origLen uint32) {
	frac := ts.Nanosecond()
	if !w.opt.Nanos {
		frac /= 1000
	}
	w.order.PutUint32(w.rec[0:], uint32(ts.Unix()))
	w.order.PutUint32(w.rec[4:], uint32(frac))
	w.order.PutUint32(w.rec[8:], capLen)
	w.order.PutUint32(w.rec[12:], origLen)
}
