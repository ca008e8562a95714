package payload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
	"google.golang.org/protobuf/encoding/protowire"
)

// Sparkplug B (Eclipse Sparkplug 3.0): the topic namespace
// spBv1.0/GROUP/MESSAGE_TYPE/EDGE[/DEVICE] (and spBv1.0/STATE/HOST), and
// the protobuf payload of sparkplug_b.proto, decoded field by field from
// the wire format so every field keeps its span.

// spTopic is a parsed Sparkplug topic.
type spTopic struct {
	msgType, group, edge, device, host string
}

var spTypes = map[string]bool{"NBIRTH": true, "NDEATH": true, "DBIRTH": true, "DDEATH": true,
	"NDATA": true, "DDATA": true, "NCMD": true, "DCMD": true, "STATE": true}

// parseSpTopic splits a spBv1.0 topic; ok is false when it does not
// follow the namespace.
func parseSpTopic(topic string) (t spTopic, ok bool) {
	parts := strings.Split(topic, "/")
	if len(parts) < 3 || parts[0] != "spBv1.0" {
		return t, false
	}
	if parts[1] == "STATE" && len(parts) == 3 { // 3.0: spBv1.0/STATE/host_id
		return spTopic{msgType: "STATE", host: parts[2]}, parts[2] != ""
	}
	if len(parts) < 4 || len(parts) > 5 {
		return t, false
	}
	t = spTopic{group: parts[1], msgType: parts[2], edge: parts[3]}
	if len(parts) == 5 {
		t.device = parts[4]
	}
	if !spTypes[t.msgType] || t.group == "" || t.edge == "" {
		return t, false
	}
	device := t.msgType[0] == 'D'
	if device != (t.device != "") {
		return t, false
	}
	return t, true
}

func (r *run) spTopicNodes(parent *dissect.Node, t spTopic) {
	gen := func(def *dissect.FieldDef, v string) {
		if v != "" {
			r.add(parent, dissect.Node{Def: def, Offset: r.pl.Offset, Value: v, Generated: true})
		}
	}
	gen(fSpMsgType, t.msgType)
	gen(fSpGroup, t.group)
	gen(fSpEdge, t.edge)
	gen(fSpDevice, t.device)
	gen(fSpHost, t.host)
}

// sparkplug decodes a Sparkplug B message.
func (r *run) sparkplug(parent *dissect.Node, src *dissect.DataSource, data []byte, base int) error {
	t, ok := parseSpTopic(r.pl.Topic)
	if !ok {
		if strings.HasPrefix(r.pl.Topic, "spBv1.0/") {
			r.finding(parent, base, 0, dissect.EISpTopic, "topic does not follow the Sparkplug namespace spBv1.0/GROUP/MESSAGE_TYPE/EDGE[/DEVICE]", "tck-id-topic-structure")
		}
		t = spTopic{}
	} else {
		r.spTopicNodes(parent, t)
	}
	if t.msgType == "STATE" {
		// 3.0: JSON {"online":…,"timestamp":…}; 2.x: the text ONLINE/OFFLINE
		if r.json(parent, src, data, base, false) != nil && r.text(parent, data, false) != nil {
			return errors.New("STATE payload is neither JSON nor text")
		}
		return nil
	}
	if !validMessage(data) && len(data) > 0 {
		_, err := firstError(data)
		return err
	}
	sp := spDecoder{r: r, src: src, base: base, topic: t}
	top := r.add(parent, dissect.Node{Def: fSpPayload, Offset: base, Length: len(data), Source: src})
	sp.payload(top, data)
	r.d.set.sp.observe(r, &sp, t)
	sp.makePreview()
	return nil
}

// spMetric is what the state and the preview need of one metric.
type spMetric struct {
	name     string
	alias    uint64
	hasAlias bool
	datatype uint64
	value    string
	node     *dissect.Node // the metric's node (nil without a tree)
	aliasOff int           // where a resolved name's generated node goes
	aliasEnd int
}

