package dissect

import (
	"fmt"
	"sort"
	"strconv"
)

// Dissect decodes one MQTT control packet. raw starts at the fixed header
// and holds at most one packet (fewer bytes than declared is allowed: the
// tree goes as far as the bytes do and Missing says how many are absent).
// dir selects the topic-alias table; DirUnknown is fine for pasted hex.
// A CONNECT teaches the session its version; without one, the version is the
// one the session was given or, failing that, a guess (see guess).
// It never panics and never allocates from a length the packet declares.
func (s *Session) Dissect(raw []byte, dir Direction) *Packet {
	if len(raw) > 0 && raw[0]>>4 == TypeConnect {
		// A CONNECT starts a new MQTT connection: no alias survives it.
		s.resetAliases()
		p := s.dissectAs(raw, dir, VersionUnknown, SourceConnect)
		if p.Version != VersionUnknown {
			s.Version, s.Source = p.Version, SourceConnect
		}
		return p
	}
	if s.Version != VersionUnknown {
		return s.dissectAs(raw, dir, s.Version, s.Source)
	}
	return s.guess(raw, dir)
}

// guess decodes a packet of a connection whose CONNECT was not seen. MQTT 5
// and 3.1.1 differ in properties and reason codes, so both parses are tried
// and the one without findings wins; when both are clean, 5.0 wins only if it
// decoded something 3.1.1 does not have (properties, a reason code), and
// then the session keeps 5.0, because such evidence does not happen by luck.
func (s *Session) guess(raw []byte, dir Direction) *Packet {
	// The trials run in the facts-only mode on a scratch arena (no tree
	// is kept for a parse that may lose) and on fresh sessions (alias
	// tables must not be touched by the losing parse). The session's own
	// arena serves when it has one: the trials are dead before the real
	// parse resets it, and a capture of 100,000 connections without a
	// CONNECT then keeps one scratch arena, not one per connection.
	scratch := s.Arena
	if scratch == nil {
		if s.guessArena == nil {
			s.guessArena = NewArena()
		}
		scratch = s.guessArena
	}
	trial := Session{FactsOnly: true, Arena: scratch, MaxNodes: s.MaxNodes, MaxFindings: s.MaxFindings, MaxAliasBytes: 1}
	p5 := trial.dissectAs(raw, dir, V5, SourceGuess)
	b5, ev5 := badness(p5), p5.v5Evidence
	trial = Session{FactsOnly: true, Arena: scratch, MaxNodes: s.MaxNodes, MaxFindings: s.MaxFindings, MaxAliasBytes: 1}
	b3 := badness(trial.dissectAs(raw, dir, V311, SourceGuess))
	pick := V311
	if b5 < b3 || (b5 == b3 && b5 == 0 && ev5) {
		pick = V5
	}
	// Re-run the winner on the real session so alias state is kept.
	p := s.dissectAs(raw, dir, pick, SourceGuess)
	// A clear decision is kept for the rest of the connection: 5.0 with
	// properties or reason codes that parse cleanly, or 3.1.1 where the 5.0
	// parse broke. Ambiguous packets (a PUBACK) decide nothing.
	switch {
	case pick == V5 && p.v5Evidence && b5 == 0:
		s.Version, s.Source = V5, SourceGuess
	case pick == V311 && b3 == 0 && b5 >= 100:
		s.Version, s.Source = V311, SourceGuess
	}
	return p
}

func badness(p *Packet) int {
	score, malformed := 0, false
	for _, e := range p.Experts() {
		switch e.Severity {
		case SevMalformed:
			score += 100
			malformed = true
		case SevProtocol:
			score += 1
		}
	}
	if p.Malformed && !malformed {
		score += 100 // its malformed findings were past the cap
	}
	return score
}

