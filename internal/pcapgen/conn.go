package pcapgen

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/netip"
)

// Dir is the direction of a segment on a connection.
type Dir uint8

const (
	ToServer Dir = iota // client -> server
	ToClient            // server -> client
)

func (d Dir) String() string {
	if d == ToServer {
		return "to-server"
	}
	return "to-client"
}

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
)

// MaxSegment is the largest payload Send accepts: it must fit one IPv4 packet.
const MaxSegment = 0xffff - 20 - 20

// half is one direction of a connection.
type half struct {
	isn  uint32
	next uint32 // relative offset of the next data byte (0 = first byte after SYN)
	fin  bool   // a FIN was sent: it takes one sequence number after next
}

// seq is the absolute sequence number of relative offset rel.
func (h *half) seq(rel uint32) uint32 { return h.isn + 1 + rel }

// ackFor is what the peer acknowledges: everything sent so far.
func (h *half) ackFor() uint32 {
	a := h.seq(h.next)
	if h.fin {
		a++
	}
	return a
}

// Conn is one TCP connection. Segments carry correct sequence and
// acknowledgement numbers; the handshake is optional (mid-stream capture).
type Conn struct {
	ifc            *Iface
	client, server netip.AddrPort
	half           [2]half
}

// Conn starts a connection on this interface. No frame is written yet.
// ISNs are derived from the addresses, so they differ between connections
// and are the same on every run.
func (i *Iface) Conn(client, server netip.AddrPort) *Conn {
	h := fnv.New32a()
	b, _ := client.MarshalBinary()
	h.Write(b)
	b, _ = server.MarshalBinary()
	h.Write(b)
	isn := h.Sum32()
	c := &Conn{ifc: i, client: client, server: server}
	c.half[ToServer].isn = isn
	c.half[ToClient].isn = isn*2654435761 + 12345
	return c
}

// SetISN sets the initial sequence numbers (before the first segment), for
// example near 2^32 to test wrap-around.
func (c *Conn) SetISN(client, server uint32) {
	c.half[ToServer].isn = client
	c.half[ToClient].isn = server
}

// ISN is the initial sequence number of direction d.
func (c *Conn) ISN(d Dir) uint32 { return c.half[d&1].isn }

// Seq is the absolute sequence number of the next data byte in direction d.
func (c *Conn) Seq(d Dir) uint32 { h := &c.half[d&1]; return h.seq(h.next) }

// Offset is the relative offset of the next data byte in direction d
// (0 = first byte after the SYN; Wireshark's relative seq minus one).
func (c *Conn) Offset(d Dir) uint32 { return c.half[d&1].next }

// Handshake writes SYN, SYN-ACK and ACK.
func (c *Conn) Handshake() {
	cl, sv := &c.half[ToServer], &c.half[ToClient]
	c.segment(ToServer, cl.isn, 0, flagSYN, nil)
	c.segment(ToClient, sv.isn, cl.seq(0), flagSYN|flagACK, nil)
	c.segment(ToServer, cl.seq(0), sv.seq(0), flagACK, nil)
}

// Send writes one segment carrying data at the next sequence number of d and
// advances it. Empty data gives a pure ACK.
func (c *Conn) Send(d Dir, data []byte) {
	h := &c.half[d&1]
	c.SendAt(d, h.next, data)
	h.next += uint32(len(data))
}

// SendAt writes one segment carrying data at relative offset rel of d
// without advancing: retransmissions, out-of-order delivery, overlaps.
func (c *Conn) SendAt(d Dir, rel uint32, data []byte) {
	if len(data) > MaxSegment {
		c.ifc.w.fail(fmt.Errorf("frame %d: segment of %d bytes over %d; use SendSplit", c.ifc.w.frames+1, len(data), MaxSegment))
		return
	}
	flags := byte(flagACK)
	if len(data) > 0 {
		flags |= flagPSH
	}
	h := &c.half[d&1]
	seq := h.seq(rel)
	if h.fin && rel >= h.next {
		seq++ // the FIN took a sequence number
	}
	c.segment(d, seq, c.half[(d^1)&1].ackFor(), flags, data)
}

// SendSplit sends data as consecutive segments of the given sizes; the last
// size repeats until data is used up, so SendSplit(d, data, 1460) is MSS
// segmentation and SendSplit(d, data, 1, MaxSegment) splits off one byte.
func (c *Conn) SendSplit(d Dir, data []byte, sizes ...int) {
	if len(sizes) == 0 {
		c.ifc.w.fail(fmt.Errorf("send split: no sizes"))
		return
	}
	for k := 0; len(data) > 0; k++ {
		n := sizes[min(k, len(sizes)-1)]
		if n <= 0 {
			c.ifc.w.fail(fmt.Errorf("send split: size %d", n))
			return
		}
		n = min(n, len(data))
		c.Send(d, data[:n])
		data = data[n:]
	}
}

// Skip advances d's sequence number by n without sending: a lost segment.
func (c *Conn) Skip(d Dir, n int) { c.half[d&1].next += uint32(n) }

// Ack writes a pure ACK in direction d.
func (c *Conn) Ack(d Dir) { c.Send(d, nil) }

// Close writes FIN/ACK from the client, FIN/ACK from the server and the
// client's final ACK.
func (c *Conn) Close() {
	c.Fin(ToServer)
	c.Fin(ToClient)
	c.Ack(ToServer)
}

// Fin writes a FIN/ACK in direction d (a half close).
func (c *Conn) Fin(d Dir) {
	h := &c.half[d&1]
	c.segment(d, h.seq(h.next), c.half[(d^1)&1].ackFor(), flagFIN|flagACK, nil)
	h.fin = true
}

// Reset writes a RST/ACK from the client.
func (c *Conn) Reset() { c.ResetFrom(ToServer) }

// ResetFrom writes a RST/ACK in direction d.
func (c *Conn) ResetFrom(d Dir) {
	h := &c.half[d&1]
	c.segment(d, h.seq(h.next), c.half[(d^1)&1].ackFor(), flagRST|flagACK, nil)
}

func (c *Conn) segment(d Dir, seq, ack uint32, flags byte, data []byte) {
	d &= 1
	src, dst := c.client, c.server
	if d != ToServer {
		src, dst = dst, src
	}
	var h [20]byte
	binary.BigEndian.PutUint16(h[0:], src.Port())
	binary.BigEndian.PutUint16(h[2:], dst.Port())
	binary.BigEndian.PutUint32(h[4:], seq)
	if flags&flagACK != 0 {
		binary.BigEndian.PutUint32(h[8:], ack)
	}
	h[12] = 5 << 4 // data offset: 20 bytes, no options
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 0xffff) // window
	c.ifc.ipFrame(src.Addr(), dst.Addr(), protoTCP, h[:], 16, data, d == ToServer)
}