type spDecoder struct {
	r       *run
	src     *dissect.DataSource
	base    int
	topic   spTopic
	depth   int
	seq     int64 // -1 when absent
	seqOff  int
	seqNode *dissect.Node
	metrics []spMetric
	bdSeq   int64 // the bdSeq metric's value, -1 when absent
	top     *dissect.Node
}

// node adds a field node covering f (offsets relative to the message at off).
func (sp *spDecoder) node(parent *dissect.Node, def *dissect.FieldDef, f pbField, off int, v any, show string) *dissect.Node {
	sp.r.nodes++
	return sp.r.add(parent, dissect.Node{Def: def, Offset: sp.base + off + f.start, Length: f.end - f.start, Value: v, Show: show, Source: sp.src})
}

// unknown covers a field the schema does not have, or has with another
// wire type.
func (sp *spDecoder) unknown(parent *dissect.Node, f pbField, off int, want protowire.Type) {
	n := sp.node(parent, fSpUnknown, f, off, nil, fmt.Sprintf("field %d (%s)", f.num, wireNames[f.typ]))
	if want != 0 && want != f.typ {
		sp.r.finding(n, sp.base+off+f.start, f.end-f.start, dissect.EISpWireType,
			fmt.Sprintf("field %d has wire type %s, the Sparkplug schema says %s", f.num, wireNames[f.typ], wireNames[want]), "")
	}
}

// fields walks the fields of b (already checked to parse) at off, calling
// fn per field; the node budget turns the rest into one node.
func (sp *spDecoder) fields(parent *dissect.Node, b []byte, off int, fn func(f pbField)) {
	for pos := 0; pos < len(b); {
		f, err := readField(b, pos)
		if err != nil {
			return // cannot happen: callers validate first
		}
		if sp.r.over() {
			sp.r.add(parent, dissect.Node{Def: fSpUnknown, Offset: sp.base + off + pos, Length: len(b) - pos, Show: "not decoded: node budget spent", Source: sp.src})
			return
		}
		fn(f)
		pos = f.end
	}
}

// sub decodes a nested message field with fn, when it parses and the
// depth allows; else the field is unknown bytes.
func (sp *spDecoder) sub(parent *dissect.Node, def *dissect.FieldDef, f pbField, off int, fn func(n *dissect.Node, b []byte, off int)) *dissect.Node {
	if f.typ != protowire.BytesType || !validMessage(f.val) && len(f.val) > 0 || sp.depth >= sp.r.o.MaxDepth {
		sp.unknown(parent, f, off, protowire.BytesType)
		if f.typ == protowire.BytesType && sp.depth < sp.r.o.MaxDepth {
			sp.r.finding(parent, sp.base+off+f.start, f.end-f.start, dissect.EISpSubMessage, def.Name+" does not parse as a protobuf message", "")
		}
		return nil
	}
	n := sp.node(parent, def, f, off, nil, "")
	sp.depth++
	fn(n, f.val, off+f.dataOff)
	sp.depth--
	return n
}

