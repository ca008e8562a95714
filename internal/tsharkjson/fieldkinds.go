package tsharkjson

// Kind is how a field's value is compared.
type Kind uint8

const (
	KindUnknown Kind = iota // not in Wireshark's table: compared as text
	KindUint                // numbers, printed "17" or "0x11"
	KindBool                // flags, printed "1"/"0" (older tshark: "True"/"False")
	KindString              // UTF-8 text
	KindBytes               // binary, printed "74:65:73:74"
	KindNone                // labels and containers: no value
)

// KindOf returns the kind of a Wireshark MQTT field. Abbreviations outside
// Wireshark's table (mqttdump's mqtt.property.* names) are KindUnknown.
func KindOf(abbrev string) Kind { return fieldKinds[abbrev] }

// fieldKinds is Wireshark 4.0's MQTT field table
// (shared/reference/tshark-mqtt-fields.txt): FT_UINT* -> uint,
// FT_BOOLEAN -> bool, FT_STRING/FT_UINT_STRING -> string, FT_BYTES -> bytes.
var fieldKinds = map[string]Kind{
	"mqtt.len":                           KindUint,
	"mqtt.hdrflags":                      KindUint,
	"mqtt.msgtype":                       KindUint,
	"mqtt.hdr_reserved":                  KindUint,
	"mqtt.retain_reserved":               KindUint,
	"mqtt.dupflag":                       KindBool,
	"mqtt.qos":                           KindUint,
	"mqtt.retain":                        KindBool,
	"mqtt.conack.flags.reserved":         KindBool,
	"mqtt.conack.flags":                  KindUint,
	"mqtt.conack.flags.sp":               KindBool,
	"mqtt.conack.val":                    KindUint,
	"mqtt.msgid":                         KindUint,
	"mqtt.sub.qos":                       KindUint,
	"mqtt.suback.qos":                    KindUint,
	"mqtt.topic_len":                     KindUint,
	"mqtt.topic":                         KindString,
	"mqtt.willtopic_len":                 KindUint,
	"mqtt.willtopic":                     KindString,
	"mqtt.willmsg":                       KindBytes,
	"mqtt.willmsg_text":                  KindString,
	"mqtt.willmsg_len":                   KindUint,
	"mqtt.username_len":                  KindUint,
	"mqtt.username":                      KindString,
	"mqtt.passwd_len":                    KindUint,
	"mqtt.passwd":                        KindString,
	"mqtt.msg":                           KindBytes,
	"mqtt.msg_text":                      KindString,
	"mqtt.msg_decoded_as":                KindString,
	"mqtt.proto_len":                     KindUint,
	"mqtt.protoname":                     KindString,
	"mqtt.clientid_len":                  KindUint,
	"mqtt.clientid":                      KindString,
	"mqtt.ver":                           KindUint,
	"mqtt.conflags":                      KindUint,
	"mqtt.conflag.uname":                 KindBool,
	"mqtt.conflag.passwd":                KindBool,
	"mqtt.conflag.retain":                KindBool,
	"mqtt.conflag.qos":                   KindUint,
	"mqtt.conflag.willflag":              KindBool,
	"mqtt.conflag.cleansess":             KindBool,
	"mqtt.conflag.reserved":              KindBool,
	"mqtt.kalive":                        KindUint,
	"mqtt.subscription_options":          KindUint,
	"mqtt.subscription_options_qos":      KindUint,
	"mqtt.subscription_options_nl":       KindBool,
	"mqtt.subscription_options_rap":      KindBool,
	"mqtt.subscription_options_retain":   KindUint,
	"mqtt.subscription_options_reserved": KindUint,
	"mqtt.connack.reason_code":           KindUint,
	"mqtt.puback.reason_code":            KindUint,
	"mqtt.pubrec.reason_code":            KindUint,
	"mqtt.pubrel.reason_code":            KindUint,
	"mqtt.pubcomp.reason_code":           KindUint,
	"mqtt.suback.reason_code":            KindUint,
	"mqtt.unsuback.reason_code":          KindUint,
	"mqtt.disconnect.reason_code":        KindUint,
	"mqtt.auth.reason_code":              KindUint,
	"mqtt.properties":                    KindNone,
	"mqtt.will_properties":               KindNone,
	"mqtt.property_len":                  KindUint,
	"mqtt.property_id":                   KindUint,
	"mqtt.prop_number":                   KindUint,
	"mqtt.property.content_type":         KindString,
	"mqtt.property.max_qos":              KindUint,
	"mqtt.property.topic_alias":          KindUint,
	"mqtt.prop_unknown":                  KindString,
	"mqtt.prop_string_len":               KindUint,
	"mqtt.prop_string":                   KindString,
	"mqtt.prop_key_len":                  KindUint,
	"mqtt.prop_key":                      KindString,
	"mqtt.prop_value_len":                KindUint,
	"mqtt.prop_value":                    KindString,
	"mqtt.illegal_topic_length":          KindNone,
	"mqtt.unknown_version":               KindNone,
	"mqtt.unknown_topic_alias":           KindNone,
}
