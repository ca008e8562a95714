// Package sparkplugenc encodes Sparkplug B payloads (Eclipse Sparkplug 3.0,
// sparkplug_b.proto) with protowire, written from the .proto and the spec
// independently of the decoder in package payload, for tests and samples.
package sparkplugenc

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Datatypes (Sparkplug 3.0 §6.4.16).
const (
	Int8 = iota + 1
	Int16
	Int32
	Int64
	UInt8
	UInt16
	UInt32
	UInt64
	Float
	Double
	Boolean
	String
	DateTime
	Text
	UUID
	DataSetType
	Bytes
	File
	TemplateType
	PropertySetType
	PropertySetListType
	Int8Array
	Int16Array
	Int32Array
	Int64Array
	UInt8Array
	UInt16Array
	UInt32Array
	UInt64Array
	FloatArray
	DoubleArray
	BooleanArray
	StringArray
	DateTimeArray
)

// Payload is the top-level message. Nil pointers are left out.
type Payload struct {
	Timestamp *uint64
	Metrics   []Metric
	Seq       *uint64
	UUID      *string
	Body      []byte
}

// Metric is Payload.Metric; Value is one of: uint32 (int_value), uint64
// (long_value), float32, float64, bool, string, []byte, DataSet, Template,
// or nil (no value).
type Metric struct {
	Name         *string
	Alias        *uint64
	Timestamp    *uint64
	Datatype     *uint32
	IsHistorical bool
	IsTransient  bool
	IsNull       bool
	Metadata     *MetaData
	Properties   *PropertySet
	Value        any
}

// MetaData is Payload.MetaData.
type MetaData struct {
	IsMultiPart bool
	ContentType string
	Size        uint64
	Seq         uint64
	FileName    string
	FileType    string
	MD5         string
	Description string
}

// PropertySet is Payload.PropertySet.
type PropertySet struct {
	Keys   []string
	Values []PropertyValue
}

// PropertyValue: Value as for Metric, or PropertySet / []PropertySet.
type PropertyValue struct {
	Type   uint32
	IsNull bool
	Value  any
}

// DataSet is Payload.DataSet; Rows hold values as for Metric (scalars).
type DataSet struct {
	NumColumns uint64
	Columns    []string
	Types      []uint32
	Rows       [][]any
	Packed     bool // write Types packed (proto3 style) instead of one field each
}

// Template is Payload.Template.
type Template struct {
	Version      string
	Metrics      []Metric
	Parameters   []Parameter
	TemplateRef  string
	IsDefinition bool
}

// Parameter is Payload.Template.Parameter.
type Parameter struct {
	Name  string
	Type  uint32
	Value any
}

// Helpers for optional fields.
func U64(v uint64) *uint64 { return &v }
func U32(v uint32) *uint32 { return &v }
func Str(s string) *string { return &s }

// Marshal encodes the payload.
func (p *Payload) Marshal() []byte {
	var b []byte
	if p.Timestamp != nil {
		b = varint(b, 1, *p.Timestamp)
	}
	for i := range p.Metrics {
		b = bytesField(b, 2, p.Metrics[i].marshal())
	}
	if p.Seq != nil {
		b = varint(b, 3, *p.Seq)
	}
	if p.UUID != nil {
		b = bytesField(b, 4, []byte(*p.UUID))
	}
	if p.Body != nil {
		b = bytesField(b, 5, p.Body)
	}
	return b
}

func varint(b []byte, n protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, n, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func bytesField(b []byte, n protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func boolField(b []byte, n protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	return varint(b, n, 1)
}

// value appends a oneof value whose int_value field number is first:
// int, long, float, double, bool, string at first..first+5, then bytes,
// DataSet, Template (Metric) or PropertySet, PropertySetList (PropertyValue).
func value(b []byte, first protowire.Number, v any) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case uint32:
		return varint(b, first, uint64(x))
	case uint64:
		return varint(b, first+1, x)
	case float32:
		b = protowire.AppendTag(b, first+2, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, math.Float32bits(x))
	case float64:
		b = protowire.AppendTag(b, first+3, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(x))
	case bool:
		if x {
			return varint(b, first+4, 1)
		}
		return varint(b, first+4, 0)
	case string:
		return bytesField(b, first+5, []byte(x))
	case []byte:
		return bytesField(b, first+6, x)
	case DataSet:
		return bytesField(b, first+7, x.marshal())
	case Template:
		return bytesField(b, first+8, x.marshal())
	case PropertySet:
		return bytesField(b, first+6, x.marshal())
	case []PropertySet:
		var l []byte
		for _, ps := range x {
			l = bytesField(l, 1, ps.marshal())
		}
		return bytesField(b, first+7, l)
	}
	panic("sparkplugenc: unsupported value type")
}

