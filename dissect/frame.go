package dissect

// FrameStatus is the framer's answer about the head of a byte stream.
type FrameStatus uint8

const (
	FrameComplete  FrameStatus = iota // a whole packet of Total bytes is at the head
	FrameNeedMore                     // not enough bytes yet (Total known once the length is)
	FrameMalformed                    // remaining length runs past 4 bytes: no packet boundary can be found
)

// Frame is what the framer learned from the head of a buffer.
type Frame struct {
	Status FrameStatus
	// HeaderLen is 1 + the bytes of the remaining-length field (0 until known).
	HeaderLen int
	// Remaining is the declared remaining length (-1 until known).
	Remaining int
	// Total is HeaderLen+Remaining (0 until known).
	Total int
}

// MaxRemainingLength is the largest value four varint bytes can carry.
const MaxRemainingLength = 268435455

// FrameHead looks at the start of buf. It never allocates and never reads
// past the fifth byte: a remaining length split across TCP segments is just
// FrameNeedMore.
func FrameHead(buf []byte) Frame {
	if len(buf) < 2 {
		return Frame{Status: FrameNeedMore, Remaining: -1}
	}
	v, mult := 0, 1
	for i := 1; i <= 4; i++ {
		if i >= len(buf) {
			return Frame{Status: FrameNeedMore, Remaining: -1}
		}
		b := buf[i]
		v += int(b&0x7f) * mult
		if b&0x80 == 0 {
			f := Frame{HeaderLen: i + 1, Remaining: v, Total: i + 1 + v}
			if len(buf) >= f.Total {
				f.Status = FrameComplete
			} else {
				f.Status = FrameNeedMore
			}
			return f
		}
		mult *= 128
	}
	return Frame{Status: FrameMalformed, Remaining: -1}
}

// validFlags reports whether the fixed-header flags are the ones the spec
// requires for the type (PUBLISH has its own rules; see plausibleHeader).
func validFlags(typ, flags uint8) bool {
	switch typ {
	case TypePublish:
		return flags&0x06 != 0x06
	case TypePubrel, TypeSubscribe, TypeUnsubscribe:
		return flags == 0x2
	}
	return flags == 0
}

// minRemaining and maxRemaining bound the remaining length a packet type can
// have in any version (used to judge plausibility when resynchronising).
func remainingPlausible(typ uint8, rl int) bool {
	switch typ {
	case TypeConnect:
		return rl >= 10
	case TypeConnack:
		return rl >= 2
	case TypePublish:
		return rl >= 2
	case TypePuback, TypePubrec, TypePubrel, TypePubcomp:
		return rl >= 2
	case TypeSubscribe:
		return rl >= 5
	case TypeSuback:
		return rl >= 3
	case TypeUnsubscribe:
		return rl >= 4
	case TypeUnsuback:
		return rl >= 2
	case TypePingreq, TypePingresp:
		return rl == 0
	case TypeDisconnect, TypeAuth:
		return true
	}
	return false
}

// Plausible reports whether buf starts with something that looks like an MQTT
// fixed header: a defined type, the flags the spec requires, a minimal
// remaining length that fits the type. When the whole packet and the next
// header are in buf, the next header must be plausible too. It is used to
// resynchronise a stream picked up mid-way or after a gap.
func Plausible(buf []byte) bool {
	return plausibleDepth(buf, 2)
}

func plausibleDepth(buf []byte, depth int) bool {
	if len(buf) == 0 {
		return false
	}
	typ, flags := buf[0]>>4, buf[0]&0x0f
	if typ == TypeReserved || !validFlags(typ, flags) {
		return false
	}
	f := FrameHead(buf)
	if f.Status == FrameMalformed {
		return false
	}
	if f.Remaining < 0 {
		return true // cannot tell yet
	}
	if f.HeaderLen > 2 && buf[f.HeaderLen-1] == 0 {
		return false // non-minimal varint
	}
	if !remainingPlausible(typ, f.Remaining) {
		return false
	}
	if typ == TypeConnect && len(buf) >= f.HeaderLen+2 {
		// protocol name length is 4 ("MQTT") or 6 ("MQIsdp")
		if n := int(buf[f.HeaderLen])<<8 | int(buf[f.HeaderLen+1]); n != 4 && n != 6 {
			return false
		}
	}
	if f.Status == FrameComplete && len(buf) > f.Total && depth > 1 {
		return plausibleDepth(buf[f.Total:], depth-1)
	}
	return true
}

// Resync returns the offset of the first plausible fixed header in buf, or -1.
func Resync(buf []byte) int {
	for i := range buf {
		if Plausible(buf[i:]) {
			return i
		}
	}
	return -1
}
