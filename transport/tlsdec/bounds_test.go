package tlsdec

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSniff(t *testing.T) {
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	ch := v["record_client_hello"]
	for _, tc := range []struct {
		b    []byte
		want Verdict
	}{
		{nil, NeedMore},
		{ch[:1], NeedMore},
		{ch[:3], NeedMore},
		{ch[:5], NeedMore},
		{ch[:6], Yes},
		{ch, Yes},
		{[]byte{0x10, 0x20, 0, 4, 'M', 'Q', 'T', 'T'}, No}, // MQTT CONNECT
		{[]byte("GET / HTTP/1.1\r\n"), No},
		{[]byte{22, 2, 0}, No},                   // SSL 2 version
		{[]byte{22, 3, 9}, No},                   // unknown minor
		{[]byte{22, 3, 1, 0x48, 1, 1}, No},       // length over the limit
		{[]byte{22, 3, 1, 0, 2, 1}, No},          // too short for a hello
		{[]byte{22, 3, 1, 0, 0x40, 2, 0, 0}, No}, // a ServerHello from the client
		{[]byte{23, 3, 3, 0, 0x40, 1, 0, 0}, No}, // application data
		{[]byte{22, 3, 1, 0x02, 0x00, 1, 0, 0}, Yes},
	} {
		if got := Sniff(tc.b); got != tc.want {
			t.Errorf("Sniff(% x) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

func TestNotTLS(t *testing.T) {
	v := vectors(t, "rfc8448-simple-1rtt.txt")
	r := &recorder{}
	c := NewConn(nil, r)
	c.Write(ClientToServer, 0, v["record_client_hello"])
	c.Write(ServerToClient, 0, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	c.Write(ServerToClient, 29, []byte("more junk, more junk"))
	if r.count(EvNotTLS) != 1 {
		t.Errorf("want one not-TLS event:\n%s", r)
	}
	if e, _ := r.find(EvNotTLS); e.d != ServerToClient || e.s != (Span{0, 5}) {
		t.Errorf("event %+v", e)
	}
	if c.Buffered() != 0 {
		t.Errorf("Buffered %d after a stopped direction", c.Buffered())
	}
}

// TestHostileLengths: a record length over 2^14+2048 stops the direction;
// a long record is buffered up to one record, never more; a huge handshake
// message length is not buffered.
func TestHostileLengths(t *testing.T) {
	r := &recorder{}
	c := NewConn(nil, r)
	c.Write(ClientToServer, 0, []byte{22, 3, 1, 0xff, 0xff, 1})
	if r.count(EvMalformed) != 1 {
		t.Errorf("want one malformed event:\n%s", r)
	}
	c.Write(ClientToServer, 6, bytes.Repeat([]byte{0}, 100000))
	if c.Buffered() != 0 {
		t.Errorf("Buffered %d", c.Buffered())
	}

	// Largest legal record, fed in pieces: Buffered stays within MaxRecord.
	r = &recorder{}
	c = NewConn(nil, r)
	frag := bytes.Repeat([]byte{0xAB}, maxFragment)
	rec := append([]byte{23, 3, 3, byte(maxFragment >> 8), byte(maxFragment & 0xff)}, frag...)
	for off := 0; off < len(rec); off += 1000 {
		c.Write(ServerToClient, int64(off), rec[off:min(off+1000, len(rec))])
		if c.Buffered() > MaxRecord {
			t.Fatalf("Buffered %d > %d", c.Buffered(), MaxRecord)
		}
	}
	if c.Buffered() != 0 {
		t.Errorf("Buffered %d after the record", c.Buffered())
	}

	// A ClientHello claiming 16 MiB: not kept, said once.
	r = &recorder{}
	c = NewConn(nil, r)
	body := append([]byte{1, 0xff, 0xff, 0xff}, bytes.Repeat([]byte{0}, 1000)...)
	var stream []byte
	for range 20 {
		stream = append(stream, record(22, 0x0301, body)...)
		body = bytes.Repeat([]byte{0}, 1004)
	}
	c.Write(ClientToServer, 0, stream)
	if c.Buffered() != 0 || r.count(EvMalformed) != 1 {
		t.Errorf("Buffered %d:\n%s", c.Buffered(), r)
	}

	// A ClientHello of 60 KiB over several records is parsed.
	r = &recorder{}
	c = NewConn(nil, r)
	ch := clientHello(make([]byte, 32), helloOpts{sni: "big.example", alpn: strings.Repeat("x", 200)})
	msg := ch[5:]
	pad := ext(21, make([]byte, 60000)) // padding extension
	msg = append(msg, pad...)
	// Fix up the handshake and extension block lengths.
	bodyLen := len(msg) - 4
	msg[1], msg[2], msg[3] = byte(bodyLen>>16), byte(bodyLen>>8), byte(bodyLen)
	extStart := 4 + 2 + 32 + 1 + 2 + 1 + 1
	extLen := len(msg) - extStart - 2
	msg[extStart], msg[extStart+1] = byte(extLen>>8), byte(extLen)
	var recs []byte
	for off := 0; off < len(msg); off += 16384 {
		recs = append(recs, record(22, 0x0301, msg[off:min(off+16384, len(msg))])...)
	}
	c.Write(ClientToServer, 0, recs)
	if c.Info().SNI != "big.example" || r.count(EvMalformed) != 0 {
		t.Errorf("big ClientHello: info %+v:\n%s", c.Info(), r)
	}
}

func TestUnsupportedSuite(t *testing.T) {
	r := &recorder{}
	c := NewConn(&KeyLog{}, r)
	cr := make([]byte, 32)
	o := helloOpts{sni: "old.example", serverSuite: 0x000A, version: 0x0303} // 3DES
	c.Write(ClientToServer, 0, clientHello(cr, o))
	c.Write(ServerToClient, 0, serverHello(make([]byte, 32), o))
	if !strings.Contains(c.Info().Problem, "unsupported cipher suite 0x000A") || r.count(EvUndecryptable) != 1 {
		t.Errorf("info %+v:\n%s", c.Info(), r)
	}
	if c.Info().Suite != "0x000A" {
		t.Errorf("suite %q", c.Info().Suite)
	}
}

func TestKeyLogParse(t *testing.T) {
	cr := strings.Repeat("ab", 32)
	text := "# comment\n\n" +
		"CLIENT_RANDOM " + cr + " " + strings.Repeat("11", 48) + "\n" +
		"CLIENT_RANDOM " + strings.Repeat("cd", 32) + " " + strings.Repeat("22", 48) + "\r\n" +
		"SERVER_HANDSHAKE_TRAFFIC_SECRET " + cr + " " + strings.Repeat("33", 32) + "\n" +
		"CLIENT_TRAFFIC_SECRET_0 " + cr + " " + strings.Repeat("44", 48) + "\n" +
		"EXPORTER_SECRET " + strings.Repeat("ef", 32) + " " + strings.Repeat("55", 32) + "\n" +
		"CLIENT_RANDOM " + strings.Repeat("zz", 32) + " " + strings.Repeat("11", 48) + "\n" + // bad hex
		"CLIENT_RANDOM " + strings.Repeat("01", 32) + " " + strings.Repeat("11", 47) + "\n" + // short master
		"CLIENT_RANDOM " + strings.Repeat("02", 32) // no newline at the end
	k, err := ParseKeyLog(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 2 {
		t.Errorf("Len = %d, want 2", k.Len())
	}
	var a [32]byte
	for i := range a {
		a[i] = 0xab
	}
	s := k.lookup(a)
	if s == nil || len(s.master) != 48 || len(s.shts) != 32 || len(s.cts0) != 48 || s.chts != nil {
		t.Errorf("secrets %+v", s)
	}

	long := "CLIENT_RANDOM " + cr + " " + strings.Repeat("1", 5000) + "\n"
	_, err = ParseKeyLog(strings.NewReader("# ok\n# ok\n" + long))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("long line: err %v", err)
	}

	o, err := ParseKeyLog(strings.NewReader("CLIENT_RANDOM " + strings.Repeat("99", 32) + " " + strings.Repeat("66", 48) + "\n" +
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET " + cr + " " + strings.Repeat("77", 32) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	k.Merge(o)
	k.Merge(nil)
	if k.Len() != 3 || k.Dropped() != 0 {
		t.Errorf("after Merge: Len %d Dropped %d", k.Len(), k.Dropped())
	}
	if s := k.lookup(a); s == nil || len(s.chts) != 32 || len(s.master) != 48 {
		t.Errorf("merged secrets %+v", s)
	}
	var empty KeyLog
	empty.Merge(o)
	if empty.Len() != 2 {
		t.Errorf("Merge into a zero KeyLog: Len %d", empty.Len())
	}
}

func TestKeyLogCap(t *testing.T) {
	var b bytes.Buffer
	for i := range 11 {
		fmt.Fprintf(&b, "CLIENT_RANDOM %064x %096x\n", i, 1)
	}
	if _, err := parseKeyLog(bytes.NewReader(b.Bytes()), 11); err != nil {
		t.Errorf("at the cap: %v", err)
	}
	_, err := parseKeyLog(bytes.NewReader(b.Bytes()), 10)
	if !errors.Is(err, ErrTooManyEntries) || !strings.Contains(err.Error(), "line 11") {
		t.Errorf("over the cap: err %v", err)
	}
	small, _ := parseKeyLog(strings.NewReader(""), 2)
	big, _ := ParseKeyLog(bytes.NewReader(b.Bytes()))
	small.Merge(big)
	if small.Len() != 2 || small.Dropped() != 9 {
		t.Errorf("Merge over the cap: Len %d Dropped %d", small.Len(), small.Dropped())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestKeyLogReadError(t *testing.T) {
	if _, err := ParseKeyLog(errReader{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err %v", err)
	}
}

// TestConcurrentConns: Conns sharing one KeyLog (which learns TLS 1.2
// sessions) may run in parallel; run with -race.
func TestConcurrentConns(t *testing.T) {
	cv := tls12Conversation(t, 0xC02F, 0x0303, false, 4)
	keys := cv.keys(t)
	done := make(chan string, 4)
	for range 4 {
		go func() {
			r := &recorder{}
			feed(NewConn(keys, r), cv.chunks, 0)
			if !bytes.Equal(r.data[1].Bytes(), cv.sent[1]) {
				done <- "data differs"
				return
			}
			done <- ""
		}()
	}
	for range 4 {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
