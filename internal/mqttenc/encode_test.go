package mqttenc

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad test hex %q: %v", s, err)
	}
	return b
}

func TestKnownPackets(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"DESIGN.md CONNECT", EncodeConnect(Connect{Version: V311, CleanStart: true, KeepAlive: 60,
			ClientID: "123456789", Username: []byte("admin"), Password: []byte("password")}),
			"10 26 00 04 4D 51 54 54 04 C2 00 3C 00 09 31 32 33 34 35 36 37 38 39 00 05 61 64 6D 69 6E 00 08 70 61 73 73 77 6F 72 64"},
		{"3.1 CONNECT", EncodeConnect(Connect{Version: V31, CleanStart: true, KeepAlive: 10, ClientID: "a"}),
			"10 0f 00 06 4d 51 49 73 64 70 03 02 00 0a 00 01 61"},
		{"CONNECT with will", EncodeConnect(Connect{Version: V311, ClientID: "c",
			Will: &Will{QoS: 2, Retain: true, Topic: "w", Payload: []byte("x")}}),
			"10 13 00 04 4d 51 54 54 04 34 00 00 00 01 63 00 01 77 00 01 78"},
		{"5.0 CONNECT with properties", EncodeConnect(Connect{Version: V5, CleanStart: true,
			Properties: []Property{SessionExpiryInterval(10)}, ClientID: "c",
			Will: &Will{Properties: []Property{WillDelayInterval(5)}, Topic: "w", Payload: nil}}),
			"10 1e 00 04 4d 51 54 54 05 06 00 00 05 11 00 00 00 0a 00 01 63 05 18 00 00 00 05 00 01 77 00 00"},
		{"reserved connect flag", EncodeConnect(Connect{Version: V311, ReservedFlag: true, ClientID: ""}),
			"10 0c 00 04 4d 51 54 54 04 01 00 00 00 00"},
		{"3.1.1 CONNACK", EncodeConnack(Connack{Version: V311}), "20 02 00 00"},
		{"5.0 CONNACK", EncodeConnack(Connack{Version: V5, SessionPresent: true, Code: 0x86,
			Properties: []Property{ReceiveMaximum(20)}}), "20 06 01 86 03 21 00 14"},
		{"PUBLISH qos0", EncodePublish(Publish{Version: V311, Topic: "a", PacketID: 9, Payload: []byte("hi")}),
			"30 05 00 01 61 68 69"},
		{"PUBLISH qos1 retain dup", EncodePublish(Publish{Version: V311, Dup: true, QoS: 1, Retain: true,
			Topic: "a", PacketID: 1}), "3b 05 00 01 61 00 01"},
		{"PUBLISH qos3", EncodePublish(Publish{Version: V311, QoS: 3, Topic: "a", PacketID: 1}),
			"36 05 00 01 61 00 01"},
		{"5.0 PUBLISH", EncodePublish(Publish{Version: V5, QoS: 2, Topic: "t", PacketID: 0x102,
			Properties: []Property{TopicAlias(1), SubscriptionIdentifier(200)}, Payload: []byte{0xff}}),
			"34 0d 00 01 74 01 02 06 23 00 01 0b c8 01 ff"},
		{"3.x PUBACK", EncodePuback(Ack{Version: V311, PacketID: 1}), "40 02 00 01"},
		{"5.0 PUBACK short", EncodePuback(Ack{Version: V5, PacketID: 1}), "40 02 00 01"},
		{"5.0 PUBACK full", EncodePuback(Ack{Version: V5, PacketID: 1, Full: true}), "40 04 00 01 00 00"},
		{"5.0 PUBREC reason only", EncodePubrec(Ack{Version: V5, PacketID: 1, Reason: 0x10}), "50 03 00 01 10"},
		{"5.0 PUBREL props", EncodePubrel(Ack{Version: V5, PacketID: 1, Reason: 0x92,
			Properties: []Property{ReasonString("x")}}), "62 08 00 01 92 04 1f 00 01 78"},
		{"PUBCOMP", EncodePubcomp(Ack{Version: V31, PacketID: 0xabcd}), "70 02 ab cd"},
		{"3.1.1 SUBSCRIBE", EncodeSubscribe(Subscribe{Version: V311, PacketID: 1,
			Subs: []Subscription{{Filter: "test"}}}), "82 09 00 01 00 04 74 65 73 74 00"},
		{"5.0 SUBSCRIBE options", EncodeSubscribe(Subscribe{Version: V5, PacketID: 2,
			Properties: []Property{SubscriptionIdentifier(1)},
			Subs:       []Subscription{{Filter: "a", QoS: 2, NoLocal: true, RetainAsPublished: true, RetainHandling: 2}}}),
			"82 09 00 02 02 0b 01 00 01 61 2e"},
		{"SUBACK", EncodeSuback(Suback{Version: V311, PacketID: 1, Codes: []byte{0, 0x80}}), "90 04 00 01 00 80"},
		{"5.0 SUBACK", EncodeSuback(Suback{Version: V5, PacketID: 1, Codes: []byte{0xa2}}), "90 04 00 01 00 a2"},
		{"UNSUBSCRIBE", EncodeUnsubscribe(Unsubscribe{Version: V311, PacketID: 3, Filters: []string{"a", "b"}}),
			"a2 08 00 03 00 01 61 00 01 62"},
		{"3.x UNSUBACK ignores codes", EncodeUnsuback(Unsuback{Version: V311, PacketID: 3, Codes: []byte{0x11}}),
			"b0 02 00 03"},
		{"5.0 UNSUBACK", EncodeUnsuback(Unsuback{Version: V5, PacketID: 3, Codes: []byte{0x11, 0}}),
			"b0 05 00 03 00 11 00"},
		{"PINGREQ", EncodePingreq(), "c0 00"},
		{"PINGRESP", EncodePingresp(), "d0 00"},
		{"3.x DISCONNECT", EncodeDisconnect(Disconnect{Version: V311, Reason: 4}), "e0 00"},
		{"5.0 DISCONNECT short", EncodeDisconnect(Disconnect{Version: V5}), "e0 00"},
		{"5.0 DISCONNECT reason", EncodeDisconnect(Disconnect{Version: V5, Reason: 4}), "e0 01 04"},
		{"5.0 DISCONNECT props", EncodeDisconnect(Disconnect{Version: V5, Reason: 0x8b,
			Properties: []Property{SessionExpiryInterval(0)}}), "e0 07 8b 05 11 00 00 00 00"},
		{"AUTH", EncodeAuth(Auth{Reason: 0x18, Properties: []Property{AuthenticationMethod("m"),
			AuthenticationData([]byte{1})}}), "f0 0a 18 08 15 00 01 6d 16 00 01 01"},
		{"AUTH short", EncodeAuth(Auth{}), "f0 00"},
		{"user property", EncodeDisconnect(Disconnect{Version: V5, Properties: []Property{UserProperty("k", "v")}}),
			"e0 09 00 07 26 00 01 6b 00 01 76"},
		{"Raw reserved type 15 in 3.x", Raw(15, 0, nil), "f0 00"},
	}
	for _, tt := range tests {
		if want := unhex(t, tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tt.name, tt.got, want)
		}
	}
}