// dissectAs decodes raw with a fixed version (VersionUnknown: CONNECT decides).
func (s *Session) dissectAs(raw []byte, dir Direction, v Version, src VersionSource) *Packet {
	var a *alloc
	switch {
	case s.Arena != nil:
		a = s.Arena.a.reset()
	case s.FactsOnly:
		if s.own == nil {
			s.own = NewArena()
		}
		a = s.own.a.reset()
	default:
		a = newAlloc()
	}
	a.noTree = s.FactsOnly
	a.maxNodes, a.maxFindings = s.MaxNodes, s.MaxFindings
	if a.maxNodes <= 0 {
		a.maxNodes = DefaultMaxNodes
	}
	if a.maxFindings <= 0 {
		a.maxFindings = DefaultMaxFindings
	}
	p := &a.pkt // a fresh alloc per packet unless an arena lends one
	*p = Packet{Raw: raw, Version: v, VersionSource: src, PacketID: -1, Reason: -1, RemainingLength: -1, Filters: p.Filters[:0]}
	p.Fields = a.kids(8)
	c := &a.cur
	*c = cursor{b: raw, end: len(raw), decl: len(raw), out: &p.Fields, a: a}
	if len(raw) == 0 {
		c.fail(eiEmptyPacket, "empty packet", nil)
		p.finish(a)
		return p
	}
	p.Type, p.Flags = raw[0]>>4, raw[0]&0x0f
	hdr := c.add(a.node(Node{Def: fHdrFlags, Offset: 0, Length: 1, Value: uint64(raw[0])}))
	c.pos = 1
	d := &decoder{s: s, p: p, c: c, dir: dir, a: a, hdr: hdr}
	d.fixedHeaderFlags(hdr)
	if src == SourceGuess {
		a.report(hdr, eiUnknownVersion, "MQTT version guessed as "+v.String()+": no CONNECT seen on this connection", nil)
	}

	rl, rln := c.varint(fLen)
	if rln == nil {
		p.finish(a)
		return p
	}
	p.RemainingLength = int(rl)
	declEnd := c.pos + int(rl)
	if declEnd > len(raw) {
		p.Missing = declEnd - len(raw)
		c.decl = declEnd
	} else {
		c.end, c.decl = declEnd, declEnd
	}
	d.body()
	if c.left() > 0 {
		// After a malformed field the rest cannot be decoded; otherwise it
		// is bytes the packet type has no field for.
		wasDead := c.dead
		c.dead = false
		n := c.rest(fUndecoded)
		if !wasDead {
			d.a.report(n, eiLeftOver, bytesText(n.Length)+" left over after the last field", nil)
		}
	}
	if declEnd < len(raw) {
		// The caller handed more than one packet's worth: show, do not drop.
		sub := &cursor{b: raw, pos: declEnd, end: len(raw), decl: len(raw), out: &p.Fields, a: a}
		n := sub.rest(fUndecoded)
		d.a.report(n, eiBeyondLength, bytesText(n.Length)+" beyond the remaining length", nil)
	}
	p.finish(a)
	return p
}

// headerBit adds a bit group of the fixed header to hdr; in the facts-only
// mode, where the caller reads the facts from the byte itself, it only
// counts the node against the budget and returns hdr, which covers the
// same byte (a finding made on it reads the same): four ring nodes per
// packet were a sixth of a summary's dissection.
func (a *alloc) headerBit(hdr *Node, def *FieldDef, b uint64) *Node {
	if a.noTree {
		a.count++
		return hdr
	}
	return a.bitChild(hdr, def, b)
}

// fixedHeaderFlags adds the bit groups of the first byte and checks the
// flags the spec fixes for each type (MQTT-2.2.2-1, -2).
func (d *decoder) fixedHeaderFlags(hdr *Node) {
	p := d.p
	b := uint64(hdr.Value.(uint64))
	d.a.headerBit(hdr, fMsgType, b)
	show := hdrShow[b]
	switch p.Type {
	case TypePublish:
		d.a.headerBit(hdr, fDup, b)
		qos := d.a.headerBit(hdr, fQoS, b)
		d.a.headerBit(hdr, fRetain, b)
		p.QoS, p.Dup, p.Retain = int(b>>1&3), b&0x08 != 0, b&0x01 != 0 // fQoS, fDup, fRetain
		if p.QoS == 3 {
			d.a.report(qos, eiQoS3, "QoS 3 is reserved: both QoS bits set", rQoS3)
		}
		if p.Dup && p.QoS == 0 {
			d.a.report(hdr, eiDupQoS0, "DUP flag set on a QoS 0 message", rDupQoS0)
		}
	default:
		// PUBREL, SUBSCRIBE and UNSUBSCRIBE have flags fixed at 0010; every
		// other type at 0000. In 3.1 those three carried a real DUP flag and
		// QoS 1, so they are shown as such (as Wireshark does).
		want := uint8(0)
		if p.Type == TypePubrel || p.Type == TypeSubscribe || p.Type == TypeUnsubscribe {
			want = 0x2
		}
		if want == 0x2 && p.Version == V31 {
			d.a.headerBit(hdr, fDup, b)
			d.a.headerBit(hdr, fQoS, b)
			d.a.headerBit(hdr, fRetainReserved, b)
		} else {
			d.a.headerBit(hdr, fHdrReserved, b)
		}
		ok := p.Flags == want || (p.Version == V31 && want == 0x2 && p.Flags == 0xA)
		if !ok {
			ref := rHeaderFlags
			switch p.Type {
			case TypePubrel:
				ref = rPubrelFlags
			case TypeSubscribe:
				ref = rSubFlags
			case TypeUnsubscribe:
				ref = rUnsubFlags
			}
			d.a.report(hdr, eiHeaderFlags, fmt.Sprintf("fixed header flags must be %04b for %s, got %04b", want, TypeName(p.Type), p.Flags), ref)
		}
	}
	hdr.Show = show
}

