package dissect

import (
	"path/filepath"
	"strings"
	"testing"

	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
)

// specRule is one row of the table of rules we cite, taken from the
// conformance statements of MQTT 3.1.1 (OASIS Standard plus Errata 01) and
// MQTT 5.0 (OASIS Standard), in our own words, with the kinds of finding
// that may cite it. A section row stands for a rule the spec states
// without an id.
type specRule struct {
	ver, ref, rule string
	experts        []string
}

var specTable = []specRule{
	// MQTT 3.1.1
	{"3.1.1", "MQTT-1.5.3-1", "UTF-8 strings well-formed, no surrogate code points", []string{"invalid_utf8"}},
	{"3.1.1", "MQTT-1.5.3-2", "UTF-8 strings must not hold U+0000", []string{"utf8_null"}},
	{"3.1.1", "3.1.1 §1.5.3", "non-characters should not appear in UTF-8 strings", []string{"utf8_noncharacter"}},
	{"3.1.1", "3.1.1 §2.2.3", "remaining length: variable length encoding of at most four bytes", []string{"varint_too_long", "varint_non_minimal"}},
	{"3.1.1", "3.1.1 §2.2.1", "packet types 0 and 15 are reserved", []string{"reserved_type"}},
	{"3.1.1", "MQTT-2.2.2-1", "reserved fixed-header flag bits must have the listed values", []string{"header_flags"}},
	{"3.1.1", "MQTT-2.3.1-1", "SUBSCRIBE, UNSUBSCRIBE and PUBLISH QoS>0 carry a non-zero packet identifier", []string{"packet_id_zero"}},
	{"3.1.1", "MQTT-2.3.1-2", "a client assigns a currently unused packet identifier to each new request", []string{"packet_id_in_use"}},
	{"3.1.1", "MQTT-2.3.1-4", "the same applies to a server sending a PUBLISH with QoS > 0", []string{"packet_id_in_use"}},
	{"3.1.1", "MQTT-3.1.2-24", "the server disconnects a client silent for 1.5 times the keep alive", []string{"keepalive_exceeded"}},
	{"3.1.1", "MQTT-3.1.2-1", "protocol name must be right, else the server may disconnect", []string{"protocol_name"}},
	{"3.1.1", "MQTT-3.1.2-2", "unsupported protocol level is refused with return code 1", []string{"unknown_protocol_level"}},
	{"3.1.1", "MQTT-3.1.2-3", "the reserved connect flag must be 0", []string{"connect_reserved_flag"}},
	{"3.1.1", "MQTT-3.1.2-13", "will flag 0: will QoS must be 0", []string{"will_qos_without_will"}},
	{"3.1.1", "MQTT-3.1.2-14", "will flag 1: will QoS 0, 1 or 2, not 3", []string{"will_qos_reserved"}},
	{"3.1.1", "MQTT-3.1.2-15", "will flag 0: will retain must be 0", []string{"will_retain_without_will"}},
	{"3.1.1", "MQTT-3.1.2-22", "user name flag 0: password flag must be 0", []string{"password_without_username"}},
	{"3.1.1", "MQTT-3.1.3-7", "a zero-byte client id requires Clean Session 1", []string{"empty_client_id_persistent"}},
	{"3.1.1", "3.1.1 §3.2.2.1", "CONNACK acknowledge flags bits 7-1 are reserved, must be 0", []string{"connack_reserved_flags"}},
	{"3.1.1", "MQTT-3.2.2-4", "a non-zero CONNACK return code requires session present 0", []string{"session_present_refused"}},
	{"3.1.1", "3.1.1 §3.2.2.3", "CONNACK return codes 6-255 are reserved", []string{"reserved_return_code"}},
	{"3.1.1", "MQTT-3.3.1-2", "DUP must be 0 for QoS 0", []string{"dup_qos0"}},
	{"3.1.1", "MQTT-3.3.1-4", "a PUBLISH must not have both QoS bits set", []string{"qos_reserved"}},
	{"3.1.1", "MQTT-3.3.2-2", "a topic name must not hold wildcards", []string{"topic_wildcard"}},
	{"3.1.1", "MQTT-3.6.1-1", "PUBREL fixed-header flags 0010", []string{"header_flags"}},
	{"3.1.1", "MQTT-3.8.1-1", "SUBSCRIBE fixed-header flags 0010", []string{"header_flags"}},
	{"3.1.1", "MQTT-3.8.3-3", "a SUBSCRIBE holds at least one filter/QoS pair", []string{"no_topic_filter"}},
	{"3.1.1", "MQTT-3.8.3-4", "reserved bits of the requested QoS byte set or QoS not 0-2: malformed", []string{"subscription_qos"}},
	{"3.1.1", "MQTT-3.9.3-2", "SUBACK return codes other than 0x00-0x02 and 0x80 are reserved", []string{"suback_return_code"}},
	{"3.1.1", "3.1.1 §3.9.3", "the SUBACK payload is a list of return codes", []string{"no_return_code"}},
	{"3.1.1", "MQTT-3.10.1-1", "UNSUBSCRIBE fixed-header flags 0010", []string{"header_flags"}},
	{"3.1.1", "MQTT-3.10.3-2", "an UNSUBSCRIBE holds at least one topic filter", []string{"no_topic_filter"}},
	{"3.1.1", "MQTT-4.7.1-2", "'#' alone or after a separator, last in the filter", []string{"wildcard_misplaced"}},
	{"3.1.1", "MQTT-4.7.1-3", "'+' occupies a whole level", []string{"wildcard_misplaced"}},
	{"3.1.1", "MQTT-4.7.3-1", "topic names and filters are at least one character long", []string{"illegal_topic_length", "empty_topic_filter"}},
	// MQTT 3.1 has no statement ids: its own sections where it differs.
	{"3.1", "3.1 §2.1", "message types 0 and 15 are reserved", []string{"reserved_type"}},
	{"3.1", "3.1 §3.1", "client identifier of 1 to 23 characters", []string{"client_id_required"}},
	{"3.1", "3.1 §3.2", "CONNACK return codes 6-255 are reserved", []string{"reserved_return_code"}},
	// MQTT 5.0
	{"5.0", "MQTT-1.5.4-1", "UTF-8 strings well-formed, no surrogate code points", []string{"invalid_utf8"}},
	{"5.0", "MQTT-1.5.4-2", "UTF-8 strings must not hold U+0000", []string{"utf8_null"}},
	{"5.0", "5.0 §1.5.4", "non-characters should not appear in UTF-8 strings", []string{"utf8_noncharacter"}},
	{"5.0", "5.0 §1.5.5", "a variable byte integer has at most four bytes", []string{"varint_too_long"}},
	{"5.0", "MQTT-1.5.5-1", "a variable byte integer uses the fewest bytes", []string{"varint_non_minimal"}},
	{"5.0", "5.0 §2.1.2", "packet type 0 is reserved", []string{"reserved_type"}},
	{"5.0", "MQTT-2.1.3-1", "reserved fixed-header flag bits must have the listed values", []string{"header_flags"}},
	{"5.0", "MQTT-2.2.1-3", "a client assigns a non-zero packet identifier that is currently unused", []string{"packet_id_zero", "packet_id_in_use"}},
	{"5.0", "MQTT-2.2.1-4", "a server assigns a non-zero, currently unused packet identifier to a QoS > 0 PUBLISH", []string{"packet_id_zero", "packet_id_in_use"}},
	{"5.0", "5.0 §2.2.2.1", "the property length counts the property bytes", []string{"property_length_overrun"}},
	{"5.0", "5.0 §2.2.2.2", "the properties, their identifiers and the packets they may appear in", []string{"unknown_property", "property_not_allowed", "property_repeated", "property_value"}},
	{"5.0", "MQTT-3.1.2-1", "protocol name must be \"MQTT\"", []string{"protocol_name"}},
	{"5.0", "MQTT-3.1.2-2", "unsupported protocol version may be refused with 0x84", []string{"unknown_protocol_level"}},
	{"5.0", "MQTT-3.1.2-3", "the reserved connect flag must be 0", []string{"connect_reserved_flag"}},
	{"5.0", "MQTT-3.1.2-11", "will flag 0: will QoS must be 0", []string{"will_qos_without_will"}},
	{"5.0", "MQTT-3.1.2-12", "will flag 1: will QoS 0, 1 or 2", []string{"will_qos_reserved"}},
	{"5.0", "MQTT-3.1.2-13", "will flag 0: will retain must be 0", []string{"will_retain_without_will"}},
	{"5.0", "MQTT-3.1.2-22", "the server closes a connection silent for 1.5 times the keep alive", []string{"keepalive_exceeded"}},
	{"5.0", "MQTT-3.1.2-24", "the server must not send packets over the client's Maximum Packet Size", []string{"max_packet_size"}},
	{"5.0", "MQTT-3.2.2-1", "CONNACK acknowledge flags bits 7-1 are reserved, must be 0", []string{"connack_reserved_flags"}},
	{"5.0", "MQTT-3.2.2-6", "a non-zero CONNACK reason code requires session present 0", []string{"session_present_refused"}},
	{"5.0", "MQTT-3.2.2-8", "CONNACK uses one of the Connect Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-3.2.2-11", "the client must not publish above the broker's Maximum QoS", []string{"max_qos"}},
	{"5.0", "MQTT-3.2.2-14", "after Retain Available 0 the client must not publish with RETAIN 1", []string{"retain_unavailable"}},
	{"5.0", "MQTT-3.2.2-15", "the client must not send packets over the broker's Maximum Packet Size", []string{"max_packet_size"}},
	{"5.0", "MQTT-3.3.1-2", "DUP must be 0 for QoS 0", []string{"dup_qos0"}},
	{"5.0", "MQTT-3.3.1-4", "a PUBLISH must not have both QoS bits set", []string{"qos_reserved"}},
	{"5.0", "MQTT-3.3.2-2", "a topic name must not hold wildcards", []string{"topic_wildcard"}},
	{"5.0", "MQTT-3.3.2-8", "a Topic Alias of 0 must not be sent", []string{"property_value"}},
	{"5.0", "MQTT-3.3.2-9", "the client must not send a Topic Alias above the broker's Topic Alias Maximum", []string{"topic_alias_max"}},
	{"5.0", "MQTT-3.3.2-11", "the server must not send a Topic Alias above the client's Topic Alias Maximum", []string{"topic_alias_max"}},
	{"5.0", "MQTT-3.3.4-7", "the client keeps at most Receive Maximum QoS 1/2 PUBLISH unacknowledged", []string{"receive_max"}},
	{"5.0", "MQTT-3.3.4-9", "the server keeps at most Receive Maximum QoS 1/2 PUBLISH unacknowledged", []string{"receive_max"}},
	{"5.0", "5.0 §3.3.2.3.2", "Payload Format Indicator 0 or 1; 1 means the payload is UTF-8", []string{"payload_not_utf8", "property_value"}},
	{"5.0", "5.0 §3.3.2.3.4", "a zero-length topic name needs a topic alias", []string{"illegal_topic_length"}},
	{"5.0", "5.0 §3.3.2.3.8", "a Subscription Identifier of 0 is a protocol error (PUBLISH)", []string{"property_value"}},
	{"5.0", "MQTT-3.4.2-1", "PUBACK uses one of the PUBACK Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-3.5.2-1", "PUBREC uses one of the PUBREC Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-3.6.1-1", "PUBREL fixed-header flags 0010", []string{"header_flags"}},
	{"5.0", "MQTT-3.6.2-1", "PUBREL uses one of the PUBREL Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-3.7.2-1", "PUBCOMP uses one of the PUBCOMP Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-3.8.1-1", "SUBSCRIBE fixed-header flags 0010", []string{"header_flags"}},
	{"5.0", "5.0 §3.8.2.1.2", "a Subscription Identifier of 0 is a protocol error (SUBSCRIBE)", []string{"property_value"}},
	{"5.0", "MQTT-3.8.3-2", "a SUBSCRIBE holds at least one filter and options pair", []string{"no_topic_filter"}},
	{"5.0", "5.0 §3.8.3.1", "subscription options: QoS 3 and retain handling 3 are protocol errors", []string{"subscription_qos", "retain_handling_reserved"}},
	{"5.0", "MQTT-3.8.3-5", "reserved bits of the subscription options must be 0", []string{"subscription_options_reserved"}},
	{"5.0", "MQTT-3.9.3-2", "SUBACK sends one of the Subscribe Reason Codes per filter", []string{"suback_return_code", "undefined_reason_code"}},
	{"5.0", "5.0 §3.9.3", "the SUBACK payload is a list of reason codes", []string{"no_return_code"}},
	{"5.0", "MQTT-3.10.1-1", "UNSUBSCRIBE fixed-header flags 0010", []string{"header_flags"}},
	{"5.0", "MQTT-3.10.3-2", "an UNSUBSCRIBE holds at least one topic filter", []string{"no_topic_filter"}},
	{"5.0", "MQTT-3.11.3-2", "UNSUBACK uses one of the UNSUBSCRIBE Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "5.0 §3.11.3", "the UNSUBACK payload is a list of reason codes", []string{"no_return_code"}},
	{"5.0", "MQTT-3.14.2-1", "DISCONNECT uses one of the DISCONNECT Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-3.15.2-1", "AUTH uses one of the Authenticate Reason Codes", []string{"undefined_reason_code"}},
	{"5.0", "MQTT-4.7.1-1", "'#' alone or after a separator, last in the filter", []string{"wildcard_misplaced"}},
	{"5.0", "MQTT-4.7.1-2", "'+' occupies a whole level", []string{"wildcard_misplaced"}},
	{"5.0", "MQTT-4.7.3-1", "topic names and filters are at least one character long", []string{"empty_topic_filter"}},
	// sections of property values 5.0 bounds without an id
	{"5.0", "5.0 §3.1.2.11.3", "Receive Maximum 0 is a protocol error (CONNECT)", []string{"property_value"}},
	{"5.0", "5.0 §3.1.2.11.4", "Maximum Packet Size 0 is a protocol error (CONNECT)", []string{"property_value"}},
	{"5.0", "5.0 §3.1.2.11.6", "Request Response Information 0 or 1", []string{"property_value"}},
	{"5.0", "5.0 §3.1.2.11.7", "Request Problem Information 0 or 1", []string{"property_value"}},
	{"5.0", "5.0 §3.1.3.2.3", "will Payload Format Indicator 0 or 1", []string{"property_value"}},
	{"5.0", "5.0 §3.2.2.3.3", "Receive Maximum 0 is a protocol error (CONNACK)", []string{"property_value"}},
	{"5.0", "5.0 §3.2.2.3.4", "Maximum QoS 0 or 1", []string{"property_value"}},
	{"5.0", "5.0 §3.2.2.3.5", "Retain Available 0 or 1", []string{"property_value"}},
	{"5.0", "5.0 §3.2.2.3.6", "Maximum Packet Size 0 is a protocol error (CONNACK)", []string{"property_value"}},
	{"5.0", "5.0 §3.2.2.3.11", "Wildcard Subscription Available 0 or 1; a wildcard SUBSCRIBE after 0 is a protocol error", []string{"property_value", "wildcard_unavailable"}},
	{"5.0", "5.0 §3.2.2.3.12", "Subscription Identifiers Available 0 or 1; a Subscription Identifier after 0 is a protocol error", []string{"property_value", "subid_unavailable"}},
	{"5.0", "5.0 §3.2.2.3.13", "Shared Subscription Available 0 or 1; a shared SUBSCRIBE after 0 is a protocol error", []string{"property_value", "shared_unavailable"}},
}

// allowedCitation reports whether a finding of kind id on a packet of
// version v may cite ref according to specTable. A 3.1 packet cites 3.1.1
// ids marked "(3.1.1)", or 3.1 sections.
func allowedCitation(v Version, id, ref string) bool {
	ver := v.String()
	if v == V31 {
		if base, ok := strings.CutSuffix(ref, " (3.1.1)"); ok {
			ver, ref = "3.1.1", base
		} else if !strings.HasPrefix(ref, "3.1 §") && strings.HasPrefix(ref, "3.1.1 §") {
			ver = "3.1.1"
		}
	}
	name := strings.TrimPrefix(strings.TrimPrefix(id, "mqtt.expert."), "mqtt.")
	for _, r := range specTable {
		if r.ver == ver && r.ref == ref {
			for _, e := range r.experts {
				if e == name {
					return true
				}
			}
		}
	}
	return false
}

// citationPackets are packets for every check, with the versions to
// dissect each under: the samples, the dissector cases, hostile packets.
func citationPackets(t *testing.T) (pkts [][]byte, vers [][]Version) {
	all := []Version{V31, V311, V5}
	files, _ := filepath.Glob("../samples/hex/*.hex")
	for _, f := range files {
		raw := sampleBytes(t, f)
		v := sampleVersion(filepath.Base(f))
		for len(raw) > 0 {
			fr := FrameHead(raw)
			n := fr.Total
			if fr.Status != FrameComplete {
				n = len(raw)
			}
			pkts, vers = append(pkts, raw[:n]), append(vers, append([]Version{v}, all...))
			raw = raw[n:]
		}
	}
	for _, c := range cases {
		pkts, vers = append(pkts, mustHex(t, c.hex)), append(vers, all)
	}
	extra := [][]byte{
		enc.EncodeConnect(enc.Connect{Version: enc.V311, ClientID: "", Will: nil}),
		enc.EncodeConnect(enc.Connect{Version: enc.V31, ClientID: "", CleanStart: true}),
		enc.EncodeConnect(enc.Connect{Version: enc.V311, CleanStart: true, ClientID: "c", Password: []byte("p")}),
		enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, ClientID: "c", Will: &enc.Will{QoS: 3, Topic: "w"}}),
		enc.EncodeConnect(enc.Connect{Version: enc.V311, CleanStart: true, ClientID: "c", Will: &enc.Will{QoS: 3, Topic: "w"}}),
		enc.EncodeConnect(enc.Connect{Version: enc.V5, Level: 9, CleanStart: true, ClientID: "c"}),
		enc.EncodeConnect(enc.Connect{Version: enc.V5, CleanStart: true, ClientID: "c",
			Properties: []enc.Property{enc.ReceiveMaximum(0), enc.MaximumPacketSize(0), enc.RequestProblemInformation(2), enc.RequestResponseInformation(2)},
			Will:       &enc.Will{Topic: "w", Properties: []enc.Property{enc.PayloadFormatIndicator(3)}}}),
		enc.EncodeConnack(enc.Connack{Version: enc.V5, Code: 0x42, Properties: []enc.Property{enc.ReceiveMaximum(0), enc.MaximumQoS(2),
			enc.RetainAvailable(2), enc.MaximumPacketSize(0), enc.WildcardSubscriptionAvailable(2), enc.SubscriptionIdentifierAvailable(2),
			enc.SharedSubscriptionAvailable(2)}}),
		enc.EncodeConnack(enc.Connack{Version: enc.V311, ReservedFlags: 0x80, Code: 9}),
		enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: "a/+", Properties: []enc.Property{enc.SubscriptionIdentifier(0), enc.PayloadFormatIndicator(1)}, Payload: []byte{0xff}}),
		enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: "", Payload: []byte("x")}),
		enc.EncodePublish(enc.Publish{Version: enc.V311, Topic: "", Payload: []byte("x")}),
		enc.EncodePublish(enc.Publish{Version: enc.V311, Topic: "a\x00\uffff", Payload: []byte("x")}),
		enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1, Properties: []enc.Property{enc.SubscriptionIdentifier(0)},
			Subs: []enc.Subscription{{Filter: "a/#/b", QoS: 3}, {Filter: "a+"}, {Filter: ""}}}),
		enc.EncodeSubscribe(enc.Subscribe{Version: enc.V311, PacketID: 0, Subs: []enc.Subscription{{Filter: "a/#/b", QoS: 3}, {Filter: "a+"}, {Filter: ""}}}),
		enc.Raw(enc.TypeSubscribe, 2, []byte{0, 1}),
		enc.Raw(enc.TypeUnsubscribe, 2, []byte{0, 1}),
		enc.Raw(enc.TypeSuback, 0, []byte{0, 1, 0x42}),
		enc.Raw(enc.TypeSuback, 0, []byte{0, 1}),
		enc.Raw(enc.TypeUnsuback, 0, []byte{0, 1, 0, 0x42}),
		enc.Raw(enc.TypeUnsuback, 0, []byte{0, 1, 0}),
		enc.Raw(enc.TypePubrel, 0, []byte{0, 1, 0x42, 0}),
		enc.Raw(enc.TypePuback, 0, []byte{0, 1, 0x42, 0}),
		enc.Raw(enc.TypePubrec, 0, []byte{0, 1, 0x42, 0}),
		enc.Raw(enc.TypePubcomp, 0, []byte{0, 1, 0x42, 0}),
		enc.Raw(enc.TypeDisconnect, 1, []byte{0x42, 0}),
		enc.Raw(enc.TypeAuth, 0, []byte{0x42, 0}),
		enc.Raw(enc.TypePublish, 0x0b, []byte{0, 1, 't'}),
		enc.Raw(0, 0, nil),
		enc.Raw(enc.TypeAuth, 0, nil),
	}
	for _, p := range extra {
		pkts, vers = append(pkts, p), append(vers, all)
	}
	return pkts, vers
}