func (sp *spDecoder) payload(top *dissect.Node, b []byte) {
	sp.seq, sp.bdSeq, sp.top = -1, -1, top
	sp.fields(top, b, 0, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			sp.node(top, fSpTimestamp, f, 0, f.v, timeText(f.v))
		case f.num == 2:
			m := spMetric{}
			sp.sub(top, fSpMetric, f, 0, func(n *dissect.Node, mb []byte, moff int) {
				m = sp.metric(n, mb, moff)
			})
			if len(sp.metrics) < 4096 {
				sp.metrics = append(sp.metrics, m)
			}
		case f.num == 3 && f.typ == protowire.VarintType:
			sp.seq, sp.seqOff = int64(f.v), f.start
			sp.seqNode = sp.node(top, fSpSeq, f, 0, f.v, "")
			if f.v > 255 {
				sp.r.finding(sp.seqNode, sp.base+f.start, f.end-f.start, dissect.EISpSeqRange, fmt.Sprintf("seq %d is above 255", f.v), "tck-id-payloads-sequence-num-incrementing")
			}
		case f.num == 4 && f.typ == protowire.BytesType:
			sp.node(top, fSpUUID, f, 0, sp.str(f.val), "")
		case f.num == 5 && f.typ == protowire.BytesType:
			sp.node(top, fSpBody, f, 0, f.val, fmt.Sprintf("%d bytes", len(f.val)))
		default:
			sp.unknown(top, f, 0, 0)
		}
	})
	if top != nil {
		top.Show = fmt.Sprintf("%s, %d metrics", orDash(sp.topic.msgType), len(sp.metrics))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// str copies a wire string only when a tree wants it.
func (sp *spDecoder) str(b []byte) string {
	if !sp.r.tree {
		return ""
	}
	return string(b)
}

// prescan finds the value of a varint field (a datatype) before the
// fields are decoded: the value fields may come first on the wire.
func prescan(b []byte, num protowire.Number) (uint64, bool) {
	for pos := 0; pos < len(b); {
		f, err := readField(b, pos)
		if err != nil {
			return 0, false
		}
		if f.num == num && f.typ == protowire.VarintType {
			return f.v, true
		}
		pos = f.end
	}
	return 0, false
}

func (sp *spDecoder) metric(n *dissect.Node, b []byte, off int) spMetric {
	m := spMetric{node: n}
	dt, hasDT := prescan(b, 4)
	if !hasDT {
		// NDATA may leave the datatype out: the birth certificate has it
		if name, ok := prescanString(b, 1); ok {
			dt, hasDT = sp.r.d.set.sp.datatypeByName(sp.topic, name)
		} else if a, ok := prescan(b, 2); ok {
			dt, hasDT = sp.r.d.set.sp.datatypeByAlias(sp.topic, a)
		}
	}
	m.datatype = dt
	sp.fields(n, b, off, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			m.name = string(f.val)
			sp.node(n, fSpName, f, off, sp.str(f.val), "")
		case f.num == 2 && f.typ == protowire.VarintType:
			m.alias, m.hasAlias = f.v, true
			m.aliasOff, m.aliasEnd = off+f.start, off+f.end
			sp.node(n, fSpAlias, f, off, f.v, "")
		case f.num == 3 && f.typ == protowire.VarintType:
			sp.node(n, fSpMTimestamp, f, off, f.v, timeText(f.v))
		case f.num == 4 && f.typ == protowire.VarintType:
			sp.node(n, fSpDatatype, f, off, f.v, "")
			if _, ok := datatypeLabels[f.v]; !ok {
				sp.r.finding(n, sp.base+off+f.start, f.end-f.start, dissect.EISpDatatype, fmt.Sprintf("unknown datatype %d", f.v), "")
			}
		case f.num == 5 && f.typ == protowire.VarintType:
			sp.node(n, fSpHistorical, f, off, f.v != 0, "")
		case f.num == 6 && f.typ == protowire.VarintType:
			sp.node(n, fSpTransient, f, off, f.v != 0, "")
		case f.num == 7 && f.typ == protowire.VarintType:
			sp.node(n, fSpIsNull, f, off, f.v != 0, "")
			if f.v != 0 {
				m.value = "null"
			}
		case f.num == 8:
			sp.sub(n, fSpMetadata, f, off, sp.metadata)
		case f.num == 9:
			sp.sub(n, fSpProperties, f, off, sp.propertySet)
		case f.num >= 10 && f.num <= 19:
			m.value = sp.value(n, f, off, dt, vMetric)
		default:
			sp.unknown(n, f, off, 0)
		}
	})
	if n != nil {
		n.Show = metricShow(m)
	}
	return m
}

func metricShow(m spMetric) string {
	var b strings.Builder
	switch {
	case m.name != "":
		b.WriteString(m.name)
	case m.hasAlias:
		b.WriteString("alias " + strconv.FormatUint(m.alias, 10))
	default:
		b.WriteString("(no name)")
	}
	if m.value != "" {
		b.WriteString(" = ")
		b.WriteString(m.value)
	}
	if l, ok := datatypeLabels[m.datatype]; ok && m.datatype != 0 {
		b.WriteString(" (" + l + ")")
	}
	return b.String()
}

