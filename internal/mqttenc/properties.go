package mqttenc

// Property is one MQTT 5 property: its identifier and its value exactly as
// on the wire after the identifier. The constructors below give the right
// wire type; the generic ones (PropByte ... PropPair) build anything,
// including wrong types for negative tests.
type Property struct {
	ID    byte
	Value []byte
}

// WireType is a property value's encoding (5.0 §2.2.2.2).
type WireType uint8

const (
	WireByte WireType = iota + 1
	WireU16
	WireU32
	WireVarint
	WireString
	WireBinary
	WirePair
)

// Property identifiers (5.0 §2.2.2.2).
const (
	PropPayloadFormatIndicator          = 0x01
	PropMessageExpiryInterval           = 0x02
	PropContentType                     = 0x03
	PropResponseTopic                   = 0x08
	PropCorrelationData                 = 0x09
	PropSubscriptionIdentifier          = 0x0B
	PropSessionExpiryInterval           = 0x11
	PropAssignedClientIdentifier        = 0x12
	PropServerKeepAlive                 = 0x13
	PropAuthenticationMethod            = 0x15
	PropAuthenticationData              = 0x16
	PropRequestProblemInformation       = 0x17
	PropWillDelayInterval               = 0x18
	PropRequestResponseInformation      = 0x19
	PropResponseInformation             = 0x1A
	PropServerReference                 = 0x1C
	PropReasonString                    = 0x1F
	PropReceiveMaximum                  = 0x21
	PropTopicAliasMaximum               = 0x22
	PropTopicAlias                      = 0x23
	PropMaximumQoS                      = 0x24
	PropRetainAvailable                 = 0x25
	PropUserProperty                    = 0x26
	PropMaximumPacketSize               = 0x27
	PropWildcardSubscriptionAvailable   = 0x28
	PropSubscriptionIdentifierAvailable = 0x29
	PropSharedSubscriptionAvailable     = 0x2A
)

// PropertyWireTypes maps each of the 27 property identifiers to its wire type.
func PropertyWireTypes() map[byte]WireType {
	return map[byte]WireType{
		0x01: WireByte, 0x02: WireU32, 0x03: WireString, 0x08: WireString, 0x09: WireBinary,
		0x0B: WireVarint, 0x11: WireU32, 0x12: WireString, 0x13: WireU16, 0x15: WireString,
		0x16: WireBinary, 0x17: WireByte, 0x18: WireU32, 0x19: WireByte, 0x1A: WireString,
		0x1C: WireString, 0x1F: WireString, 0x21: WireU16, 0x22: WireU16, 0x23: WireU16,
		0x24: WireByte, 0x25: WireByte, 0x26: WirePair, 0x27: WireU32, 0x28: WireByte,
		0x29: WireByte, 0x2A: WireByte,
	}
}

// Generic constructors: any identifier with a value of the named wire type.
func PropByte(id, v byte) Property       { return Property{id, []byte{v}} }
func PropU16(id byte, v uint16) Property { return Property{id, appendU16(nil, v)} }
func PropU32(id byte, v uint32) Property { return Property{id, appendU32(nil, v)} }
func PropVarint(id byte, v uint32) Property {
	return Property{id, AppendVarint(nil, v)}
}
func PropString(id byte, s string) Property { return Property{id, appendStr(nil, s)} }
func PropBinary(id byte, b []byte) Property { return Property{id, appendBin(nil, b)} }
func PropPair(id byte, k, v string) Property {
	return Property{id, appendStr(appendStr(nil, k), v)}
}

// One constructor per property, named as in the specification.
func PayloadFormatIndicator(v byte) Property   { return PropByte(PropPayloadFormatIndicator, v) }
func MessageExpiryInterval(s uint32) Property  { return PropU32(PropMessageExpiryInterval, s) }
func ContentType(s string) Property            { return PropString(PropContentType, s) }
func ResponseTopic(s string) Property          { return PropString(PropResponseTopic, s) }
func CorrelationData(b []byte) Property        { return PropBinary(PropCorrelationData, b) }
func SubscriptionIdentifier(v uint32) Property { return PropVarint(PropSubscriptionIdentifier, v) }
func SessionExpiryInterval(s uint32) Property  { return PropU32(PropSessionExpiryInterval, s) }
func AssignedClientIdentifier(s string) Property {
	return PropString(PropAssignedClientIdentifier, s)
}
func ServerKeepAlive(s uint16) Property          { return PropU16(PropServerKeepAlive, s) }
func AuthenticationMethod(s string) Property     { return PropString(PropAuthenticationMethod, s) }
func AuthenticationData(b []byte) Property       { return PropBinary(PropAuthenticationData, b) }
func RequestProblemInformation(v byte) Property  { return PropByte(PropRequestProblemInformation, v) }
func WillDelayInterval(s uint32) Property        { return PropU32(PropWillDelayInterval, s) }
func RequestResponseInformation(v byte) Property { return PropByte(PropRequestResponseInformation, v) }
func ResponseInformation(s string) Property      { return PropString(PropResponseInformation, s) }
func ServerReference(s string) Property          { return PropString(PropServerReference, s) }
func ReasonString(s string) Property             { return PropString(PropReasonString, s) }
func ReceiveMaximum(n uint16) Property           { return PropU16(PropReceiveMaximum, n) }
func TopicAliasMaximum(n uint16) Property        { return PropU16(PropTopicAliasMaximum, n) }
func TopicAlias(n uint16) Property               { return PropU16(PropTopicAlias, n) }
func MaximumQoS(q byte) Property                 { return PropByte(PropMaximumQoS, q) }
func RetainAvailable(v byte) Property            { return PropByte(PropRetainAvailable, v) }
func UserProperty(k, v string) Property          { return PropPair(PropUserProperty, k, v) }
func MaximumPacketSize(n uint32) Property        { return PropU32(PropMaximumPacketSize, n) }
func WildcardSubscriptionAvailable(v byte) Property {
	return PropByte(PropWildcardSubscriptionAvailable, v)
}
func SubscriptionIdentifierAvailable(v byte) Property {
	return PropByte(PropSubscriptionIdentifierAvailable, v)
}
func SharedSubscriptionAvailable(v byte) Property {
	return PropByte(PropSharedSubscriptionAvailable, v)
}

// appendProps appends the property length (variable byte integer) and the
// properties.
func appendProps(b []byte, props []Property) []byte {
	n := 0
	for _, p := range props {
		n += 1 + len(p.Value)
	}
	b = AppendVarint(b, uint32(n))
	for _, p := range props {
		b = append(append(b, p.ID), p.Value...)
	}
	return b
}
