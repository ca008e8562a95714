package payload

import "github.com/mqttdump/mqttdump/dissect"

// The fields payload decoders add. JSON names are Wireshark's (packet-json);
// Sparkplug names follow its topic and .proto names under sparkplug.; the
// schema-less protobuf names follow Wireshark's protobuf dissector.

func fdef(name, abbrev string, k dissect.Kind) *dissect.FieldDef {
	return &dissect.FieldDef{Name: name, Abbrev: abbrev, Kind: k}
}

const (
	kNone   = dissect.KindNone
	kUint   = dissect.KindUint
	kBool   = dissect.KindBool
	kString = dissect.KindString
	kBytes  = dissect.KindBytes
)

// JSON (Wireshark: json.*).
var (
	fJSONObject = &dissect.FieldDef{Name: "Object", Abbrev: "json.object", Kind: kNone, Sparse: true}
	fJSONArray  = &dissect.FieldDef{Name: "Array", Abbrev: "json.array", Kind: kNone, Sparse: true}
	fJSONMember = &dissect.FieldDef{Name: "Member", Abbrev: "json.member", Kind: kNone, Sparse: true}
	fJSONKey    = fdef("Key", "json.key", kString)
	fJSONString = fdef("String value", "json.value.string", kString)
	fJSONNumber = fdef("Number value", "json.value.number", kString)
	fJSONTrue   = fdef("True value", "json.value.true", kNone)
	fJSONFalse  = fdef("False value", "json.value.false", kNone)
	fJSONNull   = fdef("Null value", "json.value.null", kNone)
	fJSONRest   = fdef("Unparsed JSON", "json.unparsed", kBytes)
)

// Text and binary payloads.
var (
	fText = fdef("Text", "mqtt.payload.text", kString)
)

// gzip (RFC 1952) and zlib (RFC 1950).
var (
	fGzip         = fdef("gzip", "gzip", kNone)
	fZlib         = fdef("zlib", "zlib", kNone)
	fGzipHeader   = fdef("Header", "gzip.header", kBytes)
	fZlibHeader   = fdef("Header", "zlib.header", kBytes)
	fDeflate      = fdef("Compressed data", "gzip.deflate", kBytes)
	fZDeflate     = fdef("Compressed data", "zlib.deflate", kBytes)
	fGzipTrailer  = fdef("CRC-32 and size", "gzip.trailer", kBytes)
	fZlibTrailer  = fdef("Adler-32", "zlib.adler32", kBytes)
	fDecompressed = &dissect.FieldDef{Name: "Decompressed", Abbrev: "mqtt.payload.decompressed", Kind: kBytes}
	fCompRest     = fdef("Undecoded bytes", "data.data", kBytes)
)

// Schema-less protobuf (Wireshark: protobuf.*).
var (
	fPbField   = fdef("Field", "protobuf.field", kNone)
	fPbKey     = fdef("Key", "protobuf.field.number", kUint)
	fPbLen     = fdef("Length", "protobuf.value.length", kUint)
	fPbVarint  = fdef("Varint", "protobuf.value.varint", kUint)
	fPbFixed64 = fdef("Fixed64", "protobuf.value.fixed64", kUint)
	fPbFixed32 = fdef("Fixed32", "protobuf.value.fixed32", kUint)
	fPbString  = fdef("String", "protobuf.value.string", kString)
	fPbBytes   = fdef("Bytes", "protobuf.value.bytes", kBytes)
	fPbMessage = fdef("Protobuf message", "protobuf.message", kNone)
	fPbBad     = fdef("Undecoded bytes", "data.data", kBytes)
)