// TestFindingsCiteTheirVersion: every finding made on every packet we have,
// dissected as 3.1, 3.1.1 and 5.0, cites a rule of that version from
// specTable for its kind (or nothing), never another version's id.
func TestFindingsCiteTheirVersion(t *testing.T) {
	pkts, vers := citationPackets(t)
	cited := map[string]bool{}
	for i, raw := range pkts {
		for _, v := range vers[i] {
			if v == VersionUnknown {
				continue
			}
			p := NewSession(v).Dissect(raw, ToServer)
			for _, e := range p.Experts() {
				if e.ID == "" {
					t.Errorf("% x as %v: finding without id: %v", raw, p.Version, e)
				}
				if _, ok := LookupExpert(e.ID); !ok {
					t.Errorf("finding id %q not in the registry", e.ID)
				}
				if e.Spec == "" {
					continue
				}
				cited[p.Version.String()+" "+e.Spec] = true
				if !allowedCitation(p.Version, e.ID, e.Spec) {
					t.Errorf("% .40x as %v: %s cites %q, not a %v rule for it in specTable", raw, p.Version, e.ID, e.Spec, p.Version)
				}
			}
		}
	}
	t.Logf("%d distinct citations", len(cited))
	if len(cited) < 60 {
		t.Errorf("only %d distinct citations made: the packets do not exercise the checks", len(cited))
	}
}