func prescanString(b []byte, num protowire.Number) (string, bool) {
	for pos := 0; pos < len(b); {
		f, err := readField(b, pos)
		if err != nil {
			return "", false
		}
		if f.num == num && f.typ == protowire.BytesType {
			return string(f.val), true
		}
		pos = f.end
	}
	return "", false
}

// Where a value field sits: the oneof value of Metric, PropertyValue,
// Template.Parameter and DataSet.DataSetValue. In each, the first six
// are int (uint32), long (uint64), float, double, boolean and string.
type valueKind uint8

const (
	vMetric valueKind = iota
	vProperty
	vParam
	vDataSet
)

var valueFirst = [...]protowire.Number{vMetric: 10, vProperty: 3, vParam: 3, vDataSet: 1}
var valueDefs = [...]*dissect.FieldDef{vMetric: fSpValue, vProperty: fSpPropVal, vParam: fSpTPValue, vDataSet: fSpDSValue}

var scalarWire = [...]protowire.Type{protowire.VarintType, protowire.VarintType, protowire.Fixed32Type,
	protowire.Fixed64Type, protowire.VarintType, protowire.BytesType}

// value decodes one value field of datatype dt and returns its text.
func (sp *spDecoder) value(n *dissect.Node, f pbField, off int, dt uint64, kind valueKind) string {
	k := int(f.num - valueFirst[kind])
	if k < len(scalarWire) && f.typ != scalarWire[k] {
		sp.unknown(n, f, off, scalarWire[k])
		return ""
	}
	var text string
	switch k {
	case 0:
		text = intText(f.v, dt)
	case 1:
		text = longText(f.v, dt)
	case 2:
		text = strconv.FormatFloat(float64(math.Float32frombits(uint32(f.v))), 'g', -1, 32)
	case 3:
		text = strconv.FormatFloat(math.Float64frombits(f.v), 'g', -1, 64)
	case 4:
		text = strconv.FormatBool(f.v != 0)
	case 5:
		v := f.val
		if !sp.r.tree && len(v) > sp.r.o.MaxPreview {
			v = v[:sp.r.o.MaxPreview] // only the preview needs it
		}
		text = strconv.Quote(string(v))
	default:
		return sp.extraValue(n, f, off, dt, kind, k)
	}
	sp.node(n, valueDefs[kind], f, off, text, "")
	return text
}

// extraValue decodes the value fields after string: bytes, DataSet and
// Template of a Metric, the property sets of a PropertyValue, and the
// extensions.
func (sp *spDecoder) extraValue(n *dissect.Node, f pbField, off int, dt uint64, kind valueKind, k int) string {
	switch {
	case kind == vMetric && k == 6 && f.typ == protowire.BytesType:
		text := arrayText(f.val, dt)
		sp.node(n, fSpValue, f, off, text, "")
		return text
	case kind == vMetric && k == 7:
		var cols uint64
		sp.sub(n, fSpDataSet, f, off, func(dn *dissect.Node, b []byte, o int) { cols = sp.dataSet(dn, b, o) })
		return fmt.Sprintf("DataSet (%d columns)", cols)
	case kind == vMetric && k == 8:
		sp.sub(n, fSpTemplate, f, off, sp.template)
		return "Template"
	case kind == vProperty && k == 6:
		sp.sub(n, fSpPropSet, f, off, sp.propertySet)
		return "PropertySet"
	case kind == vProperty && k == 7:
		sp.sub(n, fSpPropSetList, f, off, sp.propertySetList)
		return "PropertySetList"
	}
	sp.node(n, fSpExtension, f, off, f.val, fmt.Sprintf("extension field %d, %d bytes", f.num, f.end-f.start))
	return "extension"
}

