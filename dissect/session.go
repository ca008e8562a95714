package dissect

// Session is the state shared by both directions of one MQTT connection:
// the protocol version and the topic aliases each side has set up.
// It is not safe for concurrent use.
type Session struct {
	Version Version
	Source  VersionSource
	// Arena, when set, lends Dissect its memory for the packet's tree and
	// findings: the packet dissected before with the same arena (on any
	// session) is dead from then on. Use one arena when every packet is
	// finished with before the next is dissected (the CLI renders each at
	// once); it saves most of the allocation on large captures.
	Arena *Arena
	// FactsOnly makes Dissect fill the packet's facts, Info and findings
	// but not Fields: enough for summary lines and filters, at a fraction
	// of the cost. The packet lives until the next Dissect on the session
	// (or on its Arena).
	FactsOnly bool
	// Payload, when set, decodes PUBLISH payloads and will messages into
	// nodes under the payload's node (package payload provides one).
	Payload PayloadDecoder

	// aliases[dir] maps a topic alias to its topic, per direction.
	aliases [3]map[uint16]string
	own     *Arena // for FactsOnly without an Arena
}

// Arena is memory that consecutive Dissect calls reuse (see Session.Arena).
type Arena struct{ a alloc }

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{} }

// NewSession starts a connection's state. A known version counts as given by
// the user (SourceFlag); VersionUnknown means "learn from CONNECT, else guess".
func NewSession(v Version) *Session {
	s := &Session{Version: v}
	if v != VersionUnknown {
		s.Source = SourceFlag
	}
	return s
}
