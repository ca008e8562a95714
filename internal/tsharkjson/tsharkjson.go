// Package tsharkjson runs tshark over a capture and turns its `-T json`
// output into one ordered field list per MQTT packet, so a test can compare
// Wireshark's dissection with ours field by field.
//
// tshark 4.0 prints repeated fields as duplicate keys in one JSON object and
// several MQTT PDUs of one frame as duplicate "mqtt" layers; newer versions
// (or --no-duplicate-keys) print arrays instead. Both shapes are accepted.
package tsharkjson

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Field is one mqtt.* field occurrence, in the order tshark printed it.
type Field struct {
	Abbrev string // Wireshark display-filter name, "mqtt.prop_number"
	Value  string // as tshark printed it: "0x27", "1", "74:65:73:74", "topic"
	// Section is "mqtt.properties" or "mqtt.will_properties" for fields
	// inside an MQTT 5 property list, else "".
	Section string
	// PropID is the property identifier the field belongs to (the last
	// mqtt.property_id before it in the same section); -1 outside a property.
	PropID int
}

// Key names the field for comparison: its abbreviation, qualified by the
// property list and property id it belongs to.
func (f Field) Key() string { return Key(f.Section, f.PropID, f.Abbrev) }

// Key builds the comparison key "mqtt.topic", "mqtt.properties/mqtt.property_len"
// or "mqtt.properties[0x26]/mqtt.prop_key".
func Key(section string, propID int, abbrev string) string {
	switch {
	case section == "":
		return abbrev
	case propID < 0:
		return section + "/" + abbrev
	}
	return fmt.Sprintf("%s[0x%02x]/%s", section, propID, abbrev)
}

// PDU is one MQTT packet as tshark dissected it.
type PDU struct {
	Frame int // frame.number of the frame tshark shows the PDU in
	Index int // position among the MQTT PDUs of that frame, from 0
	// Malformed is set on the last PDU of a frame that tshark flagged
	// _ws.malformed (its dissection stopped on an exception).
	Malformed bool
	// UnknownVersion is set when tshark saw no CONNECT for the connection
	// (expert item mqtt.unknown_version): its field names then follow its
	// own guess, not the packet.
	UnknownVersion bool
	Fields         []Field
	// Stream is tshark's tcp.stream index; SrcPort and DstPort the frame's
	// TCP ports (-1 when the frame has no TCP layer).
	Stream, SrcPort, DstPort int
	// Raw is the PDU's bytes as tshark framed them (reassembled when it
	// spans segments); only with Options.Raw, else nil.
	Raw []byte
}

// Values returns the ordered values of every field with the key.
func (p *PDU) Values(key string) []string {
	var out []string
	for _, f := range p.Fields {
		if f.Key() == key {
			out = append(out, f.Value)
		}
	}
	return out
}

// Parse reads the output of `tshark -T json` and returns the MQTT PDUs in
// frame order. Empty input (tshark printed nothing) yields no PDUs.
func Parse(r io.Reader) ([]PDU, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tshark json: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("tshark json: want a top-level array, got %v", tok)
	}
	var out []PDU
	for n := 0; dec.More(); n++ {
		pkt, err := readValue(dec, 1)
		if err != nil {
			return nil, fmt.Errorf("tshark json: packet %d: %w", n, err)
		}
		pdus, err := packetPDUs(pkt)
		if err != nil {
			return nil, fmt.Errorf("tshark json: packet %d: %w", n, err)
		}
		out = append(out, pdus...)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("tshark json: end of array: %w", err)
	}
	return out, nil
}

