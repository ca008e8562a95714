package dissect

import (
	"slices"
	"strings"
)

// ExpertInfo describes one kind of finding: its stable id (a display-filter
// field: `-Y mqtt.unknown_version`), our severity, and Wireshark's group
// and severity for the same condition.
type ExpertInfo struct {
	// ID is Wireshark's expert id where Wireshark reports the same
	// condition (mqtt.unknown_version, mqtt.illegal_topic_length,
	// mqtt.unknown_topic_alias), else mqtt.expert.<name>.
	ID       string
	Severity Severity
	// Group is Wireshark's expert group: "malformed", "protocol",
	// "undecoded", "sequence", ...
	Group string
	// Summary is the short description `-G`-style listings show.
	Summary string
}

// Level is Wireshark's expert severity ("chat", "note", "warn", "error"):
// malformed findings are errors, protocol violations warnings, notes notes.
func (e *ExpertInfo) Level() string { return e.Severity.Level() }

// Level is Wireshark's expert severity name for s.
func (s Severity) Level() string {
	switch s {
	case SevMalformed:
		return "error"
	case SevProtocol:
		return "warn"
	}
	return "note"
}

func ei(id string, sev Severity, group, summary string) *ExpertInfo {
	return &ExpertInfo{ID: id, Severity: sev, Group: group, Summary: summary}
}

