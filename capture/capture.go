// Package capture reads pcap/pcapng files and live Linux interfaces, decodes
// link, network and transport headers, reassembles the TCP streams on the
// MQTT ports in both directions and cuts each direction into MQTT control
// packets with dissect.FrameHead. It does not dissect: it hands the caller
// one Event per MQTT packet, gap, note or closed connection, in capture order.
package capture

import (
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/dissect"
)

// Defaults for Config fields left at zero.
const (
	DefaultPort        = 1883
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
	Ports       []uint16      // MQTT server ports; default {1883}
	MaxPacket   int           // largest MQTT packet buffered whole; larger ones are reported by header and skipped
	MaxBuffered int           // bytes buffered across all connections (packets in progress and kept frames)
	IdleFlush   time.Duration // capture-time idle timeout after which a connection is flushed and closed
	// GapWait is how long (capture time) out-of-order data waits for a
	// missing segment before the hole is reported as a gap.
	GapWait time.Duration
	// KeepFrames keeps a copy of every frame carrying MQTT bytes until the
	// packets it carries are delivered, so Event.Frames[i].Data is set (-w).
	KeepFrames bool
	// BufferSize is the kernel receive queue of a live capture in bytes
	// (default DefaultBufferSize); frames that arrive while the queue is
	// full are dropped by the kernel and counted in Stats.Dropped.
	BufferSize int
}

func (c Config) withDefaults() Config {
	if len(c.Ports) == 0 {
		c.Ports = []uint16{DefaultPort}
	}
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
}

// Stats summarises a run.
type Stats struct {
	Frames      int // records read
	Packets     int // MQTT packets delivered (partial ones included)
	Connections int // TCP connections on the MQTT ports
	Gaps        int // gap events
	Truncated   int // frames cut by the snaplen
	Dropped     int // live: frames the kernel dropped
	NonTCP      int // frames that are not TCP over IPv4/IPv6 (or are IP fragments)
	OtherTCP    int // TCP frames on other ports
	Oversize    int // MQTT packets skipped for exceeding a buffer limit
	FirstTime   time.Time
	LastTime    time.Time
	LinkType    layers.LinkType // of the file (first interface for pcapng); for -w
	Snaplen     int             // of the file, for -w (0 if unknown)
	Interrupted bool            // the context was cancelled before the end of input
}
