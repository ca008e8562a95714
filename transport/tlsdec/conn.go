// Package tlsdec decrypts captured TLS 1.0-1.3 connections with the secrets
// of an NSS key log (SSLKEYLOGFILE), as Wireshark does. It is fed the two
// reassembled TCP byte streams of one connection and hands the decrypted
// application data, with the stream offsets of the records that carried it,
// to a Sink. It never needs the private keys or the certificates.
package tlsdec

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Dir is the direction of a byte stream.
type Dir uint8

const (
	ClientToServer Dir = 0
	ServerToClient Dir = 1
)

func (d Dir) String() string {
	if d == ClientToServer {
		return "client->server"
	}
	return "server->client"
}

// Span is a half-open range of TCP stream offsets of one direction.
type Span struct{ From, To int64 }

// EventKind says what an Event is about.
type EventKind uint8

const (
	EvHandshake     EventKind = iota + 1 // a ClientHello, ServerHello or HelloRetryRequest, described
	EvNoKeys                             // no key log, or no secret for this connection in it
	EvAuthFailed                         // a record did not authenticate: wrong key or corrupt capture
	EvAlert                              // an alert (decrypted or plaintext)
	EvKeyUpdate                          // a TLS 1.3 KeyUpdate: the direction's keys changed
	EvNotTLS                             // bytes that are not TLS records; the direction is no longer read
	EvUndecryptable                      // records that cannot be decrypted (suite, order, renegotiation)
	EvGap                                // bytes missing from the capture, and how decryption went on
	EvEarlyData                          // TLS 1.3 0-RTT early data, skipped
	EvMalformed                          // a record or handshake message breaking a bound or its syntax
	EvShed                               // held bytes given up for a memory budget (Shed)
)

var eventNames = [...]string{"", "handshake", "no keys", "authentication failed", "alert",
	"key update", "not TLS", "undecryptable", "gap", "early data", "malformed", "shed"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return fmt.Sprintf("event %d", k)
}

// Sink receives what a Conn finds.
type Sink interface {
	// Data is decrypted application data; s are the stream offsets of the
	// TLS record that carried it. plain is valid only during the call.
	Data(d Dir, plain []byte, s Span)
	// Event is anything else worth saying, as a human message.
	Event(d Dir, s Span, kind EventKind, msg string)
}

// Info describes a connection as far as it has been seen.
type Info struct {
	Version    string // negotiated: "TLS 1.2", "TLS 1.3"; "" until the ServerHello
	Suite      string // IANA name, e.g. "TLS_AES_128_GCM_SHA256"
	SuiteID    uint16
	SNI        string // ClientHello server_name (raw bytes from the wire)
	ALPN       string // negotiated protocol if seen, else the ClientHello's offers, comma-separated
	Decrypting bool   // keys found and records authenticate
	Problem    string // why not decrypting
	// Undecrypted counts the record bytes (headers included) of each
	// direction that carried protected data tlsdec could not decrypt.
	Undecrypted [2]int64
	// Missing counts the bytes of each direction that Gap (or a jump in
	// Write's offset) said were not captured.
	Missing [2]int64
}

// Bounds on what a hostile stream can make a Conn hold.
const (
	recordHeaderLen = 5
	maxFragment     = 1<<14 + 2048 // the largest legal TLSCiphertext fragment
	// MaxRecord is the most bytes of one record a direction buffers.
	MaxRecord       = maxFragment + recordHeaderLen
	maxHandshakeMsg = 64 << 10 // larger hello messages are not parsed
	maxResyncTries  = 64       // sequence numbers tried after a gap
	maxResyncFails  = 32       // record candidates tried after a gap before giving up
	maxResyncBudget = 32 << 20 // bytes of trial decryption spent on one gap
	maxResyncTrials = 2048     // trial decryptions spent on one gap
	maxAlertsRecord = 4        // alerts described per record
)

type mode uint8

const (
	modePlain   mode = iota // records not protected (yet)
	modeDecrypt             // protected records are opened with dir.open
	modeSkip                // protected records cannot be opened: framed and counted
	modeStopped             // not TLS (any more): bytes ignored
)

type stage uint8 // TLS 1.3 keys of a direction

const (
	stageNone stage = iota
	stageHandshake
	stageApp
)

