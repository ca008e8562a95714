package payload_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
	sp "github.com/mqttdump/mqttdump/internal/sparkplugenc"
)

// sample is a named sequence of MQTT packets on one connection.
type sample struct {
	name  string
	rules []string
	pkts  [][]byte
}

func pub(topic string, payload []byte) []byte {
	return mqttenc.EncodePublish(mqttenc.Publish{Version: mqttenc.V311, Topic: topic, Payload: payload})
}

func pub5(topic string, payload []byte, props ...mqttenc.Property) []byte {
	return mqttenc.EncodePublish(mqttenc.Publish{Version: mqttenc.V5, Topic: topic, Payload: payload, Properties: props})
}

func connect311() []byte {
	return mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V311, CleanStart: true, KeepAlive: 60, ClientID: "t"})
}

func connect5() []byte {
	return mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, CleanStart: true, KeepAlive: 60, ClientID: "t"})
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

const doc = `{"temp": 21.5, "ok": true, "tags": ["a", "b\u00e9"], "none": null, "n": -1e3, "off": false}`

func nbirth(seq, bdSeq uint64) []byte {
	p := sp.Payload{Timestamp: sp.U64(1700000000000), Seq: sp.U64(seq), Metrics: []sp.Metric{
		{Name: sp.Str("bdSeq"), Datatype: sp.U32(sp.Int64), Value: uint64(bdSeq)},
		{Name: sp.Str("Temperature"), Alias: sp.U64(1), Datatype: sp.U32(sp.Double), Value: 21.5},
		{Name: sp.Str("Pressure"), Alias: sp.U64(2), Datatype: sp.U32(sp.Int32), Value: sp.I32(-7)},
		{Name: sp.Str("Node Control/Rebirth"), Alias: sp.U64(3), Datatype: sp.U32(sp.Boolean), Value: false},
	}}
	return p.Marshal()
}

func ndata(seq uint64, aliases ...uint64) []byte {
	p := sp.Payload{Timestamp: sp.U64(1700000001000), Seq: sp.U64(seq)}
	for _, a := range aliases {
		m := sp.Metric{Alias: sp.U64(a), Timestamp: sp.U64(1700000001000)}
		switch a {
		case 1:
			m.Datatype, m.Value = sp.U32(sp.Double), 22.25
		case 2:
			m.Value = sp.I32(-8) // datatype left out: the NBIRTH has it
		default:
			m.Datatype, m.Value = sp.U32(sp.Boolean), true
		}
		p.Metrics = append(p.Metrics, m)
	}
	return p.Marshal()
}

func ndeath(bdSeq uint64) []byte {
	p := sp.Payload{Timestamp: sp.U64(1700000000000), Metrics: []sp.Metric{
		{Name: sp.Str("bdSeq"), Datatype: sp.U32(sp.Int64), Value: uint64(bdSeq)}}}
	return p.Marshal()
}

func willConnect(bdSeq uint64) []byte {
	return mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V311, CleanStart: true, KeepAlive: 60, ClientID: "edge1",
		Will: &mqttenc.Will{Topic: "spBv1.0/G1/NDEATH/E1", Payload: ndeath(bdSeq)}})
}

// allTypes is a DBIRTH with one metric of every Sparkplug datatype.
func allTypes() []byte {
	m := func(name string, dt uint32, v any) sp.Metric {
		return sp.Metric{Name: sp.Str(name), Datatype: sp.U32(dt), Value: v}
	}
	p := sp.Payload{Timestamp: sp.U64(1700000000000), Seq: sp.U64(1), UUID: sp.Str("u-1"), Body: []byte{1, 2}, Metrics: []sp.Metric{
		m("i8", sp.Int8, sp.I8(-5)),
		m("i16", sp.Int16, sp.I16(-300)),
		m("i32", sp.Int32, sp.I32(-70000)),
		m("i64", sp.Int64, sp.I64(-5000000000)),
		m("u8", sp.UInt8, uint32(250)),
		m("u16", sp.UInt16, uint32(65000)),
		m("u32", sp.UInt32, uint32(4000000000)),
		m("u64", sp.UInt64, uint64(18000000000000000000)),
		m("f", sp.Float, float32(1.5)),
		m("d", sp.Double, 2.25),
		m("b", sp.Boolean, true),
		m("s", sp.String, "hello"),
		m("dt", sp.DateTime, uint64(1700000000000)),
		m("txt", sp.Text, "long text"),
		m("uuid", sp.UUID, "123e4567-e89b-12d3-a456-426614174000"),
		m("ds", sp.DataSetType, sp.DataSet{NumColumns: 2, Columns: []string{"x", "y"}, Types: []uint32{sp.Int32, sp.String},
			Rows: [][]any{{sp.I32(-1), "one"}, {sp.I32(2), "two"}}}),
		m("bytes", sp.Bytes, []byte{0xde, 0xad}),
		m("file", sp.File, []byte("PK\x03\x04")),
		m("tmpl", sp.TemplateType, sp.Template{Version: "v1", TemplateRef: "Motor", Parameters: []sp.Parameter{{Name: "max", Type: sp.Int32, Value: sp.I32(-9)}},
			Metrics: []sp.Metric{{Name: sp.Str("rpm"), Datatype: sp.U32(sp.UInt32), Value: uint32(1200)}}}),
		{Name: sp.Str("ps"), Datatype: sp.U32(sp.PropertySetType), Properties: &sp.PropertySet{Keys: []string{"engUnit", "nested"},
			Values: []sp.PropertyValue{{Type: sp.String, Value: "°C"}, {Type: sp.PropertySetType, Value: sp.PropertySet{Keys: []string{"k"}, Values: []sp.PropertyValue{{Type: sp.Int8, Value: sp.I8(-1)}}}}}}},
		{Name: sp.Str("psl"), Datatype: sp.U32(sp.PropertySetListType), Properties: &sp.PropertySet{Keys: []string{"list"},
			Values: []sp.PropertyValue{{Type: sp.PropertySetListType, Value: []sp.PropertySet{{Keys: []string{"a"}, Values: []sp.PropertyValue{{Type: sp.Boolean, Value: true}}}}}}}},
		m("i8a", sp.Int8Array, []byte{0xef, 0x7b}),
		m("i16a", sp.Int16Array, sp.Int16s(-2, 300)),
		m("i32a", sp.Int32Array, sp.Int32s(123456789, -987654321)),
		m("i64a", sp.Int64Array, sp.Int64s(-1, 1<<40)),
		m("u8a", sp.UInt8Array, []byte{1, 255}),
		m("u16a", sp.UInt16Array, sp.Int16s(1, -1)),
		m("u32a", sp.UInt32Array, sp.Int32s(1, -1)),
		m("u64a", sp.UInt64Array, sp.Int64s(1, -1)),
		m("fa", sp.FloatArray, sp.Float32s(1.5, -2)),
		m("da", sp.DoubleArray, sp.Float64s(0.125, 3)),
		m("ba", sp.BooleanArray, sp.Bools(true, false, true)),
		m("sa", sp.StringArray, sp.Strings("ab", "c")),
		m("dta", sp.DateTimeArray, sp.Int64s(1700000000000)),
		{Name: sp.Str("meta"), Datatype: sp.U32(sp.Bytes), Metadata: &sp.MetaData{ContentType: "image/png", Size: 2, FileName: "x.png"}, Value: []byte{1, 2}},
		{Name: sp.Str("null"), Datatype: sp.U32(sp.Int32), IsNull: true},
		{Name: sp.Str("hist"), Datatype: sp.U32(sp.Int32), IsHistorical: true, IsTransient: true, Value: uint32(3)},
	}}
	return p.Marshal()
}