// Every kind of finding the dissector makes. The three Wireshark ids keep
// Wireshark's names; the rest are ours.
var (
	eiUnknownVersion    = ei("mqtt.unknown_version", SevNote, "protocol", "MQTT version guessed: no CONNECT seen on this connection")
	eiIllegalTopicLen   = ei("mqtt.illegal_topic_length", SevProtocol, "protocol", "Zero-length topic name without a topic alias")
	eiUnknownTopicAlias = ei("mqtt.unknown_topic_alias", SevNote, "protocol", "Unknown topic alias")

	eiTruncated        = ei("mqtt.expert.truncated", SevMalformed, "malformed", "A field needs more bytes than the packet holds")
	eiLengthOverrun    = ei("mqtt.expert.length_overrun", SevMalformed, "malformed", "A length prefix runs past the end of the packet")
	eiEmptyPacket      = ei("mqtt.expert.empty_packet", SevMalformed, "malformed", "No bytes at all")
	eiVarintTooLong    = ei("mqtt.expert.varint_too_long", SevMalformed, "malformed", "Variable byte integer longer than 4 bytes")
	eiVarintNonMinimal = ei("mqtt.expert.varint_non_minimal", SevProtocol, "protocol", "Variable byte integer not minimally encoded")
	eiInvalidUTF8      = ei("mqtt.expert.invalid_utf8", SevProtocol, "protocol", "UTF-8 string is not well-formed")
	eiUTF8Null         = ei("mqtt.expert.utf8_null", SevProtocol, "protocol", "UTF-8 string contains U+0000")
	eiUTF8NonChar      = ei("mqtt.expert.utf8_noncharacter", SevNote, "protocol", "UTF-8 string contains a non-character")
	eiLeftOver         = ei("mqtt.expert.bytes_left_over", SevProtocol, "undecoded", "Bytes left over after the last field")
	eiBeyondLength     = ei("mqtt.expert.beyond_remaining_length", SevProtocol, "undecoded", "Bytes beyond the remaining length")
	eiReservedType     = ei("mqtt.expert.reserved_type", SevProtocol, "protocol", "Reserved packet type")
	eiHeaderFlags      = ei("mqtt.expert.header_flags", SevProtocol, "protocol", "Fixed header flags differ from the ones the type requires")
	eiQoS3             = ei("mqtt.expert.qos_reserved", SevProtocol, "protocol", "PUBLISH with QoS 3")
	eiDupQoS0          = ei("mqtt.expert.dup_qos0", SevProtocol, "protocol", "DUP flag set on a QoS 0 PUBLISH")
	eiPacketIDZero     = ei("mqtt.expert.packet_id_zero", SevProtocol, "protocol", "Packet identifier 0")

	eiProtocolLevel    = ei("mqtt.expert.unknown_protocol_level", SevProtocol, "protocol", "CONNECT with an unknown protocol level")
	eiProtocolName     = ei("mqtt.expert.protocol_name", SevProtocol, "protocol", "Protocol name does not match the protocol level")
	eiConnectReserved  = ei("mqtt.expert.connect_reserved_flag", SevProtocol, "protocol", "Reserved connect flag set")
	eiWillQoSReserved  = ei("mqtt.expert.will_qos_reserved", SevProtocol, "protocol", "Will QoS 3")
	eiWillQoSNoWill    = ei("mqtt.expert.will_qos_without_will", SevProtocol, "protocol", "Will QoS set without the will flag")
	eiWillRetainNoWill = ei("mqtt.expert.will_retain_without_will", SevProtocol, "protocol", "Will retain set without the will flag")
	eiPasswordNoUser   = ei("mqtt.expert.password_without_username", SevProtocol, "protocol", "Password flag set without the user name flag")
	eiClientIDRequired = ei("mqtt.expert.client_id_required", SevProtocol, "protocol", "MQTT 3.1 CONNECT without a client identifier")
	eiEmptyIDPersist   = ei("mqtt.expert.empty_client_id_persistent", SevProtocol, "protocol", "Empty client identifier with Clean Session 0")
	eiConnackReserved  = ei("mqtt.expert.connack_reserved_flags", SevProtocol, "protocol", "Reserved connect acknowledge flags set")
	eiSessionRefused   = ei("mqtt.expert.session_present_refused", SevProtocol, "protocol", "Session present set on a refused connection")
	eiReturnCode       = ei("mqtt.expert.reserved_return_code", SevProtocol, "protocol", "Reserved CONNACK return code")
	eiReasonCode       = ei("mqtt.expert.undefined_reason_code", SevProtocol, "protocol", "Reason code the packet type does not define")

	eiPropLenOverrun  = ei("mqtt.expert.property_length_overrun", SevMalformed, "malformed", "Property length runs past the end of the packet")
	eiPropUnknown     = ei("mqtt.expert.unknown_property", SevMalformed, "malformed", "Unknown property identifier")
	eiPropNotAllowed  = ei("mqtt.expert.property_not_allowed", SevProtocol, "protocol", "Property not allowed in this packet")
	eiPropRepeated    = ei("mqtt.expert.property_repeated", SevProtocol, "protocol", "Property that may appear once appears again")
	eiPropValue       = ei("mqtt.expert.property_value", SevProtocol, "protocol", "Property value out of range")
	eiTopicWildcard   = ei("mqtt.expert.topic_wildcard", SevProtocol, "protocol", "Wildcard character in a topic name")
	eiPayloadNotUTF8  = ei("mqtt.expert.payload_not_utf8", SevProtocol, "protocol", "Payload marked UTF-8 is not UTF-8")
	eiSubQoS          = ei("mqtt.expert.subscription_qos", SevProtocol, "protocol", "Requested QoS 3 or reserved bits in the QoS byte")
	eiRetainHandling  = ei("mqtt.expert.retain_handling_reserved", SevProtocol, "protocol", "Retain handling 3")
	eiSubOptsReserved = ei("mqtt.expert.subscription_options_reserved", SevProtocol, "protocol", "Reserved subscription option bits set")
	eiNoTopicFilter   = ei("mqtt.expert.no_topic_filter", SevProtocol, "protocol", "SUBSCRIBE or UNSUBSCRIBE without a topic filter")
	eiEmptyFilter     = ei("mqtt.expert.empty_topic_filter", SevProtocol, "protocol", "Zero-length topic filter")
	eiWildcardPlace   = ei("mqtt.expert.wildcard_misplaced", SevProtocol, "protocol", "Wildcard in the wrong place of a topic filter")
	eiSubackCode      = ei("mqtt.expert.suback_return_code", SevProtocol, "protocol", "Return code not allowed in SUBACK")
	eiNoReturnCode    = ei("mqtt.expert.no_return_code", SevProtocol, "protocol", "SUBACK or UNSUBACK without any return code")

	eiTreeCut        = ei("mqtt.expert.tree_cut", SevNote, "undecoded", "Field tree cut at the per-packet node budget")
	eiFindingsCapped = ei("mqtt.expert.findings_capped", SevNote, "undecoded", "Further findings of the packet not kept")
	eiAliasEvicted   = ei("mqtt.expert.alias_evicted", SevNote, "protocol", "Topic alias forgotten: the alias tables are full")

	// The connection stage's findings (package conn, through Rule): rules
	// that take the negotiated limits or the open exchanges to check.
	eiMaxPacketSize     = ei("mqtt.expert.max_packet_size", SevProtocol, "protocol", "Packet larger than the receiver's Maximum Packet Size")
	eiTopicAliasMax     = ei("mqtt.expert.topic_alias_max", SevProtocol, "protocol", "Topic Alias above the receiver's Topic Alias Maximum")
	eiReceiveMax        = ei("mqtt.expert.receive_max", SevProtocol, "sequence", "More QoS 1/2 PUBLISH in flight than the receiver's Receive Maximum")
	eiMaxQoS            = ei("mqtt.expert.max_qos", SevProtocol, "protocol", "PUBLISH QoS above the broker's Maximum QoS")
	eiRetainUnavailable = ei("mqtt.expert.retain_unavailable", SevProtocol, "protocol", "Retained PUBLISH after Retain Available 0")
	eiWildcardUnavail   = ei("mqtt.expert.wildcard_unavailable", SevProtocol, "protocol", "Wildcard subscription after Wildcard Subscription Available 0")
	eiSharedUnavail     = ei("mqtt.expert.shared_unavailable", SevProtocol, "protocol", "Shared subscription after Shared Subscription Available 0")
	eiSubIDUnavail      = ei("mqtt.expert.subid_unavailable", SevProtocol, "protocol", "Subscription Identifier after Subscription Identifiers Available 0")
	eiPacketIDInUse     = ei("mqtt.expert.packet_id_in_use", SevProtocol, "sequence", "Packet identifier reused while its exchange is open")
	eiKeepAliveExceeded = ei("mqtt.expert.keepalive_exceeded", SevProtocol, "sequence", "Client silent for more than 1.5 times its keep alive")
)