func intText(v uint64, dt uint64) string {
	switch dt {
	case 1:
		return strconv.Itoa(int(int8(v)))
	case 2:
		return strconv.Itoa(int(int16(v)))
	case 3:
		return strconv.Itoa(int(int32(v)))
	case 5:
		return strconv.FormatUint(uint64(uint8(v)), 10)
	case 6:
		return strconv.FormatUint(uint64(uint16(v)), 10)
	}
	return strconv.FormatUint(uint64(uint32(v)), 10)
}

func longText(v uint64, dt uint64) string {
	switch dt {
	case 4:
		return strconv.FormatInt(int64(v), 10)
	case 13:
		return timeText(v)
	}
	return strconv.FormatUint(v, 10)
}

// timeText shows a Sparkplug timestamp (ms since the epoch) with its date.
func timeText(ms uint64) string {
	s := strconv.FormatUint(ms, 10)
	if ms > 1<<53 {
		return s
	}
	return s + " (" + time.UnixMilli(int64(ms)).UTC().Format("2006-01-02T15:04:05.000Z") + ")"
}

// maxArrayShown is how many array elements a value text lists.
const maxArrayShown = 16

// arrayText decodes bytes_value: Bytes and File as a count, the array
// datatypes packed little-endian (BooleanArray: a 4-byte count, then bits;
// StringArray: NUL-terminated strings).
func arrayText(b []byte, dt uint64) string {
	size := map[uint64]int{22: 1, 23: 2, 24: 4, 25: 8, 26: 1, 27: 2, 28: 4, 29: 8, 30: 4, 31: 8, 34: 8}[dt]
	var parts []string
	more := 0
	add := func(s string) {
		if len(parts) < maxArrayShown {
			parts = append(parts, s)
		} else {
			more++
		}
	}
	switch {
	case size > 0:
		if len(b)%size != 0 {
			return fmt.Sprintf("%d bytes (not a whole number of %d-byte elements)", len(b), size)
		}
		for i := 0; i+size <= len(b); i += size {
			if len(parts) >= maxArrayShown {
				more = (len(b) - i) / size
				break
			}
			e := b[i : i+size]
			var s string
			switch dt {
			case 22:
				s = strconv.Itoa(int(int8(e[0])))
			case 23:
				s = strconv.Itoa(int(int16(binary.LittleEndian.Uint16(e))))
			case 24:
				s = strconv.Itoa(int(int32(binary.LittleEndian.Uint32(e))))
			case 25:
				s = strconv.FormatInt(int64(binary.LittleEndian.Uint64(e)), 10)
			case 26:
				s = strconv.Itoa(int(e[0]))
			case 27:
				s = strconv.Itoa(int(binary.LittleEndian.Uint16(e)))
			case 28:
				s = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(e)), 10)
			case 29, 34:
				s = strconv.FormatUint(binary.LittleEndian.Uint64(e), 10)
			case 30:
				s = strconv.FormatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(e))), 'g', -1, 32)
			case 31:
				s = strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(e)), 'g', -1, 64)
			}
			add(s)
		}
	case dt == 32:
		if len(b) < 4 {
			return fmt.Sprintf("%d bytes (BooleanArray needs a 4-byte count)", len(b))
		}
		count := uint64(binary.LittleEndian.Uint32(b))
		if count > uint64(len(b)-4)*8 {
			return fmt.Sprintf("BooleanArray count %d exceeds its %d bits", count, (len(b)-4)*8)
		}
		for i := uint64(0); i < count; i++ {
			if len(parts) >= maxArrayShown {
				more = int(count - i)
				break
			}
			add(strconv.FormatBool(b[4+i/8]&(0x80>>(i%8)) != 0))
		}
	case dt == 33:
		rest := b
		for len(rest) > 0 {
			i := strings.IndexByte(string(rest), 0)
			if i < 0 {
				add(strconv.Quote(string(rest)) + " (no NUL)")
				break
			}
			add(strconv.Quote(string(rest[:i])))
			rest = rest[i+1:]
		}
	default:
		return fmt.Sprintf("%d bytes", len(b))
	}
	s := "[" + strings.Join(parts, ", ")
	if more > 0 {
		s += fmt.Sprintf(", … %d more", more)
	}
	return s + "]"
}

