package mqttenc

// Publish is a PUBLISH. PacketID is written only when QoS > 0; QoS 3 is
// written as given (invalid).
type Publish struct {
	Version    Version
	Dup        bool
	QoS        byte
	Retain     bool
	Topic      string
	PacketID   uint16
	Properties []Property // 5.0 only
	Payload    []byte
}

// EncodePublish builds a PUBLISH.
func EncodePublish(p Publish) []byte {
	flags := boolBit(p.Dup, 0x08) | (p.QoS&3)<<1 | boolBit(p.Retain, 0x01)
	b := appendStr(nil, p.Topic)
	if p.QoS > 0 {
		b = appendU16(b, p.PacketID)
	}
	if p.Version == V5 {
		b = appendProps(b, p.Properties)
	}
	return Raw(TypePublish, flags, append(b, p.Payload...))
}

// Ack is PUBACK, PUBREC, PUBREL or PUBCOMP. In 5.0 the shortest legal form
// is written unless Full is set: the packet id alone when Reason is 0 and
// there are no properties, the id and reason code when there are no
// properties.
type Ack struct {
	Version    Version
	PacketID   uint16
	Reason     byte       // 5.0 only
	Properties []Property // 5.0 only
	Full       bool       // 5.0: always write reason code and property length
}

func encodeAck(typ, flags byte, a Ack) []byte {
	b := appendU16(nil, a.PacketID)
	if a.Version == V5 {
		b = appendReasonProps(b, a.Reason, a.Properties, a.Full)
	}
	return Raw(typ, flags, b)
}

// appendReasonProps writes the 5.0 reason code and properties in their
// shortest legal form unless full is set.
func appendReasonProps(b []byte, reason byte, props []Property, full bool) []byte {
	switch {
	case full || len(props) > 0:
		return appendProps(append(b, reason), props)
	case reason != 0:
		return append(b, reason)
	}
	return b
}

// EncodePuback builds a PUBACK.
func EncodePuback(a Ack) []byte { return encodeAck(TypePuback, 0, a) }

// EncodePubrec builds a PUBREC.
func EncodePubrec(a Ack) []byte { return encodeAck(TypePubrec, 0, a) }

// EncodePubrel builds a PUBREL (fixed-header flags 0010).
func EncodePubrel(a Ack) []byte { return encodeAck(TypePubrel, 0x2, a) }

// EncodePubcomp builds a PUBCOMP.
func EncodePubcomp(a Ack) []byte { return encodeAck(TypePubcomp, 0, a) }
