// Package capture reads pcap/pcapng files and live Linux interfaces, decodes
// link, network and transport headers, reassembles TCP in both directions
// into byte streams (which frame carried each byte, gaps, the buffer
// budget) and runs each connection's transport chain (package transport:
// content detection, TLS, WebSocket, the MQTT framer) over them. It does
// not dissect: it hands the caller one Event per MQTT packet, gap, note or
// closed connection, in capture order.
package capture

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/transport"
	"github.com/mqttdump/mqttdump/transport/tlsdec"
)

// Defaults for Config fields left at zero.
const (
	DefaultPort        = 1883
	DefaultTLSPort     = 8883
	DefaultMaxPacket   = 16 << 20
	DefaultMaxBuffered = 64 << 20
	DefaultIdleFlush   = 2 * time.Minute
	DefaultGapWait     = 5 * time.Second
	// DefaultBufferSize is the kernel queue of a live capture (tcpdump's -B).
	DefaultBufferSize = 32 << 20
	// maxRecord is the largest frame accepted from a file (libpcap's
	// MAXIMUM_SNAPLEN): a record header claiming more is an error, not an
	// allocation.
	maxRecord = 262144
)

// Config says which traffic is MQTT and how much memory may be held.
type Config struct {
	// Ports are MQTT server ports besides 1883 (MQTT) and 8883 (MQTT over
	// TLS), which are always ports. Traffic on them that is not MQTT is
	// named; on other ports MQTT is found by content (a CONNECT, a
	// WebSocket upgrade, TLS that decrypts to either).
	Ports       []uint16
	MaxPacket   int           // largest MQTT packet buffered whole; larger ones are reported by header and skipped
	MaxBuffered int           // bytes buffered across all connections (packets in progress and kept frames)
	IdleFlush   time.Duration // capture-time idle timeout after which a connection is flushed and closed
	// GapWait is how long (capture time) out-of-order data waits for a
	// missing segment before the hole is reported as a gap.
	GapWait time.Duration
	// KeepFrames keeps a copy of every frame carrying MQTT bytes until the
	// packets it carries are delivered, so Event.Frames[i].Data is set (-w).
	KeepFrames bool
	// MaxConns caps the TCP connections tracked at once (default
	// DefaultMaxConns); past it the least recently seen are closed, their
	// packets in progress delivered as partial, and counted in Stats.Evicted.
	MaxConns int
	// BufferSize is the kernel receive queue of a live capture in bytes
	// (default DefaultBufferSize); frames that arrive while the queue is
	// full are dropped by the kernel and counted in Stats.Dropped.
	BufferSize int
	// KeyLog holds TLS secrets (--tls-keylog); secrets in a pcapng
	// Decryption Secrets Block are added to them. nil: TLS connections are
	// named, not decrypted.
	KeyLog *tlsdec.KeyLog
}