// TestRulesCiteTheirVersion: the connection stage's rules (dissect.Rule)
// cite, in every version they exist in, a rule of that version from
// specTable for their kind; every one exists in 5.0, and the kind is
// registered.
func TestRulesCiteTheirVersion(t *testing.T) {
	for _, r := range analyzerRules {
		if _, ok := LookupExpert(r.Info.ID); !ok {
			t.Errorf("rule kind %q not in the expert registry", r.Info.ID)
		}
		if r.Cite(V5) == "" {
			t.Errorf("%s: no 5.0 reference", r.Info.ID)
		}
		for _, v := range []Version{V31, V311, V5} {
			ref := r.Cite(v)
			if ref == "" {
				continue
			}
			if !allowedCitation(v, r.Info.ID, ref) {
				t.Errorf("%s cites %q for %v, not a %v rule for it in specTable", r.Info.ID, ref, v, v)
			}
		}
	}
}

// TestSpecTableShape: rows name real expert kinds, ids have their
// version's form, sections say their version.
func TestSpecTableShape(t *testing.T) {
	for _, r := range specTable {
		if !strings.HasPrefix(r.ref, "MQTT-") && !strings.HasPrefix(r.ref, r.ver+" §") {
			t.Errorf("%s row %q: neither an id nor a %s section", r.ver, r.ref, r.ver)
		}
		for _, e := range r.experts {
			_, ok1 := LookupExpert("mqtt.expert." + e)
			_, ok2 := LookupExpert("mqtt." + e)
			if !ok1 && !ok2 {
				t.Errorf("row %s %s names unknown expert %q", r.ver, r.ref, e)
			}
		}
	}
}