func TestVarint(t *testing.T) {
	tests := []struct {
		v    uint32
		want string
	}{
		{0, "00"}, {127, "7f"}, {128, "80 01"}, {16383, "ff 7f"}, {16384, "80 80 01"},
		{2097151, "ff ff 7f"}, {2097152, "80 80 80 01"}, {268435455, "ff ff ff 7f"},
		{268435456, "80 80 80 80 01"},
	}
	for _, tt := range tests {
		if got := AppendVarint(nil, tt.v); !bytes.Equal(got, unhex(t, tt.want)) {
			t.Errorf("AppendVarint(%d) = % x, want %s", tt.v, got, tt.want)
		}
	}
	if got := VarintWidth(0, 2); !bytes.Equal(got, []byte{0x80, 0x00}) {
		t.Errorf("VarintWidth(0, 2) = % x", got)
	}
	if got := VarintWidth(200, 1); !bytes.Equal(got, []byte{0xc8, 0x01}) {
		t.Errorf("VarintWidth(200, 1) = % x, want the minimum", got)
	}
}

func TestLengthRewrites(t *testing.T) {
	ping := EncodePingreq()
	if got := WithLengthWidth(ping, 2); !bytes.Equal(got, unhex(t, "c0 80 00")) {
		t.Errorf("non-minimal: % x", got)
	}
	if got := WithLengthWidth(ping, 5); !bytes.Equal(got, unhex(t, "c0 80 80 80 80 00")) {
		t.Errorf("over-long: % x", got)
	}
	ack := EncodePuback(Ack{Version: V311, PacketID: 7})
	if got := WithRemainingLength(ack, 200); !bytes.Equal(got, unhex(t, "40 c8 01 00 07")) {
		t.Errorf("lying length: % x", got)
	}
	if got := WithHeaderFlags(ack, 0xf); !bytes.Equal(got, unhex(t, "4f 02 00 07")) || ack[0] != 0x40 {
		t.Errorf("flags: % x (original % x)", got, ack)
	}
	for _, bad := range [][]byte{nil, {0x10}, {0x10, 0x80, 0x80, 0x80, 0x80, 0x80}} {
		if got := WithLengthWidth(bad, 2); !bytes.Equal(got, bad) {
			t.Errorf("unreadable header % x changed to % x", bad, got)
		}
	}
}

