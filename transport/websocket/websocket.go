// Package websocket unwraps MQTT carried over WebSocket (RFC 6455, MQTT 5.0
// §6) on the capture side: it reads both directions of one TCP connection —
// the HTTP/1.1 upgrade handshake, then frames — and hands the unmasked,
// inflated message payload to a Sink with the TCP stream offsets it came
// from. It never buffers a whole message: memory per direction is bounded
// by the handshake header cap, one frame header, one control payload and,
// with permessage-deflate (RFC 7692), the 32 KiB inflate window and one
// output chunk.
package websocket

// Dir is the direction of a byte stream.
type Dir uint8

// The two directions of a connection.
const (
	ClientToServer Dir = 0
	ServerToClient Dir = 1
)

func (d Dir) String() string {
	if d == ServerToClient {
		return "server->client"
	}
	return "client->server"
}

// Span is a half-open range [From, To) of TCP stream offsets of one direction.
type Span struct{ From, To int64 }

// Len is the number of stream bytes the span covers.
func (s Span) Len() int64 { return s.To - s.From }

// Verdict is Sniff's answer.
type Verdict uint8

// Sniff answers.
const (
	NeedMore Verdict = iota // not decided yet: give more bytes
	Yes                     // an HTTP/1.1 WebSocket upgrade request
	No                      // not a WebSocket upgrade request
)

func (v Verdict) String() string {
	switch v {
	case NeedMore:
		return "need more"
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "verdict?"
}

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation uint8 = 0
	OpText         uint8 = 1
	OpBinary       uint8 = 2
	OpClose        uint8 = 8
	OpPing         uint8 = 9
	OpPong         uint8 = 10
)

// MessageInfo describes the message a Data call belongs to.
type MessageInfo struct {
	Opcode     uint8 // 1 text, 2 binary (of the message's first frame; 0 for a stray continuation)
	Frames     int   // frames of the message seen so far (all of them when final)
	Masked     bool  // the message's first frame was masked
	Compressed bool  // permessage-deflate: RSV1 on the first frame, payload inflated
}

// EventKind classifies an Event.
type EventKind uint8

// Event kinds.
const (
	EvUpgradeRequest     EventKind = iota // the client's HTTP upgrade request
	EvUpgradeAccepted                     // 101 Switching Protocols
	EvUpgradeRefused                      // any other response status
	EvPing                                // ping control frame
	EvPong                                // pong control frame
	EvClose                               // close control frame (code and reason)
	EvProtocol                            // a protocol violation (message names the RFC rule)
	EvNotMQTTSubprotocol                  // the negotiated subprotocol is not mqtt / mqttv3.1
	EvGap                                 // bytes missing from the capture
	EvAssumedUpgrade                      // no response seen: client frames decoded as if upgraded
	EvLimit                               // a cap was reached (header block, inflated size)
	EvDeflate                             // permessage-deflate data that cannot be inflated
	EvStopped                             // decoding of a direction stopped; later bytes are not decoded
	EvShed                                // held state given up for a memory budget (Shed)
)

var eventNames = [...]string{
	EvUpgradeRequest:     "upgrade-request",
	EvUpgradeAccepted:    "upgrade-accepted",
	EvUpgradeRefused:     "upgrade-refused",
	EvPing:               "ping",
	EvPong:               "pong",
	EvClose:              "close",
	EvProtocol:           "protocol",
	EvNotMQTTSubprotocol: "not-mqtt-subprotocol",
	EvGap:                "gap",
	EvAssumedUpgrade:     "assumed-upgrade",
	EvLimit:              "limit",
	EvDeflate:            "deflate",
	EvStopped:            "stopped",
	EvShed:               "shed",
}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event?"
}

// Sink receives what a Conn decodes. payload and spans are reused after
// the call returns: copy what must be kept.
type Sink interface {
	// Data is unwrapped message payload (unmasked, inflated), in order.
	// For uncompressed messages spans map the bytes 1:1 onto frame payload
	// bytes: one Span per contiguous run, in order, summing to len(payload).
	// For compressed messages there is one Span, from the start of the
	// message's first frame to the end of the input consumed so far.
	// A message may come in several calls; final is true on its last.
	Data(d Dir, payload []byte, spans []Span, m MessageInfo, final bool)
	// Event reports handshake steps, control frames, violations and gaps.
	Event(d Dir, s Span, kind EventKind, msg string)
}

// Info is what the handshake negotiated, as far as it was seen.
type Info struct {
	Subprotocol string   // from the 101 response, or the offered list (joined by ", ") if no response was seen
	Offered     []string // subprotocols the client offered
	Extensions  string   // negotiated (response) Sec-WebSocket-Extensions
	Deflate     bool     // permessage-deflate in use

	ClientNoContextTakeover, ServerNoContextTakeover bool
	ClientMaxWindowBits, ServerMaxWindowBits         int // 0 when not given

	Path, Host string // request target and Host header
	Status     int    // 101, or the refusal status; 0 when no response was seen
	Upgraded   bool   // a 101 was seen, or client frames were decoded as if upgraded
	Assumed    bool   // Upgraded without a response seen
}

// IsMQTTSubprotocol reports whether name is one MQTT allows: "mqtt"
// (MQTT 3.1.1 and 5.0, [MQTT-6.0.0-4]) or "mqttv3.1" (MQTT 3.1).
func IsMQTTSubprotocol(name string) bool {
	return name == "mqtt" || name == "mqttv3.1"
}
