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

	// MaxNodes and MaxFindings bound the work one packet can cause
	// (0: DefaultMaxNodes, DefaultMaxFindings). Past MaxNodes the rest of
	// a list (properties, topic filters, return codes) is one node with a
	// mqtt.expert.tree_cut note; past MaxFindings findings are counted in
	// one mqtt.expert.findings_capped note.
	MaxNodes, MaxFindings int
	// MaxAliasBytes bounds the topic-alias tables of this session, both
	// directions together (0: DefaultMaxAliasBytes). Aliases is an optional
	// budget shared by many sessions (the whole process); see AliasBudget.
	// When a new topic does not fit, the oldest aliases are forgotten, each
	// with a mqtt.expert.alias_evicted note.
	MaxAliasBytes int
	Aliases       *AliasBudget

	aliases    [3]map[uint16]string // per direction: alias -> topic
	aliasOrder []aliasKey           // insertion order, oldest first, for eviction
	aliasHead  int                  // aliasOrder[:aliasHead] are gone
	aliasBytes int                  // charged for the tables (see aliasCost)
	own        *Arena               // for FactsOnly without an Arena
	guessArena *Arena               // for the trial decodes of a guess
}

type aliasKey struct {
	dir   Direction
	alias uint16
}

// AliasBudget is a cap on the topic-alias bytes of many sessions together.
// Not safe for concurrent use (sessions of one dissection goroutine share it).
type AliasBudget struct {
	Max  int // bytes; 0 means no shared cap
	used int
}

// Used is the bytes the sessions sharing the budget hold now.
func (b *AliasBudget) Used() int { return b.used }

// DefaultMaxAliasBytes is the topic-alias cap of one session.
const DefaultMaxAliasBytes = 16 << 20

// aliasCost is what one table entry is charged: the topic plus the map
// entry and string header around it.
func aliasCost(topic string) int { return len(topic) + 48 }

// Release gives the session's alias bytes back to its shared budget and
// forgets its aliases: call it when the connection is gone for good.
func (s *Session) Release() { s.resetAliases() }

// AliasBytes is what the session's alias tables are charged now.
func (s *Session) AliasBytes() int { return s.aliasBytes }

func (s *Session) resetAliases() {
	if s.Aliases != nil {
		s.Aliases.used -= s.aliasBytes
	}
	s.aliases = [3]map[uint16]string{}
	s.aliasOrder, s.aliasHead, s.aliasBytes = s.aliasOrder[:0], 0, 0
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

func (s *Session) aliasLimit() int {
	if s.MaxAliasBytes > 0 {
		return s.MaxAliasBytes
	}
	return DefaultMaxAliasBytes
}

func (s *Session) aliasFits(cost int) bool {
	if s.aliasBytes+cost > s.aliasLimit() {
		return false
	}
	b := s.Aliases
	return b == nil || b.Max <= 0 || b.used+cost <= b.Max
}

func (s *Session) chargeAlias(d int) {
	s.aliasBytes += d
	if s.Aliases != nil {
		s.Aliases.used += d
	}
}

// setAlias maps alias to topic for dir within the caps, forgetting the
// oldest aliases of the session as needed. It returns how many it forgot
// (and the first of them) and whether the topic was kept.
func (s *Session) setAlias(dir Direction, alias uint16, topic string) (evicted int, first uint16, stored bool) {
	tbl := &s.aliases[dir]
	if *tbl == nil {
		*tbl = make(map[uint16]string)
	}
	key := aliasKey{dir, alias}
	old, had := (*tbl)[alias]
	if !had && len(*tbl) >= maxAliases {
		return 0, 0, false
	}
	if had {
		s.chargeAlias(-aliasCost(old))
	}
	cost := aliasCost(topic)
	inOrder := had
	for !s.aliasFits(cost) && s.aliasHead < len(s.aliasOrder) {
		k := s.aliasOrder[s.aliasHead]
		s.aliasHead++
		if k == key {
			inOrder = false // it is being replaced: it goes to the back
			continue
		}
		t, ok := s.aliases[k.dir][k.alias]
		if !ok {
			continue
		}
		delete(s.aliases[k.dir], k.alias)
		s.chargeAlias(-aliasCost(t))
		if evicted == 0 {
			first = k.alias
		}
		evicted++
	}
	s.compactAliasOrder()
	if !s.aliasFits(cost) {
		delete(*tbl, alias)
		return evicted, first, false
	}
	(*tbl)[alias] = topic
	s.chargeAlias(cost)
	if !inOrder {
		s.aliasOrder = append(s.aliasOrder, key)
	}
	return evicted, first, true
}

// compactAliasOrder drops the consumed head of the eviction queue once it
// is most of it, so the queue stays as long as the tables.
func (s *Session) compactAliasOrder() {
	if s.aliasHead > 64 && s.aliasHead*2 > len(s.aliasOrder) {
		n := copy(s.aliasOrder, s.aliasOrder[s.aliasHead:])
		s.aliasOrder, s.aliasHead = s.aliasOrder[:n], 0
	}
}
