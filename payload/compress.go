package payload

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"io"
	"strconv"

	"github.com/mqttdump/mqttdump/dissect"
)

// isGzip: the RFC 1952 magic and the deflate method.
func isGzip(b []byte) bool { return len(b) >= 18 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 }

// isZlib: an RFC 1950 header with deflate, a window of at most 32 KiB,
// a valid check value and no preset dictionary.
func isZlib(b []byte) bool {
	return len(b) >= 6 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 && b[1]&0x20 == 0
}

// gzipHeader returns the length of the gzip header at b.
func gzipHeader(b []byte) (int, error) {
	if !isGzip(b) {
		return 0, errors.New("no gzip header")
	}
	flg, pos := b[3], 10
	if flg&0xe0 != 0 {
		return 0, errors.New("reserved gzip flags set")
	}
	if flg&4 != 0 { // FEXTRA
		if pos+2 > len(b) {
			return 0, errors.New("gzip extra field cut short")
		}
		pos += 2 + int(binary.LittleEndian.Uint16(b[pos:]))
	}
	for _, f := range []byte{8, 16} { // FNAME, FCOMMENT: NUL-terminated
		if flg&f == 0 {
			continue
		}
		i := bytes.IndexByte(b[min(pos, len(b)):], 0)
		if i < 0 {
			return 0, errors.New("gzip name or comment not terminated")
		}
		pos += i + 1
	}
	if flg&2 != 0 { // FHCRC
		pos += 2
	}
	if pos > len(b) {
		return 0, errors.New("gzip header cut short")
	}
	return pos, nil
}

// compressed unpacks gzip or zlib. The unpacked bytes become a data
// source of the packet; the decoder is chosen again for them (by content).
func (r *run) compressed(kind string, parent *dissect.Node, src *dissect.DataSource, data []byte, base, depth int) error {
	var hlen, tlen int
	switch kind {
	case Gzip:
		n, err := gzipHeader(data)
		if err != nil {
			return err
		}
		hlen, tlen = n, 8
	default:
		if !isZlib(data) {
			return errors.New("no zlib header (or a preset dictionary)")
		}
		hlen, tlen = 2, 4
	}
	br := bytes.NewReader(data[hlen:])
	fr := flate.NewReader(br)
	limit := r.o.MaxDecompressed
	out, err := io.ReadAll(io.LimitReader(fr, int64(limit)+1))
	capped := len(out) > limit
	if capped {
		out = out[:limit]
		err = nil
	}
	if err != nil {
		return fmt.Errorf("deflate: %w", err)
	}
	consumed := len(data) - hlen - br.Len()
	if capped {
		consumed = len(data) - hlen
	}
	complete := !capped && consumed+tlen <= len(data)-hlen
	if !capped && !complete {
		return errors.New("trailer missing")
	}

	hdef, ddef, tdef, cdef := fGzipHeader, fDeflate, fGzipTrailer, fGzip
	if kind == Zlib {
		hdef, ddef, tdef, cdef = fZlibHeader, fZDeflate, fZlibTrailer, fZlib
	}
	c := r.add(parent, dissect.Node{Def: cdef, Offset: base, Length: len(data), Source: src,
		Show: fmt.Sprintf("%d bytes unpack to %d", len(data), len(out))})
	r.add(c, dissect.Node{Def: hdef, Offset: base, Length: hlen, Value: data[:hlen], Source: src})
	r.add(c, dissect.Node{Def: ddef, Offset: base + hlen, Length: consumed, Value: data[hlen : hlen+consumed], Source: src})
	end := hlen + consumed
	if complete {
		tr := data[end : end+tlen]
		r.add(c, dissect.Node{Def: tdef, Offset: base + end, Length: tlen, Value: tr, Source: src})
		var ok bool
		if kind == Gzip {
			ok = binary.LittleEndian.Uint32(tr) == crc32.ChecksumIEEE(out) && binary.LittleEndian.Uint32(tr[4:]) == uint32(len(out))
		} else {
			ok = binary.BigEndian.Uint32(tr) == adler32.Checksum(out)
		}
		if !ok {
			r.finding(c, base+end, tlen, compExperts[kind].checksum, kind+" check value does not match the unpacked data", "")
		}
		end += tlen
		if end < len(data) {
			n := r.add(c, dissect.Node{Def: fCompRest, Offset: base + end, Length: len(data) - end, Value: data[end:], Source: src})
			r.finding(n, base+end, len(data)-end, compExperts[kind].trailing, fmt.Sprintf("%d bytes after the %s data", len(data)-end, kind), "")
		}
	}
	if capped {
		r.finding(c, base, len(data), compExperts[kind].capped, fmt.Sprintf("%s data unpacks to more than %d bytes (--max-decompressed): only the first %d are shown", kind, limit, limit), "")
	}
	ds := src
	var dn *dissect.Node
	if r.tree {
		ds = r.pl.AddSource("decompressed", out)
		dn = r.add(c, dissect.Node{Def: fDecompressed, Offset: 0, Length: len(out), Value: out, Source: ds})
	}
	r.preview = r.preview[:0]
	r.decode("", false, dn, ds, out, 0, depth+1)
	inner := r.preview
	pre := append([]byte(nil), kind...)
	pre = append(pre, ' ')
	pre = strconv.AppendInt(pre, int64(len(data)), 10)
	pre = append(pre, "→"...)
	pre = strconv.AppendInt(pre, int64(len(out)), 10)
	if len(inner) > 0 {
		pre = append(pre, ": "...)
		pre = append(pre, inner...)
	}
	r.preview = pre
	if dn != nil && len(dn.Children) > 0 {
		dn.Show = fmt.Sprintf("%d bytes (a data source of its own: offsets below count from its start)", len(out))
	}
	return nil
}

// compExperts are the findings of each compression format.
var compExperts = map[string]struct{ checksum, trailing, capped *dissect.ExpertInfo }{
	Gzip: {dissect.EIGzipChecksum, dissect.EIGzipTrailing, dissect.EIGzipCapped},
	Zlib: {dissect.EIZlibChecksum, dissect.EIZlibTrailing, dissect.EIZlibCapped},
}
