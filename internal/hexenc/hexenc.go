// Package hexenc is lowercase hex encoding, the same bytes as
// encoding/hex, eight input bytes at a time: -T json writes every packet's
// bytes in hex, and the byte-at-a-time table lookup was a tenth of it.
package hexenc

import (
	"encoding/binary"
	"slices"
)

const digits = "0123456789abcdef"

// AppendEncode appends the lowercase hex of src to dst.
func AppendEncode(dst, src []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
	out := dst[n:]
	for len(src) >= 8 && len(out) >= 16 {
		x := binary.BigEndian.Uint64(src)
		binary.BigEndian.PutUint64(out, spread(uint32(x>>32)))
		binary.BigEndian.PutUint64(out[8:], spread(uint32(x)))
		src, out = src[8:], out[16:]
	}
	for i, c := range src {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return dst
}

// spread turns four bytes into their eight hex digits (big-endian): each
// nibble moves into a byte of its own, then becomes '0'-'9' or 'a'-'f'.
func spread(v32 uint32) uint64 {
	v := uint64(v32)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	letters := ((v + 0x0606060606060606) >> 4) & 0x0101010101010101 // 1 where the nibble is 10-15
	return v + 0x3030303030303030 + letters*('a'-'0'-10)
}