// Sparkplug B. Topic parts are generated nodes (they are parts of the
// topic string, whose bytes the MQTT topic node already owns); payload
// fields cover the whole protobuf field, key and length included.
var (
	fSpTopic       = fdef("Sparkplug B topic", "sparkplug.topic", kString)
	fSpNamespace   = fdef("Namespace", "sparkplug.namespace", kString)
	fSpGroup       = fdef("Group ID", "sparkplug.group_id", kString)
	fSpMsgType     = fdef("Message Type", "sparkplug.message_type", kString)
	fSpEdge        = fdef("Edge Node ID", "sparkplug.edge_node_id", kString)
	fSpDevice      = fdef("Device ID", "sparkplug.device_id", kString)
	fSpHost        = fdef("Host Application ID", "sparkplug.host_id", kString)
	fSpPayload     = fdef("Sparkplug B payload", "sparkplug.payload", kNone)
	fSpTimestamp   = fdef("Timestamp", "sparkplug.timestamp", kUint)
	fSpSeq         = fdef("Sequence Number", "sparkplug.seq", kUint)
	fSpUUID        = fdef("UUID", "sparkplug.uuid", kString)
	fSpBody        = fdef("Body", "sparkplug.body", kBytes)
	fSpMetric      = sub("Metric", "sparkplug.metric")
	fSpName        = fdef("Name", "sparkplug.metric.name", kString)
	fSpAlias       = fdef("Alias", "sparkplug.metric.alias", kUint)
	fSpMTimestamp  = fdef("Timestamp", "sparkplug.metric.timestamp", kUint)
	fSpDatatype    = &dissect.FieldDef{Name: "Datatype", Abbrev: "sparkplug.metric.datatype", Kind: kUint, Labels: datatypeLabels}
	fSpHistorical  = fdef("Is Historical", "sparkplug.metric.is_historical", kBool)
	fSpTransient   = fdef("Is Transient", "sparkplug.metric.is_transient", kBool)
	fSpIsNull      = fdef("Is Null", "sparkplug.metric.is_null", kBool)
	fSpMetadata    = sub("Metadata", "sparkplug.metric.metadata")
	fSpProperties  = sub("Properties", "sparkplug.metric.properties")
	fSpValue       = fdef("Value", "sparkplug.metric.value", kString)
	fSpExtension   = fdef("Extension", "sparkplug.extension", kBytes)
	fSpUnknown     = fdef("Unknown field", "sparkplug.unknown", kBytes)
	fSpMetaField   = fdef("Metadata field", "sparkplug.metadata.field", kString)
	fSpPropKey     = fdef("Key", "sparkplug.propertyset.key", kString)
	fSpPropValue   = sub("Property Value", "sparkplug.propertyvalue")
	fSpPropType    = &dissect.FieldDef{Name: "Type", Abbrev: "sparkplug.propertyvalue.type", Kind: kUint, Labels: datatypeLabels}
	fSpPropVal     = fdef("Value", "sparkplug.propertyvalue.value", kString)
	fSpPropSet     = sub("PropertySet", "sparkplug.propertyset")
	fSpPropSetList = sub("PropertySetList", "sparkplug.propertysetlist")
	fSpDataSet     = sub("DataSet", "sparkplug.dataset")
	fSpDSColumns   = fdef("Number of Columns", "sparkplug.dataset.num_of_columns", kUint)
	fSpDSColumn    = fdef("Column", "sparkplug.dataset.column", kString)
	fSpDSType      = &dissect.FieldDef{Name: "Column Type", Abbrev: "sparkplug.dataset.type", Kind: kUint, Labels: datatypeLabels}
	fSpDSTypes     = fdef("Column Types", "sparkplug.dataset.types", kString)
	fSpDSRow       = sub("Row", "sparkplug.dataset.row")
	fSpDSElement   = sub("Element", "sparkplug.dataset.element")
	fSpDSValue     = fdef("Value", "sparkplug.dataset.value", kString)
	fSpTemplate    = sub("Template", "sparkplug.template")
	fSpTVersion    = fdef("Version", "sparkplug.template.version", kString)
	fSpTRef        = fdef("Template Ref", "sparkplug.template.template_ref", kString)
	fSpTIsDef      = fdef("Is Definition", "sparkplug.template.is_definition", kBool)
	fSpTParam      = sub("Parameter", "sparkplug.template.parameter")
	fSpTPName      = fdef("Name", "sparkplug.template.parameter.name", kString)
	fSpTPType      = &dissect.FieldDef{Name: "Type", Abbrev: "sparkplug.template.parameter.type", Kind: kUint, Labels: datatypeLabels}
	fSpTPValue     = fdef("Value", "sparkplug.template.parameter.value", kString)
	fSpBdSeq       = fdef("bdSeq", "sparkplug.bdseq", kUint)
)

// sub is a nested protobuf message: its node covers the whole field, its
// children the values inside, so the field's key and length bytes belong
// to no child (the node is Sparse).
func sub(name, abbrev string) *dissect.FieldDef {
	return &dissect.FieldDef{Name: name, Abbrev: abbrev, Kind: kNone, Sparse: true}
}

// Sparkplug 3.0 datatypes (§6.4.16).
var datatypeLabels = map[uint64]string{
	0: "Unknown", 1: "Int8", 2: "Int16", 3: "Int32", 4: "Int64", 5: "UInt8", 6: "UInt16",
	7: "UInt32", 8: "UInt64", 9: "Float", 10: "Double", 11: "Boolean", 12: "String",
	13: "DateTime", 14: "Text", 15: "UUID", 16: "DataSet", 17: "Bytes", 18: "File",
	19: "Template", 20: "PropertySet", 21: "PropertySetList", 22: "Int8Array",
	23: "Int16Array", 24: "Int32Array", 25: "Int64Array", 26: "UInt8Array",
	27: "UInt16Array", 28: "UInt32Array", 29: "UInt64Array", 30: "FloatArray",
	31: "DoubleArray", 32: "BooleanArray", 33: "StringArray", 34: "DateTimeArray",
}

// The registry learns the payload fields when this package is linked in.
func init() {
	dissect.RegisterFields(fJSONDoc, fJSONObject, fJSONArray, fJSONMember, fJSONKey, fJSONString, fJSONNumber, fJSONTrue, fJSONFalse, fJSONNull, fJSONRest, fText, fGzip, fZlib, fGzipHeader, fZlibHeader, fDeflate, fZDeflate, fGzipTrailer, fZlibTrailer, fDecompressed, fCompRest, fPbField, fPbKey, fPbLen, fPbVarint, fPbFixed64, fPbFixed32, fPbString, fPbBytes, fPbMessage, fPbBad, fSpTopic, fSpNamespace, fSpGroup, fSpMsgType, fSpEdge, fSpDevice, fSpHost, fSpPayload, fSpTimestamp, fSpSeq, fSpUUID, fSpBody, fSpMetric, fSpName, fSpAlias, fSpMTimestamp, fSpDatatype, fSpHistorical, fSpTransient, fSpIsNull, fSpMetadata, fSpProperties, fSpValue, fSpExtension, fSpUnknown, fSpMetaField, fSpPropKey, fSpPropValue, fSpPropType, fSpPropVal, fSpPropSet, fSpPropSetList, fSpDataSet, fSpDSColumns, fSpDSColumn, fSpDSType, fSpDSTypes, fSpDSRow, fSpDSElement, fSpDSValue, fSpTemplate, fSpTVersion, fSpTRef, fSpTIsDef, fSpTParam, fSpTPName, fSpTPType, fSpTPValue, fSpBdSeq)
}
