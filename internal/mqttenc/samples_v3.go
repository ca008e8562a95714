package mqttenc

// Samples is the content of samples/hex, in README order.
func Samples() []Sample {
	var s []Sample
	s = append(s, samplesV311()...)
	s = append(s, samplesV31()...)
	s = append(s, samplesV5()...)
	return append(s, samplesBad()...)
}

// designConnect is the CONNECT of DESIGN.md.
func designConnect() []byte {
	return EncodeConnect(Connect{Version: V311, CleanStart: true, KeepAlive: 60, ClientID: "123456789",
		Username: []byte("admin"), Password: []byte("password")})
}

// designPublish keeps the bytes DESIGN.md gives, "31 15 00 06 74 65 73 74
// 2F 61": 0x31 is QoS 0 + retain, so there is no packet id and the
// remaining length 21 leaves a 13-byte payload.
func designPublish() []byte {
	return EncodePublish(Publish{Version: V311, Retain: true, Topic: "test/a", Payload: []byte("hello, world!")})
}

// publishQoS1 is what DESIGN.md's summary line describes: QoS 1, retain,
// packet id 1, 13 bytes.
func publishQoS1() []byte {
	return EncodePublish(Publish{Version: V311, QoS: 1, Retain: true, Topic: "test/a", PacketID: 1,
		Payload: []byte("hello, world!")})
}

