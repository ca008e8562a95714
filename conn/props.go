package conn

import "github.com/mqttdump/mqttdump/dissect"

// MQTT 5 property identifiers the analyzers read (5.0 §2.2.2.2).
const (
	propCorrelation   = 0x09
	propSubID         = 0x0B
	propSessionExpiry = 0x11
	propServerKA      = 0x13
	propReceiveMax    = 0x21
	propTopicAliasMax = 0x22
	propTopicAlias    = 0x23
	propMaxQoS        = 0x24
	propRetainAvail   = 0x25
	propMaxPacket     = 0x27
	propWildcardAvail = 0x28
	propSubIDAvail    = 0x29
	propSharedAvail   = 0x2A
)

// propNode finds the first property with the id in the packet's tree, at
// the top level or in a top-level property block (not in Will Properties).
func propNode(p *dissect.Packet, id int) *dissect.Node {
	for _, f := range p.Fields {
		if f == nil {
			continue
		}
		if f.PropID == id {
			return f
		}
		if f.Def != nil && f.Def.Abbrev == "mqtt.properties" {
			for _, c := range f.Children {
				if c != nil && c.PropID == id {
					return c
				}
			}
		}
	}
	return nil
}

// propUint returns a numeric property's value.
func propUint(p *dissect.Packet, id int) (uint64, bool) {
	n := propNode(p, id)
	if n == nil {
		return 0, false
	}
	v, ok := n.Value.(uint64)
	return v, ok
}

// propBytes returns a binary property's value.
func propBytes(p *dissect.Packet, id int) []byte {
	n := propNode(p, id)
	if n == nil {
		return nil
	}
	b, _ := n.Value.([]byte)
	return b
}

// fieldUint returns the first node with the abbreviation as a number.
func fieldUint(p *dissect.Packet, abbrev string) (uint64, bool) {
	n := p.Find(abbrev)
	if n == nil {
		return 0, false
	}
	return n.Uint()
}

// fieldNode is p.Find, for symmetry.
func fieldNode(p *dissect.Packet, abbrev string) *dissect.Node { return p.Find(abbrev) }

// fieldBytes returns the first node with the abbreviation as bytes (or text).
func fieldBytes(p *dissect.Packet, abbrev string) []byte {
	n := p.Find(abbrev)
	if n == nil {
		return nil
	}
	switch v := n.Value.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

// needsTree: the analyzers read fields of these packet types that the
// facts do not carry (properties, flags), so they are always dissected in
// full. They are few in any capture.
func needsTree(first byte) bool {
	switch first >> 4 {
	case dissect.TypeConnect, dissect.TypeConnack, dissect.TypeSubscribe, dissect.TypeDisconnect:
		return true
	}
	return false
}