// The findings of the payload decoders (package payload passes them to
// Payload.Finding). Like the payload fields, they are named after the
// protocol they are about: <proto>.expert.<name>, as mqtt.expert.<name>.
var (
	EIJSONMalformed   = ei("json.expert.malformed", SevMalformed, "malformed", "Payload does not parse as JSON")
	EIJSONValuesCut   = ei("json.expert.values_cut", SevNote, "undecoded", "JSON values beyond the node budget not shown as fields")
	EITextMalformed   = ei("mqtt.expert.payload_not_text", SevMalformed, "malformed", "Payload decoded as text is not UTF-8")
	EIProtobufBad     = ei("protobuf.expert.malformed", SevMalformed, "malformed", "Payload does not parse as a protobuf message")
	EIGzipMalformed   = ei("gzip.expert.malformed", SevMalformed, "malformed", "Payload does not unpack as gzip")
	EIGzipChecksum    = ei("gzip.expert.checksum", SevMalformed, "malformed", "gzip CRC-32 or size does not match the unpacked data")
	EIGzipTrailing    = ei("gzip.expert.trailing_bytes", SevProtocol, "undecoded", "Bytes after the gzip data")
	EIGzipCapped      = ei("gzip.expert.decompressed_cut", SevNote, "undecoded", "gzip data unpacks to more than --max-decompressed")
	EIZlibMalformed   = ei("zlib.expert.malformed", SevMalformed, "malformed", "Payload does not unpack as zlib")
	EIZlibChecksum    = ei("zlib.expert.checksum", SevMalformed, "malformed", "zlib Adler-32 does not match the unpacked data")
	EIZlibTrailing    = ei("zlib.expert.trailing_bytes", SevProtocol, "undecoded", "Bytes after the zlib data")
	EIZlibCapped      = ei("zlib.expert.decompressed_cut", SevNote, "undecoded", "zlib data unpacks to more than --max-decompressed")
	EISpMalformed     = ei("sparkplug.expert.malformed", SevMalformed, "malformed", "Sparkplug B payload does not parse")
	EISpTopic         = ei("sparkplug.expert.topic_namespace", SevProtocol, "protocol", "spBv1.0/ topic outside the Sparkplug namespace")
	EISpWireType      = ei("sparkplug.expert.wire_type", SevProtocol, "protocol", "Field wire type differs from the Sparkplug schema")
	EISpSubMessage    = ei("sparkplug.expert.bad_submessage", SevMalformed, "malformed", "Nested Sparkplug message does not parse")
	EISpDatatype      = ei("sparkplug.expert.unknown_datatype", SevProtocol, "protocol", "Unknown Sparkplug datatype")
	EISpSeqRange      = ei("sparkplug.expert.seq_range", SevProtocol, "protocol", "Sparkplug seq above 255")
	EISpSeqMissing    = ei("sparkplug.expert.seq_missing", SevProtocol, "protocol", "Sparkplug message without a seq")
	EISpSeqGap        = ei("sparkplug.expert.seq_gap", SevProtocol, "sequence", "Sparkplug seq does not follow the previous one")
	EISpNoBdSeq       = ei("sparkplug.expert.bdseq_missing", SevProtocol, "protocol", "NBIRTH without a bdSeq metric")
	EISpBdSeqMismatch = ei("sparkplug.expert.bdseq_mismatch", SevProtocol, "sequence", "bdSeq of NBIRTH and NDEATH do not match")
	EISpUnknownAlias  = ei("sparkplug.expert.unknown_alias", SevProtocol, "protocol", "Metric alias not in the NBIRTH or DBIRTH")
	EISpAliasNoBirth  = ei("sparkplug.expert.alias_without_birth", SevNote, "sequence", "Metric alias with no NBIRTH seen")
)

