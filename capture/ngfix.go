package capture

import (
	"encoding/binary"
	"io"
)

// maxFixedIDB is the largest interface description block ngFixer edits;
// a bigger one passes through untouched (pcapgo judges it).
const maxFixedIDB = 1 << 16

// ngFixer passes a pcapng stream through unchanged in length, except that
// an if_tsresol option too fine for pcapgo (more than 2^-63 or 10^-63 s,
// which it refuses, losing the whole file) is replaced by nanoseconds: the
// timestamps of that interface are meaningless anyway, its frames are not.
// It never fails on its own: on anything it does not understand it passes
// the rest through and lets the pcapng reader report it.
type ngFixer struct {
	r       io.Reader
	order   binary.ByteOrder
	out     []byte // edited or header bytes waiting to be read
	outBuf  []byte
	pass    int  // bytes of the current block to copy as they are
	raw     bool // gave up parsing: copy everything
	Changed int  // interfaces whose resolution was replaced
}

func newNgFixer(r io.Reader) *ngFixer {
	return &ngFixer{r: r, order: binary.LittleEndian}
}

func (f *ngFixer) Read(p []byte) (int, error) {
	for {
		switch {
		case len(f.out) > 0:
			n := copy(p, f.out)
			f.out = f.out[n:]
			return n, nil
		case f.raw:
			return f.r.Read(p)
		case f.pass > 0:
			n, err := f.r.Read(p[:min(len(p), f.pass)])
			f.pass -= n
			return n, err
		}
		if err := f.nextBlock(); err != nil {
			return 0, err
		}
	}
}

// nextBlock reads the next block's header (and an IDB whole) into out.
func (f *ngFixer) nextBlock() error {
	hdr := f.outBuf[:0]
	if cap(hdr) < 12 {
		hdr = make([]byte, 12, 256)
	}
	hdr = hdr[:8]
	n, err := io.ReadFull(f.r, hdr)
	if err != nil {
		f.out, f.raw = hdr[:n], true
		if n == 0 {
			return err
		}
		return nil
	}
	typ := binary.LittleEndian.Uint32(hdr)
	if typ == magicPcapng { // section header: learn the byte order
		hdr = hdr[:12]
		if _, err := io.ReadFull(f.r, hdr[8:]); err != nil {
			f.out, f.raw = hdr, true
			return nil
		}
		switch binary.LittleEndian.Uint32(hdr[8:]) {
		case 0x1a2b3c4d:
			f.order = binary.LittleEndian
		case 0x4d3c2b1a:
			f.order = binary.BigEndian
		default:
			f.out, f.raw = hdr, true
			return nil
		}
	}
	length := int(f.order.Uint32(hdr[4:]))
	if length < len(hdr) || length%4 != 0 {
		f.out, f.raw = hdr, true
		return nil
	}
	if f.order.Uint32(hdr) != 1 || length > maxFixedIDB || length < 20 {
		f.out, f.pass, f.outBuf = hdr, length-len(hdr), hdr
		return nil
	}
	blk := append(hdr, make([]byte, length-len(hdr))...)
	if _, err := io.ReadFull(f.r, blk[len(hdr):]); err != nil {
		f.out, f.raw = blk, true
		return nil
	}
	f.fixIDB(blk)
	f.out, f.outBuf = blk, blk[:0]
	return nil
}

// fixIDB edits the if_tsresol option of an interface description block.
func (f *ngFixer) fixIDB(b []byte) {
	end := len(b) - 4 // trailing block length
	for off := 16; off+4 <= end; {
		code, olen := f.order.Uint16(b[off:]), int(f.order.Uint16(b[off+2:]))
		if code == 0 {
			return
		}
		if code == 9 && olen == 1 && off+5 <= end && b[off+4]&0x7f > 63 {
			b[off+4] = 9
			f.Changed++
		}
		off += 4 + (olen+3)&^3
	}
}