func (sp *spDecoder) metadata(n *dissect.Node, b []byte, off int) {
	names := map[protowire.Number]string{1: "is_multi_part", 2: "content_type", 3: "size", 4: "seq",
		5: "file_name", 6: "file_type", 7: "md5", 8: "description"}
	sp.fields(n, b, off, func(f pbField) {
		name, ok := names[f.num]
		var text string
		switch {
		case !ok:
			sp.unknown(n, f, off, 0)
			return
		case f.num == 1 && f.typ == protowire.VarintType:
			text = strconv.FormatBool(f.v != 0)
		case (f.num == 3 || f.num == 4) && f.typ == protowire.VarintType:
			text = strconv.FormatUint(f.v, 10)
		case f.num != 1 && f.num != 3 && f.num != 4 && f.typ == protowire.BytesType:
			text = strconv.Quote(sp.str(f.val))
		default:
			sp.unknown(n, f, off, 0)
			return
		}
		sp.node(n, fSpMetaField, f, off, text, name+": "+text)
	})
}

func (sp *spDecoder) propertySet(n *dissect.Node, b []byte, off int) {
	keys := 0
	sp.fields(n, b, off, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			keys++
			sp.node(n, fSpPropKey, f, off, sp.str(f.val), "")
		case f.num == 2:
			sp.sub(n, fSpPropValue, f, off, sp.propertyValue)
		default:
			sp.unknown(n, f, off, 0)
		}
	})
	if n != nil {
		n.Show = fmt.Sprintf("%d keys", keys)
	}
}

func (sp *spDecoder) propertySetList(n *dissect.Node, b []byte, off int) {
	sp.fields(n, b, off, func(f pbField) {
		if f.num == 1 {
			sp.sub(n, fSpPropSet, f, off, sp.propertySet)
			return
		}
		sp.unknown(n, f, off, 0)
	})
}

func (sp *spDecoder) propertyValue(n *dissect.Node, b []byte, off int) {
	dt, _ := prescan(b, 1)
	sp.fields(n, b, off, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			sp.node(n, fSpPropType, f, off, f.v, "")
		case f.num == 2 && f.typ == protowire.VarintType:
			sp.node(n, fSpIsNull, f, off, f.v != 0, "")
		case f.num >= 3 && f.num <= 11:
			v := sp.value(n, f, off, dt, vProperty)
			if n != nil {
				n.Show = v
			}
		default:
			sp.unknown(n, f, off, 0)
		}
	})
}

func (sp *spDecoder) dataSet(n *dissect.Node, b []byte, off int) uint64 {
	var cols uint64
	var types []uint64
	// the column types decide how row elements read: find them first
	for pos := 0; pos < len(b); {
		f, err := readField(b, pos)
		if err != nil {
			break
		}
		if f.num == 3 {
			types = appendTypes(types, f)
		}
		pos = f.end
	}
	sp.fields(n, b, off, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			cols = f.v
			sp.node(n, fSpDSColumns, f, off, f.v, "")
		case f.num == 2 && f.typ == protowire.BytesType:
			sp.node(n, fSpDSColumn, f, off, sp.str(f.val), "")
		case f.num == 3 && f.typ == protowire.VarintType:
			sp.node(n, fSpDSType, f, off, f.v, "")
		case f.num == 3 && f.typ == protowire.BytesType:
			var names []string
			for _, t := range appendTypes(nil, f) {
				if len(names) < maxArrayShown {
					names = append(names, datatypeLabels[t])
				}
			}
			sp.node(n, fSpDSTypes, f, off, strings.Join(names, ", "), "")
		case f.num == 4:
			sp.sub(n, fSpDSRow, f, off, func(rn *dissect.Node, rb []byte, roff int) { sp.row(rn, rb, roff, types) })
		default:
			sp.unknown(n, f, off, 0)
		}
	})
	if n != nil {
		n.Show = fmt.Sprintf("%d columns", cols)
	}
	return cols
}

