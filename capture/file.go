package capture

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrNotCapture is returned (wrapped) for input that is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// ErrEmpty is returned (wrapped) for input with no bytes at all.
var ErrEmpty = errors.New("empty: no capture in it")

// File magic numbers, as read little-endian from the first four bytes.
const (
	magicPcapMicro   = 0xa1b2c3d4
	magicPcapMicroBE = 0xd4c3b2a1
	magicPcapNano    = 0xa1b23c4d
	magicPcapNanoBE  = 0x4d3cb2a1
	magicPcapng      = 0x0a0d0d0a
)

// ReadFile reads the capture at path ("-" = standard input) and calls fn
// for every event, in capture order. Errors name the file.
func ReadFile(ctx context.Context, path string, cfg Config, fn func(*Event) error) (Stats, error) {
	if path == "-" {
		st, err := ReadFrom(ctx, os.Stdin, cfg, fn)
		if err != nil {
			return st, fmt.Errorf("standard input: %w", err)
		}
		return st, nil
	}
	f, err := os.Open(path)
	if err != nil {
		// The *PathError would repeat the name: "cannot open x: open x: ...".
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Stats{}, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return Stats{}, fmt.Errorf("%s is a directory, not a capture file", path)
	}
	st, err := ReadFrom(ctx, f, cfg, fn)
	if err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ReadFrom reads a pcap or pcapng stream (chosen by its magic number,
// gzip-compressed or not) and calls fn for every event, in capture order.
// If fn returns an error, reading stops and that error is returned. A
// stream cut short is processed up to the cut, everything in flight is
// delivered, and then an error names the frame and byte offset.
// Cancelling ctx stops reading; what is in flight is still delivered and
// Stats.Interrupted is set.
func ReadFrom(ctx context.Context, r io.Reader, cfg Config, fn func(*Event) error) (Stats, error) {
	src, err := openSource(r)
	if err != nil {
		return Stats{}, err
	}
	e := newEngine(cfg, fn)
	e.stats.LinkType, e.stats.Snaplen = src.linkType(), src.snaplen()
	err = e.run(ctx, src)
	if e.stats.Snaplen == 0 {
		e.stats.Snaplen = src.snaplen()
	}
	return e.stats, err
}

// fileSource reads records from pcap or pcapng, counting bytes so a
// damaged record can be located.
type fileSource struct {
	count *countingReader
	br    *bufio.Reader
	pcap  *pcapgo.Reader
	ng    *pcapgo.NgReader
	frame int
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func openSource(r io.Reader) (*fileSource, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(4)
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReaderSize(z, 1<<16)
		head, _ = br.Peek(4)
	}
	if len(head) == 0 {
		return nil, ErrEmpty
	}
	if len(head) < 4 {
		return nil, ErrNotCapture
	}
	// Count what the pcap readers consume: they wrap this bufio.Reader as
	// it is (bufio.NewReader returns a big enough *bufio.Reader unchanged).
	count := &countingReader{r: br}
	s := &fileSource{count: count}
	s.br = bufio.NewReaderSize(count, 1<<16)
	var err error
	switch binary.LittleEndian.Uint32(head) {
	case magicPcapMicro, magicPcapMicroBE, magicPcapNano, magicPcapNanoBE:
		s.pcap, err = pcapgo.NewReader(s.br)
		if err != nil {
			return nil, fmt.Errorf("pcap header: %w", err)
		}
		// pcapgo accepts records up to the larger of the file's snaplen and
		// 256 KiB; a hostile snaplen must not raise that.
		if s.pcap.Snaplen() > maxRecord {
			s.pcap.SetSnaplen(maxRecord)
		}
		if !supportedLink(s.pcap.LinkType()) {
			return nil, unsupportedLinkError(s.pcap.LinkType())
		}
	case magicPcapng:
		s.ng, err = pcapgo.NewNgReader(s.br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, fmt.Errorf("pcapng header: %w", err)
		}
	default:
		return nil, ErrNotCapture
	}
	return s, nil
}

func (s *fileSource) linkType() layers.LinkType {
	if s.pcap != nil {
		return s.pcap.LinkType()
	}
	// With mixed link types the reader's LinkType is not set: use interface 0.
	if ifc, err := s.ng.Interface(0); err == nil {
		return ifc.LinkType
	}
	return s.ng.LinkType()
}

func (s *fileSource) snaplen() int {
	if s.pcap != nil {
		return int(s.pcap.Snaplen())
	}
	if ifc, err := s.ng.Interface(0); err == nil {
		return int(ifc.SnapLength)
	}
	return 0
}

func (s *fileSource) readPacket() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	at := s.count.n - int64(s.br.Buffered())
	var (
		data []byte
		ci   gopacket.CaptureInfo
		err  error
		lt   layers.LinkType
	)
	if s.pcap != nil {
		data, ci, err = s.pcap.ZeroCopyReadPacketData()
		lt = s.pcap.LinkType()
	} else {
		data, ci, err = s.ng.ZeroCopyReadPacketData()
		if err == nil && len(ci.AncillaryData) > 0 {
			lt, _ = ci.AncillaryData[0].(layers.LinkType)
		}
	}
	switch {
	case err == io.EOF:
		return nil, ci, lt, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, ci, lt, fmt.Errorf("capture cut short in frame %d (record at byte offset %d): %w", s.frame+1, at, err)
	case err != nil:
		return nil, ci, lt, fmt.Errorf("bad record for frame %d at byte offset %d: %w", s.frame+1, at, err)
	case ci.CaptureLength > maxRecord:
		return nil, ci, lt, fmt.Errorf("bad record for frame %d at byte offset %d: %d captured bytes, more than the %d a capture may hold", s.frame+1, at, ci.CaptureLength, maxRecord)
	}
	s.frame++
	ci.AncillaryData = nil
	return data, ci, lt, nil
}