// direction is the state of one byte stream.
type direction struct {
	started bool
	off     int64 // stream offset of the next byte

	hdr      [recordHeaderLen]byte
	hdrN     int
	recStart int64
	typ      uint8
	ver      uint16
	need     int    // fragment length of the current record
	rec      []byte // the current record's fragment so far, when split over writes
	skipBody int    // bytes left of a record broken by a gap

	scanning  bool // after a gap: looking for a record header
	scan      [aesBlock + recordHeaderLen]byte
	scanN     int
	prev      [aesBlock]byte // TLS 1.0 CBC: the last ciphertext block before a record found after a gap
	prevN     int
	candidate bool  // the current record was found by scanning
	afterGap  bool  // the current record is the first after a gap that ended at its header
	lost      int64 // bytes lost in the gap being resynchronised
	fails     int   // candidates that failed since the gap
	budget    int64 // trial decryption bytes left for this gap
	trials    int   // trial decryptions left for this gap

	mode      mode
	open      opener
	seq       uint64
	stage     stage
	secret    []byte // TLS 1.3: current traffic secret
	verSeen   uint16 // record version of the last good header
	records   int64
	decrypted int64
	recBytes  int64 // sum of record sizes, to estimate records lost in a gap

	hs     hsReader
	hsDead bool

	saidEarly, saidEarlyOrder bool
}

// Memory supplies the buffers of records split over writes, charged to a
// budget (transport.Memory has these methods). Grow returns buf with room
// for n more bytes, or ok false when the budget does not allow it.
type Memory interface {
	Grow(buf []byte, n int) (nb []byte, ok bool)
	Release(buf []byte)
}

// Scratch is the buffer records are decrypted into. Conns used from one
// goroutine may share one (SetScratch): the plaintext handed to a Sink is
// only valid during the call, and nothing keeps it.
type Scratch struct{ b []byte }

func (s *Scratch) buf() []byte {
	if s.b == nil {
		s.b = make([]byte, 0, maxFragment)
	}
	return s.b[:0]
}

// Conn decrypts one TLS connection.
type Conn struct {
	keys    *KeyLog
	sink    Sink
	dir     [2]direction
	info    Info
	mem     Memory // nil: records are buffered on the heap, counted by Buffered
	refused string // why mem refuses, for the events
	scratch *Scratch

	clientRandom, serverRandom [32]byte
	haveClient, haveServer     bool
	version                    uint16
	suite                      *suite
	etm                        bool
	offersEarly                bool
	sec                        *secrets // TLS 1.3 secrets
	master                     []byte   // TLS 1.0-1.2 master secret
	k12                        *tls12Keys
	clientSID, serverSID       []byte
	ticketKey                  *[32]byte // sessionKey of the ClientHello's ticket
	saidNoKeys                 bool
}

// NewConn starts a connection. keys may be nil: then it only describes it.
func NewConn(keys *KeyLog, sink Sink) *Conn {
	return &Conn{keys: keys, sink: sink, scratch: &Scratch{}}
}

// SetMemory makes split records buffered in m; refused says, in the
// events, why a record m does not make room for is dropped. Call it
// before the first Write.
func (c *Conn) SetMemory(m Memory, refused string) { c.mem, c.refused = m, refused }

// SetScratch makes the Conn decrypt into s (shared with other Conns).
func (c *Conn) SetScratch(s *Scratch) {
	if s != nil {
		c.scratch = s
	}
}

// Info describes the connection so far.
func (c *Conn) Info() Info { return c.info }

// Buffered is the number of bytes the Conn holds outside its Memory, by
// capacity: the record in progress when it is split over writes (without
// a Memory), and a hello message of up to 64 KiB while it spans records.
// The decryption scratch is not counted (it may be shared).
func (c *Conn) Buffered() int {
	n := 0
	for i := range c.dir {
		ds := &c.dir[i]
		if c.mem == nil {
			n += cap(ds.rec)
		}
		n += cap(ds.hs.body)
	}
	return n
}