// PayloadExperts lists the kinds of finding payload decoders make.
func PayloadExperts() []*ExpertInfo { return slices.Clone(payloadExperts) }

var payloadExperts = []*ExpertInfo{
	EIJSONMalformed, EIJSONValuesCut, EITextMalformed, EIProtobufBad,
	EIGzipMalformed, EIGzipChecksum, EIGzipTrailing, EIGzipCapped,
	EIZlibMalformed, EIZlibChecksum, EIZlibTrailing, EIZlibCapped,
	EISpMalformed, EISpTopic, EISpWireType, EISpSubMessage, EISpDatatype,
	EISpSeqRange, EISpSeqMissing, EISpSeqGap, EISpNoBdSeq, EISpBdSeqMismatch,
	EISpUnknownAlias, EISpAliasNoBirth,
}

// experts is the registry, sorted by id.
var experts = func() []*ExpertInfo {
	all := []*ExpertInfo{
		eiUnknownVersion, eiIllegalTopicLen, eiUnknownTopicAlias,
		eiTruncated, eiLengthOverrun, eiEmptyPacket, eiVarintTooLong, eiVarintNonMinimal,
		eiInvalidUTF8, eiUTF8Null, eiUTF8NonChar, eiLeftOver, eiBeyondLength, eiReservedType,
		eiHeaderFlags, eiQoS3, eiDupQoS0, eiPacketIDZero,
		eiProtocolLevel, eiProtocolName, eiConnectReserved, eiWillQoSReserved, eiWillQoSNoWill,
		eiWillRetainNoWill, eiPasswordNoUser, eiClientIDRequired, eiEmptyIDPersist,
		eiConnackReserved, eiSessionRefused, eiReturnCode, eiReasonCode,
		eiPropLenOverrun, eiPropUnknown, eiPropNotAllowed, eiPropRepeated, eiPropValue,
		eiTopicWildcard, eiPayloadNotUTF8, eiSubQoS, eiRetainHandling, eiSubOptsReserved,
		eiNoTopicFilter, eiEmptyFilter, eiWildcardPlace, eiSubackCode, eiNoReturnCode,
		eiTreeCut, eiFindingsCapped, eiAliasEvicted,
	}
	for _, r := range analyzerRules {
		if !slices.Contains(all, r.Info) {
			all = append(all, r.Info)
		}
	}
	all = append(all, payloadExperts...)
	slices.SortFunc(all, func(a, b *ExpertInfo) int { return strings.Compare(a.ID, b.ID) })
	return all
}()

// ExpertIDs lists every kind of finding, sorted by id. The slice is the
// caller's; the infos are shared and must not be changed.
func ExpertIDs() []*ExpertInfo { return slices.Clone(experts) }

// LookupExpert returns the info of an expert id.
func LookupExpert(id string) (*ExpertInfo, bool) {
	i, ok := slices.BinarySearchFunc(experts, id, func(e *ExpertInfo, id string) int { return strings.Compare(e.ID, id) })
	if !ok {
		return nil, false
	}
	return experts[i], true
}

// Info is the description of the finding's kind (nil for a hand-made
// finding without an id).
func (e *Expert) Info() *ExpertInfo {
	info, _ := LookupExpert(e.ID)
	return info
}

// WSGroup is Wireshark's expert group of the finding: its kind's group,
// else the one its severity implies.
func (e *Expert) WSGroup() string {
	if info := e.Info(); info != nil {
		return info.Group
	}
	return e.Severity.Group()
}
