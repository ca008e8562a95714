package mqttenc

// Connect is a CONNECT packet. Optional fields are present when non-nil,
// and their presence sets the matching connect flag.
type Connect struct {
	Version Version
	// ProtocolName defaults to "MQIsdp" for 3.1 and "MQTT" otherwise.
	ProtocolName string
	// Level defaults to Version; set it to write another protocol level.
	Level      byte
	CleanStart bool // "Clean Session" in 3.x
	// ReservedFlag sets connect flag bit 0, which must be 0 (MQTT-3.1.2-3).
	ReservedFlag bool
	KeepAlive    uint16
	Properties   []Property // 5.0 only
	ClientID     string
	Will         *Will
	Username     []byte // nil: no user name flag
	Password     []byte // nil: no password flag
}

// Will is the will message of a CONNECT.
type Will struct {
	QoS        byte
	Retain     bool
	Properties []Property // 5.0 only
	Topic      string
	Payload    []byte
}

// Flags is the connect flags byte as Connect writes it.
func (c Connect) Flags() byte {
	f := boolBit(c.Username != nil, 0x80) | boolBit(c.Password != nil, 0x40) |
		boolBit(c.CleanStart, 0x02) | boolBit(c.ReservedFlag, 0x01)
	if c.Will != nil {
		f |= boolBit(c.Will.Retain, 0x20) | (c.Will.QoS&3)<<3 | 0x04
	}
	return f
}

// EncodeConnect builds a CONNECT.
func EncodeConnect(c Connect) []byte {
	name, level := c.ProtocolName, c.Level
	if name == "" {
		name = "MQTT"
		if c.Version == V31 {
			name = "MQIsdp"
		}
	}
	if level == 0 {
		level = byte(c.Version)
	}
	b := appendStr(nil, name)
	b = append(b, level, c.Flags())
	b = appendU16(b, c.KeepAlive)
	if c.Version == V5 {
		b = appendProps(b, c.Properties)
	}
	b = appendStr(b, c.ClientID)
	if w := c.Will; w != nil {
		if c.Version == V5 {
			b = appendProps(b, w.Properties)
		}
		b = appendStr(b, w.Topic)
		b = appendBin(b, w.Payload)
	}
	if c.Username != nil {
		b = appendBin(b, c.Username)
	}
	if c.Password != nil {
		b = appendBin(b, c.Password)
	}
	return Raw(TypeConnect, 0, b)
}

// Connack is a CONNACK. Code is the 3.x return code or the 5.0 reason code.
type Connack struct {
	Version        Version
	SessionPresent bool // 3.1.1 and 5.0; the byte is reserved in 3.1
	// ReservedFlags are OR'd into the acknowledge flags (bits 1-7 must be 0).
	ReservedFlags byte
	Code          byte
	Properties    []Property // 5.0 only
}

// EncodeConnack builds a CONNACK.
func EncodeConnack(c Connack) []byte {
	b := []byte{boolBit(c.SessionPresent, 0x01) | c.ReservedFlags, c.Code}
	if c.Version == V5 {
		b = appendProps(b, c.Properties)
	}
	return Raw(TypeConnack, 0, b)
}