// Shed gives up what the Conn holds because a memory budget is exhausted
// (why says which, for the events). A partial record is dropped: the rest
// of it is skipped as it comes and decryption resynchronises on the next
// record (an EvGap when the record carried application data, which the
// layer above then misses; else EvShed). A partial handshake message is
// dropped unparsed (EvShed). Scratch buffers are released.
func (c *Conn) Shed(why string) {
	for i := range c.dir {
		d := Dir(i)
		ds := &c.dir[d]
		if h := &ds.hs; ds.mode != modeStopped && len(h.body) > 0 && h.keep {
			s := Span{ds.off, ds.off}
			c.event(d, s, EvShed, "%d bytes of a partial %s (%s) dropped (%s): not parsed", len(h.body), handshakeName(h.typ), d, why)
			h.keep = false
		}
		if ds.mode != modeStopped && !ds.scanning && ds.skipBody == 0 && ds.hdrN == recordHeaderLen && len(ds.rec) > 0 {
			held := len(ds.rec)
			s, kind := c.skipRecord(d, ds.need-held)
			c.event(d, s, kind, "%d bytes of a partial %d-byte record at stream offset %d dropped (%s): that record is not decrypted",
				held, recordHeaderLen+ds.need, ds.recStart, why)
		}
		c.dropRec(ds)
		ds.hs.body = nil
	}
}

// Release gives back every buffer (the connection is over); nothing is
// reported.
func (c *Conn) Release() {
	for i := range c.dir {
		c.dropRec(&c.dir[i])
		c.dir[i].hs.body = nil
	}
}

// dropRec gives the record buffer back.
func (c *Conn) dropRec(ds *direction) {
	if ds.rec != nil && c.mem != nil {
		c.mem.Release(ds.rec)
	}
	ds.rec = nil
}

func (c *Conn) event(d Dir, s Span, k EventKind, format string, args ...any) {
	c.sink.Event(d, s, k, fmt.Sprintf(format, args...))
}

// Write feeds in-order bytes of direction d starting at stream offset off.
// Bytes before the direction's current offset are dropped; a jump forward
// is a gap. b is not kept.
func (c *Conn) Write(d Dir, off int64, b []byte) {
	if d > ServerToClient {
		return
	}
	ds := &c.dir[d]
	if !ds.started {
		ds.started, ds.off = true, off
	}
	if off > ds.off {
		c.Gap(d, ds.off, int(off-ds.off))
	}
	if off < ds.off {
		skip := ds.off - off
		if skip >= int64(len(b)) {
			return
		}
		b = b[skip:]
	}
	for len(b) > 0 {
		n := c.consume(d, b)
		b = b[n:]
		ds.off += int64(n)
	}
}

// consume takes bytes of the current record (header or fragment) from b and
// returns how many it took.
func (c *Conn) consume(d Dir, b []byte) int {
	ds := &c.dir[d]
	switch {
	case ds.mode == modeStopped:
		return len(b)
	case ds.skipBody > 0:
		n := min(ds.skipBody, len(b))
		ds.skipBody -= n
		ds.keepPrev(b[:n])
		if ds.skipBody == 0 {
			ds.hdrN = 0
			ds.seq++ // the broken record used a sequence number
			ds.afterGap = true
		}
		return n
	case ds.scanning:
		for i, x := range b {
			if ds.scanN == len(ds.scan) {
				copy(ds.scan[:], ds.scan[1:])
				ds.scanN--
			}
			ds.scan[ds.scanN] = x
			ds.scanN++
			if ds.scanN < recordHeaderLen {
				continue
			}
			copy(ds.hdr[:], ds.scan[ds.scanN-recordHeaderLen:ds.scanN])
			ds.hdrN = recordHeaderLen
			if c.plausible(ds) {
				ds.prevN = copy(ds.prev[:], ds.scan[:ds.scanN-recordHeaderLen])
				ds.scanN = 0
				ds.scanning, ds.candidate = false, true
				ds.recStart = ds.off + int64(i) + 1 - recordHeaderLen
				ds.typ, ds.ver = ds.hdr[0], binary.BigEndian.Uint16(ds.hdr[1:])
				ds.need = int(binary.BigEndian.Uint16(ds.hdr[3:]))
				return i + 1
			}
		}
		return len(b)
	case ds.hdrN < recordHeaderLen:
		if ds.hdrN == 0 {
			ds.recStart = ds.off
		}
		n := copy(ds.hdr[ds.hdrN:], b)
		ds.hdrN += n
		if ds.hdrN == recordHeaderLen {
			c.header(d)
			if ds.mode != modeStopped && ds.need == 0 {
				c.record(d, nil)
			}
		}
		return n
	}
	if len(ds.rec) == 0 && len(b) >= ds.need {
		n := ds.need
		c.record(d, b[:n])
		return n
	}
	n := min(ds.need-len(ds.rec), len(b))
	if len(ds.rec) == 0 {
		// A buffer of the record's size, only while the record is split.
		if c.mem == nil {
			ds.rec = make([]byte, 0, ds.need)
		} else if nb, ok := c.mem.Grow(nil, ds.need); ok {
			ds.rec = nb
		} else {
			c.refuse(d)
			return 0
		}
	}
	ds.rec = append(ds.rec, b[:n]...)
	if len(ds.rec) == ds.need {
		c.record(d, ds.rec)
		c.dropRec(ds)
	}
	return n
}

