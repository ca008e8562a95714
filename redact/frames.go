package redact

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/transport"
)

// Frame is one capture frame that carried bytes of a packet (the parts of
// capture.FrameRef this package needs).
type Frame struct {
	LinkType layers.LinkType
	Data     []byte // link-layer bytes; changed in place
	// Seq is the stream offset of the frame's first TCP payload byte.
	Seq int64
}

// tcpLoc is where a frame's TCP segment and payload lie.
type tcpLoc struct {
	ip, tcp, payload, end int // offsets into the frame
	v6                    bool
	ok                    bool // checksums can be recomputed (segment whole)
}

// Frames replaces the bytes of spans (offsets into pkt, the MQTT packet
// as delivered) by Filler in the frames that carried them, and recomputes
// the IPv4 header and TCP checksums (IPv6 too) of every frame it changed.
// at gives the stream offset of each byte of pkt (spans of its direction,
// in order, one offset per byte); masked says the frames carry the bytes
// XOR a WebSocket mask, so a byte is rewritten as Filler masked the same
// way (frame ^ plain ^ Filler) without knowing the key. It returns false
// when at does not map pkt byte for byte (TLS, permessage-deflate): the
// caller must not write those frames as they are.
func Frames(frames []Frame, pkt []byte, spans []Span, at []transport.Span, masked bool) bool {
	if len(spans) == 0 {
		return true
	}
	n := int64(0)
	for _, s := range at {
		n += s.To - s.From
	}
	if n != int64(len(pkt)) {
		return false
	}
	locs := make([]tcpLoc, len(frames))
	changed := make([]bool, len(frames))
	for i, f := range frames {
		locs[i] = locate(f.LinkType, f.Data)
	}
	for _, s := range spans {
		for k := max(s.Off, 0); k < s.Off+s.Len && k < len(pkt); k++ {
			pos := streamOffset(at, k)
			for i, f := range frames {
				l := locs[i]
				if l.payload == 0 {
					continue
				}
				pay := f.Data[l.payload:l.end]
				if d := pos - f.Seq; d >= 0 && d < int64(len(pay)) {
					if masked {
						pay[d] ^= pkt[k] ^ Filler
					} else {
						pay[d] = Filler
					}
					changed[i] = true
				}
			}
		}
	}
	for i, f := range frames {
		if changed[i] && locs[i].ok {
			fixChecksums(f.Data, locs[i])
		}
	}
	return true
}

// streamOffset is the stream offset of byte k of the packet mapped by at.
func streamOffset(at []transport.Span, k int) int64 {
	r := int64(k)
	for _, s := range at {
		n := s.To - s.From
		if r < n {
			return s.From + r
		}
		r -= n
	}
	return -1
}

// locate decodes link, IP and TCP headers by hand, bounds-checked.
func locate(lt layers.LinkType, b []byte) tcpLoc {
	var l tcpLoc
	off, etype := 0, 0
	switch lt {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return l
		}
		off, etype = 14, int(binary.BigEndian.Uint16(b[12:]))
		for (etype == 0x8100 || etype == 0x88a8) && len(b) >= off+4 {
			etype = int(binary.BigEndian.Uint16(b[off+2:]))
			off += 4
		}
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return l
		}
		off, etype = 16, int(binary.BigEndian.Uint16(b[14:]))
	case layers.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return l
		}
		off, etype = 20, int(binary.BigEndian.Uint16(b[0:]))
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		off = 4
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		off = 0
	default:
		return l
	}
	if off >= len(b) {
		return l
	}
	v := b[off] >> 4
	switch {
	case (etype == 0x0800 || etype == 0) && v == 4:
		return ipv4(b, off)
	case (etype == 0x86dd || etype == 0) && v == 6:
		return ipv6(b, off)
	}
	return l
}

func ipv4(b []byte, off int) tcpLoc {
	var l tcpLoc
	if len(b) < off+20 {
		return l
	}
	ihl := int(b[off]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[off+2:]))
	if ihl < 20 || b[off+9] != 6 || binary.BigEndian.Uint16(b[off+6:])&0x3fff != 0 || total < ihl {
		return l // not TCP, or a fragment
	}
	end := off + total
	whole := end <= len(b)
	end = min(end, len(b))
	return tcpAt(b, off, off+ihl, end, false, whole)
}

func ipv6(b []byte, off int) tcpLoc {
	var l tcpLoc
	if len(b) < off+40 {
		return l
	}
	next, pos := b[off+6], off+40
	end := pos + int(binary.BigEndian.Uint16(b[off+4:]))
	for i := 0; i < 8 && next != 6; i++ {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < pos+2 {
				return l
			}
			next, pos = b[pos], pos+(int(b[pos+1])+1)*8
		default:
			return l // fragments and others
		}
	}
	if next != 6 {
		return l
	}
	whole := end <= len(b)
	return tcpAt(b, off, pos, min(end, len(b)), true, whole)
}

func tcpAt(b []byte, ip, tcp, end int, v6, whole bool) tcpLoc {
	var l tcpLoc
	if end < tcp+20 || len(b) < tcp+20 {
		return l
	}
	doff := int(b[tcp+12]>>4) * 4
	if doff < 20 || tcp+doff > end {
		return l
	}
	return tcpLoc{ip: ip, tcp: tcp, payload: tcp + doff, end: end, v6: v6, ok: whole}
}

// fixChecksums recomputes the IPv4 header checksum and the TCP checksum.
func fixChecksums(b []byte, l tcpLoc) {
	var sum uint32
	if !l.v6 {
		ihl := int(b[l.ip]&0x0f) * 4
		b[l.ip+10], b[l.ip+11] = 0, 0
		binary.BigEndian.PutUint16(b[l.ip+10:], fold(add(0, b[l.ip:l.ip+ihl])))
		sum = add(sum, b[l.ip+12:l.ip+20]) // source and destination
	} else {
		sum = add(sum, b[l.ip+8:l.ip+40])
	}
	tcpLen := l.end - l.tcp
	sum += 6 + uint32(tcpLen)&0xffff + uint32(tcpLen)>>16
	b[l.tcp+16], b[l.tcp+17] = 0, 0
	sum = add(sum, b[l.tcp:l.end])
	binary.BigEndian.PutUint16(b[l.tcp+16:], fold(sum))
}

// add sums b as big-endian 16-bit words (odd length padded with zero).
func add(sum uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	return sum
}

// fold makes the one's complement of the one's complement sum.
func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
