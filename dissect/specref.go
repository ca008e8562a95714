package dissect

import "strings"

// specRef names one rule in each specification. 3.1.1 and 5.0 number their
// normative statements differently, so a finding cites the rule by the
// packet's version: an id ("MQTT-1.5.3-1") where the spec gives the rule
// one, else its section ("5.0 §3.8.3.1"), never a neighbouring id. MQTT 3.1
// has no ids: a 3.1 packet cites the 3.1.1 id of the same rule, marked
// "(3.1.1)", or a 3.1 section where 3.1 differs.
type specRef struct {
	v311, v5, v31 string
}

// same is a rule both 3.1.1 and 5.0 give the same id or section number.
func same(id string) *specRef { return &specRef{v311: id, v5: id} }

// refs is a rule numbered differently: "" where the version has no such rule.
func refs(v311, v5 string) *specRef { return &specRef{v311: v311, v5: v5} }

// cite returns the reference for a packet of version v.
func (r *specRef) cite(v Version) string {
	if r == nil {
		return ""
	}
	switch v {
	case V5:
		return r.v5
	case V31:
		if r.v31 != "" {
			return r.v31
		}
		if strings.HasPrefix(r.v311, "MQTT-") {
			return r.v311 + " (3.1.1)"
		}
		return r.v311
	}
	return r.v311 // 3.1.1, and a CONNECT whose level is unknown decodes as 3.1.1
}

// The rules the dissector checks, by the statement ids of MQTT 3.1.1 (OASIS
// Standard incorporating Errata 01) and MQTT 5.0 (OASIS Standard).
var (
	rUTF8          = refs("MQTT-1.5.3-1", "MQTT-1.5.4-1")
	rUTF8Null      = refs("MQTT-1.5.3-2", "MQTT-1.5.4-2")
	rUTF8NonChar   = refs("3.1.1 §1.5.3", "5.0 §1.5.4")
	rVarintLong    = refs("3.1.1 §2.2.3", "5.0 §1.5.5")
	rVarintMinimal = refs("3.1.1 §2.2.3", "MQTT-1.5.5-1")
	rReservedType  = refs("3.1.1 §2.2.1", "5.0 §2.1.2")
	rType15        = &specRef{v311: "3.1.1 §2.2.1", v31: "3.1 §2.1"}
	rHeaderFlags   = refs("MQTT-2.2.2-1", "MQTT-2.1.3-1")
	rPubrelFlags   = same("MQTT-3.6.1-1")
	rSubFlags      = same("MQTT-3.8.1-1")
	rUnsubFlags    = same("MQTT-3.10.1-1")
	rQoS3          = same("MQTT-3.3.1-4")
	rDupQoS0       = same("MQTT-3.3.1-2")
	rPacketID      = refs("MQTT-2.3.1-1", "MQTT-2.2.1-3")
	rPacketIDSrv   = refs("MQTT-2.3.1-1", "MQTT-2.2.1-4")

	rProtoName      = same("MQTT-3.1.2-1")
	rProtoLevel     = same("MQTT-3.1.2-2")
	rConnReserved   = same("MQTT-3.1.2-3")
	rWillQoS3       = refs("MQTT-3.1.2-14", "MQTT-3.1.2-12")
	rWillQoSNoWill  = refs("MQTT-3.1.2-13", "MQTT-3.1.2-11")
	rWillRetain     = refs("MQTT-3.1.2-15", "MQTT-3.1.2-13")
	rPasswordNoUser = refs("MQTT-3.1.2-22", "")
	rClientID31     = &specRef{v31: "3.1 §3.1"}
	rEmptyIDPersist = refs("MQTT-3.1.3-7", "")
	rConnackFlags   = refs("3.1.1 §3.2.2.1", "MQTT-3.2.2-1")
	rSessionRefused = refs("MQTT-3.2.2-4", "MQTT-3.2.2-6")
	rReturnCode     = &specRef{v311: "3.1.1 §3.2.2.3", v31: "3.1 §3.2"}

	rPropLen      = refs("", "5.0 §2.2.2.1")
	rPropTable    = refs("", "5.0 §2.2.2.2")
	rTopicAlias0  = refs("", "MQTT-3.3.2-8")
	rSubID0Pub    = refs("", "5.0 §3.3.2.3.8")
	rSubID0Sub    = refs("", "5.0 §3.8.2.1.2")
	rTopicWild    = same("MQTT-3.3.2-2")
	rTopicEmpty   = refs("MQTT-4.7.3-1", "5.0 §3.3.2.3.4")
	rPayloadUTF8  = refs("", "5.0 §3.3.2.3.2")
	rSubQoS311    = refs("MQTT-3.8.3-4", "")
	rSubOpts5     = refs("", "5.0 §3.8.3.1")
	rSubOptsRes   = refs("", "MQTT-3.8.3-5")
	rNoSubFilter  = refs("MQTT-3.8.3-3", "MQTT-3.8.3-2")
	rNoUnsubFiltr = same("MQTT-3.10.3-2")
	rEmptyFilter  = same("MQTT-4.7.3-1")
	rHashWildcard = refs("MQTT-4.7.1-2", "MQTT-4.7.1-1")
	rPlusWildcard = refs("MQTT-4.7.1-3", "MQTT-4.7.1-2")
	rSubackCode   = same("MQTT-3.9.3-2")
	rNoSubackCode = refs("3.1.1 §3.9.3", "5.0 §3.9.3")
	rNoUnsubCode  = refs("", "5.0 §3.11.3")
)