const aesBlock = 16

// skipRecord passes over the rest (skip bytes) of the current record and
// resynchronises after it; the handshake stream loses the record's bytes
// too. It returns the record's span and how to report it: a gap in the
// application data when it was to be decrypted, else a shed note.
func (c *Conn) skipRecord(d Dir, skip int) (Span, EventKind) {
	ds := &c.dir[d]
	s := Span{ds.recStart, ds.recStart + recordHeaderLen + int64(ds.need)}
	ds.skipBody = skip
	ds.prevN = 0
	ds.lost, ds.fails, ds.budget, ds.trials = int64(ds.need), 0, maxResyncBudget, maxResyncTrials
	ds.hs.reset()
	if ds.mode == modeDecrypt && ds.typ == 23 {
		c.info.Undecrypted[d] += s.To - s.From
		return s, EvGap
	}
	return s, EvShed
}

// refuse skips the record whose fragment begins now because Memory has no
// room to buffer it; decryption resynchronises on the next record.
func (c *Conn) refuse(d Dir) {
	ds := &c.dir[d]
	s, kind := c.skipRecord(d, ds.need)
	c.event(d, s, kind, "%d-byte record at stream offset %d not buffered (%s): that record is not decrypted",
		recordHeaderLen+ds.need, ds.recStart, c.refused)
}

// keepPrev keeps the last ciphertext block of the bytes skipped after a gap.
func (ds *direction) keepPrev(b []byte) {
	if len(b) >= aesBlock {
		ds.prevN = copy(ds.prev[:], b[len(b)-aesBlock:])
		return
	}
	keep := min(ds.prevN, aesBlock-len(b))
	copy(ds.prev[:], ds.prev[ds.prevN-keep:ds.prevN])
	ds.prevN = keep + copy(ds.prev[keep:], b)
}

// chainFromPrev gives a TLS 1.0 CBC opener the IV that a gap hid: the last
// ciphertext block of the record before.
func (ds *direction) chainFromPrev() {
	if o, ok := ds.open.(*cbcOpener); ok && o.chain != nil && ds.prevN == aesBlock {
		o.chain = append(o.chain[:0], ds.prev[:]...)
	}
}

// header checks a complete record header.
func (c *Conn) header(d Dir) {
	ds := &c.dir[d]
	h := ds.hdr
	s := Span{ds.recStart, ds.recStart + recordHeaderLen}
	if h[0] < 20 || h[0] > 24 || h[1] != 3 || h[2] > 4 {
		c.event(d, s, EvNotTLS, "not TLS at stream offset %d (bytes % x): %s no longer decoded", ds.recStart, h[:], d)
		ds.mode = modeStopped
		return
	}
	ds.typ, ds.ver = h[0], binary.BigEndian.Uint16(h[1:])
	ds.need = int(binary.BigEndian.Uint16(h[3:]))
	if ds.need > maxFragment {
		c.event(d, s, EvMalformed, "TLS record of %d bytes at stream offset %d is over the limit of %d: %s no longer decoded", ds.need, ds.recStart, maxFragment, d)
		ds.mode = modeStopped
	}
}

