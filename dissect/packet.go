package dissect

import "strings"

// Version is the MQTT protocol level as carried in CONNECT.
type Version uint8

const (
	VersionUnknown Version = 0
	V31            Version = 3 // "MQIsdp"
	V311           Version = 4
	V5             Version = 5
)

func (v Version) String() string {
	switch v {
	case V31:
		return "3.1"
	case V311:
		return "3.1.1"
	case V5:
		return "5.0"
	}
	return "unknown"
}

// ParseVersion accepts "3.1", "3.1.1", "5", "5.0" and the levels "3", "4".
func ParseVersion(s string) (Version, bool) {
	switch s {
	case "3.1", "3":
		return V31, true
	case "3.1.1", "4":
		return V311, true
	case "5", "5.0":
		return V5, true
	}
	return VersionUnknown, false
}

// VersionSource says where a packet's version came from.
type VersionSource uint8

const (
	SourceNone    VersionSource = iota
	SourceConnect               // learned from a CONNECT on this connection (or this packet is one)
	SourceFlag                  // given by the user (--mqtt-version)
	SourceGuess                 // tried 5.0 and 3.1.1 and kept the consistent parse
)

func (s VersionSource) String() string {
	switch s {
	case SourceConnect:
		return "connect"
	case SourceFlag:
		return "flag"
	case SourceGuess:
		return "guess"
	}
	return "none"
}

// Direction of a packet on its connection. Topic aliases are per direction.
type Direction uint8

const (
	DirUnknown Direction = iota
	ToServer
	ToClient
)

// Packet types (the high nibble of the first byte).
const (
	TypeReserved    = 0
	TypeConnect     = 1
	TypeConnack     = 2
	TypePublish     = 3
	TypePuback      = 4
	TypePubrec      = 5
	TypePubrel      = 6
	TypePubcomp     = 7
	TypeSubscribe   = 8
	TypeSuback      = 9
	TypeUnsubscribe = 10
	TypeUnsuback    = 11
	TypePingreq     = 12
	TypePingresp    = 13
	TypeDisconnect  = 14
	TypeAuth        = 15
)

// Packet is one dissected MQTT control packet.
type Packet struct {
	Raw           []byte // the bytes dissected (possibly fewer than declared: see Missing)
	Type          uint8
	Flags         uint8 // low nibble of the first byte
	Version       Version
	VersionSource VersionSource
	// RemainingLength as declared by the fixed header (-1 when it could not be read).
	RemainingLength int
	// Missing is how many bytes the fixed header declares beyond Raw (an
	// incomplete last packet); 0 when complete.
	Missing int
	Fields  []*Node // top-level fields in wire order
	// Info is the Info text of a packet built by hand (tests, examples);
	// Dissect leaves it empty and InfoText builds it from the facts.
	Info string
	// Facts used by summaries and filters; zero values when absent.
	PacketID int // -1 when the packet has none
	QoS      int
	Retain   bool
	Dup      bool
	Topic    string   // PUBLISH topic (resolved from an alias when needed)
	Filters  []string // SUBSCRIBE/UNSUBSCRIBE topic filters
	ClientID string   // CONNECT client identifier
	Reason   int      // CONNACK return code or MQTT 5 reason code; -1 when none
	Payload  int      // PUBLISH payload length
	// TopicAlias is the PUBLISH Topic Alias property (MQTT 5), 0 when absent.
	TopicAlias int
	// Preview is a short text of the PUBLISH payload for the summary line,
	// set by the session's PayloadDecoder ("" without one).
	Preview string
	// Sources are the data sources beyond Raw that payload decoders
	// unpacked (Node.Source points at one of them).
	Sources   []*DataSource
	Malformed bool // at least one malformed finding

	// v5Evidence: the body used something only MQTT 5 has (properties,
	// reason codes); it makes a guessed 5.0 believable.
	v5Evidence bool
	// hasClientID: the CONNECT got as far as its client identifier.
	hasClientID bool
	// codes are the first return codes of a SUBACK or UNSUBACK (nCodes
	// counts them all), for an Info that names each when they differ.
	codes       [maxInfoCodes]uint8
	nCodes      int
	codesDiffer bool

	experts   []*Expert // findings as the dissector made them
	collected bool      // experts is complete (the packet came from Dissect)
}

// Experts returns every expert finding of the packet in wire order.
func (p *Packet) Experts() []*Expert {
	if p.collected {
		return p.experts
	}
	var out []*Expert
	for _, f := range p.Fields {
		f.Walk(func(n *Node) { out = append(out, n.Expert...) })
	}
	return out
}

// Find returns the first node with the abbreviation, depth first, or nil.
func (p *Packet) Find(abbrev string) *Node {
	var hit *Node
	for _, f := range p.Fields {
		f.Walk(func(n *Node) {
			if hit == nil && n.Def.Abbrev == abbrev {
				hit = n
			}
		})
		if hit != nil {
			break
		}
	}
	return hit
}

// packetTypes is the one table of packet type names: the keyword used in
// JSON and by --type, and Wireshark's label (mqtt.msgtype's value names).
var packetTypes = [16]struct{ keyword, label string }{
	{"reserved", "Reserved"}, {"connect", "Connect Command"}, {"connack", "Connect Ack"},
	{"publish", "Publish Message"}, {"puback", "Publish Ack"}, {"pubrec", "Publish Received"},
	{"pubrel", "Publish Release"}, {"pubcomp", "Publish Complete"}, {"subscribe", "Subscribe Request"},
	{"suback", "Subscribe Ack"}, {"unsubscribe", "Unsubscribe Request"}, {"unsuback", "Unsubscribe Ack"},
	{"pingreq", "Ping Request"}, {"pingresp", "Ping Response"}, {"disconnect", "Disconnect Req"},
	{"auth", "Authentication Exchange"},
}

// TypeName is Wireshark's label for a packet type value.
func TypeName(t uint8) string {
	if int(t) < len(packetTypes) {
		return packetTypes[t].label
	}
	return "Reserved"
}

// TypeKeyword is the short lowercase name of a packet type: "publish".
func TypeKeyword(t uint8) string {
	if int(t) < len(packetTypes) {
		return packetTypes[t].keyword
	}
	return "reserved"
}

// ParseTypeKeyword finds a packet type by its keyword, case-insensitively.
func ParseTypeKeyword(s string) (uint8, bool) {
	for t, pt := range packetTypes {
		if strings.EqualFold(s, pt.keyword) {
			return uint8(t), true
		}
	}
	return 0, false
}

// TypeKeywords lists the keywords in type order, for usage messages.
func TypeKeywords() []string {
	out := make([]string, 0, len(packetTypes))
	for _, pt := range packetTypes {
		out = append(out, pt.keyword)
	}
	return out
}
