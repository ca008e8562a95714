// Package transport is the chain of layers between a TCP connection's byte
// streams and MQTT packets: content detection, TLS records, the HTTP
// Upgrade and WebSocket framing, and the MQTT framer on top. Every layer
// takes in-order bytes together with the TCP stream spans they derive from
// and hands on bytes with spans, so whatever comes out at the top can be
// traced back to the frames that carried it.
package transport

import "math"

// Dir is a direction of a connection: 0 client -> server, 1 server -> client
// (the same numbering as the websocket and tlsdec packages).
type Dir uint8

const (
	ToServer Dir = 0
	ToClient Dir = 1
)

// Span is a run of stream offsets [From, To) of one direction; offset 0 is
// the direction's first byte.
type Span struct{ From, To int64 }

// NoLow is what Low returns when a layer holds nothing.
const NoLow int64 = math.MaxInt64

// Source says which stream bytes a chunk handed to a layer derives from.
// Exact chunks are the stream bytes themselves (plain TCP: Spans has one
// span as long as the chunk, so every byte has its own offset); others
// (decrypted or unmasked bytes) derive from all of Spans as a whole.
type Source struct {
	Spans []Span
	Exact bool
}

// ExactAt is the Source of plain stream bytes b starting at offset off.
func ExactAt(off int64, n int, buf *[1]Span) Source {
	buf[0] = Span{off, off + int64(n)}
	return Source{Spans: buf[:], Exact: true}
}

// Kind says what an Event reports.
type Kind uint8

const (
	KindPacket Kind = iota // one MQTT control packet (Data)
	KindNote               // resynchronisation, skipped bytes, oversize packet, what the connection is
	KindGap                // bytes missing above the TCP layer (a layer lost its place)
)

// Event is what the chain delivers. It and its slices are reused: valid
// only during the callback.
type Event struct {
	Kind     Kind
	Dir      Dir
	Data     []byte // KindPacket: one MQTT packet (decrypted, unmasked); oversize note: its fixed header
	Spans    []Span // stream spans the event derives from (ascending; merged where adjacent)
	Exact    bool   // Data is the stream bytes of Spans (plain TCP)
	Declared int    // total bytes the fixed header declares (0 if unknown)
	Partial  bool   // fewer bytes than declared
	Oversize bool   // a note about a packet skipped for a limit
	Missing  int    // KindGap: bytes lost
	Message  string
	// Finding is a protocol finding about how the packet travelled, e.g.
	// "[MQTT-6.0.0-1] MQTT in a WebSocket text frame"; empty when none.
	Finding string
	// WebSocket describes the message(s) that carried the packet; nil
	// unless the chain has a WebSocket layer.
	WebSocket *MessageInfo
}

// Info describes the layers of one connection. The chain hands out one
// pointer per connection and fills it in as handshakes are seen, so read
// it when you use it.
type Info struct {
	Chain     string // "tcp", "tls", "websocket", "tls+websocket"
	TLS       *TLSInfo
	WebSocket *WebSocketInfo
}

// Plain reports whether the connection is MQTT straight over TCP.
func (i *Info) Plain() bool { return i == nil || (i.TLS == nil && i.WebSocket == nil) }

// TLSInfo is what the handshake said.
type TLSInfo struct {
	Version    string // "TLS 1.3", "TLS 1.2"
	Suite      string // "TLS_AES_128_GCM_SHA256"
	SuiteID    uint16
	SNI        string
	ALPN       string
	Decrypting bool
	Problem    string // why it is not decrypted, when it is not
}

// WebSocketInfo is what the HTTP Upgrade said.
type WebSocketInfo struct {
	Subprotocol string
	Extensions  string
	Deflate     bool
	Path, Host  string
}

// MessageInfo describes the WebSocket message(s) that carried a packet.
type MessageInfo struct {
	Opcode     uint8 // 1 text, 2 binary
	Frames     int
	Masked     bool
	Compressed bool
}

// Memory is the connection's share of the capture's buffer budget and
// buffer pool (the tcp stage's). Buffers are charged by capacity.
type Memory interface {
	// Grow returns a buffer holding buf's bytes with room for n more,
	// charged by capacity, or ok false (buf untouched) when the budget
	// does not allow it.
	Grow(buf []byte, n int) (nb []byte, ok bool)
	// Release gives buf back; its charge ends (it may be reused).
	Release(buf []byte)
}

// HeapMemory is a Memory without a budget: plain allocations (for decode
// and tests).
type HeapMemory struct{}

func (HeapMemory) Grow(buf []byte, n int) ([]byte, bool) {
	if len(buf)+n <= cap(buf) {
		return buf, true
	}
	nb := make([]byte, len(buf), max(len(buf)+n, 2*cap(buf)))
	copy(nb, buf)
	return nb, true
}

func (HeapMemory) Release([]byte) {}

// addSpan appends s to spans, merging it with the last span when they touch
// or overlap.
func addSpan(spans []Span, s Span) []Span {
	if s.To <= s.From {
		return spans
	}
	if n := len(spans); n > 0 {
		last := &spans[n-1]
		if s.From <= last.To && s.To >= last.From {
			last.From, last.To = min(last.From, s.From), max(last.To, s.To)
			return spans
		}
	}
	return append(spans, s)
}