// plausible says whether a header found by scanning after a gap may start a
// record of this direction.
func (c *Conn) plausible(ds *direction) bool {
	h := ds.hdr
	if h[0] < 20 || h[0] > 23 || h[1] != 3 || h[2] > 4 {
		return false
	}
	if ds.verSeen != 0 && binary.BigEndian.Uint16(h[1:]) != ds.verSeen {
		return false
	}
	n := int(binary.BigEndian.Uint16(h[3:]))
	if n == 0 || n > maxFragment {
		return false
	}
	if ds.mode == modeDecrypt && ds.open != nil && n < ds.open.overhead() {
		return false
	}
	return true
}

// record handles one complete record.
func (c *Conn) record(d Dir, frag []byte) {
	ds := &c.dir[d]
	s := Span{ds.recStart, ds.recStart + recordHeaderLen + int64(len(frag))}
	typ, ver := ds.typ, ds.ver
	candidate := ds.candidate || ds.afterGap
	ds.candidate, ds.afterGap = false, false
	ds.hdrN, ds.rec = 0, ds.rec[:0]
	ds.records++
	ds.recBytes += s.To - s.From
	if !candidate {
		ds.verSeen = ver
	}
	switch ds.mode {
	case modePlain:
		c.plainRecord(d, typ, frag, s)
	case modeSkip:
		if typ == 20 || (c.version == 0x0304 && typ == 21 && len(frag) == 2) {
			c.plainRecord(d, typ, frag, s)
			return
		}
		c.info.Undecrypted[d] += s.To - s.From
	case modeDecrypt:
		if c.version == 0x0304 && typ != 23 {
			// TLS 1.3 protects only application_data records; a
			// change_cipher_spec or an alert in the clear may still come.
			c.plainRecord(d, typ, frag, s)
			return
		}
		plain, inner, ok := c.decrypt(d, typ, ver, frag, s, candidate)
		if ok {
			c.deliver(d, inner, plain, s)
		}
	}
}

func (c *Conn) plainRecord(d Dir, typ uint8, frag []byte, s Span) {
	ds := &c.dir[d]
	switch typ {
	case 22:
		c.handshakeBytes(d, frag, s)
	case 20:
		c.changeCipherSpec(d, s)
	case 21:
		c.alerts(d, frag, s)
	case 23:
		c.info.Undecrypted[d] += s.To - s.From
		switch {
		case d == ClientToServer && c.offersEarly && !c.haveServer:
			if !ds.saidEarly {
				ds.saidEarly = true
				c.event(d, s, EvEarlyData, "TLS 1.3 early data (0-RTT) is not decrypted: skipped")
			}
		case !ds.saidEarlyOrder:
			ds.saidEarlyOrder = true
			c.event(d, s, EvUndecryptable, "protected record before the handshake told how to decrypt it (ServerHello or ChangeCipherSpec not seen): not decrypted")
		}
	}
}

// deliver passes on a decrypted record's content.
func (c *Conn) deliver(d Dir, inner uint8, plain []byte, s Span) {
	ds := &c.dir[d]
	ds.decrypted++
	if c.info.Problem == "" {
		c.info.Decrypting = true
	}
	switch inner {
	case 23:
		if len(plain) > 0 {
			c.sink.Data(d, plain, s)
		}
	case 22:
		c.handshakeBytes(d, plain, s)
	case 21:
		c.alerts(d, plain, s)
	}
}

func (c *Conn) alerts(d Dir, b []byte, s Span) {
	if len(b)%2 != 0 || len(b) == 0 {
		c.event(d, s, EvMalformed, "alert record of %d bytes is malformed", len(b))
		return
	}
	n := len(b) / 2
	for i := 0; i < n && i < maxAlertsRecord; i++ {
		level, desc := b[2*i], b[2*i+1]
		switch level {
		case 2:
			c.event(d, s, EvAlert, "alert (fatal): %s", alertName(desc))
		default:
			c.event(d, s, EvAlert, "alert: %s", alertName(desc))
		}
	}
	if n > maxAlertsRecord {
		c.event(d, s, EvAlert, "and %d more alerts in the same record", n-maxAlertsRecord)
	}
}

