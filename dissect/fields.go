package dissect

// The field table. Abbreviations are Wireshark's display-filter names
// (shared/reference/tshark-mqtt-fields.txt); where Wireshark is too coarse
// the name lives under mqtt.property. or mqtt.expert./mqtt.undecoded.

var msgTypeLabels = func() map[uint64]string {
	m := make(map[uint64]string, len(packetTypes))
	for t, pt := range packetTypes {
		m[uint64(t)] = pt.label
	}
	return m
}()

var qosLabels = map[uint64]string{
	0: "At most once delivery (Fire and Forget)",
	1: "At least once delivery (Acknowledged deliver)",
	2: "Exactly once delivery (Assured Delivery)",
	3: "Reserved",
}

var versionLabels = map[uint64]string{3: "MQTT v3.1", 4: "MQTT v3.1.1", 5: "MQTT v5.0"}

var connackV3Labels = map[uint64]string{
	0: "Connection Accepted",
	1: "Connection Refused: unacceptable protocol version",
	2: "Connection Refused: identifier rejected",
	3: "Connection Refused: server unavailable",
	4: "Connection Refused: bad user name or password",
	5: "Connection Refused: not authorized",
}

var subackV3Labels = map[uint64]string{0: qosLabels[0], 1: qosLabels[1], 2: qosLabels[2], 3: qosLabels[3], 128: "Failure"}

var retainHandlingLabels = map[uint64]string{
	0: "Send msgs at subscription time",
	1: "Send msgs if subscription does not exist",
	2: "Do not send msgs at subscription time",
	3: "Reserved",
}

// reasonNames holds the MQTT 5 reason code names (5.0 §2.4); per-type tables
// pick the codes allowed for each packet type.
var reasonNames = map[uint64]string{
	0x00: "Success", 0x01: "Granted QoS 1", 0x02: "Granted QoS 2", 0x04: "Disconnect with Will Message",
	0x10: "No matching subscribers", 0x11: "No subscription existed", 0x18: "Continue authentication",
	0x19: "Re-authenticate", 0x80: "Unspecified error", 0x81: "Malformed Packet", 0x82: "Protocol Error",
	0x83: "Implementation specific error", 0x84: "Unsupported Protocol Version",
	0x85: "Client Identifier not valid", 0x86: "Bad User Name or Password", 0x87: "Not authorized",
	0x88: "Server unavailable", 0x89: "Server busy", 0x8A: "Banned", 0x8B: "Server shutting down",
	0x8C: "Bad authentication method", 0x8D: "Keep Alive timeout", 0x8E: "Session taken over",
	0x8F: "Topic Filter invalid", 0x90: "Topic Name invalid", 0x91: "Packet Identifier in use",
	0x92: "Packet Identifier not found", 0x93: "Receive Maximum exceeded", 0x94: "Topic Alias invalid",
	0x95: "Packet too large", 0x96: "Message rate too high", 0x97: "Quota exceeded",
	0x98: "Administrative action", 0x99: "Payload format invalid", 0x9A: "Retain not supported",
	0x9B: "QoS not supported", 0x9C: "Use another server", 0x9D: "Server moved",
	0x9E: "Shared Subscription not supported", 0x9F: "Connection rate exceeded",
	0xA0: "Maximum connect time", 0xA1: "Subscription Identifiers not supported",
	0xA2: "Wildcard Subscription not supported",
}

func reasonTable(codes ...uint64) map[uint64]string {
	m := make(map[uint64]string, len(codes))
	for _, c := range codes {
		m[c] = reasonNames[c]
	}
	return m
}

var (
	connackReasons = reasonTable(0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A,
		0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F)
	pubackReasons  = reasonTable(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99)
	pubrelReasons  = reasonTable(0x00, 0x92)
	subackReasons  = reasonTable(0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2)
	unsubackReason = reasonTable(0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91)
	disconnReasons = reasonTable(0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F,
		0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2)
	authReasons = reasonTable(0x00, 0x18, 0x19)
)