// decoder carries the state of one body decode.
type decoder struct {
	s   *Session
	p   *Packet
	c   *cursor
	dir Direction
	a   *alloc
	hdr *Node // the fixed header: findings about the whole packet go here
}

func (d *decoder) body() {
	switch d.p.Type {
	case TypeConnect:
		d.connect()
	case TypeConnack:
		d.connack()
	case TypePublish:
		d.publish()
	case TypePuback, TypePubrec, TypePubrel, TypePubcomp:
		d.pubAck()
	case TypeSubscribe:
		d.subscribe()
	case TypeSuback:
		d.suback()
	case TypeUnsubscribe:
		d.unsubscribe()
	case TypeUnsuback:
		d.unsuback()
	case TypePingreq, TypePingresp:
		// no variable header, no payload
	case TypeDisconnect:
		d.disconnect()
	case TypeAuth:
		if d.p.Version == V5 {
			d.auth()
			return
		}
		d.reservedType("packet type 15 is reserved before MQTT 5.0", rType15)
	default:
		d.reservedType("packet type 0 is reserved", rReservedType)
	}
}

func (d *decoder) reservedType(msg string, ref *specRef) {
	d.a.report(d.hdr, eiReservedType, msg, ref)
	if d.c.left() > 0 {
		d.c.rest(fUndecoded)
	}
}

// finish fills the summary facts that depend on the whole tree.
func (p *Packet) finish(a *alloc) {
	if a.dropped > 0 {
		// Over the cap on purpose: the reader must learn that findings
		// are missing. It goes on the fixed header, where a reader starts.
		e := &Expert{ID: eiFindingsCapped.ID, Severity: SevNote, Offset: 0, Length: min(1, len(p.Raw)),
			Message: strconv.Itoa(a.dropped) + " more findings not kept (at most " + strconv.Itoa(a.maxFindings) + " per packet)"}
		if len(p.Fields) > 0 {
			p.Fields[0].Expert = append(p.Fields[0].Expert, e)
		}
		a.experts = append(a.experts, e)
	}
	for _, e := range a.experts {
		// The version is final only now (a CONNECT sets it mid-way).
		e.Spec = e.ref.cite(p.Version)
	}
	p.experts, p.collected = a.experts, true
	if len(p.experts) > 1 {
		// Wire order, as a reader of the breakdown meets them.
		sort.SliceStable(p.experts, func(i, j int) bool { return p.experts[i].Offset < p.experts[j].Offset })
	}
	p.Malformed = a.droppedMalformed
	for _, e := range p.experts {
		if e.Severity == SevMalformed {
			p.Malformed = true
			break
		}
	}
}

// hdrShow is the display text of every possible first byte, built once:
// "0x32, Message Type: Publish Message, QoS Level: At least once delivery ...".
var hdrShow = func() (t [256]string) {
	for b := range t {
		typ := uint8(b >> 4)
		s := fmt.Sprintf("0x%02x, Message Type: %s", b, TypeName(typ))
		if typ == TypePublish {
			if q := (b >> 1) & 3; q > 0 {
				s += ", QoS Level: " + qosLabels[uint64(q)]
			}
			if b&0x08 != 0 {
				s += ", DUP"
			}
			if b&0x01 != 0 {
				s += ", Retain"
			}
		}
		t[b] = s
	}
	return t
}()