// TestPropertyConstructors checks each of the 27 constructors against the
// wire-type table: the value must be exactly as long as its type says.
func TestPropertyConstructors(t *testing.T) {
	props := []Property{
		PayloadFormatIndicator(1), MessageExpiryInterval(1), ContentType("ab"), ResponseTopic("ab"),
		CorrelationData([]byte("ab")), SubscriptionIdentifier(300), SessionExpiryInterval(1),
		AssignedClientIdentifier("ab"), ServerKeepAlive(1), AuthenticationMethod("ab"),
		AuthenticationData([]byte("ab")), RequestProblemInformation(1), WillDelayInterval(1),
		RequestResponseInformation(1), ResponseInformation("ab"), ServerReference("ab"), ReasonString("ab"),
		ReceiveMaximum(1), TopicAliasMaximum(1), TopicAlias(1), MaximumQoS(1), RetainAvailable(1),
		UserProperty("ab", "cd"), MaximumPacketSize(1), WildcardSubscriptionAvailable(1),
		SubscriptionIdentifierAvailable(1), SharedSubscriptionAvailable(1),
	}
	types := PropertyWireTypes()
	if len(types) != 27 || len(props) != 27 {
		t.Fatalf("want 27 properties, table has %d, constructors %d", len(types), len(props))
	}
	wantLen := map[WireType]int{WireByte: 1, WireU16: 2, WireU32: 4, WireVarint: 2, WireString: 4,
		WireBinary: 4, WirePair: 8}
	seen := map[byte]bool{}
	for _, p := range props {
		wt, ok := types[p.ID]
		if !ok {
			t.Errorf("property 0x%02x not in the table", p.ID)
			continue
		}
		if seen[p.ID] {
			t.Errorf("property 0x%02x built twice", p.ID)
		}
		seen[p.ID] = true
		if len(p.Value) != wantLen[wt] {
			t.Errorf("property 0x%02x: value % x has %d bytes, want %d", p.ID, p.Value, len(p.Value), wantLen[wt])
		}
	}
}

func TestLongStringIsCut(t *testing.T) {
	p := ContentType(strings.Repeat("a", 70000))
	if n := int(p.Value[0])<<8 | int(p.Value[1]); n != maxString || len(p.Value) != 2+maxString {
		t.Errorf("prefix %d, value %d bytes", n, len(p.Value))
	}
}

func TestLargePayloadLength(t *testing.T) {
	pkt := EncodePublish(Publish{Version: V311, Topic: "a", Payload: make([]byte, 20000)})
	// remaining length 3+20000 = 20003 = 0xa3 0x9c 0x01
	if !bytes.Equal(pkt[:4], []byte{0x30, 0xa3, 0x9c, 0x01}) || len(pkt) != 4+20003 {
		t.Errorf("header % x, total %d", pkt[:4], len(pkt))
	}
}
