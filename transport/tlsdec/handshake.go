package tlsdec

import (
	"bytes"
	"fmt"
	"strings"
)

// hsReader cuts a direction's handshake stream into messages, keeping the
// bodies of the few messages tlsdec reads.
type hsReader struct {
	hdr  [4]byte
	hdrN int
	typ  uint8
	need int
	keep bool
	body []byte
}

func (h *hsReader) reset() {
	h.hdrN, h.need, h.keep = 0, 0, false
	h.release()
}

// release drops the body, and a large buffer with it.
func (h *hsReader) release() {
	if cap(h.body) > 4096 {
		h.body = nil
	}
	h.body = h.body[:0]
}

// wantBody lists the messages tlsdec parses: ClientHello, ServerHello,
// NewSessionTicket, EncryptedExtensions, KeyUpdate.
func wantBody(t uint8) bool { return t == 1 || t == 2 || t == 4 || t == 8 || t == 24 }

func (c *Conn) handshakeBytes(d Dir, b []byte, s Span) {
	ds := &c.dir[d]
	h := &ds.hs
	for len(b) > 0 && !ds.hsDead {
		if h.hdrN < len(h.hdr) {
			n := copy(h.hdr[h.hdrN:], b)
			h.hdrN += n
			b = b[n:]
			if h.hdrN < len(h.hdr) {
				return
			}
			h.typ = h.hdr[0]
			h.need = int(h.hdr[1])<<16 | int(h.hdr[2])<<8 | int(h.hdr[3])
			h.keep = wantBody(h.typ)
			h.body = h.body[:0]
			if h.keep && h.need > maxHandshakeMsg {
				c.event(d, s, EvMalformed, "%s of %d bytes is over the %d tlsdec parses: not parsed", handshakeName(h.typ), h.need, maxHandshakeMsg)
				h.keep = false
			}
			if h.need == 0 {
				h.hdrN = 0
				c.onHandshake(d, h.typ, nil, s)
			}
			continue
		}
		n := min(h.need, len(b))
		if h.keep && len(h.body) == 0 && n == h.need {
			h.hdrN, h.need = 0, 0
			c.onHandshake(d, h.typ, b[:n], s)
			b = b[n:]
			continue
		}
		if h.keep {
			h.body = append(h.body, b[:n]...)
		}
		h.need -= n
		b = b[n:]
		if h.need == 0 {
			h.hdrN = 0
			body := h.body
			if !h.keep {
				body = nil
			}
			c.onHandshake(d, h.typ, body, s)
			h.release()
		}
	}
}

func (c *Conn) onHandshake(d Dir, typ uint8, body []byte, s Span) {
	ds := &c.dir[d]
	switch typ {
	case 1:
		if d == ClientToServer {
			c.clientHello(body, s)
		}
	case 2:
		if d == ServerToClient {
			c.serverHello(body, s)
		}
	case 4:
		if d == ServerToClient && c.version < 0x0304 {
			c.newSessionTicket(body)
		}
	case 8:
		if d == ServerToClient {
			c.encryptedExtensions(body)
		}
	case 20:
		if c.version == 0x0304 && ds.stage == stageHandshake {
			c.switchToApp(d, s)
		}
	case 24:
		if c.version == 0x0304 && ds.stage == stageApp {
			c.keyUpdate(d, body, s)
		}
	}
}

// reader reads big-endian fields; a read past the end clears ok.
type reader struct {
	b  []byte
	ok bool
}

