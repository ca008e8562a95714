package mqttenc

// Subscription is one topic filter of a SUBSCRIBE with its options. In 3.x
// only QoS is defined; the other options land in bits that must be 0.
type Subscription struct {
	Filter            string
	QoS               byte
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte
	Reserved          byte // bits 6-7 (must be 0)
}

// Options is the subscription options byte (the requested QoS byte in 3.x).
func (s Subscription) Options() byte {
	return s.QoS&3 | boolBit(s.NoLocal, 0x04) | boolBit(s.RetainAsPublished, 0x08) |
		(s.RetainHandling&3)<<4 | (s.Reserved&3)<<6
}

// Subscribe is a SUBSCRIBE.
type Subscribe struct {
	Version    Version
	PacketID   uint16
	Properties []Property // 5.0 only
	Subs       []Subscription
}

// EncodeSubscribe builds a SUBSCRIBE (fixed-header flags 0010).
func EncodeSubscribe(s Subscribe) []byte {
	b := appendU16(nil, s.PacketID)
	if s.Version == V5 {
		b = appendProps(b, s.Properties)
	}
	for _, sub := range s.Subs {
		b = append(appendStr(b, sub.Filter), sub.Options())
	}
	return Raw(TypeSubscribe, 0x2, b)
}

// Suback is a SUBACK: Codes are granted QoS values / 0x80 in 3.x, reason
// codes in 5.0.
type Suback struct {
	Version    Version
	PacketID   uint16
	Properties []Property // 5.0 only
	Codes      []byte
}

// EncodeSuback builds a SUBACK.
func EncodeSuback(s Suback) []byte {
	b := appendU16(nil, s.PacketID)
	if s.Version == V5 {
		b = appendProps(b, s.Properties)
	}
	return Raw(TypeSuback, 0, append(b, s.Codes...))
}

// Unsubscribe is an UNSUBSCRIBE.
type Unsubscribe struct {
	Version    Version
	PacketID   uint16
	Properties []Property // 5.0 only
	Filters    []string
}

// EncodeUnsubscribe builds an UNSUBSCRIBE (fixed-header flags 0010).
func EncodeUnsubscribe(u Unsubscribe) []byte {
	b := appendU16(nil, u.PacketID)
	if u.Version == V5 {
		b = appendProps(b, u.Properties)
	}
	for _, f := range u.Filters {
		b = appendStr(b, f)
	}
	return Raw(TypeUnsubscribe, 0x2, b)
}

// Unsuback is an UNSUBACK. 3.x carries only the packet id; Properties and
// Codes are written in 5.0 only.
type Unsuback struct {
	Version    Version
	PacketID   uint16
	Properties []Property
	Codes      []byte
}

// EncodeUnsuback builds an UNSUBACK.
func EncodeUnsuback(u Unsuback) []byte {
	b := appendU16(nil, u.PacketID)
	if u.Version == V5 {
		b = append(appendProps(b, u.Properties), u.Codes...)
	}
	return Raw(TypeUnsuback, 0, b)
}