// changeCipherSpec switches a TLS 1.0-1.2 direction to protected records.
func (c *Conn) changeCipherSpec(d Dir, s Span) {
	ds := &c.dir[d]
	if c.version == 0 || c.version >= 0x0304 || ds.mode == modeDecrypt {
		// TLS 1.3 middlebox compatibility, or a renegotiation tlsdec does
		// not follow (the next records then fail to authenticate).
		return
	}
	if c.k12 == nil {
		ds.mode = modeSkip
		return
	}
	o, err := c.k12.newOpener(d)
	if err != nil {
		c.undecryptable(d, s, err.Error())
		return
	}
	ds.open, ds.seq, ds.mode = o, 0, modeDecrypt
}

// decrypt opens a protected record; on failure it says why once and stops
// decrypting the direction.
func (c *Conn) decrypt(d Dir, typ uint8, ver uint16, frag []byte, s Span, candidate bool) ([]byte, uint8, bool) {
	ds := &c.dir[d]
	if candidate {
		return c.resync(d, typ, ver, frag, s)
	}
	if ds.open != nil {
		if p, t, ok := ds.open.open(c.scratch.buf(), ds.seq, typ, ver, frag); ok {
			ds.seq++
			return p, t, true
		}
	}
	if c.version == 0x0304 && ds.stage == stageHandshake {
		// The Finished that switches keys may have been missed (or the
		// key log has no handshake secrets): try the application keys.
		if o := c.appOpener(d); o != nil {
			if p, t, ok := o.open(c.scratch.buf(), 0, typ, ver, frag); ok {
				c.useApp(d, o)
				ds.seq = 1
				return p, t, true
			}
		}
		if ds.open == nil || (d == ClientToServer && c.offersEarly && ds.decrypted == 0) {
			c.info.Undecrypted[d] += s.To - s.From
			if d == ClientToServer && c.offersEarly && !ds.saidEarly {
				ds.saidEarly = true
				c.event(d, s, EvEarlyData, "TLS 1.3 early data (0-RTT) is not decrypted: skipped")
			}
			return nil, 0, false
		}
	}
	c.authFailed(d, s)
	return nil, 0, false
}

func (c *Conn) authFailed(d Dir, s Span) {
	ds := &c.dir[d]
	ds.mode = modeSkip
	c.info.Undecrypted[d] += s.To - s.From
	c.info.Decrypting = false
	c.info.Problem = fmt.Sprintf("authentication failed at record %d (%s)", ds.records, d)
	c.event(d, s, EvAuthFailed, "%s, not decrypted: record %d (%s) does not authenticate with the key log's secret (wrong key or corrupt capture)", c.describe(), ds.records, d)
}

// resync opens a record found by scanning after a gap, trying the sequence
// numbers the lost bytes may have used.
func (c *Conn) resync(d Dir, typ uint8, ver uint16, frag []byte, s Span) ([]byte, uint8, bool) {
	ds := &c.dir[d]
	try := func(o opener, base uint64, k uint64) ([]byte, uint8, bool) {
		if ds.budget < int64(len(frag)) || ds.trials <= 0 {
			return nil, 0, false
		}
		ds.budget -= int64(len(frag))
		ds.trials--
		p, t, ok := o.open(c.scratch.buf(), base+k, typ, ver, frag)
		if ok {
			ds.seq = base + k + 1
			c.event(d, s, EvGap, "resynchronised at stream offset %d after %d lost bytes (%d records lost)", s.From, ds.lost, k)
			ds.fails = 0
			ds.verSeen = ver
		}
		return p, t, ok
	}
	ds.chainFromPrev()
	if ds.open != nil {
		for k := uint64(0); k < maxResyncTries; k++ {
			if p, t, ok := try(ds.open, ds.seq, k); ok {
				return p, t, true
			}
		}
		// A long gap: between half and twice the number of records of
		// the average size seen so far, within the trial budget.
		if ds.records > 1 {
			avg := max(ds.recBytes/ds.records, 1)
			est := uint64(ds.lost / avg)
			for k := max(est/2, maxResyncTries); k < 2*est+8 && ds.budget >= int64(len(frag)) && ds.trials > 0; k++ {
				if p, t, ok := try(ds.open, ds.seq, k); ok {
					return p, t, true
				}
			}
		}
	}
	if c.version == 0x0304 && ds.stage == stageHandshake {
		if o := c.appOpener(d); o != nil {
			for k := uint64(0); k < maxResyncTries; k++ {
				if p, t, ok := o.open(c.scratch.buf(), k, typ, ver, frag); ok {
					c.useApp(d, o)
					ds.seq = k + 1
					c.event(d, s, EvGap, "resynchronised at stream offset %d after %d lost bytes (%d records lost)", s.From, ds.lost, k)
					ds.fails = 0
					return p, t, true
				}
			}
		}
	}
	c.info.Undecrypted[d] += s.To - s.From
	ds.fails++
	if ds.fails >= maxResyncFails {
		ds.mode = modeSkip
		c.info.Decrypting = false
		c.info.Problem = fmt.Sprintf("lost the record sequence after a gap (%s)", d)
		c.event(d, s, EvGap, "could not resynchronise after the gap: %s no longer decrypted", d)
		return nil, 0, false
	}
	// Scan on after this record; its last block is the IV of the next
	// one in TLS 1.0.
	ds.scanning, ds.hdrN = true, 0
	ds.scanN = copy(ds.scan[:aesBlock], frag[max(0, len(frag)-aesBlock):])
	return nil, 0, false
}

