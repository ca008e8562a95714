package capture

import (
	"net/netip"
)

// maxIgnored bounds the connections remembered as not MQTT; past it the
// set starts afresh (they then cost a reassembly lookup each, no more).
const maxIgnored = 1 << 16

// pairKey names a connection by its two endpoints, in either direction.
type pairKey struct{ a, b netip.AddrPort }

func keyFor(x, y netip.AddrPort) pairKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return pairKey{x, y}
}

// ignore remembers a connection found not to be MQTT, so its later frames
// are dropped before TCP decoding and reassembly.
func (e *engine) ignore(x, y netip.AddrPort) {
	if e.ignored == nil || len(e.ignored) >= maxIgnored {
		e.ignored = make(map[pairKey]struct{})
	}
	e.ignored[keyFor(x, y)] = struct{}{}
}

// ignoredFrame reports whether a TCP segment (header in tcp) belongs to a
// connection found not to be MQTT. A new SYN starts a new connection that
// is judged afresh.
func (e *engine) ignoredFrame(src, dst netip.AddrPort, tcp []byte) bool {
	if len(e.ignored) == 0 {
		return false
	}
	k := keyFor(src, dst)
	if _, ok := e.ignored[k]; !ok {
		return false
	}
	if len(tcp) > 13 && tcp[13]&0x12 == 0x02 { // SYN without ACK
		delete(e.ignored, k)
		return false
	}
	return true
}