// samples are the payload samples every test and the goldens use.
func samples() []sample {
	proto := []byte{0x08, 0x96, 0x01, 0x12, 0x03, 'a', 'b', 'c', 0x1a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x25, 0, 0, 0xc0, 0x3f, 0x29, 1, 0, 0, 0, 0, 0, 0, 0}
	return []sample{
		{name: "json", pkts: [][]byte{connect311(), pub("sensors/1", []byte(doc))}},
		{name: "json_nested", pkts: [][]byte{connect311(), pub("a", []byte(`{"a":{"b":[[1,2],{"c":"\"x\\n"}]},"e":[]}`))}},
		{name: "json_bad_asked", rules: []string{"a=json"}, pkts: [][]byte{connect311(), pub("a", []byte(`{"a": [1, 2}`))}},
		{name: "text", pkts: [][]byte{connect311(), pub("t", []byte("hello world\n"))}},
		{name: "hex", pkts: [][]byte{connect311(), pub("b", []byte{0, 1, 2, 0xff, 0xfe})}},
		{name: "gzip_json", pkts: [][]byte{connect311(), pub("z", gz([]byte(doc)))}},
		{name: "zlib_text", pkts: [][]byte{connect311(), pub("z", zl([]byte("compressed text, compressed text")))}},
		{name: "protobuf", rules: []string{"pb/#=protobuf"}, pkts: [][]byte{connect311(), pub("pb/x", proto)}},
		{name: "content_type_json", pkts: [][]byte{connect5(), pub5("c", []byte(`[1,2,3]`), mqttenc.ContentType("application/json"))}},
		{name: "content_type_bad", pkts: [][]byte{connect5(), pub5("c", []byte(`not json`), mqttenc.ContentType("application/json"))}},
		{name: "utf8_indicator", pkts: [][]byte{connect5(), pub5("c", []byte(`{"x":1}`), mqttenc.PayloadFormatIndicator(1))}},
		{name: "sparkplug_alias", pkts: [][]byte{willConnect(0), pub("spBv1.0/G1/NBIRTH/E1", nbirth(0, 0)), pub("spBv1.0/G1/NDATA/E1", ndata(1, 1, 2, 3))}},
		{name: "sparkplug_types", pkts: [][]byte{connect311(), pub("spBv1.0/G1/DBIRTH/E1/D1", allTypes())}},
		{name: "sparkplug_seq_gap", pkts: [][]byte{connect311(), pub("spBv1.0/G1/NBIRTH/E1", nbirth(0, 0)), pub("spBv1.0/G1/NDATA/E1", ndata(1, 1)), pub("spBv1.0/G1/NDATA/E1", ndata(3, 1))}},
		{name: "sparkplug_bdseq_mismatch", pkts: [][]byte{willConnect(5), pub("spBv1.0/G1/NBIRTH/E1", nbirth(0, 6))}},
		{name: "sparkplug_unknown_alias", pkts: [][]byte{connect311(), pub("spBv1.0/G1/NBIRTH/E1", nbirth(0, 0)), pub("spBv1.0/G1/NDATA/E1", ndata(1, 9))}},
		{name: "sparkplug_state", pkts: [][]byte{connect311(), pub("spBv1.0/STATE/host1", []byte(`{"online":true,"timestamp":1700000000000}`))}},
		{name: "sparkplug_bad", pkts: [][]byte{connect311(), pub("spBv1.0/G1/NDATA/E1", []byte{0xff, 0xff})}},
	}
}