// MQTTPorts is 1883, 8883 and Ports, each once.
func (c Config) MQTTPorts() []uint16 {
	out := []uint16{DefaultPort, DefaultTLSPort}
	for _, p := range c.Ports {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func (c Config) withDefaults() Config {
	c.Ports = c.MQTTPorts()
	if c.MaxPacket <= 0 {
		c.MaxPacket = DefaultMaxPacket
	}
	if c.MaxBuffered <= 0 {
		c.MaxBuffered = DefaultMaxBuffered
	}
	if c.IdleFlush <= 0 {
		c.IdleFlush = DefaultIdleFlush
	}
	if c.GapWait <= 0 {
		c.GapWait = DefaultGapWait
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.BufferSize <= 0 {
		c.BufferSize = DefaultBufferSize
	}
	return c
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	EventPacket EventKind = iota // one MQTT control packet (Data)
	EventGap                     // bytes missing from a direction (Missing): lost segment or snaplen truncation
	EventNote                    // resynchronisation, skipped bytes, oversize packet
	EventClose                   // the connection ended: drop its session state
)

func (k EventKind) String() string {
	switch k {
	case EventPacket:
		return "packet"
	case EventGap:
		return "gap"
	case EventNote:
		return "note"
	case EventClose:
		return "close"
	}
	return "unknown"
}

// FrameRef is one capture frame that carried bytes of a packet.
type FrameRef struct {
	Number   int // 1-based, every record of the file counts
	CI       gopacket.CaptureInfo
	LinkType layers.LinkType
	Data     []byte // raw link-layer bytes; nil unless Config.KeepFrames
	// PayloadOffset is where the TCP payload starts in Data (-1 when the
	// segment was rebuilt from fragments); Seq is the stream offset of
	// that first payload byte (see Event.Spans).
	PayloadOffset int
	Seq           int64
}

// Event is what the reader delivers. The Event and its slices are reused:
// they are valid only during the callback, so copy what you keep.
// Frame is the frame that carried the packet's last byte; with out-of-order
// segments that can be earlier than the frame that completed the packet
// (Frames lists them all, in the order their bytes appear).
type Event struct {
	Kind     EventKind
	Stream   int // 0-based, in order of first sight
	Dir      dissect.Direction
	Src, Dst netip.AddrPort
	Frame    int // frame of the packet's last byte (or where the event was found)
	Time     time.Time
	Data     []byte     // EventPacket: exactly one MQTT packet; oversize EventNote: its fixed header
	Frames   []FrameRef // EventPacket: every frame that carried a byte of it
	Missing  int        // EventGap: bytes lost
	Declared int        // EventPacket/oversize EventNote: total bytes the fixed header declares (0 if unknown)
	Message  string     // EventGap/EventNote: human text
	Partial  bool       // EventPacket: fewer bytes than declared (end of stream or a gap)
	FrameLen int        // wire length of Frame (frame.len)
	Start    time.Time  // time of the capture's first frame (frame.time_relative counts from it)
	// EventClose: the side that sent the first FIN, and a RST; both
	// DirUnknown when the capture flushed the connection (idle, end of input).
	FinBy, RstBy dissect.Direction
	// SYN: the connection began with a SYN in this capture, so it is a new
	// TCP connection (a new session), even on the addresses of an earlier
	// one; without it the connection was picked up mid-stream (or resumed
	// after an idle flush).
	SYN bool
	// Transport describes how the connection carries MQTT (TCP, TLS,
	// WebSocket). It is never changed once handed out (a handshake that
	// tells more gives the later events a new one), so it may be kept.
	Transport *transport.Info
	// Spans are the stream spans of Data's bytes, one stream offset per
	// byte in order, when the transport keeps them 1:1 (plain TCP and
	// uncompressed WebSocket, where the bytes may be masked); nil when it
	// does not (TLS, permessage-deflate). -w --redact overwrites through it.
	Spans []transport.Span
	// WebSocket describes the message that carried the packet; nil unless
	// the connection is WebSocket.
	WebSocket *transport.MessageInfo
	// Finding is a protocol finding about how the packet travelled (e.g.
	// "[MQTT-6.0.0-1] ..." for a WebSocket text frame); empty when none.
	Finding string
}

// PlainSpan is the packet's stream span (offsets of its direction, see
// FrameRef.Seq) when it is carried in plain TCP; zero otherwise.
func (ev *Event) PlainSpan() transport.Span {
	if len(ev.Spans) == 1 && ev.Transport.Plain() {
		return ev.Spans[0]
	}
	return transport.Span{}
}

// Stats summarises a run.
type Stats struct {
	Frames      int // records read
	Packets     int // MQTT packets delivered (partial ones included)
	Connections int // TCP connections shown: MQTT ones, and those on the MQTT ports
	NotMQTT     int // connections on the MQTT ports that are not MQTT (named in a note)
	Encrypted   int // connections on the MQTT ports that are TLS not decrypted (named in a note)
	Gaps        int // gap events
	Truncated   int // frames cut by the snaplen
	Dropped     int // live: frames the kernel dropped
	Received    int // live: frames the kernel filter passed (tcpdump's "received by filter")
	NonTCP      int // frames that are not TCP over IPv4/IPv6
	OtherTCP    int // TCP frames of connections that are not MQTT
	Oversize    int // MQTT packets skipped for exceeding a buffer limit
	// UnsupportedLink counts frames of pcapng interfaces whose link type
	// cannot be decoded (they are skipped, the other interfaces are read).
	UnsupportedLink int
	// Defragmented counts IP datagrams reassembled from fragments;
	// FragDropped datagrams given up (incomplete after 30 s of capture
	// time, over a bound, or impossible); FragOverlap datagrams with a
	// fragment that overlapped an earlier one with different bytes (the
	// first bytes are kept).
	Defragmented, FragDropped, FragOverlap int
	// Evicted counts connections closed early because MaxConns was reached.
	Evicted     int
	FirstTime   time.Time
	LastTime    time.Time
	LinkType    layers.LinkType // of the file (first interface for pcapng); for -w
	Snaplen     int             // of the file, for -w (0 if unknown)
	Interrupted bool            // the context was cancelled before the end of input
	Secrets     int             // pcapng Decryption Secrets Blocks with a TLS key log
}
