package transport

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestSpanMapTinyRecords: a WebSocket layer above TLS gets a 200 KB frame
// of a reserved opcode (skipped: nothing is delivered, so nothing below it
// can be dropped), then a PUBLISH, both in one-byte records, each with its
// own TCP span. The span map stays capped, and the packet's spans still
// run from its first record to its last. Before, it kept an entry (and a
// slice) per record until data was next delivered.
func TestSpanMapTinyRecords(t *testing.T) {
	r := &rec{}
	c := New(Config{MQTTPort: true, Sink: r.sink})
	w := newWSLayer(c, &router{c: c}).(*wsLayer) // inner: over TLS
	const recLen = 30                            // TCP bytes per record (header, tag, one byte)
	var tcp [2]int64
	write := func(d Dir, b []byte, tiny bool) {
		n := len(b)
		if tiny {
			n = 1
		}
		for len(b) > 0 {
			k := min(n, len(b))
			w.write(d, b[:k], Source{Spans: []Span{{tcp[d], tcp[d] + recLen}}})
			tcp[d] += recLen
			b = b[k:]
		}
	}
	write(ToServer, upgrade, false)
	write(ToClient, []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"), false)
	frame := func(op byte, n int) []byte {
		f := []byte{0x80 | op, 0x80 | 127}
		f = binary.BigEndian.AppendUint64(f, uint64(n))
		return append(f, 0, 0, 0, 0) // mask key 0: payload as is
	}
	peak := 0
	tiny := func(b []byte) {
		for i := range b {
			write(ToServer, b[i:i+1], true)
			peak = max(peak, len(w.maps[ToServer].e))
		}
	}
	tiny(append(frame(0x3, 200000), make([]byte, 200000)...))
	pub := publish("tiny/records", 100000)
	first := tcp[ToServer]
	tiny(append(frame(0x2, len(pub)), pub...))
	if peak > maxSpanEntries {
		t.Errorf("span map peaked at %d entries, want at most %d", peak, maxSpanEntries)
	}
	pk := r.packets()
	if len(pk) != 1 || !bytes.Equal(pk[0], pub) {
		t.Fatalf("%d packets", len(pk))
	}
	var ev Event
	for _, e := range r.evs {
		if e.Kind == KindPacket {
			ev = e
		}
	}
	if len(ev.Spans) == 0 || ev.Spans[0].From > first+14*recLen || ev.Spans[len(ev.Spans)-1].To != tcp[ToServer] {
		t.Errorf("packet spans %v, want from the frame's records (%d) to the last (%d)", ev.Spans, first, tcp[ToServer])
	}
	for _, e := range w.maps[ToServer].e {
		if len(e.spans) > maxEntrySpans {
			t.Errorf("entry with %d spans", len(e.spans))
		}
	}
}

// TestSpanMapLookupAfterMerge: lookups in merged entries cover the spans
// of every record that carried the bytes.
func TestSpanMapLookupAfterMerge(t *testing.T) {
	var m spanMap
	for i := range int64(5000) {
		m.add(i, 1, []Span{{i * 10, i*10 + 10}})
	}
	if len(m.e) > maxSpanEntries {
		t.Fatalf("%d entries", len(m.e))
	}
	for _, p := range []int64{0, 1, 777, 2500, 4998, 4999} {
		got := m.lookup(p, p+1, nil)
		if len(got) == 0 || got[0].From > p*10 || got[len(got)-1].To < p*10+10 {
			t.Errorf("lookup %d: %v, want a span covering [%d, %d)", p, got, p*10, p*10+10)
		}
	}
	if got := m.lookup(0, 5000, nil); len(got) != 1 || got[0] != (Span{0, 50000}) {
		t.Errorf("lookup all: %v", got)
	}
	m.drop(4000)
	if got := m.lookup(0, 4000, nil); len(got) != 0 {
		t.Errorf("after drop: %v", got)
	}
}