func u8(name, abbrev string, labels map[uint64]string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindUint, Labels: labels, Width: 8}
}
func u16(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindUint, Width: 16}
}
func u32(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindUint, Width: 32}
}
func varintF(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindUint, Width: 64, Varint: true}
}
func hex8(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindUint, Base: BaseHex, Bits: 8, Width: 8}
}
func str(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindString}
}
func bytesF(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindBytes}
}
func none(name, abbrev string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindNone}
}
func bit(name, abbrev string, mask uint64) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindBool, Bits: 8, Mask: mask, Width: 8}
}
func bits(name, abbrev string, mask uint64, labels map[uint64]string) *FieldDef {
	return &FieldDef{Name: name, Abbrev: abbrev, Kind: KindUint, Bits: 8, Mask: mask, Labels: labels, Width: 8}
}

// Fixed header.
var (
	fHdrFlags       = hex8("Header Flags", "mqtt.hdrflags")
	fMsgType        = bits("Message Type", "mqtt.msgtype", 0xf0, msgTypeLabels)
	fHdrReserved    = bits("Reserved", "mqtt.hdr_reserved", 0x0f, nil)
	fDup            = bit("DUP Flag", "mqtt.dupflag", 0x08)
	fQoS            = bits("QoS Level", "mqtt.qos", 0x06, qosLabels)
	fRetain         = bit("Retain", "mqtt.retain", 0x01)
	fRetainReserved = bits("Reserved", "mqtt.retain_reserved", 0x01, nil)
	fLen            = varintF("Msg Len", "mqtt.len")
)

// CONNECT.
var (
	fProtoLen    = u16("Protocol Name Length", "mqtt.proto_len")
	fProtoName   = str("Protocol Name", "mqtt.protoname")
	fVer         = u8("Version", "mqtt.ver", versionLabels)
	fConFlags    = hex8("Connect Flags", "mqtt.conflags")
	fCfUname     = bit("User Name Flag", "mqtt.conflag.uname", 0x80)
	fCfPasswd    = bit("Password Flag", "mqtt.conflag.passwd", 0x40)
	fCfRetain    = bit("Will Retain", "mqtt.conflag.retain", 0x20)
	fCfQoS       = bits("QoS Level", "mqtt.conflag.qos", 0x18, qosLabels)
	fCfWill      = bit("Will Flag", "mqtt.conflag.willflag", 0x04)
	fCfClean     = bit("Clean Session Flag", "mqtt.conflag.cleansess", 0x02)
	fCfClean5    = bit("Clean Start Flag", "mqtt.conflag.cleansess", 0x02)
	fCfReserved  = bit("(Reserved)", "mqtt.conflag.reserved", 0x01)
	fKeepAlive   = u16("Keep Alive", "mqtt.kalive")
	fClientIDLen = u16("Client ID Length", "mqtt.clientid_len")
	fClientID    = str("Client ID", "mqtt.clientid")
	fWillTopicLn = u16("Will Topic Length", "mqtt.willtopic_len")
	fWillTopic   = str("Will Topic", "mqtt.willtopic")
	fWillMsgLen  = u16("Will Message Length", "mqtt.willmsg_len")
	fWillMsg     = bytesF("Will Message", "mqtt.willmsg")
	fUserLen     = u16("User Name Length", "mqtt.username_len")
	fUser        = str("User Name", "mqtt.username")
	fPassLen     = u16("Password Length", "mqtt.passwd_len")
	// Wireshark's mqtt.passwd is a string; a binary password keeps its
	// bytes in the string and shows them as hex (connect.go).
	fPass = str("Password", "mqtt.passwd")
)

// CONNACK.
var (
	fAckFlags    = hex8("Acknowledge Flags", "mqtt.conack.flags")
	fAckReserved = bits("Reserved", "mqtt.conack.flags.reserved", 0xfe, nil)
	fAckSP       = bit("Session Present", "mqtt.conack.flags.sp", 0x01)
	// In 3.1 the whole byte is reserved: same field, no mask.
	fAckReserved31 = u8("Reserved", "mqtt.conack.flags.reserved", nil)
	fAckVal        = u8("Return Code", "mqtt.conack.val", connackV3Labels)
)

