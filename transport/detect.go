package transport

import (
	"bytes"

	"github.com/mqttdump/mqttdump/dissect"
)

// Content is what the first bytes of a connection are.
type Content uint8

const (
	NeedMore  Content = iota // too few bytes to tell
	MQTT                     // an MQTT fixed header (a CONNECT, or plausible on an MQTT port)
	WebSocket                // an HTTP request upgrading to WebSocket
	TLS                      // a TLS handshake record (ClientHello from a client)
	HTTP                     // HTTP that does not upgrade to WebSocket
	Other                    // none of these
)

func (c Content) String() string {
	switch c {
	case NeedMore:
		return "need more"
	case MQTT:
		return "MQTT"
	case WebSocket:
		return "WebSocket"
	case TLS:
		return "TLS"
	case HTTP:
		return "HTTP"
	}
	return "other"
}

// MaxSniff bounds the bytes held to decide (an HTTP request header must
// end within it).
const MaxSniff = 8 << 10

// Detect tells what a connection carries from the first bytes of its
// client direction. mqttPort relaxes MQTT to any plausible fixed header
// (a client's first packet is CONNECT, but a capture may start late);
// elsewhere only a CONNECT with protocol name MQTT or MQIsdp counts.
func Detect(b []byte, mqttPort bool) Content {
	if len(b) == 0 {
		return NeedMore
	}
	switch c := sniffTLS(b, true); c {
	case TLS, NeedMore:
		return c
	}
	switch c := sniffHTTP(b); c {
	case WebSocket, HTTP, NeedMore:
		if c == NeedMore && len(b) >= MaxSniff {
			return HTTP
		}
		return c
	}
	switch c := sniffConnect(b); c {
	case MQTT, NeedMore:
		return c
	}
	if mqttPort && dissect.Plausible(b) {
		return MQTT
	}
	return Other
}

// DetectServer tells what a connection carries when the server direction
// speaks first (its client bytes were not captured): only meaningful on an
// MQTT port.
func DetectServer(b []byte) Content {
	if len(b) == 0 {
		return NeedMore
	}
	switch c := sniffTLS(b, false); c {
	case TLS, NeedMore:
		return c
	}
	if len(b) < 5 && bytes.HasPrefix([]byte("HTTP/"), b) {
		return NeedMore
	}
	if bytes.HasPrefix(b, []byte("HTTP/")) {
		return HTTP
	}
	if dissect.Plausible(b) {
		return MQTT
	}
	return Other
}

// sniffTLS recognises a TLS handshake record (a ClientHello when hello is
// set): content type 22, version 3.x, handshake type 1.
func sniffTLS(b []byte, hello bool) Content {
	if b[0] != 0x16 {
		return Other
	}
	if len(b) < 6 {
		if len(b) >= 2 && b[1] != 3 || len(b) >= 3 && b[2] > 4 {
			return Other
		}
		return NeedMore
	}
	if b[1] != 3 || b[2] > 4 {
		return Other
	}
	if hello && b[5] != 1 {
		return Other
	}
	return TLS
}

// LooksTLSRecord reports whether b starts like any TLS record header (for a
// stream picked up mid-connection).
func LooksTLSRecord(b []byte) bool {
	return len(b) >= 5 && b[0] >= 0x14 && b[0] <= 0x18 && b[1] == 3 && b[2] <= 4
}

var methods = [][]byte{[]byte("GET "), []byte("POST "), []byte("PUT "), []byte("HEAD "),
	[]byte("OPTIONS "), []byte("DELETE "), []byte("PATCH "), []byte("CONNECT "), []byte("TRACE ")}

// sniffHTTP recognises an HTTP/1 request, and among them a GET that asks
// for Upgrade: websocket (judged once the header block is complete).
func sniffHTTP(b []byte) Content {
	get := false
	for i, m := range methods {
		n := min(len(b), len(m))
		if bytes.Equal(b[:n], m[:n]) {
			if n < len(m) {
				return NeedMore
			}
			get = i == 0
			goto method
		}
	}
	return Other
method:
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return NeedMore
	}
	if !get {
		return HTTP
	}
	for _, line := range bytes.Split(b[:end], []byte("\r\n"))[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(name), []byte("upgrade")) {
			continue
		}
		for _, tok := range bytes.Split(value, []byte(",")) {
			if bytes.EqualFold(bytes.TrimSpace(tok), []byte("websocket")) {
				return WebSocket
			}
		}
	}
	return HTTP
}

// sniffConnect recognises an MQTT CONNECT: type 1, flags 0, a remaining
// length and the protocol name "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1).
func sniffConnect(b []byte) Content {
	if b[0] != 0x10 {
		return Other
	}
	h := dissect.FrameHead(b)
	if h.Status == dissect.FrameMalformed {
		return Other
	}
	if h.Remaining < 0 {
		return NeedMore
	}
	if h.Remaining < 10 {
		return Other
	}
	name := b[h.HeaderLen:]
	for _, want := range [][]byte{{0, 4, 'M', 'Q', 'T', 'T'}, {0, 6, 'M', 'Q', 'I', 's', 'd', 'p'}} {
		n := min(len(name), len(want))
		if bytes.Equal(name[:n], want[:n]) {
			if n < len(want) {
				return NeedMore
			}
			return MQTT
		}
	}
	return Other
}
