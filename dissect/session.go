package dissect

// Session is the state shared by both directions of one MQTT connection:
// the protocol version and the topic aliases each side has set up.
// It is not safe for concurrent use.
type Session struct {
	Version Version
	Source  VersionSource
	// Reuse lets each Dissect recycle the memory of the previous packet's
	// tree: set it only when a packet is finished with before the next one
	// is dissected (the CLI renders each packet at once). It saves most of
	// the allocation on large captures.
	Reuse bool

	// aliases[dir] maps a topic alias to its topic, per direction.
	aliases [3]map[uint16]string
	arena   alloc
}

// NewSession starts a connection's state. A known version counts as given by
// the user (SourceFlag); VersionUnknown means "learn from CONNECT, else guess".
func NewSession(v Version) *Session {
	s := &Session{Version: v}
	if v != VersionUnknown {
		s.Source = SourceFlag
	}
	return s
}