// Gap says n bytes of direction d are missing at stream offset off.
// Decryption goes on at the next record that can be found and
// authenticated, or stops for the direction with an Event.
func (c *Conn) Gap(d Dir, off int64, n int) {
	if d > ServerToClient || n <= 0 {
		return
	}
	ds := &c.dir[d]
	if !ds.started {
		ds.started, ds.off = true, off
	}
	end := off + int64(n)
	if end <= ds.off {
		return
	}
	lost := end - ds.off
	at := ds.off
	ds.off = end
	c.info.Missing[d] += lost
	if ds.mode == modeStopped {
		return
	}
	s := Span{at, end}
	// A handshake message cut by the gap cannot be parsed; the next
	// handshake record most likely starts a new one.
	ds.hs.reset()
	if !ds.scanning && ds.hdrN == recordHeaderLen && ds.skipBody == 0 {
		left := int64(ds.need - len(ds.rec))
		if lost < left {
			// The gap ends inside the current record: skip the rest of
			// it and go on with the next one, whose header is known.
			ds.skipBody = int(left - lost)
			c.dropRec(ds)
			ds.prevN = 0
			ds.lost, ds.fails, ds.budget, ds.trials = lost, 0, maxResyncBudget, maxResyncTrials
			c.info.Undecrypted[d] += int64(recordHeaderLen + ds.need)
			c.event(d, s, EvGap, "%d bytes missing at stream offset %d inside a record: that record is not decrypted", lost, at)
			return
		}
		if lost == left {
			ds.hdrN = 0
			c.dropRec(ds)
			ds.seq++
			ds.afterGap, ds.prevN = true, 0
			ds.lost, ds.fails, ds.budget, ds.trials = lost, 0, maxResyncBudget, maxResyncTrials
			c.info.Undecrypted[d] += int64(recordHeaderLen + ds.need)
			c.event(d, s, EvGap, "%d bytes missing at stream offset %d: the rest of a record, that record is not decrypted", lost, at)
			return
		}
	}
	if ds.scanning {
		ds.lost += lost
	} else {
		ds.lost = lost
		ds.fails = 0
		ds.budget, ds.trials = maxResyncBudget, maxResyncTrials
	}
	ds.scanning, ds.hdrN, ds.skipBody, ds.candidate, ds.scanN = true, 0, 0, false, 0
	c.dropRec(ds)
	c.event(d, s, EvGap, "%d bytes missing at stream offset %d: looking for the next record", lost, at)
}

// describe is the connection in a few words, e.g. "TLS 1.3 (SNI broker)".
func (c *Conn) describe() string {
	v := c.info.Version
	if v == "" {
		v = "TLS"
	}
	if c.info.SNI == "" {
		return v + " (no SNI)"
	}
	return v + " (SNI " + printable(c.info.SNI) + ")"
}

// printable escapes bytes outside printable ASCII; wire text goes into
// messages only this way.
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && i < 255; i++ {
		x := s[i]
		if x < 0x20 || x > 0x7e || x == '\\' {
			fmt.Fprintf(&b, "\\x%02x", x)
			continue
		}
		b.WriteByte(x)
	}
	if len(s) > 255 {
		b.WriteString("...")
	}
	return b.String()
}
