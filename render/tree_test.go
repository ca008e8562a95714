package render

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

// Hand-built field definitions: the dissector's table is unexported, and
// these tests must not depend on it anyway.
var (
	tQoSLabels = map[uint64]string{
		0: "At most once delivery (Fire and Forget)",
		1: "At least once delivery (Acknowledged deliver)",
		2: "Exactly once delivery (Assured Delivery)",
	}
	tTypeLabels = map[uint64]string{1: "Connect Command", 3: "Publish Message"}

	dHdrFlags   = &dissect.FieldDef{Name: "Header Flags", Abbrev: "mqtt.hdrflags", Kind: dissect.KindUint, Base: dissect.BaseHex, Bits: 8}
	dMsgType    = &dissect.FieldDef{Name: "Message Type", Abbrev: "mqtt.msgtype", Kind: dissect.KindUint, Bits: 8, Mask: 0xf0, Labels: tTypeLabels}
	dHdrRes     = &dissect.FieldDef{Name: "Reserved", Abbrev: "mqtt.hdr_reserved", Kind: dissect.KindUint, Bits: 8, Mask: 0x0f}
	dDup        = &dissect.FieldDef{Name: "DUP Flag", Abbrev: "mqtt.dupflag", Kind: dissect.KindBool, Bits: 8, Mask: 0x08}
	dQoS        = &dissect.FieldDef{Name: "QoS Level", Abbrev: "mqtt.qos", Kind: dissect.KindUint, Bits: 8, Mask: 0x06, Labels: tQoSLabels}
	dRetain     = &dissect.FieldDef{Name: "Retain", Abbrev: "mqtt.retain", Kind: dissect.KindBool, Bits: 8, Mask: 0x01}
	dLen        = &dissect.FieldDef{Name: "Msg Len", Abbrev: "mqtt.len", Kind: dissect.KindUint}
	dProtoLen   = &dissect.FieldDef{Name: "Protocol Name Length", Abbrev: "mqtt.proto_len", Kind: dissect.KindUint}
	dProtoName  = &dissect.FieldDef{Name: "Protocol Name", Abbrev: "mqtt.protoname", Kind: dissect.KindString}
	dVer        = &dissect.FieldDef{Name: "Version", Abbrev: "mqtt.ver", Kind: dissect.KindUint, Labels: map[uint64]string{4: "MQTT v3.1.1"}}
	dConFlags   = &dissect.FieldDef{Name: "Connect Flags", Abbrev: "mqtt.conflags", Kind: dissect.KindUint, Base: dissect.BaseHex, Bits: 8}
	dCfUname    = &dissect.FieldDef{Name: "User Name Flag", Abbrev: "mqtt.conflag.uname", Kind: dissect.KindBool, Bits: 8, Mask: 0x80}
	dCfPasswd   = &dissect.FieldDef{Name: "Password Flag", Abbrev: "mqtt.conflag.passwd", Kind: dissect.KindBool, Bits: 8, Mask: 0x40}
	dCfRetain   = &dissect.FieldDef{Name: "Will Retain", Abbrev: "mqtt.conflag.retain", Kind: dissect.KindBool, Bits: 8, Mask: 0x20}
	dCfQoS      = &dissect.FieldDef{Name: "QoS Level", Abbrev: "mqtt.conflag.qos", Kind: dissect.KindUint, Bits: 8, Mask: 0x18, Labels: tQoSLabels}
	dCfWill     = &dissect.FieldDef{Name: "Will Flag", Abbrev: "mqtt.conflag.willflag", Kind: dissect.KindBool, Bits: 8, Mask: 0x04}
	dCfClean    = &dissect.FieldDef{Name: "Clean Session Flag", Abbrev: "mqtt.conflag.cleansess", Kind: dissect.KindBool, Bits: 8, Mask: 0x02}
	dCfRes      = &dissect.FieldDef{Name: "(Reserved)", Abbrev: "mqtt.conflag.reserved", Kind: dissect.KindBool, Bits: 8, Mask: 0x01}
	dKeepAlive  = &dissect.FieldDef{Name: "Keep Alive", Abbrev: "mqtt.kalive", Kind: dissect.KindUint}
	dClientLen  = &dissect.FieldDef{Name: "Client ID Length", Abbrev: "mqtt.clientid_len", Kind: dissect.KindUint}
	dClientID   = &dissect.FieldDef{Name: "Client ID", Abbrev: "mqtt.clientid", Kind: dissect.KindString}
	dUserLen    = &dissect.FieldDef{Name: "User Name Length", Abbrev: "mqtt.username_len", Kind: dissect.KindUint}
	dUser       = &dissect.FieldDef{Name: "User Name", Abbrev: "mqtt.username", Kind: dissect.KindString}
	dPassLen    = &dissect.FieldDef{Name: "Password Length", Abbrev: "mqtt.passwd_len", Kind: dissect.KindUint}
	dPass       = &dissect.FieldDef{Name: "Password", Abbrev: "mqtt.passwd", Kind: dissect.KindString}
	dTopicLen   = &dissect.FieldDef{Name: "Topic Length", Abbrev: "mqtt.topic_len", Kind: dissect.KindUint}
	dTopic      = &dissect.FieldDef{Name: "Topic", Abbrev: "mqtt.topic", Kind: dissect.KindString}
	dAliasTopic = &dissect.FieldDef{Name: "Topic (from alias)", Abbrev: "mqtt.topic", Kind: dissect.KindString}
	dMsgID      = &dissect.FieldDef{Name: "Message Identifier", Abbrev: "mqtt.msgid", Kind: dissect.KindUint}
	dMsg        = &dissect.FieldDef{Name: "Message", Abbrev: "mqtt.msg", Kind: dissect.KindBytes}
	dProps      = &dissect.FieldDef{Name: "Properties", Abbrev: "mqtt.properties", Kind: dissect.KindNone}
	dPropLen    = &dissect.FieldDef{Name: "Total Length", Abbrev: "mqtt.property_len", Kind: dissect.KindUint}
	dPropID     = &dissect.FieldDef{Name: "ID", Abbrev: "mqtt.property_id", Kind: dissect.KindUint, Base: dissect.BaseHex, Bits: 8, Labels: map[uint64]string{0x23: "Topic Alias"}}
	dPropAlias  = &dissect.FieldDef{Name: "Topic Alias", Abbrev: "mqtt.property.topic_alias", Kind: dissect.KindUint}
	dTopicAlias = &dissect.FieldDef{Name: "Topic Alias", Abbrev: "mqtt.property.topic_alias", Kind: dissect.KindNone}
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// leaf builds a node over raw[off:off+n].
func leaf(d *dissect.FieldDef, off, n int, v any, kids ...*dissect.Node) *dissect.Node {
	return &dissect.Node{Def: d, Offset: off, Length: n, Value: v, Children: kids}
}

func bitNode(d *dissect.FieldDef, off int, v any) *dissect.Node {
	return &dissect.Node{Def: d, Offset: off, Length: 1, Value: v}
}

// connectExample is the seed packet of DESIGN.md, dissected by hand.
func connectExample(t testing.TB) *dissect.Packet {
	raw := mustHex(t, "10 26 00 04 4D 51 54 54 04 C2 00 3C 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6D 69 6E 00 08 70 61 73 73 77 6F 72 64")
	hdr := leaf(dHdrFlags, 0, 1, uint64(0x10),
		bitNode(dMsgType, 0, uint64(1)),
		bitNode(dHdrRes, 0, uint64(0)))
	hdr.Show = "0x10, Message Type: Connect Command"
	flags := leaf(dConFlags, 9, 1, uint64(0xc2),
		bitNode(dCfUname, 9, true),
		bitNode(dCfPasswd, 9, true),
		bitNode(dCfRetain, 9, false),
		bitNode(dCfQoS, 9, uint64(0)),
		bitNode(dCfWill, 9, false),
		bitNode(dCfClean, 9, true),
		bitNode(dCfRes, 9, false))
	flags.Show = "0xc2, User Name Flag, Password Flag, Clean Session Flag"
	return &dissect.Packet{
		Raw: raw, Type: dissect.TypeConnect, Version: dissect.V311, VersionSource: dissect.SourceConnect,
		RemainingLength: 38, PacketID: -1, Reason: -1, Info: "Connect Command", ClientID: "123456789",
		Fields: []*dissect.Node{
			hdr,
			leaf(dLen, 1, 1, uint64(38)),
			leaf(dProtoLen, 2, 2, uint64(4)),
			leaf(dProtoName, 4, 4, "MQTT"),
			leaf(dVer, 8, 1, uint64(4)),
			flags,
			leaf(dKeepAlive, 10, 2, uint64(60)),
			leaf(dClientLen, 12, 2, uint64(9)),
			leaf(dClientID, 14, 9, "123456789"),
			leaf(dUserLen, 23, 2, uint64(5)),
			leaf(dUser, 25, 5, "admin"),
			leaf(dPassLen, 30, 2, uint64(8)),
			leaf(dPass, 32, 8, "password"),
		},
	}
}

// publishExample is a QoS 1 retained PUBLISH whose 40-byte payload needs
// continuation rows.
func publishExample(t testing.TB) *dissect.Packet {
	payload := `{"temp":21.5,"unit":"C","ts":1700000000}`
	raw := append(mustHex(t, "33 32 00 06 74 65 73 74 2f 61 00 01"), payload...)
	raw[1] = byte(len(raw) - 2)
	hdr := leaf(dHdrFlags, 0, 1, uint64(0x33),
		bitNode(dMsgType, 0, uint64(3)),
		bitNode(dDup, 0, false),
		bitNode(dQoS, 0, uint64(1)),
		bitNode(dRetain, 0, true))
	hdr.Show = "0x33, Message Type: Publish Message, QoS Level: At least once delivery (Acknowledged deliver), Retain"
	return &dissect.Packet{
		Raw: raw, Type: dissect.TypePublish, Flags: 3, Version: dissect.V311, VersionSource: dissect.SourceConnect,
		RemainingLength: len(raw) - 2, PacketID: 1, QoS: 1, Retain: true, Topic: "test/a", Reason: -1,
		Payload: len(payload), Info: "Publish Message (id=1) [test/a]",
		Fields: []*dissect.Node{
			hdr,
			leaf(dLen, 1, 1, uint64(len(raw)-2)),
			leaf(dTopicLen, 2, 2, uint64(6)),
			leaf(dTopic, 4, 6, "test/a"),
			leaf(dMsgID, 10, 2, uint64(1)),
			leaf(dMsg, 12, len(payload), []byte(payload)),
		},
	}
}

// publish5Example is an MQTT 5 PUBLISH that uses a topic alias: a
// properties container, a generated topic and a note.
func publish5Example(t testing.TB) *dissect.Packet {
	raw := mustHex(t, "30 0a 00 00 03 23 00 07 01 02 03 04")
	alias := &dissect.Node{Def: dTopicAlias, Offset: 5, Length: 3, PropID: 0x23, Children: []*dissect.Node{
		leaf(dPropID, 5, 1, uint64(0x23)),
		leaf(dPropAlias, 6, 2, uint64(7)),
	}}
	props := &dissect.Node{Def: dProps, Offset: 4, Length: 4, Children: []*dissect.Node{
		leaf(dPropLen, 4, 1, uint64(3)),
		alias,
	}}
	gen := &dissect.Node{Def: dAliasTopic, Offset: 2, Value: "sensors/\x1b[31mred", Generated: true,
		Expert: []*dissect.Expert{{Severity: dissect.SevNote, Message: "Topic resolved from alias 7", Offset: 6, Length: 2}}}
	return &dissect.Packet{
		Raw: raw, Type: dissect.TypePublish, Version: dissect.V5, VersionSource: dissect.SourceGuess,
		RemainingLength: 10, PacketID: -1, Reason: -1, Payload: 4, Topic: "sensors/\x1b[31mred",
		Info: "Publish Message [sensors/\x1b[31mred]",
		Fields: []*dissect.Node{
			leaf(dHdrFlags, 0, 1, uint64(0x30), bitNode(dMsgType, 0, uint64(3)), bitNode(dDup, 0, false), bitNode(dQoS, 0, uint64(0)), bitNode(dRetain, 0, false)),
			leaf(dLen, 1, 1, uint64(10)),
			leaf(dTopicLen, 2, 2, uint64(0)),
			leaf(dTopic, 4, 0, ""),
			gen,
			props,
			leaf(dMsg, 8, 4, []byte{1, 2, 3, 4}),
		},
	}
}

// malformedExample is a CONNECT cut short, with findings at several levels.
func malformedExample(t testing.TB) *dissect.Packet {
	pk := connectExample(t)
	pk.Raw = pk.Raw[:20]
	pk.Missing = 20
	pk.Fields = pk.Fields[:9]
	pk.Fields[8].Expert = []*dissect.Expert{{Severity: dissect.SevMalformed, Message: "Client ID runs past the end of the packet", Offset: 14, Length: 9}}
	flags := pk.Fields[5]
	flags.Children[6].Value = true
	flags.Children[6].Expert = []*dissect.Expert{{Severity: dissect.SevProtocol, Message: "Reserved bit set in Connect Flags", Spec: "MQTT-3.1.2-3", Offset: 9, Length: 1}}
	pk.Malformed = true
	return pk
}