// Reason codes per packet type (MQTT 5).
var (
	fRcConnack  = u8("Reason Code", "mqtt.connack.reason_code", connackReasons)
	fRcPuback   = u8("Reason Code", "mqtt.puback.reason_code", pubackReasons)
	fRcPubrec   = u8("Reason Code", "mqtt.pubrec.reason_code", pubackReasons)
	fRcPubrel   = u8("Reason Code", "mqtt.pubrel.reason_code", pubrelReasons)
	fRcPubcomp  = u8("Reason Code", "mqtt.pubcomp.reason_code", pubrelReasons)
	fRcSuback   = u8("Reason Code", "mqtt.suback.reason_code", subackReasons)
	fRcUnsuback = u8("Reason Code", "mqtt.unsuback.reason_code", unsubackReason)
	fRcDisconn  = u8("Reason Code", "mqtt.disconnect.reason_code", disconnReasons)
	fRcAuth     = u8("Reason Code", "mqtt.auth.reason_code", authReasons)
)

// PUBLISH, SUBSCRIBE and friends.
var (
	fMsgID     = u16("Message Identifier", "mqtt.msgid")
	fTopicLen  = u16("Topic Length", "mqtt.topic_len")
	fTopic     = str("Topic", "mqtt.topic")
	fMsg       = bytesF("Message", "mqtt.msg")
	fSubQoS    = u8("Requested QoS", "mqtt.sub.qos", qosLabels)
	fSubackQoS = u8("Granted QoS", "mqtt.suback.qos", subackV3Labels)
	fSubOpts   = hex8("Subscription Options", "mqtt.subscription_options")
	fSoQoS     = bits("QoS", "mqtt.subscription_options_qos", 0x03, qosLabels)
	fSoNL      = bit("No Local", "mqtt.subscription_options_nl", 0x04)
	fSoRAP     = bit("Retain As Published", "mqtt.subscription_options_rap", 0x08)
	fSoRH      = bits("Retain Handling", "mqtt.subscription_options_retain", 0x30, retainHandlingLabels)
	fSoRes     = bits("Reserved", "mqtt.subscription_options_reserved", 0xc0, nil)
)

// MQTT 5 properties.
var (
	fProps     = none("Properties", "mqtt.properties")
	fWillProps = none("Will Properties", "mqtt.will_properties")
	fPropLen   = varintF("Total Length", "mqtt.property_len")
	fPropID    = &FieldDef{Name: "ID", Abbrev: "mqtt.property_id", Kind: KindUint, Base: BaseHex, Bits: 8, Width: 8, Labels: propIDLabels}
	fPropNum   = u32("Value", "mqtt.prop_number")
	fPropStrLn = u16("Length", "mqtt.prop_string_len")
	fPropStr   = str("Value", "mqtt.prop_string")
	fPropBinLn = u16("Length", "mqtt.property.binary_len")
	fPropBin   = bytesF("Value", "mqtt.property.binary")
	fPropKeyLn = u16("Key Length", "mqtt.prop_key_len")
	fPropKey   = str("Key", "mqtt.prop_key")
	fPropValLn = u16("Value Length", "mqtt.prop_value_len")
	fPropVal   = str("Value", "mqtt.prop_value")
	fPropUnk   = bytesF("Unknown Property", "mqtt.prop_unknown")
)

// Things Wireshark has no field for.
var (
	fUndecoded  = bytesF("Undecoded bytes", "data.data")
	fTruncated  = none("Malformed Packet", "_ws.malformed")
	fAliasTopic = &FieldDef{Name: "Topic (from alias)", Abbrev: "mqtt.topic", Kind: KindString}
)

// Property wire types (5.0 §2.2.2.2).
type propType uint8

const (
	ptByte propType = iota
	ptU16
	ptU32
	ptVarint
	ptString
	ptBinary
	ptPair
)

// Where a property may appear, as a bit set over packet types; willBit is
// the Will Properties of CONNECT.
const willBit = 1 << 16

type propSpec struct {
	id      uint8
	name    string
	typ     propType
	allowed uint32 // 1<<packet type, | willBit
	multi   bool   // may appear more than once
	def     *FieldDef
}

func pt(types ...int) uint32 {
	var m uint32
	for _, t := range types {
		m |= 1 << uint(t)
	}
	return m
}

var propIDLabels = map[uint64]string{}