// packetPDUs extracts the MQTT PDUs of one frame object
// {"_source":{"layers":{"frame":{...},"tcp":{...},"mqtt":{...},"mqtt":{...}}}}.
func packetPDUs(pkt value) ([]PDU, error) {
	src, ok := pkt.first("_source")
	if !ok {
		return nil, errors.New("no _source")
	}
	layers, ok := src.first("layers")
	if !ok {
		return nil, errors.New("no _source.layers")
	}
	frame, err := frameNumber(layers)
	if err != nil {
		return nil, err
	}
	stream, sport, dport := tcpInfo(layers)
	var out []PDU
	for _, l := range layers.get("mqtt") {
		for _, obj := range objects(l) {
			p := PDU{Frame: frame, Index: len(out), Stream: stream, SrcPort: sport, DstPort: dport}
			flatten(obj, "", &p.Fields)
			p.UnknownVersion = hasKey(obj, "mqtt.unknown_version")
			out = append(out, p)
		}
	}
	// With -x every layer is preceded by "<layer>_raw": [hex, offset, length, mask, type].
	for i, r := range layers.get("mqtt_raw") {
		if i < len(out) && r.kind == kindArray && len(r.items) > 0 {
			b, err := hex.DecodeString(r.items[0].str)
			if err != nil {
				return nil, fmt.Errorf("frame %d mqtt_raw: %w", frame, err)
			}
			out[i].Raw = b
		}
	}
	if _, bad := layers.first("_ws.malformed"); bad && len(out) > 0 {
		out[len(out)-1].Malformed = true
	}
	return out, nil
}

func frameNumber(layers value) (int, error) {
	fr, ok := layers.first("frame")
	if !ok {
		return 0, errors.New("no frame layer")
	}
	num, ok := fr.first("frame.number")
	if !ok {
		return 0, errors.New("no frame.number")
	}
	n, err := strconv.Atoi(num.str)
	if err != nil {
		return 0, fmt.Errorf("frame.number %q: %w", num.str, err)
	}
	return n, nil
}

// tcpInfo returns tcp.stream, tcp.srcport and tcp.dstport, -1 when absent.
func tcpInfo(layers value) (stream, src, dst int) {
	stream, src, dst = -1, -1, -1
	tcp, ok := layers.first("tcp")
	if !ok {
		return
	}
	num := func(key string) int {
		v, ok := tcp.first(key)
		if !ok {
			return -1
		}
		n, err := strconv.Atoi(v.str)
		if err != nil {
			return -1
		}
		return n
	}
	return num("tcp.stream"), num("tcp.srcport"), num("tcp.dstport")
}

// hasKey reports whether key occurs anywhere inside v.
func hasKey(v value, key string) bool {
	for _, m := range v.members {
		if m.key == key || hasKey(m.val, key) {
			return true
		}
	}
	for _, it := range v.items {
		if hasKey(it, key) {
			return true
		}
	}
	return false
}

// objects returns the objects a layer or field holds: itself, or the items
// of an array (the --no-duplicate-keys shape).
func objects(v value) []value {
	switch v.kind {
	case kindObject:
		return []value{v}
	case kindArray:
		var out []value
		for _, it := range v.items {
			out = append(out, objects(it)...)
		}
		return out
	}
	return nil
}

// flatten appends the mqtt.* leaves of obj to out in document order.
// Subtrees (mqtt.hdrflags_tree) are walked in place; property lists set the
// section and track the current property id. Expert items (_ws.*) are not
// field values and are left out.
func flatten(obj value, section string, out *[]Field) {
	propID := -1
	for _, m := range obj.members {
		if strings.HasPrefix(m.key, "_ws.") || strings.HasSuffix(m.key, "_raw") {
			continue
		}
		for _, v := range occurrences(m.val) {
			if v.kind == kindObject {
				sub := section
				if m.key == "mqtt.properties" || m.key == "mqtt.will_properties" {
					sub = m.key
				}
				flatten(v, sub, out)
				continue
			}
			if !strings.HasPrefix(m.key, "mqtt.") {
				continue
			}
			if section != "" && m.key == "mqtt.property_id" {
				id, err := parseUint(v.str)
				if err != nil || id > 0xff {
					propID = -1 // not a property id we can name; keep the field
				} else {
					propID = int(id)
				}
			}
			*out = append(*out, Field{Abbrev: m.key, Value: v.str, Section: section, PropID: propID})
		}
	}
}

// occurrences spreads an array of repeated values into its items.
func occurrences(v value) []value {
	if v.kind != kindArray {
		return []value{v}
	}
	var out []value
	for _, it := range v.items {
		out = append(out, occurrences(it)...)
	}
	return out
}