// appendTypes reads DataSet.types, packed or not; bounded by the bytes.
func appendTypes(dst []uint64, f pbField) []uint64 {
	if f.typ == protowire.VarintType {
		return append(dst, f.v)
	}
	if f.typ != protowire.BytesType {
		return dst
	}
	for b := f.val; len(b) > 0; {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			break
		}
		dst = append(dst, v)
		b = b[n:]
	}
	return dst
}

func (sp *spDecoder) row(n *dissect.Node, b []byte, off int, types []uint64) {
	col := 0
	var texts []string
	sp.fields(n, b, off, func(f pbField) {
		if f.num != 1 {
			sp.unknown(n, f, off, 0)
			return
		}
		var dt uint64
		if col < len(types) {
			dt = types[col]
		}
		col++
		sp.sub(n, fSpDSElement, f, off, func(en *dissect.Node, eb []byte, eoff int) {
			sp.fields(en, eb, eoff, func(ef pbField) {
				if ef.num >= 1 && ef.num <= 7 {
					v := sp.value(en, ef, eoff, dt, vDataSet)
					if en != nil {
						en.Show = v
					}
					if len(texts) < maxArrayShown {
						texts = append(texts, v)
					}
					return
				}
				sp.unknown(en, ef, eoff, 0)
			})
		})
	})
	if n != nil {
		n.Show = "[" + strings.Join(texts, ", ") + "]"
	}
}

func (sp *spDecoder) template(n *dissect.Node, b []byte, off int) {
	sp.fields(n, b, off, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			sp.node(n, fSpTVersion, f, off, sp.str(f.val), "")
		case f.num == 2:
			sp.sub(n, fSpMetric, f, off, func(mn *dissect.Node, mb []byte, moff int) { sp.metric(mn, mb, moff) })
		case f.num == 3:
			sp.sub(n, fSpTParam, f, off, sp.parameter)
		case f.num == 4 && f.typ == protowire.BytesType:
			sp.node(n, fSpTRef, f, off, sp.str(f.val), "")
		case f.num == 5 && f.typ == protowire.VarintType:
			sp.node(n, fSpTIsDef, f, off, f.v != 0, "")
		default:
			sp.unknown(n, f, off, 0)
		}
	})
}

func (sp *spDecoder) parameter(n *dissect.Node, b []byte, off int) {
	dt, _ := prescan(b, 2)
	var name, val string
	sp.fields(n, b, off, func(f pbField) {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			name = sp.str(f.val)
			sp.node(n, fSpTPName, f, off, name, "")
		case f.num == 2 && f.typ == protowire.VarintType:
			sp.node(n, fSpTPType, f, off, f.v, "")
		case f.num >= 3 && f.num <= 9:
			val = sp.value(n, f, off, dt, vParam)
		default:
			sp.unknown(n, f, off, 0)
		}
	})
	if n != nil {
		n.Show = name + " = " + val
	}
}

// makePreview: "NDATA seq 4: Temperature=21.5, Pressure=1013".
func (sp *spDecoder) makePreview() {
	r := sp.r
	b := append(r.preview[:0], orDash(sp.topic.msgType)...)
	if sp.seq >= 0 {
		b = append(b, " seq "...)
		b = strconv.AppendInt(b, sp.seq, 10)
	}
	for i, m := range sp.metrics {
		if len(b) >= r.o.MaxPreview {
			b = append(b, "…"...)
			break
		}
		if i == 0 {
			b = append(b, ": "...)
		} else {
			b = append(b, ", "...)
		}
		switch {
		case m.name != "":
			b = append(b, m.name...)
		case m.hasAlias:
			b = append(b, '#')
			b = strconv.AppendUint(b, m.alias, 10)
		}
		b = append(b, '=')
		b = append(b, m.value...)
	}
	r.preview = b
}
