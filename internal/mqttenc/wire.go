// Package mqttenc builds MQTT 3.1, 3.1.1 and 5.0 control packets for tests,
// samples and benchmarks: valid ones from typed structs, and deliberately
// invalid ones on request (reserved bits, wrong flags, non-minimal or
// over-long remaining lengths, lying lengths).
package mqttenc

// Version is the MQTT protocol level written in CONNECT.
type Version uint8

const (
	V31  Version = 3 // protocol name "MQIsdp"
	V311 Version = 4
	V5   Version = 5
)

// Packet types (the high nibble of the first byte).
const (
	TypeConnect     = 1
	TypeConnack     = 2
	TypePublish     = 3
	TypePuback      = 4
	TypePubrec      = 5
	TypePubrel      = 6
	TypePubcomp     = 7
	TypeSubscribe   = 8
	TypeSuback      = 9
	TypeUnsubscribe = 10
	TypeUnsuback    = 11
	TypePingreq     = 12
	TypePingresp    = 13
	TypeDisconnect  = 14
	TypeAuth        = 15
)

// maxString is the most a two-byte length prefix can describe; longer
// strings are cut so the prefix never lies by accident.
const maxString = 0xffff

// AppendVarint appends v as an MQTT variable byte integer in the fewest
// bytes. Values above 268435455 take five or more bytes (over-long).
func AppendVarint(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// VarintWidth encodes v in exactly width bytes when width is more than the
// minimum (non-minimal: "80 00" for 0); never fewer than the minimum.
func VarintWidth(v uint32, width int) []byte {
	b := AppendVarint(nil, v)
	for len(b) < width {
		b[len(b)-1] |= 0x80
		b = append(b, 0)
	}
	return b
}

// Raw frames body under the fixed header byte typ<<4|flags with a minimal
// remaining length. It writes anything, reserved type 0 and 15 in 3.x too.
func Raw(typ, flags byte, body []byte) []byte {
	b := make([]byte, 0, 5+len(body))
	b = append(b, typ<<4|flags&0x0f)
	b = AppendVarint(b, uint32(len(body)))
	return append(b, body...)
}

// header splits a packet made here into first byte, remaining-length bytes
// and body; ok is false when the length field is not readable.
func header(pkt []byte) (first byte, body []byte, ok bool) {
	if len(pkt) < 2 {
		return 0, nil, false
	}
	for i := 1; i < len(pkt) && i <= 5; i++ {
		if pkt[i]&0x80 == 0 {
			return pkt[0], pkt[i+1:], true
		}
	}
	return 0, nil, false
}

// WithLengthWidth re-encodes the remaining length of pkt in width bytes:
// 2..4 for a non-minimal encoding, 5 or more for an over-long (malformed)
// one. pkt is returned unchanged when its header cannot be read.
func WithLengthWidth(pkt []byte, width int) []byte {
	first, body, ok := header(pkt)
	if !ok {
		return pkt
	}
	b := append([]byte{first}, VarintWidth(uint32(len(body)), width)...)
	return append(b, body...)
}

// WithRemainingLength makes pkt declare rl bytes instead of what it holds
// (fewer: trailing bytes; more: truncated packet).
func WithRemainingLength(pkt []byte, rl uint32) []byte {
	first, body, ok := header(pkt)
	if !ok {
		return pkt
	}
	b := AppendVarint([]byte{first}, rl)
	return append(b, body...)
}

// WithHeaderFlags replaces the low nibble of the first byte.
func WithHeaderFlags(pkt []byte, flags byte) []byte {
	if len(pkt) == 0 {
		return pkt
	}
	b := append([]byte(nil), pkt...)
	b[0] = b[0]&0xf0 | flags&0x0f
	return b
}

func appendU16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendBin appends two-byte length + data (UTF-8 strings and binary data).
func appendBin(b, data []byte) []byte {
	if len(data) > maxString {
		data = data[:maxString]
	}
	return append(appendU16(b, uint16(len(data))), data...)
}

func appendStr(b []byte, s string) []byte { return appendBin(b, []byte(s)) }

func boolBit(v bool, bit byte) byte {
	if v {
		return bit
	}
	return 0
}