var propSpecs = func() map[uint8]*propSpec {
	list := []*propSpec{
		{0x01, "Payload Format Indicator", ptByte, pt(TypePublish) | willBit, false, nil},
		{0x02, "Message Expiry Interval", ptU32, pt(TypePublish) | willBit, false, nil},
		{0x03, "Content Type", ptString, pt(TypePublish) | willBit, false, nil},
		{0x08, "Response Topic", ptString, pt(TypePublish) | willBit, false, nil},
		{0x09, "Correlation Data", ptBinary, pt(TypePublish) | willBit, false, nil},
		{0x0B, "Subscription Identifier", ptVarint, pt(TypePublish, TypeSubscribe), true, nil},
		{0x11, "Session Expiry Interval", ptU32, pt(TypeConnect, TypeConnack, TypeDisconnect), false, nil},
		{0x12, "Assigned Client Identifier", ptString, pt(TypeConnack), false, nil},
		{0x13, "Server Keep Alive", ptU16, pt(TypeConnack), false, nil},
		{0x15, "Authentication Method", ptString, pt(TypeConnect, TypeConnack, TypeAuth), false, nil},
		{0x16, "Authentication Data", ptBinary, pt(TypeConnect, TypeConnack, TypeAuth), false, nil},
		{0x17, "Request Problem Information", ptByte, pt(TypeConnect), false, nil},
		{0x18, "Will Delay Interval", ptU32, willBit, false, nil},
		{0x19, "Request Response Information", ptByte, pt(TypeConnect), false, nil},
		{0x1A, "Response Information", ptString, pt(TypeConnack), false, nil},
		{0x1C, "Server Reference", ptString, pt(TypeConnack, TypeDisconnect), false, nil},
		{0x1F, "Reason String", ptString, pt(TypeConnack, TypePuback, TypePubrec, TypePubrel, TypePubcomp,
			TypeSuback, TypeUnsuback, TypeDisconnect, TypeAuth), false, nil},
		{0x21, "Receive Maximum", ptU16, pt(TypeConnect, TypeConnack), false, nil},
		{0x22, "Topic Alias Maximum", ptU16, pt(TypeConnect, TypeConnack), false, nil},
		{0x23, "Topic Alias", ptU16, pt(TypePublish), false, nil},
		{0x24, "Maximum QoS", ptByte, pt(TypeConnack), false, nil},
		{0x25, "Retain Available", ptByte, pt(TypeConnack), false, nil},
		{0x26, "User Property", ptPair, pt(TypeConnect, TypeConnack, TypePublish, TypePuback, TypePubrec,
			TypePubrel, TypePubcomp, TypeSubscribe, TypeSuback, TypeUnsubscribe, TypeUnsuback,
			TypeDisconnect, TypeAuth) | willBit, true, nil},
		{0x27, "Maximum Packet Size", ptU32, pt(TypeConnect, TypeConnack), false, nil},
		{0x28, "Wildcard Subscription Available", ptByte, pt(TypeConnack), false, nil},
		{0x29, "Subscription Identifier Available", ptByte, pt(TypeConnack), false, nil},
		{0x2A, "Shared Subscription Available", ptByte, pt(TypeConnack), false, nil},
	}
	m := make(map[uint8]*propSpec, len(list))
	for _, p := range list {
		abbrev := "mqtt.property." + snake(p.name)
		switch p.id { // Wireshark already has these three
		case 0x03:
			abbrev = "mqtt.property.content_type"
		case 0x23:
			abbrev = "mqtt.property.topic_alias"
		case 0x24:
			abbrev = "mqtt.property.max_qos"
		}
		d := &FieldDef{Name: p.name, Abbrev: abbrev}
		switch p.typ {
		case ptString:
			d.Kind = KindString
		case ptBinary:
			d.Kind = KindBytes
		case ptPair:
			d.Kind = KindString
		case ptByte:
			d.Kind, d.Width = KindUint, 8
		case ptU16:
			d.Kind, d.Width = KindUint, 16
		case ptU32:
			d.Kind, d.Width = KindUint, 32
		case ptVarint:
			d.Kind, d.Width, d.Varint = KindUint, 64, true
		}
		if p.id == 0x24 {
			d.Labels = qosLabels
		}
		p.def = d
		m[p.id] = p
		propIDLabels[uint64(p.id)] = p.name
	}
	return m
}()

func snake(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b = append(b, '_')
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
