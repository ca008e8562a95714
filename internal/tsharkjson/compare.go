package tsharkjson

import (
	"encoding/hex"
	"fmt"
)

// Comparable is one tshark field reduced to what another dissector must
// match: a key, the kind that decides how values compare, and the value in
// canonical form.
type Comparable struct {
	Key   string
	Kind  Kind
	Value string // canonical (see Canon)
	Raw   string // as tshark printed it
}

// binaryProps are the MQTT 5 properties whose value is Binary Data
// (5.0 §1.5.6): Correlation Data (0x09) and Authentication Data (0x16).
// tshark 4.0 dissects them with its string fields; mqttdump names them
// mqtt.property.binary(_len) and shows hex, so the string's bytes are
// compared as hex under mqttdump's names.
var binaryProps = map[int]bool{0x09: true, 0x16: true}

// Comparables returns the fields of p that carry a value, in order, with
// binary properties renamed as described at binaryProps.
func (p *PDU) Comparables() ([]Comparable, error) {
	out := make([]Comparable, 0, len(p.Fields))
	for _, f := range p.Fields {
		k := KindOf(f.Abbrev)
		if k == KindNone {
			continue
		}
		abbrev, raw := f.Abbrev, f.Value
		if f.Section != "" && binaryProps[f.PropID] {
			switch f.Abbrev {
			case "mqtt.prop_string":
				abbrev, raw, k = "mqtt.property.binary", hex.EncodeToString([]byte(f.Value)), KindBytes
			case "mqtt.prop_string_len":
				abbrev = "mqtt.property.binary_len"
			}
		}
		v, err := Canon(k, raw)
		if err != nil {
			return nil, fmt.Errorf("frame %d pdu %d %s: %w", p.Frame, p.Index, f.Abbrev, err)
		}
		out = append(out, Comparable{Key: Key(f.Section, f.PropID, abbrev), Kind: k, Value: v, Raw: f.Value})
	}
	return out, nil
}
