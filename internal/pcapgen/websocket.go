package pcapgen

import (
	"encoding/binary"
	"fmt"
)

// WebSocket helpers: the bytes of an HTTP Upgrade and of WebSocket frames
// (RFC 6455), to send with Conn.Send.

// WSUpgradeRequest is a client's HTTP/1.1 upgrade request offering the
// given subprotocols.
func WSUpgradeRequest(host, path string, protocols ...string) []byte {
	s := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", path, host)
	if len(protocols) > 0 {
		s += "Sec-WebSocket-Protocol: "
		for i, p := range protocols {
			if i > 0 {
				s += ", "
			}
			s += p
		}
		s += "\r\n"
	}
	return []byte(s + "\r\n")
}

// WSUpgradeResponse is the server's 101 accepting the request above with
// the given subprotocol ("" for none).
func WSUpgradeResponse(protocol string) []byte {
	// The accept key of the request key above (RFC 6455 section 1.3).
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	if protocol != "" {
		s += "Sec-WebSocket-Protocol: " + protocol + "\r\n"
	}
	return []byte(s + "\r\n")
}

// WSFrame is one WebSocket frame. A non-nil mask (4 bytes) masks the
// payload, as a client must; fin ends the message.
func WSFrame(opcode byte, fin bool, mask []byte, payload []byte) []byte {
	b0 := opcode & 0x0f
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	m := byte(0)
	if len(mask) == 4 {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, m|byte(n))
	case n <= 0xffff:
		out = append(out, m|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, m|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if m == 0 {
		return append(out, payload...)
	}
	out = append(out, mask...)
	for i, c := range payload {
		out = append(out, c^mask[i%4])
	}
	return out
}
