package tsharkjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Canonical forms, so tshark's text and mqttdump's JSON values compare by
// meaning: numbers as decimal ("0x27" -> "39"), flags as "1"/"0", bytes as
// lowercase hex without separators, text as is.

// parseUint reads "17" or "0x11" (never octal: tshark prints no leading zeros
// for decimal fields, and "010" must not become 8).
func parseUint(s string) (uint64, error) {
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// Canon returns the canonical form of a value as tshark printed it.
func Canon(k Kind, raw string) (string, error) {
	switch k {
	case KindUint:
		n, err := parseUint(raw)
		if err != nil {
			return "", fmt.Errorf("number %q: %w", raw, err)
		}
		return strconv.FormatUint(n, 10), nil
	case KindBool:
		switch strings.ToLower(raw) {
		case "1", "true":
			return "1", nil
		case "0", "false":
			return "0", nil
		}
		return "", fmt.Errorf("flag %q: not 1/0/True/False", raw)
	case KindBytes:
		return canonHex(raw)
	}
	return raw, nil
}

// canonHex accepts "74:65:73:74", "74 65 73 74", "7465" in either case.
func canonHex(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' || c == ' ':
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			b.WriteByte(c)
		case c >= 'A' && c <= 'F':
			b.WriteByte(c + 'a' - 'A')
		default:
			return "", fmt.Errorf("bytes %q: not hex", s)
		}
	}
	if b.Len()%2 != 0 {
		return "", fmt.Errorf("bytes %q: odd number of hex digits", s)
	}
	return b.String(), nil
}

// CanonJSON returns the canonical form of a value decoded from another
// tool's JSON (json.Number or float64, bool, string, nil), compared as kind k.
// A number given for a flag counts as set when not zero: Wireshark shows a
// reserved field as a flag where mqttdump shows the reserved bits' value.
func CanonJSON(k Kind, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case json.Number:
		return canonNumber(k, x.String())
	case float64:
		return canonNumber(k, strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		switch k {
		case KindBytes:
			return canonHex(x)
		case KindUint, KindBool:
			return Canon(k, x)
		}
		return x, nil
	}
	return "", fmt.Errorf("value %v: unexpected type %T", v, v)
}

func canonNumber(k Kind, s string) (string, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return "", fmt.Errorf("number %q: %w", s, err)
	}
	if k == KindBool {
		if n != 0 {
			return "1", nil
		}
		return "0", nil
	}
	return strconv.FormatUint(n, 10), nil
}
