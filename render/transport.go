package render

import "strconv"

// appendTransportMarker writes " [TLS 1.3]", " [WS]" or " [TLS 1.2 WS]"
// for a packet that did not come over plain TCP.
func appendTransportMarker(dst []byte, m *Meta) []byte {
	t := m.Transport
	if t.Plain() {
		return dst
	}
	dst = append(dst, " ["...)
	if t.TLS != nil {
		v := t.TLS.Version
		if v == "" {
			v = "TLS"
		}
		dst = appendEscaped(dst, v)
		if t.WebSocket != nil {
			dst = append(dst, ' ')
		}
	}
	if t.WebSocket != nil {
		dst = append(dst, "WS"...)
	}
	return append(dst, ']')
}

// TransportLine writes the -V header line that says how the packet
// travelled ("Transport: TLS 1.3 TLS_AES_128_GCM_SHA256, SNI broker.example;
// WebSocket subprotocol mqtt, permessage-deflate"); nothing for plain TCP.
func (p *Printer) TransportLine(m *Meta) error {
	if m == nil || m.Transport.Plain() {
		return nil
	}
	t := m.Transport
	b := append(p.buf, "Transport: "...)
	if t.TLS != nil {
		v := t.TLS.Version
		if v == "" {
			v = "TLS"
		}
		b = appendEscaped(b, v)
		if t.TLS.Suite != "" {
			b = append(b, ' ')
			b = appendEscaped(b, t.TLS.Suite)
		}
		if t.TLS.SNI != "" {
			b = append(b, ", SNI "...)
			b = appendEscaped(b, t.TLS.SNI)
		}
		if t.TLS.ALPN != "" {
			b = append(b, ", ALPN "...)
			b = appendEscaped(b, t.TLS.ALPN)
		}
		if t.WebSocket != nil {
			b = append(b, "; "...)
		}
	}
	if w := t.WebSocket; w != nil {
		b = append(b, "WebSocket"...)
		if w.Subprotocol != "" {
			b = append(b, " subprotocol "...)
			b = appendEscaped(b, w.Subprotocol)
		}
		if w.Extensions != "" {
			b = append(b, ", "...)
			b = appendEscaped(b, w.Extensions)
		}
		if ws := m.WebSocket; ws != nil {
			b = append(b, " ("...)
			if ws.Opcode == 1 {
				b = append(b, "text"...)
			} else {
				b = append(b, "binary"...)
			}
			b = append(b, " message, "...)
			b = strconv.AppendInt(b, int64(ws.Frames), 10)
			if ws.Frames == 1 {
				b = append(b, " frame"...)
			} else {
				b = append(b, " frames"...)
			}
			if ws.Masked {
				b = append(b, ", masked"...)
			}
			if ws.Compressed {
				b = append(b, ", compressed"...)
			}
			b = append(b, ')')
		}
	}
	p.buf = append(b, '\n')
	return p.flush("transport")
}

// appendJSONTransport writes `"transport":{...},` for a packet that did not
// come over plain TCP.
func appendJSONTransport(b []byte, m *Meta) []byte {
	t := m.Transport
	if t.Plain() {
		return b
	}
	b = append(b, `"transport":{"chain":`...)
	b = appendJSONString(b, t.Chain)
	if s := t.TLS; s != nil {
		b = append(b, `,"tls":{"version":`...)
		b = appendJSONString(b, s.Version)
		b = append(b, `,"cipher_suite":`...)
		b = appendJSONString(b, s.Suite)
		b = append(b, `,"sni":`...)
		b = appendJSONString(b, s.SNI)
		b = append(b, `,"alpn":`...)
		b = appendJSONString(b, s.ALPN)
		b = append(b, '}')
	}
	if w := t.WebSocket; w != nil {
		b = append(b, `,"websocket":{"subprotocol":`...)
		b = appendJSONString(b, w.Subprotocol)
		b = append(b, `,"extensions":`...)
		b = appendJSONString(b, w.Extensions)
		if ws := m.WebSocket; ws != nil {
			b = append(b, `,"opcode":`...)
			b = strconv.AppendUint(b, uint64(ws.Opcode), 10)
			b = append(b, `,"frames":`...)
			b = strconv.AppendInt(b, int64(ws.Frames), 10)
			b = append(b, `,"masked":`...)
			b = strconv.AppendBool(b, ws.Masked)
			b = append(b, `,"compressed":`...)
			b = strconv.AppendBool(b, ws.Compressed)
		}
		b = append(b, '}')
	}
	return append(b, "},"...)
}