// The example of issue #13: bad UTF-8 cites MQTT-1.5.3-1 in 3.1.1 and
// MQTT-1.5.4-1 in 5.0, and 3.1 says which spec its id is from.
func TestUTF8CitationPerVersion(t *testing.T) {
	for v, want := range map[Version]string{V311: "MQTT-1.5.3-1", V5: "MQTT-1.5.4-1", V31: "MQTT-1.5.3-1 (3.1.1)"} {
		raw := enc.EncodePublish(enc.Publish{Version: enc.Version(v), Topic: "a\xff", Payload: []byte("x")})
		p := NewSession(v).Dissect(raw, ToServer)
		if ex := p.Experts(); len(ex) != 1 || ex[0].Spec != want || ex[0].ID != "mqtt.expert.invalid_utf8" {
			t.Errorf("%v: findings %v, want one citing %s", v, firstExperts(p, 3), want)
		}
	}
}

// A broker's PUBLISH with packet id 0 breaks the server's rule in 5.0
// (MQTT-2.2.1-4), a client's the client's; 3.1.1 has one rule for both.
func TestPacketIDZeroBySender(t *testing.T) {
	raw := enc.EncodePublish(enc.Publish{Version: enc.V5, QoS: 1, PacketID: 0, Topic: "t", Payload: []byte("x")})
	raw311 := enc.EncodePublish(enc.Publish{Version: enc.V311, QoS: 1, PacketID: 0, Topic: "t", Payload: []byte("x")})
	for _, tc := range []struct {
		raw  []byte
		v    Version
		dir  Direction
		want string
	}{
		{raw, V5, ToServer, "MQTT-2.2.1-3"},
		{raw, V5, ToClient, "MQTT-2.2.1-4"},
		{raw311, V311, ToServer, "MQTT-2.3.1-1"},
		{raw311, V311, ToClient, "MQTT-2.3.1-1"},
	} {
		p := NewSession(tc.v).Dissect(tc.raw, tc.dir)
		ex := p.Experts()
		if len(ex) != 1 || ex[0].ID != "mqtt.expert.packet_id_zero" || ex[0].Spec != tc.want {
			t.Errorf("%v %v: findings %v, want packet_id_zero citing %s", tc.v, tc.dir, firstExperts(p, 3), tc.want)
		}
		if !allowedCitation(tc.v, ex[0].ID, ex[0].Spec) {
			t.Errorf("%v %v: %s not in specTable", tc.v, tc.dir, ex[0].Spec)
		}
	}
}