func (m *Metric) marshal() []byte {
	var b []byte
	if m.Name != nil {
		b = bytesField(b, 1, []byte(*m.Name))
	}
	if m.Alias != nil {
		b = varint(b, 2, *m.Alias)
	}
	if m.Timestamp != nil {
		b = varint(b, 3, *m.Timestamp)
	}
	if m.Datatype != nil {
		b = varint(b, 4, uint64(*m.Datatype))
	}
	b = boolField(b, 5, m.IsHistorical)
	b = boolField(b, 6, m.IsTransient)
	b = boolField(b, 7, m.IsNull)
	if m.Metadata != nil {
		b = bytesField(b, 8, m.Metadata.marshal())
	}
	if m.Properties != nil {
		b = bytesField(b, 9, m.Properties.marshal())
	}
	return value(b, 10, m.Value)
}

func (md *MetaData) marshal() []byte {
	var b []byte
	b = boolField(b, 1, md.IsMultiPart)
	if md.ContentType != "" {
		b = bytesField(b, 2, []byte(md.ContentType))
	}
	if md.Size != 0 {
		b = varint(b, 3, md.Size)
	}
	if md.Seq != 0 {
		b = varint(b, 4, md.Seq)
	}
	for i, s := range []string{md.FileName, md.FileType, md.MD5, md.Description} {
		if s != "" {
			b = bytesField(b, protowire.Number(5+i), []byte(s))
		}
	}
	return b
}

func (ps PropertySet) marshal() []byte {
	var b []byte
	for _, k := range ps.Keys {
		b = bytesField(b, 1, []byte(k))
	}
	for _, v := range ps.Values {
		var pv []byte
		pv = varint(pv, 1, uint64(v.Type))
		pv = boolField(pv, 2, v.IsNull)
		pv = value(pv, 3, v.Value)
		b = bytesField(b, 2, pv)
	}
	return b
}

func (ds DataSet) marshal() []byte {
	var b []byte
	b = varint(b, 1, ds.NumColumns)
	for _, c := range ds.Columns {
		b = bytesField(b, 2, []byte(c))
	}
	if ds.Packed {
		var p []byte
		for _, t := range ds.Types {
			p = protowire.AppendVarint(p, uint64(t))
		}
		b = bytesField(b, 3, p)
	} else {
		for _, t := range ds.Types {
			b = varint(b, 3, uint64(t))
		}
	}
	for _, row := range ds.Rows {
		var r []byte
		for _, e := range row {
			r = bytesField(r, 1, value(nil, 1, e))
		}
		b = bytesField(b, 4, r)
	}
	return b
}

func (t Template) marshal() []byte {
	var b []byte
	if t.Version != "" {
		b = bytesField(b, 1, []byte(t.Version))
	}
	for i := range t.Metrics {
		b = bytesField(b, 2, t.Metrics[i].marshal())
	}
	for _, p := range t.Parameters {
		var pb []byte
		pb = bytesField(pb, 1, []byte(p.Name))
		pb = varint(pb, 2, uint64(p.Type))
		pb = value(pb, 3, p.Value)
		b = bytesField(b, 3, pb)
	}
	if t.TemplateRef != "" {
		b = bytesField(b, 4, []byte(t.TemplateRef))
	}
	return boolField(b, 5, t.IsDefinition)
}

// Signed values go into int_value as their two's complement, as Tahu does.
func I8(v int8) uint32   { return uint32(int32(v)) }
func I16(v int16) uint32 { return uint32(int32(v)) }
func I32(v int32) uint32 { return uint32(v) }
func I64(v int64) uint64 { return uint64(v) }

// Array encoders: little-endian packed (Sparkplug 3.0 §6.4.17).
func Int16s(vs ...int16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func Int32s(vs ...int32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}

func Int64s(vs ...int64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

func Float32s(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func Float64s(vs ...float64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// Bools: a 4-byte little-endian count, then the bits, first value in the
// high bit.
func Bools(vs ...bool) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(vs)))
	bits := make([]byte, (len(vs)+7)/8)
	for i, v := range vs {
		if v {
			bits[i/8] |= 0x80 >> (i % 8)
		}
	}
	return append(b, bits...)
}

// Strings: NUL-terminated.
func Strings(vs ...string) []byte {
	var b []byte
	for _, v := range vs {
		b = append(append(b, v...), 0)
	}
	return b
}
