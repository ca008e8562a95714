package mqttenc

func samplesBad() []Sample {
	connect := designConnect()
	return []Sample{
		{Name: "bad_v311_publish_qos3", About: "Invalid MQTT 3.1.1 PUBLISH: QoS 3 in the fixed header (MQTT-3.3.1-4)",
			Parts: one(EncodePublish(Publish{Version: V311, QoS: 3, Topic: "test/a", PacketID: 1, Payload: []byte("x")}))},
		{Name: "bad_remaining_length_5bytes", About: "Malformed PUBLISH: remaining length encoded in 5 bytes (at most 4 allowed)",
			Notes: []string{"No packet boundary can be found after this header."},
			Parts: one(WithLengthWidth(EncodePublish(Publish{Version: V311, Topic: "a", Payload: []byte("x")}), 5))},
		{Name: "bad_v5_remaining_length_nonminimal", About: "Invalid MQTT 5.0 PINGREQ: remaining length 0 encoded non-minimally as 80 00",
			Parts: one(WithLengthWidth(EncodePingreq(), 2))},
		{Name: "bad_v5_duplicate_property", About: "Invalid MQTT 5.0 PUBLISH: Message Expiry Interval twice (MQTT 5.0 §3.3.2.3)",
			Parts: one(EncodePublish(Publish{Version: V5, Topic: "test/a", Payload: []byte("x"),
				Properties: []Property{MessageExpiryInterval(10), MessageExpiryInterval(20)}}))},
		{Name: "bad_v5_property_not_allowed", About: "Invalid MQTT 5.0 CONNECT: Topic Alias (0x23) is a PUBLISH-only property",
			Parts: one(EncodeConnect(Connect{Version: V5, CleanStart: true, ClientID: "c",
				Properties: []Property{TopicAlias(1)}}))},
		{Name: "bad_v5_property_unknown", About: "Invalid MQTT 5.0 PUBLISH: unknown property identifier 0x7F",
			Parts: one(EncodePublish(Publish{Version: V5, Topic: "t", Properties: []Property{PropByte(0x7f, 1)}}))},
		{Name: "bad_v311_connect_reserved_flag", About: "Invalid MQTT 3.1.1 CONNECT: reserved connect flag bit 0 set (MQTT-3.1.2-3)",
			Parts: one(EncodeConnect(Connect{Version: V311, CleanStart: true, ReservedFlag: true, KeepAlive: 60, ClientID: "c"}))},
		{Name: "bad_v311_utf8_invalid_topic", About: "Invalid MQTT 3.1.1 PUBLISH: topic \"test/\\xff\" is not UTF-8 (MQTT-1.5.3-1)",
			Parts: one(EncodePublish(Publish{Version: V311, Topic: "test/\xff", Payload: []byte("x")}))},
		{Name: "bad_v311_trailing_bytes", About: "Invalid MQTT 3.1.1 CONNACK: remaining length 4, two bytes after the return code",
			Parts: one(Raw(TypeConnack, 0, []byte{0x00, 0x00, 0xde, 0xad}))},
		{Name: "bad_truncated", About: "Truncated MQTT 3.1.1 CONNECT: declares 38 remaining bytes, only 18 present",
			Parts: one(connect[:20])},
		{Name: "bad_v311_subscribe_flags", About: "Invalid MQTT 3.1.1 SUBSCRIBE: fixed-header flags 0000 instead of 0010 (MQTT-3.8.1-1)",
			Parts: one(WithHeaderFlags(EncodeSubscribe(Subscribe{Version: V311, PacketID: 1,
				Subs: []Subscription{{Filter: "test"}}}), 0))},
		{Name: "bad_v311_pingreq_flags", About: "Invalid MQTT 3.1.1 PINGREQ: reserved fixed-header flags 0001",
			Parts: one(WithHeaderFlags(EncodePingreq(), 1))},
		{Name: "bad_reserved0", About: "Invalid packet type 0 (reserved in every version)",
			Parts: one(Raw(0, 0, nil))},
		{Name: "bad_v5_subscribe_reserved_options", About: "Invalid MQTT 5.0 SUBSCRIBE: reserved subscription option bits 6-7 set, retain handling 3",
			Parts: one(EncodeSubscribe(Subscribe{Version: V5, PacketID: 1,
				Subs: []Subscription{{Filter: "a/b", QoS: 1, RetainHandling: 3, Reserved: 3}}}))},
		{Name: "bad_v311_connack_session_present_refused", About: "Invalid MQTT 3.1.1 CONNACK: session present set with return code 5 (MQTT-3.2.2-4)",
			Parts: one(EncodeConnack(Connack{Version: V311, SessionPresent: true, Code: 5}))},
		{Name: "bad_v5_connack_session_present_refused", About: "Invalid MQTT 5.0 CONNACK: session present set with reason code 0x87 (MQTT-3.2.2-6)",
			Parts: one(EncodeConnack(Connack{Version: V5, SessionPresent: true, Code: 0x87}))},
		{Name: "bad_v311_connect_empty_client_id", About: "Invalid MQTT 3.1.1 CONNECT: zero-byte client identifier with Clean Session 0 (MQTT-3.1.3-7)",
			Parts: one(EncodeConnect(Connect{Version: V311, KeepAlive: 60}))},
		{Name: "bad_v5_utf8_invalid_topic", About: "Invalid MQTT 5.0 PUBLISH: topic \"test/\\xff\" is not UTF-8 (MQTT-1.5.4-1)",
			Parts: one(EncodePublish(Publish{Version: V5, Topic: "test/\xff", Payload: []byte("x")}))},
		{Name: "bad_v31_utf8_invalid_topic", About: "Invalid MQTT 3.1 PUBLISH: topic \"test/\\xff\" is not UTF-8 (3.1.1's MQTT-1.5.3-1)",
			Parts: one(EncodePublish(Publish{Version: V31, Topic: "test/\xff", Payload: []byte("x")}))},
		{Name: "bad_v5_topic_alias_zero", About: "Invalid MQTT 5.0 PUBLISH: Topic Alias 0 (MQTT-3.3.2-8)",
			Parts: one(EncodePublish(Publish{Version: V5, Topic: "t", Properties: []Property{TopicAlias(0)}, Payload: []byte("x")}))},
		{Name: "bad_v5_connect_will_qos_without_will", About: "Invalid MQTT 5.0 CONNECT: will QoS 1 with the will flag 0 (MQTT-3.1.2-11)",
			Parts: one(WithConnectFlags(EncodeConnect(Connect{Version: V5, CleanStart: true, ClientID: "c"}), 0x0a))},
		{Name: "bad_v311_connect_will_qos_without_will", About: "Invalid MQTT 3.1.1 CONNECT: will QoS 1 with the will flag 0 (MQTT-3.1.2-13)",
			Parts: one(WithConnectFlags(EncodeConnect(Connect{Version: V311, CleanStart: true, ClientID: "c"}), 0x0a))},
		{Name: "bad_v311_connect_protocol_name", About: "Invalid MQTT 3.1.1 CONNECT: protocol name \"MQTX\" with level 4",
			Parts: one(EncodeConnect(Connect{Version: V311, ProtocolName: "MQTX", CleanStart: true, ClientID: "c"}))},
	}
}

// WithConnectFlags rewrites the connect flags byte of a CONNECT built by
// EncodeConnect (after the protocol name and level).
func WithConnectFlags(pkt []byte, flags byte) []byte {
	out := append([]byte(nil), pkt...)
	h := 1
	for out[h]&0x80 != 0 {
		h++
	}
	h++
	nameLen := int(out[h])<<8 | int(out[h+1])
	out[h+2+nameLen+1] = flags
	return out
}