func samplesV311() []Sample {
	v := V311
	return []Sample{
		{Name: "v311_connect", About: "MQTT 3.1.1 CONNECT: client id 123456789, user admin, password password, clean session, keep alive 60",
			Notes: []string{"The example of DESIGN.md."}, Parts: one(designConnect())},
		{Name: "v311_connect_will", About: "MQTT 3.1.1 CONNECT with a will (QoS 1, retain), no user name",
			Parts: one(EncodeConnect(Connect{Version: v, KeepAlive: 30, ClientID: "sensor-7",
				Will: &Will{QoS: 1, Retain: true, Topic: "status/sensor-7", Payload: []byte("offline")}}))},
		{Name: "v311_connack", About: "MQTT 3.1.1 CONNACK: Connection Accepted, no session present",
			Parts: one(EncodeConnack(Connack{Version: v}))},
		{Name: "v311_connack_session_present", About: "MQTT 3.1.1 CONNACK: Connection Accepted, session present",
			Parts: one(EncodeConnack(Connack{Version: v, SessionPresent: true}))},
		{Name: "v311_connack_refused", About: "MQTT 3.1.1 CONNACK: return code 5 (Connection Refused: not authorized)",
			Parts: one(EncodeConnack(Connack{Version: v, Code: 5}))},
		{Name: "v311_publish_qos0", About: "MQTT 3.1.1 PUBLISH QoS 0 to test/a, payload \"21.5\"",
			Parts: one(EncodePublish(Publish{Version: v, Topic: "test/a", Payload: []byte("21.5")}))},
		{Name: "v311_publish_retain", About: "MQTT 3.1.1 PUBLISH QoS 0 retain, topic test/a, 13-byte payload \"hello, world!\" (the PUBLISH of the design example)",
			Notes: []string{"The bytes DESIGN.md gives. 0x31 = PUBLISH, flags 0001 = QoS 0 + retain, so no packet id:",
				"remaining length 0x15 = 21 = 2+6 (topic) + 13 (payload). v311_publish_qos1_retain.hex is the QoS 1 one."},
			Parts: one(designPublish())},
		{Name: "v311_publish_qos1_retain", About: "MQTT 3.1.1 PUBLISH QoS 1, retain, topic test/a, packet id 1, 13-byte payload \"hello, world!\"",
			Notes: []string{"Remaining length 0x17 = 23 = 2+6 (topic) + 2 (packet id) + 13 (payload)."},
			Parts: one(publishQoS1())},
		{Name: "v311_publish_qos2_dup", About: "MQTT 3.1.1 PUBLISH QoS 2, DUP set, topic a/b/c, packet id 258, binary payload",
			Parts: one(EncodePublish(Publish{Version: v, Dup: true, QoS: 2, Topic: "a/b/c", PacketID: 258,
				Payload: []byte{0x00, 0x01, 0x02, 0xff}}))},
		{Name: "v311_puback", About: "MQTT 3.1.1 PUBACK for packet id 1", Parts: one(EncodePuback(Ack{Version: v, PacketID: 1}))},
		{Name: "v311_pubrec", About: "MQTT 3.1.1 PUBREC for packet id 258", Parts: one(EncodePubrec(Ack{Version: v, PacketID: 258}))},
		{Name: "v311_pubrel", About: "MQTT 3.1.1 PUBREL for packet id 258 (header flags 0010)", Parts: one(EncodePubrel(Ack{Version: v, PacketID: 258}))},
		{Name: "v311_pubcomp", About: "MQTT 3.1.1 PUBCOMP for packet id 258", Parts: one(EncodePubcomp(Ack{Version: v, PacketID: 258}))},
		{Name: "v311_subscribe", About: "MQTT 3.1.1 SUBSCRIBE packet id 1: test at QoS 0",
			Parts: one(EncodeSubscribe(Subscribe{Version: v, PacketID: 1, Subs: []Subscription{{Filter: "test"}}}))},
		{Name: "v311_subscribe_multi", About: "MQTT 3.1.1 SUBSCRIBE packet id 2: sensors/+/temp QoS 1, alerts/# QoS 2",
			Parts: one(EncodeSubscribe(Subscribe{Version: v, PacketID: 2, Subs: []Subscription{
				{Filter: "sensors/+/temp", QoS: 1}, {Filter: "alerts/#", QoS: 2}}}))},
		{Name: "v311_suback", About: "MQTT 3.1.1 SUBACK packet id 2: granted QoS 1, Failure (0x80)",
			Parts: one(EncodeSuback(Suback{Version: v, PacketID: 2, Codes: []byte{1, 0x80}}))},
		{Name: "v311_unsubscribe", About: "MQTT 3.1.1 UNSUBSCRIBE packet id 3: sensors/+/temp, alerts/#",
			Parts: one(EncodeUnsubscribe(Unsubscribe{Version: v, PacketID: 3, Filters: []string{"sensors/+/temp", "alerts/#"}}))},
		{Name: "v311_unsuback", About: "MQTT 3.1.1 UNSUBACK packet id 3", Parts: one(EncodeUnsuback(Unsuback{Version: v, PacketID: 3}))},
		{Name: "v311_pingreq", About: "MQTT 3.1.1 PINGREQ", Parts: one(EncodePingreq())},
		{Name: "v311_pingresp", About: "MQTT 3.1.1 PINGRESP", Parts: one(EncodePingresp())},
		{Name: "v311_disconnect", About: "MQTT 3.1.1 DISCONNECT", Parts: one(EncodeDisconnect(Disconnect{Version: v}))},
		{Name: "v311_reserved15", About: "MQTT 3.1.1 packet type 15, reserved before MQTT 5 (negative sample)",
			Notes: []string{"Type 15 is AUTH in MQTT 5 only; in 3.1.1 it is forbidden (MQTT-2.2.1)."},
			Parts: one(Raw(TypeAuth, 0, nil))},
		{Name: "v311_session", About: "MQTT 3.1.1 session: CONNECT, CONNACK, PUBLISH QoS 1, PUBACK in a row",
			Parts: []Part{
				{Note: "CONNECT (client to server)", Bytes: designConnect()},
				{Note: "CONNACK (server to client)", Bytes: EncodeConnack(Connack{Version: v})},
				{Note: "PUBLISH QoS 1, retain, packet id 1 (client to server)", Bytes: publishQoS1()},
				{Note: "PUBACK packet id 1 (server to client)", Bytes: EncodePuback(Ack{Version: v, PacketID: 1})},
			}},
	}
}

