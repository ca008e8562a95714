package render

import (
	"math/bits"

	"github.com/mqttdump/mqttdump/dissect"
)

// appendBitPattern draws a bit group Wireshark style, "...0 0...", with the
// node's value placed in its mask bits and dots elsewhere.
func appendBitPattern(dst []byte, n *dissect.Node) []byte {
	d := defOf(n)
	width := d.Bits
	if width <= 0 || width > 64 {
		width = 8
	}
	if width < 64 && d.Mask>>uint(width) != 0 {
		width = 64 - bits.LeadingZeros64(d.Mask) // mask wider than declared
		width = (width + 7) / 8 * 8
	}
	var v uint64
	switch x := n.Value.(type) {
	case uint64:
		v = x << uint(bits.TrailingZeros64(d.Mask))
	case bool:
		if x {
			v = d.Mask
		}
	}
	for i := width - 1; i >= 0; i-- {
		bit := uint64(1) << uint(i)
		switch {
		case d.Mask&bit == 0:
			dst = append(dst, '.')
		case v&bit != 0:
			dst = append(dst, '1')
		default:
			dst = append(dst, '0')
		}
		if i > 0 && i%4 == 0 {
			dst = append(dst, ' ')
		}
	}
	return dst
}
