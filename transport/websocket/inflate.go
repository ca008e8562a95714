package websocket

import "errors"

// inflater is a resumable DEFLATE (RFC 1951) decoder fed by push: each
// feed call takes whatever compressed bytes arrived, and a step that runs
// out of input is rolled back and retried when more comes. compress/flate
// cannot be used that way (it pulls its input and its read errors are
// sticky), and a permessage-deflate message must not be buffered whole.
//
// Memory: the 32 KiB window, one output chunk, and carry — the input of
// one unfinished step, at most a dynamic block header (< 300 bytes).
type inflater struct {
	win   []byte // sliding window, winSize bytes once allocated
	wpos  int    // next write position in win
	wlen  int    // bytes of history in win (<= winSize)
	out   []byte // output not yet flushed
	flush func([]byte) bool

	carry []byte // input of the unfinished step
	in    []byte // this feed's input
	pos   int    // read position in carry+in
	bits  uint64
	nbits uint

	state   int
	final   bool     // the current block is the last of the stream
	stored  int      // bytes left in a stored block
	lit     *huffman // the fixed tables, or litDyn and distDyn
	dist    *huffman
	syms    int // symbols decoded in this block
	litDyn  huffman
	distDyn huffman
}

const (
	winSize  = 1 << 15
	outChunk = 16 << 10
	maxCarry = 512 // a generous bound on one step's input
)

const (
	stHeader = iota // before a block header
	stStored        // inside a stored block
	stCodes         // inside a Huffman block
	stDone          // after the final block
)

var (
	errNeedMore = errors.New("inflate: need more input")
	errStop     = errors.New("inflate: stopped by output limit")
)

type inflateError string

func (e inflateError) Error() string { return "invalid deflate data: " + string(e) }

// huffman is a canonical Huffman code as counts per length and symbols in
// code order (the decoding of zlib's puff), plus a table that decodes
// codes of up to fastBits bits in one look.
type huffman struct {
	count [16]uint16
	sym   [288]uint16
	fast  [1 << fastBits]uint16 // symbol<<4 | length; 0: not a short code

	hasFast bool
}

// buildFast fills the lookup table. It costs more than decoding a short
// block bit by bit, so a block builds it only once it proves long.
func (h *huffman) buildFast() {
	h.fast = [1 << fastBits]uint16{}
	code, index := 0, 0
	for l := 1; l <= fastBits; l++ {
		for j := 0; j < int(h.count[l]); j++ {
			// Canonical codes, bit-reversed: DEFLATE packs Huffman codes MSB first.
			r := 0
			for i := 0; i < l; i++ {
				r |= (code >> i & 1) << (l - 1 - i)
			}
			for k := r; k < 1<<fastBits; k += 1 << l {
				h.fast[k] = h.sym[index]<<4 | uint16(l)
			}
			index++
			code++
		}
		code <<= 1
	}
	h.hasFast = true
}

// fastAfter is the number of symbols a block decodes before it builds
// its lookup tables.
const fastAfter = 64

const fastBits = 9

