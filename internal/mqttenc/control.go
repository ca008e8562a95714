package mqttenc

// EncodePingreq builds a PINGREQ.
func EncodePingreq() []byte { return Raw(TypePingreq, 0, nil) }

// EncodePingresp builds a PINGRESP.
func EncodePingresp() []byte { return Raw(TypePingresp, 0, nil) }

// Disconnect is a DISCONNECT. 3.x has no body. In 5.0 the shortest legal
// form is written unless Full is set: nothing when Reason is 0 and there
// are no properties, the reason code alone when there are no properties.
type Disconnect struct {
	Version    Version
	Reason     byte
	Properties []Property
	Full       bool
}

// EncodeDisconnect builds a DISCONNECT.
func EncodeDisconnect(d Disconnect) []byte {
	var b []byte
	if d.Version == V5 {
		b = appendReasonProps(nil, d.Reason, d.Properties, d.Full)
	}
	return Raw(TypeDisconnect, 0, b)
}

// Auth is an AUTH (5.0 only), written in its shortest legal form unless
// Full is set, as Disconnect.
type Auth struct {
	Reason     byte
	Properties []Property
	Full       bool
}

// EncodeAuth builds an AUTH.
func EncodeAuth(a Auth) []byte {
	return Raw(TypeAuth, 0, appendReasonProps(nil, a.Reason, a.Properties, a.Full))
}