func samplesV31() []Sample {
	v := V31
	return []Sample{
		{Name: "v31_connect", About: "MQTT 3.1 CONNECT (protocol MQIsdp, level 3): client id mosq-31, user, password, will QoS 2",
			Parts: one(EncodeConnect(Connect{Version: v, CleanStart: true, KeepAlive: 60, ClientID: "mosq-31",
				Will:     &Will{QoS: 2, Topic: "last/will", Payload: []byte("gone")},
				Username: []byte("user"), Password: []byte("secret")}))},
		{Name: "v31_connack", About: "MQTT 3.1 CONNACK: reserved byte 0, return code 0 (Connection Accepted)",
			Parts: one(EncodeConnack(Connack{Version: v}))},
		{Name: "v31_connack_bad_credentials", About: "MQTT 3.1 CONNACK: return code 4 (bad user name or password)",
			Parts: one(EncodeConnack(Connack{Version: v, Code: 4}))},
		{Name: "v31_publish_qos0", About: "MQTT 3.1 PUBLISH QoS 0 to home/light, payload \"on\"",
			Parts: one(EncodePublish(Publish{Version: v, Topic: "home/light", Payload: []byte("on")}))},
		{Name: "v31_publish_qos1", About: "MQTT 3.1 PUBLISH QoS 1, packet id 10, topic home/temp, payload \"19.0\"",
			Parts: one(EncodePublish(Publish{Version: v, QoS: 1, Topic: "home/temp", PacketID: 10, Payload: []byte("19.0")}))},
		{Name: "v31_publish_qos2", About: "MQTT 3.1 PUBLISH QoS 2, retain, packet id 11, topic home/door, payload \"open\"",
			Parts: one(EncodePublish(Publish{Version: v, QoS: 2, Retain: true, Topic: "home/door", PacketID: 11, Payload: []byte("open")}))},
		{Name: "v31_puback", About: "MQTT 3.1 PUBACK for packet id 10", Parts: one(EncodePuback(Ack{Version: v, PacketID: 10}))},
		{Name: "v31_pubrec", About: "MQTT 3.1 PUBREC for packet id 11", Parts: one(EncodePubrec(Ack{Version: v, PacketID: 11}))},
		{Name: "v31_pubrel", About: "MQTT 3.1 PUBREL for packet id 11 (header flags 0010)", Parts: one(EncodePubrel(Ack{Version: v, PacketID: 11}))},
		{Name: "v31_pubcomp", About: "MQTT 3.1 PUBCOMP for packet id 11", Parts: one(EncodePubcomp(Ack{Version: v, PacketID: 11}))},
		{Name: "v31_subscribe", About: "MQTT 3.1 SUBSCRIBE packet id 12: home/# QoS 1",
			Parts: one(EncodeSubscribe(Subscribe{Version: v, PacketID: 12, Subs: []Subscription{{Filter: "home/#", QoS: 1}}}))},
		{Name: "v31_suback", About: "MQTT 3.1 SUBACK packet id 12: granted QoS 1",
			Parts: one(EncodeSuback(Suback{Version: v, PacketID: 12, Codes: []byte{1}}))},
		{Name: "v31_unsubscribe", About: "MQTT 3.1 UNSUBSCRIBE packet id 13: home/#",
			Parts: one(EncodeUnsubscribe(Unsubscribe{Version: v, PacketID: 13, Filters: []string{"home/#"}}))},
		{Name: "v31_unsuback", About: "MQTT 3.1 UNSUBACK packet id 13", Parts: one(EncodeUnsuback(Unsuback{Version: v, PacketID: 13}))},
		{Name: "v31_pingreq", About: "MQTT 3.1 PINGREQ", Parts: one(EncodePingreq())},
		{Name: "v31_pingresp", About: "MQTT 3.1 PINGRESP", Parts: one(EncodePingresp())},
		{Name: "v31_disconnect", About: "MQTT 3.1 DISCONNECT", Parts: one(EncodeDisconnect(Disconnect{Version: v}))},
		{Name: "v31_reserved15", About: "MQTT 3.1 packet type 15, reserved (negative sample)", Parts: one(Raw(TypeAuth, 0, nil))},
	}
}