// build makes h from code lengths; an over-subscribed set is invalid, an
// incomplete one decodes until an unused code is met.
func (h *huffman) build(lengths []uint8) error {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return inflateError("over-subscribed Huffman code")
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for s, l := range lengths {
		if l != 0 {
			h.sym[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	h.hasFast = false
	return nil
}

var fixedLit, fixedDist = func() (huffman, huffman) {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var d [30]uint8
	for i := range d {
		d[i] = 5
	}
	var hl, hd huffman
	_ = hl.build(l[:])
	_ = hd.build(d[:])
	hl.buildFast()
	hd.buildFast()
	return hl, hd
}()

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dstBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	dstExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder  = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// resetWindow forgets the history (no context takeover, or a new stream).
func (f *inflater) resetWindow() {
	f.wpos, f.wlen = 0, 0
}

// startMessage readies f for a message's first byte: messages start on a
// byte boundary with a new block.
func (f *inflater) startMessage(keepWindow bool) {
	if !keepWindow {
		f.resetWindow()
	}
	f.carry = f.carry[:0]
	f.bits, f.nbits = 0, 0
	f.state = stHeader
	f.final = false
}

// buffered is the memory f holds.
func (f *inflater) buffered() int { return cap(f.win) + cap(f.out) + cap(f.carry) }

// feed decodes what it can of in. It returns errStop when flush asked to
// stop, an inflateError for bad data, else nil (the rest waits in carry).
func (f *inflater) feed(in []byte) error {
	if f.win == nil {
		f.win = make([]byte, winSize)
		f.out = make([]byte, 0, outChunk)
	}
	f.in, f.pos = in, 0
	var err error
	for {
		if f.state == stDone {
			f.pos = len(f.carry) + len(f.in) // bytes after the final block are ignored
			break
		}
		sp, sb, sn := f.pos, f.bits, f.nbits
		err = f.step()
		if err == errNeedMore {
			f.pos, f.bits, f.nbits = sp, sb, sn
			err = nil
			break
		}
		if err != nil {
			break
		}
	}
	// Keep the unread input of the unfinished step.
	rest := f.pos
	var keep []byte
	if rest < len(f.carry) {
		keep = append(keep, f.carry[rest:]...)
		keep = append(keep, f.in...)
	} else {
		keep = f.in[rest-len(f.carry):]
	}
	f.carry = append(f.carry[:0], keep...)
	f.in, f.pos = nil, 0
	if err == nil && len(f.carry) > maxCarry {
		err = inflateError("block header too long")
	}
	if err != nil {
		f.carry = f.carry[:0]
		f.state = stDone
	}
	return err
}

// flushOut hands pending output to flush.
func (f *inflater) flushOut() error {
	if len(f.out) == 0 {
		return nil
	}
	ok := f.flush(f.out)
	f.out = f.out[:0]
	if !ok {
		return errStop
	}
	return nil
}

// need makes n (<= 56) bits available, or reports errNeedMore.
func (f *inflater) need(n uint) bool {
	for f.nbits < n {
		var b byte
		switch {
		case f.pos < len(f.carry):
			b = f.carry[f.pos]
		case f.pos-len(f.carry) < len(f.in):
			b = f.in[f.pos-len(f.carry)]
		default:
			return false
		}
		f.pos++
		f.bits |= uint64(b) << f.nbits
		f.nbits += 8
	}
	return true
}

func (f *inflater) getBits(n uint) (int, error) {
	if !f.need(n) {
		return 0, errNeedMore
	}
	v := int(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nbits -= n
	return v, nil
}

func (f *inflater) decode(h *huffman) (int, error) {
	if h.hasFast {
		if f.nbits < fastBits {
			f.need(fastBits) // fewer bits near the end of the input are fine
		}
		if e := h.fast[f.bits&(1<<fastBits-1)]; e != 0 && uint(e&15) <= f.nbits {
			f.bits >>= e & 15
			f.nbits -= uint(e & 15)
			return int(e >> 4), nil
		}
	}
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		if f.nbits == 0 && !f.need(1) {
			return 0, errNeedMore
		}
		code |= int(f.bits & 1)
		f.bits >>= 1
		f.nbits--
		count := int(h.count[l])
		if code-count < first {
			return int(h.sym[index+code-first]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, inflateError("invalid Huffman code")
}

// emit appends one output byte to the window and the output chunk.
func (f *inflater) emit(b byte) error {
	f.win[f.wpos] = b
	f.wpos = (f.wpos + 1) & (winSize - 1)
	if f.wlen < winSize {
		f.wlen++
	}
	f.out = append(f.out, b)
	if len(f.out) == cap(f.out) {
		return f.flushOut()
	}
	return nil
}

// step decodes one unit: a block header, one stored byte, or one
// literal/length+distance symbol. It reads all its input before it writes
// output, so a step that runs out of input can be rolled back.
func (f *inflater) step() error {
	switch f.state {
	case stHeader:
		return f.blockHeader()
	case stStored:
		if f.stored == 0 {
			f.endBlock()
			return nil
		}
		b, err := f.getBits(8)
		if err != nil {
			return err
		}
		f.stored--
		return f.emit(byte(b))
	case stCodes:
		return f.symbol()
	}
	return nil
}

func (f *inflater) endBlock() {
	if f.final {
		f.state = stDone
		return
	}
	f.state = stHeader
}

func (f *inflater) blockHeader() error {
	h, err := f.getBits(3)
	if err != nil {
		return err
	}
	final := h&1 == 1
	switch h >> 1 {
	case 0:
		f.bits >>= f.nbits % 8 // to a byte boundary
		f.nbits -= f.nbits % 8
		n, err := f.getBits(16)
		if err != nil {
			return err
		}
		nn, err := f.getBits(16)
		if err != nil {
			return err
		}
		if n != ^nn&0xffff {
			return inflateError("stored block length does not match its complement")
		}
		f.stored = n
		f.state = stStored
	case 1:
		f.lit, f.dist = &fixedLit, &fixedDist
		f.syms = 0
		f.state = stCodes
	case 2:
		if err := f.dynamicHeader(); err != nil {
			return err
		}
		f.lit, f.dist = &f.litDyn, &f.distDyn
		f.syms = 0
		f.state = stCodes
	default:
		return inflateError("reserved block type 3")
	}
	f.final = final
	return nil
}

func (f *inflater) dynamicHeader() error {
	v, err := f.getBits(14)
	if err != nil {
		return err
	}
	nlen, ndist, ncode := v&31+257, (v>>5)&31+1, v>>10+4
	if nlen > 286 || ndist > 30 {
		return inflateError("too many length or distance codes")
	}
	var lengths [320]uint8
	for i := 0; i < ncode; i++ {
		l, err := f.getBits(3)
		if err != nil {
			return err
		}
		lengths[clOrder[i]] = uint8(l)
	}
	var cl huffman
	if err := cl.build(lengths[:19]); err != nil {
		return err
	}
	lengths = [320]uint8{}
	for i := 0; i < nlen+ndist; {
		sym, err := f.decode(&cl)
		if err != nil {
			return err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return inflateError("repeat with no previous length")
			}
			val = lengths[i-1]
			r, err := f.getBits(2)
			if err != nil {
				return err
			}
			rep = 3 + r
		case 17:
			r, err := f.getBits(3)
			if err != nil {
				return err
			}
			rep = 3 + r
		default:
			r, err := f.getBits(7)
			if err != nil {
				return err
			}
			rep = 11 + r
		}
		if i+rep > nlen+ndist {
			return inflateError("code lengths repeat past the end")
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return inflateError("no end-of-block code")
	}
	if err := f.litDyn.build(lengths[:nlen]); err != nil {
		return err
	}
	return f.distDyn.build(lengths[nlen : nlen+ndist])
}

func (f *inflater) symbol() error {
	if f.syms++; f.syms == fastAfter && !f.lit.hasFast {
		f.lit.buildFast()
		f.dist.buildFast()
	}
	sym, err := f.decode(f.lit)
	if err != nil {
		return err
	}
	switch {
	case sym < 256:
		return f.emit(byte(sym))
	case sym == 256:
		f.endBlock()
		return nil
	}
	sym -= 257
	if sym >= 29 {
		return inflateError("invalid length symbol")
	}
	e, err := f.getBits(uint(lenExtra[sym]))
	if err != nil {
		return err
	}
	length := int(lenBase[sym]) + e
	ds, err := f.decode(f.dist)
	if err != nil {
		return err
	}
	if ds >= 30 {
		return inflateError("invalid distance symbol")
	}
	de, err := f.getBits(uint(dstExtra[ds]))
	if err != nil {
		return err
	}
	dist := int(dstBase[ds]) + de
	if dist > f.wlen {
		return inflateError("distance too far back")
	}
	for length > 0 {
		n := min(length, cap(f.out)-len(f.out))
		for i := 0; i < n; i++ {
			b := f.win[(f.wpos-dist)&(winSize-1)]
			f.win[f.wpos] = b
			f.wpos = (f.wpos + 1) & (winSize - 1)
			f.out = append(f.out, b)
		}
		f.wlen = min(f.wlen+n, winSize)
		length -= n
		if len(f.out) == cap(f.out) {
			if err := f.flushOut(); err != nil {
				return err
			}
		}
	}
	return nil
}