// reasonRefs: the statement that the sender uses one of the packet type's
// reason codes, per type (5.0 only).
var reasonRefs = map[uint8]*specRef{
	TypeConnack:    refs("", "MQTT-3.2.2-8"),
	TypePuback:     refs("", "MQTT-3.4.2-1"),
	TypePubrec:     refs("", "MQTT-3.5.2-1"),
	TypePubrel:     refs("", "MQTT-3.6.2-1"),
	TypePubcomp:    refs("", "MQTT-3.7.2-1"),
	TypeSuback:     refs("", "MQTT-3.9.3-2"),
	TypeUnsuback:   refs("", "MQTT-3.11.3-2"),
	TypeDisconnect: refs("", "MQTT-3.14.2-1"),
	TypeAuth:       refs("", "MQTT-3.15.2-1"),
}

// propValueRef is the section that bounds a property's value in a packet
// type (5.0 gives these rules no ids).
func propValueRef(id uint8, typ int) *specRef {
	sec := ""
	switch {
	case id == 0x23:
		return rTopicAlias0
	case id == 0x0b && typ == TypeSubscribe:
		return rSubID0Sub
	case id == 0x0b:
		return rSubID0Pub
	case id == 0x01 && typ == willPacket:
		sec = "3.1.3.2.3"
	case id == 0x01:
		sec = "3.3.2.3.2"
	case id == 0x21 && typ == TypeConnect:
		sec = "3.1.2.11.3"
	case id == 0x21:
		sec = "3.2.2.3.3"
	case id == 0x27 && typ == TypeConnect:
		sec = "3.1.2.11.4"
	case id == 0x27:
		sec = "3.2.2.3.6"
	case id == 0x17:
		sec = "3.1.2.11.7"
	case id == 0x19:
		sec = "3.1.2.11.6"
	case id == 0x24:
		sec = "3.2.2.3.4"
	case id == 0x25:
		sec = "3.2.2.3.5"
	case id == 0x28:
		sec = "3.2.2.3.11"
	case id == 0x29:
		sec = "3.2.2.3.12"
	case id == 0x2a:
		sec = "3.2.2.3.13"
	default:
		return rPropTable
	}
	return refs("", "5.0 §"+sec)
}

// Rule is a rule the connection stage checks across packets (package
// conn: the limits a CONNECT or CONNACK negotiated, the exchanges still
// open): the kind of finding it makes and its reference per version.
type Rule struct {
	Info *ExpertInfo
	ref  *specRef
}

// Cite returns the rule's reference for a packet of version v ("" where
// the version has no such rule).
func (r *Rule) Cite(v Version) string { return r.ref.cite(v) }

// The connection stage's rules. Limits exist only in 5.0; each direction
// has its own statement (the client's limit is in CONNECT, the broker's in
// CONNACK). Where 5.0 states a rule without an id (the three "... not
// supported" SUBSCRIBE rules) the section of the property is cited.
var (
	RuleMaxPacketToServer  = &Rule{eiMaxPacketSize, refs("", "MQTT-3.2.2-15")}
	RuleMaxPacketToClient  = &Rule{eiMaxPacketSize, refs("", "MQTT-3.1.2-24")}
	RuleTopicAliasToServer = &Rule{eiTopicAliasMax, refs("", "MQTT-3.3.2-9")}
	RuleTopicAliasToClient = &Rule{eiTopicAliasMax, refs("", "MQTT-3.3.2-11")}
	RuleReceiveMaxToServer = &Rule{eiReceiveMax, refs("", "MQTT-3.3.4-7")}
	RuleReceiveMaxToClient = &Rule{eiReceiveMax, refs("", "MQTT-3.3.4-9")}
	RuleMaxQoS             = &Rule{eiMaxQoS, refs("", "MQTT-3.2.2-11")}
	RuleRetainUnavailable  = &Rule{eiRetainUnavailable, refs("", "MQTT-3.2.2-14")}
	RuleWildcardUnavail    = &Rule{eiWildcardUnavail, refs("", "5.0 §3.2.2.3.11")}
	RuleSubIDUnavail       = &Rule{eiSubIDUnavail, refs("", "5.0 §3.2.2.3.12")}
	RuleSharedUnavail      = &Rule{eiSharedUnavail, refs("", "5.0 §3.2.2.3.13")}
	// A new request must take an unused id: the client's rule covers
	// SUBSCRIBE, UNSUBSCRIBE and PUBLISH, the server's PUBLISH.
	RulePacketIDInUseClient = &Rule{eiPacketIDInUse, refs("MQTT-2.3.1-2", "MQTT-2.2.1-3")}
	RulePacketIDInUseServer = &Rule{eiPacketIDInUse, refs("MQTT-2.3.1-4", "MQTT-2.2.1-4")}
	// The server closes a connection silent for 1.5 × keep alive.
	RuleKeepAlive = &Rule{eiKeepAliveExceeded, refs("MQTT-3.1.2-24", "MQTT-3.1.2-22")}
)

// analyzerRules lists every Rule (the expert registry and the citation
// tests walk it).
var analyzerRules = []*Rule{
	RuleMaxPacketToServer, RuleMaxPacketToClient, RuleTopicAliasToServer, RuleTopicAliasToClient,
	RuleReceiveMaxToServer, RuleReceiveMaxToClient, RuleMaxQoS, RuleRetainUnavailable,
	RuleWildcardUnavail, RuleSubIDUnavail, RuleSharedUnavail,
	RulePacketIDInUseClient, RulePacketIDInUseServer, RuleKeepAlive,
}