func (r *reader) bytes(n int) []byte {
	if !r.ok || n > len(r.b) {
		r.ok = false
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

func (r *reader) vec8() []byte  { return r.bytes(int(r.u8())) }
func (r *reader) vec16() []byte { return r.bytes(int(r.u16())) }

// extensions calls f for each extension of a hello's extension block.
func extensions(b []byte, f func(typ uint16, data []byte)) bool {
	r := reader{b: b, ok: true}
	for r.ok && len(r.b) > 0 {
		t := r.u16()
		data := r.vec16()
		if !r.ok {
			return false
		}
		f(t, data)
	}
	return r.ok
}

// alpnList is an ALPN extension's protocol names, comma-separated.
func alpnList(data []byte) string {
	r := reader{b: data, ok: true}
	list := reader{b: r.vec16(), ok: r.ok}
	var names []string
	for list.ok && len(list.b) > 0 {
		n := list.vec8()
		if list.ok {
			names = append(names, string(n))
		}
	}
	return strings.Join(names, ",")
}

func (c *Conn) clientHello(body []byte, s Span) {
	if c.haveClient {
		// The second ClientHello after a HelloRetryRequest keeps the
		// random of the first, which the key log is keyed by.
		return
	}
	r := reader{b: body, ok: true}
	r.u16() // legacy_version
	random := r.bytes(32)
	sid := r.vec8()
	r.vec16() // cipher_suites
	r.vec8()  // legacy_compression_methods
	if !r.ok {
		c.event(ClientToServer, s, EvMalformed, "ClientHello is malformed: connection not decrypted")
		return
	}
	copy(c.clientRandom[:], random)
	c.haveClient = true
	c.clientSID = append([]byte(nil), sid...)
	var versions []string
	if len(r.b) > 0 {
		ext := r.vec16()
		ok := r.ok && extensions(ext, func(t uint16, data []byte) {
			switch t {
			case 0: // server_name
				er := reader{b: data, ok: true}
				list := reader{b: er.vec16(), ok: er.ok}
				for list.ok && len(list.b) > 0 {
					kind := list.u8()
					name := list.vec16()
					if list.ok && kind == 0 && c.info.SNI == "" {
						c.info.SNI = string(name)
					}
				}
			case 16:
				c.info.ALPN = alpnList(data)
			case 35: // session_ticket (TLS 1.2 resumption)
				if len(data) > 0 {
					k := sessionKey("ticket", data)
					c.ticketKey = &k
				}
			case 42:
				c.offersEarly = true
			case 43:
				vr := reader{b: data, ok: true}
				list := reader{b: vr.vec8(), ok: vr.ok}
				for list.ok && len(list.b) > 1 {
					v := list.u16()
					if v&0x0f0f != 0x0a0a { // not GREASE
						versions = append(versions, versionName(v))
					}
				}
			}
		})
		if !ok {
			c.event(ClientToServer, s, EvMalformed, "ClientHello extensions are malformed")
		}
	}
	var m strings.Builder
	m.WriteString("ClientHello")
	sep := ": "
	if c.info.SNI != "" {
		m.WriteString(sep + "SNI " + printable(c.info.SNI))
		sep = ", "
	}
	if c.info.ALPN != "" {
		m.WriteString(sep + "ALPN " + printable(c.info.ALPN))
		sep = ", "
	}
	if len(versions) > 0 {
		m.WriteString(sep + "offers " + strings.Join(versions, ", "))
	}
	c.event(ClientToServer, s, EvHandshake, "%s", m.String())
}

// hrrRandom marks a ServerHello as a HelloRetryRequest (RFC 8446 §4.1.3).
var hrrRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

func (c *Conn) serverHello(body []byte, s Span) {
	d := ServerToClient
	r := reader{b: body, ok: true}
	version := r.u16()
	random := r.bytes(32)
	sid := r.vec8()
	id := r.u16()
	r.u8() // legacy_compression_method
	if !r.ok {
		c.event(d, s, EvMalformed, "ServerHello is malformed: connection not decrypted")
		return
	}
	if bytes.Equal(random, hrrRandom) {
		c.event(d, s, EvHandshake, "HelloRetryRequest: %s; the client sends a second ClientHello", suiteName(id))
		return
	}
	if c.haveServer {
		c.event(d, s, EvUndecryptable, "a second ServerHello (renegotiation) is not followed: later records may not decrypt")
		return
	}
	alpn, etm := "", false
	if len(r.b) > 0 {
		ext := r.vec16()
		ok := r.ok && extensions(ext, func(t uint16, data []byte) {
			switch t {
			case 16:
				alpn = alpnList(data)
			case 22:
				etm = true
			case 43:
				if len(data) == 2 {
					version = uint16(data[0])<<8 | uint16(data[1])
				}
			}
		})
		if !ok {
			c.event(d, s, EvMalformed, "ServerHello extensions are malformed")
		}
	}
	copy(c.serverRandom[:], random)
	c.haveServer = true
	c.serverSID = append([]byte(nil), sid...)
	c.version = version
	c.etm = etm && version < 0x0304
	c.info.Version = versionName(version)
	c.info.SuiteID = id
	c.info.Suite = suiteName(id)
	if alpn != "" {
		c.info.ALPN = alpn
	}
	msg := "ServerHello: " + c.info.Version + ", " + c.info.Suite
	if alpn != "" {
		msg += ", ALPN " + printable(alpn)
	}
	if c.etm {
		msg += ", encrypt-then-MAC"
	}
	c.event(d, s, EvHandshake, "%s", msg)
	c.setupKeys(s)
}

func (c *Conn) encryptedExtensions(body []byte) {
	r := reader{b: body, ok: true}
	ext := r.vec16()
	if !r.ok {
		return
	}
	extensions(ext, func(t uint16, data []byte) {
		if t == 16 {
			if a := alpnList(data); a != "" {
				c.info.ALPN = a
			}
		}
	})
}

// undecryptable stops decryption of the connection with a reason.
func (c *Conn) undecryptable(d Dir, s Span, why string) {
	c.info.Problem = why
	c.info.Decrypting = false
	c.event(d, s, EvUndecryptable, "%s, not decrypted: %s", c.describe(), why)
	c.skipAll()
}

func (c *Conn) noKeys(d Dir, s Span, why string) {
	c.info.Problem = why
	c.info.Decrypting = false
	if !c.saidNoKeys {
		c.saidNoKeys = true
		c.event(d, s, EvNoKeys, "%s, not decrypted: %s", c.describe(), why)
	}
	c.skipAll()
}

// skipAll makes protected records of both directions be counted, not
// opened. TLS 1.2 directions switch at their ChangeCipherSpec (k12 nil).
func (c *Conn) skipAll() {
	c.k12 = nil
	if c.version != 0x0304 {
		return
	}
	for i := range c.dir {
		if c.dir[i].mode != modeStopped {
			c.dir[i].mode = modeSkip
		}
	}
}

// setupKeys finds the connection's secrets once the ServerHello is known.
func (c *Conn) setupKeys(s Span) {
	d := ServerToClient
	st, ok := suites[c.info.SuiteID]
	switch {
	case c.version < 0x0301 || c.version > 0x0304:
		c.undecryptable(d, s, versionName(c.version)+" is not supported")
		return
	case !ok || st.tls13 != (c.version == 0x0304):
		c.undecryptable(d, s, fmt.Sprintf("unsupported cipher suite 0x%04X", c.info.SuiteID))
		return
	case c.keys == nil:
		c.noKeys(d, s, "no key log given")
		return
	case !c.haveClient:
		c.noKeys(d, s, "the ClientHello was not seen, so its client random is unknown")
		return
	}
	c.suite = st
	sec := c.keys.lookup(c.clientRandom)
	missing := fmt.Sprintf("no key for client random %x in the key log", c.clientRandom[:])
	if c.version < 0x0304 {
		var master []byte
		if sec != nil {
			master = sec.master
		}
		if master == nil {
			master = c.resumedMaster()
		}
		if master == nil {
			c.noKeys(d, s, missing)
			return
		}
		c.master = master
		c.k12 = tls12KeyBlock(st, c.version, c.etm, master, c.clientRandom[:], c.serverRandom[:])
		if len(c.serverSID) > 0 {
			c.keys.learn(sessionKey("id", c.serverSID), master)
		}
		return
	}
	hsLen := st.prf().Size()
	fits := func(b []byte) bool { return b == nil || len(b) == hsLen }
	if sec == nil || (sec.chts == nil && sec.shts == nil && sec.cts0 == nil && sec.sts0 == nil) {
		c.noKeys(d, s, missing)
		return
	}
	if !fits(sec.chts) || !fits(sec.shts) || !fits(sec.cts0) || !fits(sec.sts0) {
		c.noKeys(d, s, fmt.Sprintf("the key log's secrets for client random %x do not fit %s", c.clientRandom[:], st.name))
		return
	}
	c.sec = sec
	for i, hs := range [][]byte{sec.chts, sec.shts} {
		ds := &c.dir[i]
		if ds.mode == modeStopped {
			continue
		}
		ds.stage, ds.mode, ds.seq, ds.open = stageHandshake, modeDecrypt, 0, nil
		if hs != nil {
			o, err := newTLS13Opener(st, hs)
			if err != nil {
				c.undecryptable(d, s, err.Error())
				return
			}
			ds.open = o
		}
	}
}

// resumedMaster is the master secret of an earlier connection that this
// one resumes, by session ticket or by session ID, if the key log learned it.
func (c *Conn) resumedMaster() []byte {
	if c.ticketKey != nil {
		if m := c.keys.recall(*c.ticketKey); m != nil {
			return m
		}
	}
	if len(c.serverSID) > 0 && bytes.Equal(c.serverSID, c.clientSID) {
		return c.keys.recall(sessionKey("id", c.serverSID))
	}
	return nil
}

// newSessionTicket remembers which master secret a TLS 1.2 ticket carries.
func (c *Conn) newSessionTicket(body []byte) {
	r := reader{b: body, ok: true}
	r.bytes(4) // ticket_lifetime_hint
	ticket := r.vec16()
	if r.ok && len(ticket) > 0 && c.master != nil {
		c.keys.learn(sessionKey("ticket", ticket), c.master)
	}
}

func (c *Conn) appSecret(d Dir) []byte {
	if c.sec == nil {
		return nil
	}
	if d == ClientToServer {
		return c.sec.cts0
	}
	return c.sec.sts0
}

// appOpener is a fresh opener for the first application traffic secret.
func (c *Conn) appOpener(d Dir) opener {
	sec := c.appSecret(d)
	if sec == nil || c.suite == nil {
		return nil
	}
	o, err := newTLS13Opener(c.suite, sec)
	if err != nil {
		return nil
	}
	return o
}

func (c *Conn) useApp(d Dir, o opener) {
	ds := &c.dir[d]
	ds.open, ds.stage, ds.seq = o, stageApp, 0
	ds.secret = append([]byte(nil), c.appSecret(d)...)
}

// switchToApp moves a TLS 1.3 direction to its application keys after its
// Finished.
func (c *Conn) switchToApp(d Dir, s Span) {
	ds := &c.dir[d]
	o := c.appOpener(d)
	if o == nil {
		ds.stage = stageApp
		ds.mode = modeSkip
		label := "CLIENT_TRAFFIC_SECRET_0"
		if d == ServerToClient {
			label = "SERVER_TRAFFIC_SECRET_0"
		}
		c.info.Problem = "no " + label + " in the key log"
		c.info.Decrypting = false
		c.event(d, s, EvNoKeys, "%s, %s not decrypted after the handshake: no %s in the key log", c.describe(), d, label)
		return
	}
	c.useApp(d, o)
}

func (c *Conn) keyUpdate(d Dir, body []byte, s Span) {
	ds := &c.dir[d]
	if len(body) != 1 || body[0] > 1 {
		c.event(d, s, EvMalformed, "KeyUpdate is malformed")
	}
	next, err := nextTrafficSecret(c.suite, ds.secret)
	if err == nil {
		var o opener
		if o, err = newTLS13Opener(c.suite, next); err == nil {
			ds.open, ds.secret, ds.seq = o, next, 0
		}
	}
	if err != nil {
		c.authFailed(d, s)
		return
	}
	req := "update_not_requested"
	if len(body) == 1 && body[0] == 1 {
		req = "update_requested"
	}
	c.event(d, s, EvKeyUpdate, "KeyUpdate (%s): %s keys changed", req, d)
}

// Verdict is Sniff's answer.
type Verdict uint8

const (
	NeedMore Verdict = iota
	Yes
	No
)

func (v Verdict) String() string {
	switch v {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "need more"
}

// Sniff looks at the first bytes a client sent: Yes when they start a TLS
// handshake record carrying a ClientHello, No when they cannot, NeedMore
// when there are too few to say.
func Sniff(b []byte) Verdict {
	if len(b) < 1 {
		return NeedMore
	}
	if b[0] != 22 {
		return No
	}
	if len(b) < 2 {
		return NeedMore
	}
	if b[1] != 3 {
		return No
	}
	if len(b) < 3 {
		return NeedMore
	}
	if b[2] > 4 {
		return No
	}
	if len(b) < 5 {
		return NeedMore
	}
	if n := int(b[3])<<8 | int(b[4]); n < 4 || n > maxFragment {
		return No
	}
	if len(b) < 6 {
		return NeedMore
	}
	if b[5] != 1 {
		return No
	}
	return Yes
}
