package websocket

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"
)

// DefaultMaxHeader caps an HTTP header block (request or response).
const DefaultMaxHeader = 8 << 10

// httpStarts are the ways an HTTP/1.x request or response begins.
var httpStarts = []string{
	"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
	"HTTP/1.", "PRI * HTTP/2",
}

// IsHTTP reports whether b starts like an HTTP request or response. A
// prefix too short to tell is not HTTP.
func IsHTTP(b []byte) bool {
	for _, s := range httpStarts {
		if len(b) >= len(s) && string(b[:len(s)]) == s {
			return true
		}
	}
	return false
}

// Sniff looks at the first client->server bytes of a connection.
func Sniff(b []byte) Verdict {
	const get = "GET "
	if len(b) < len(get) {
		if string(b) == get[:len(b)] {
			return NeedMore
		}
		return No
	}
	if string(b[:len(get)]) != get {
		return No
	}
	look := b
	if len(look) > DefaultMaxHeader {
		look = look[:DefaultMaxHeader]
	}
	// The request line alone can already rule it out.
	if i := bytes.IndexByte(look, '\n'); i >= 0 {
		if _, _, ok := parseRequestLine(trimCR(look[:i])); !ok {
			return No
		}
	}
	end := headerEnd(look)
	if end < 0 {
		if len(look) >= DefaultMaxHeader {
			return No
		}
		return NeedMore
	}
	h, ok := parseHeaderBlock(look[:end])
	if !ok {
		return No
	}
	if _, _, ok := parseRequestLine(h.start); !ok {
		return No
	}
	if !hasToken(h.get("upgrade"), "websocket") {
		return No
	}
	return Yes
}

// headerEnd is the length of the header block including its empty line
// (CRLF CRLF, or a lenient LF LF), or -1 when it has not ended in b.
func headerEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// header is one parsed header block: the start line and its fields.
type header struct {
	start  []byte
	fields []field
}

type field struct{ name, value string }

// get joins the values of every field named name (lower case) with ", ".
func (h *header) get(name string) string {
	var out string
	for _, f := range h.fields {
		if f.name == name {
			if out != "" {
				out += ", "
			}
			out += f.value
		}
	}
	return out
}

// parseHeaderBlock splits a complete header block into its start line and
// fields. A line without a colon makes it invalid.
func parseHeaderBlock(b []byte) (header, bool) {
	var h header
	first := true
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		line := trimCR(b[:i])
		if i < len(b) {
			b = b[i+1:]
		} else {
			b = nil
		}
		if first {
			h.start = line
			first = false
			continue
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' { // obsolete line folding
			if n := len(h.fields); n > 0 {
				h.fields[n-1].value += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			return h, false
		}
		h.fields = append(h.fields, field{
			name:  strings.ToLower(strings.TrimSpace(string(line[:c]))),
			value: strings.TrimSpace(string(line[c+1:])),
		})
	}
	return h, !first
}

// parseRequestLine accepts "GET target HTTP/1.x" with x >= 1.
func parseRequestLine(line []byte) (method, target string, ok bool) {
	parts := strings.Split(string(line), " ")
	if len(parts) != 3 || parts[0] != "GET" || parts[1] == "" {
		return "", "", false
	}
	v := parts[2]
	if !strings.HasPrefix(v, "HTTP/1.") || len(v) < len("HTTP/1.1") {
		return "", "", false
	}
	minor, err := strconv.Atoi(v[len("HTTP/1."):])
	if err != nil || minor < 1 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// parseStatusLine reads "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (status int, ok bool) {
	s := string(line)
	if !strings.HasPrefix(s, "HTTP/1.") {
		return 0, false
	}
	sp := strings.IndexByte(s, ' ')
	if sp < 0 || len(s) < sp+4 {
		return 0, false
	}
	code, err := strconv.Atoi(s[sp+1 : sp+4])
	if err != nil || code < 100 || code > 999 || (len(s) > sp+4 && s[sp+4] != ' ') {
		return 0, false
	}
	return code, true
}

// hasToken reports whether the comma-separated list v holds tok
// (case-insensitive).
func hasToken(v, tok string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// splitList splits a comma-separated header value into trimmed, non-empty items.
func splitList(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// deflateParams is a permessage-deflate offer or response (RFC 7692 §7.1).
type deflateParams struct {
	found                                            bool
	clientNoContextTakeover, serverNoContextTakeover bool
	clientMaxWindowBits, serverMaxWindowBits         int
	bad                                              string // why the parameters are invalid, if they are
}

// parseDeflate finds the first permessage-deflate in an extensions header.
func parseDeflate(v string) deflateParams {
	var p deflateParams
	for _, ext := range strings.Split(v, ",") {
		parts := strings.Split(ext, ";")
		if !strings.EqualFold(strings.TrimSpace(parts[0]), "permessage-deflate") {
			continue
		}
		p.found = true
		for _, prm := range parts[1:] {
			name, val, hasVal := strings.Cut(strings.TrimSpace(prm), "=")
			name = strings.ToLower(strings.TrimSpace(name))
			val = strings.Trim(strings.TrimSpace(val), `"`)
			bits := 0
			if hasVal {
				n, err := strconv.Atoi(val)
				if err != nil || n < 8 || n > 15 {
					p.bad = "invalid " + name + " value " + strconv.Quote(val) + " (RFC 7692 §7.1.2)"
				}
				bits = n
			}
			switch name {
			case "client_no_context_takeover":
				p.clientNoContextTakeover = true
			case "server_no_context_takeover":
				p.serverNoContextTakeover = true
			case "client_max_window_bits":
				p.clientMaxWindowBits = bits
			case "server_max_window_bits":
				p.serverMaxWindowBits = bits
			default:
				p.bad = "unknown permessage-deflate parameter " + strconv.Quote(name) + " (RFC 7692 §7.1)"
			}
		}
		return p
	}
	return p
}

// acceptKey is the Sec-WebSocket-Accept a server must answer key with
// (RFC 6455 §4.2.2).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

func base64Decode(dst []byte, s string) (int, error) {
	return base64.StdEncoding.Decode(dst, []byte(s))
}
