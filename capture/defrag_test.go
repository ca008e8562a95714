package capture

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// frag4 cuts a raw IPv4 frame's payload at the given offsets (multiples
// of 8) into fragments.
func frag4(frame []byte, cuts ...int) [][]byte {
	ihl := int(frame[0]&0x0f) * 4
	payload := frame[ihl:]
	cuts = append(append([]int{0}, cuts...), len(payload))
	var out [][]byte
	for i := 0; i+1 < len(cuts); i++ {
		f := append(append([]byte(nil), frame[:ihl]...), payload[cuts[i]:cuts[i+1]]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		fl := uint16(cuts[i] / 8)
		if i+2 < len(cuts) {
			fl |= 0x2000
		}
		binary.BigEndian.PutUint16(f[4:], 0x4242)
		binary.BigEndian.PutUint16(f[6:], fl)
		out = append(out, f)
	}
	return out
}

// frag6 does the same for a raw IPv6 frame, inserting fragment headers.
func frag6(frame []byte, cuts ...int) [][]byte {
	payload := frame[40:]
	cuts = append(append([]int{0}, cuts...), len(payload))
	var out [][]byte
	for i := 0; i+1 < len(cuts); i++ {
		h := append([]byte(nil), frame[:40]...)
		fh := make([]byte, 8)
		fh[0] = frame[6]
		fl := uint16(cuts[i]/8) << 3
		if i+2 < len(cuts) {
			fl |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], fl)
		binary.BigEndian.PutUint32(fh[4:], 0xdeadbeef)
		h[6] = 44
		f := append(append(h, fh...), payload[cuts[i]:cuts[i+1]]...)
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}

// refragment rewrites a capture, cutting each frame longer than 600 bytes
// into fragments with cut, then writing them in the order order gives.
func refragment(t *testing.T, capture []byte, link pcapgen.Link, cut func([]byte) [][]byte, order func([][]byte) [][]byte) []byte {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	return build(t, pcapgen.Options{Link: link}, func(w *pcapgen.Writer) {
		for {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				return
			}
			frames := [][]byte{data}
			if len(data) > 600 {
				frames = order(cut(data))
			}
			for _, f := range frames {
				w.WriteFrame(gopacket.CaptureInfo{Timestamp: ci.Timestamp}, f)
			}
		}
	})
}

func TestDefragment(t *testing.T) {
	pub := publish("frag/topic", 1500)
	session := func(w *pcapgen.Writer, c *pcapgen.Conn) {
		c.Handshake()
		c.Send(pcapgen.ToServer, connect("f"))
		c.Send(pcapgen.ToServer, pub)
		c.Send(pcapgen.ToServer, pingreq())
	}
	// Out of order, with a copy of the middle fragment whose bytes differ
	// (the first copy is kept).
	shuffle := func(fs [][]byte) [][]byte {
		evil := append([]byte(nil), fs[1]...)
		evil[len(evil)-1] ^= 0xff
		return [][]byte{fs[1], fs[2], evil, fs[0]}
	}
	for _, tc := range []struct {
		name string
		link pcapgen.Link
		cli  [2]string
		cut  func([]byte) [][]byte
	}{
		{"ipv4", pcapgen.Link{Kind: pcapgen.RawIPv4}, [2]string{}, func(b []byte) [][]byte { return frag4(b, 400, 808) }},
		{"ipv6", pcapgen.Link{Kind: pcapgen.RawIPv6}, [2]string{"v6"}, func(b []byte) [][]byte { return frag6(b, 400, 808) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := build(t, pcapgen.Options{Link: tc.link}, func(w *pcapgen.Writer) {
				if tc.cli[0] == "v6" {
					session(w, w.Conn(cli6, srv6))
				} else {
					session(w, w.Conn(cli, srv))
				}
			})
			capture := refragment(t, orig, tc.link, tc.cut, shuffle)
			evs, st := mustRead(t, capture, Config{})
			samePackets(t, packetsOf(evs), connect("f"), pub, pingreq())
			if st.Defragmented != 1 || st.FragOverlap != 1 || st.FragDropped != 0 {
				t.Errorf("defragmented %d, overlap %d, dropped %d; want 1, 1, 0", st.Defragmented, st.FragOverlap, st.FragDropped)
			}
			if g := kinds(evs, EventGap); len(g) != 0 {
				t.Errorf("gaps: %d", len(g))
			}
		})
	}
}

// TestDefragBounds: hostile fragment streams stay within the bounds.
func TestDefragBounds(t *testing.T) {
	var st Stats
	d := newDefrag(1 << 20)
	now := time.Unix(1000, 0)
	key := func(i int) fragKey { return fragKey{id: uint32(i)} }
	// Many datagrams that never complete: at most maxDatagrams are kept.
	for i := range 5000 {
		d.add(key(i), fragInfo{offset: 8, more: true, data: make([]byte, 8)}, now, &st)
	}
	if len(d.byKey) > maxDatagrams || st.FragDropped < 5000-maxDatagrams {
		t.Errorf("%d datagrams kept, %d dropped", len(d.byKey), st.FragDropped)
	}
	// Far-off fragments of big datagrams: the byte budget holds.
	for i := range 200 {
		d.add(key(10000+i), fragInfo{offset: 65000, more: true, data: make([]byte, 528)}, now, &st)
	}
	if d.bytes > d.budget {
		t.Errorf("%d bytes held, budget %d", d.bytes, d.budget)
	}
	// Past the largest datagram, or a last fragment that moves the end.
	if d.add(key(1), fragInfo{offset: 65528, data: make([]byte, 16)}, now, &st) != nil {
		t.Error("a datagram over 65535 bytes was accepted")
	}
	// Tiny fragments: too many pieces drop the datagram.
	for i := range maxFragments + 1 {
		d.add(key(20000), fragInfo{offset: 8 * (i + 1), more: true, data: make([]byte, 8)}, now, &st)
	}
	if d.byKey[key(20000)] != nil {
		t.Error("a datagram of more than maxFragments pieces is kept")
	}
	// Time passes: everything incomplete expires.
	d.add(key(30000), fragInfo{offset: 0, more: true, data: make([]byte, 8)}, now.Add(time.Minute), &st)
	if len(d.byKey) != 1 || d.bytes != 8 {
		t.Errorf("after the timeout %d datagrams, %d bytes", len(d.byKey), d.bytes)
	}
	if got := d.add(key(30000), fragInfo{offset: 8, data: []byte("abc")}, now.Add(time.Minute), &st); string(got[8:]) != "abc" || len(got) != 11 {
		t.Errorf("completed datagram %q", got)
	}
}

// FuzzDefrag feeds fragments built from the input: no panic, bounds kept,
// a completed datagram is at most 65535 bytes and has its declared size.
func FuzzDefrag(f *testing.F) {
	f.Add([]byte{1, 0, 0, 1, 8, 7, 1, 1, 1, 0, 8, 7, 1, 0, 0, 0, 8, 9})
	f.Add([]byte{2, 0xff, 0xff, 0, 200, 1, 2, 0, 0, 1, 16, 2})
	f.Fuzz(func(t *testing.T, spec []byte) {
		var st Stats
		d := newDefrag(1 << 16)
		now := time.Unix(0, 0)
		buf := make([]byte, 4096)
		for i := 0; i+6 <= len(spec); i += 6 {
			id := uint32(spec[i] & 7)
			off := int(binary.BigEndian.Uint16(spec[i+1:])) &^ 7
			n := int(spec[i+3]) * 8
			more := spec[i+4]&1 != 0
			if spec[i+4]&2 != 0 {
				n++ // not a multiple of 8
			}
			now = now.Add(time.Duration(spec[i+5]) * time.Second)
			for k := range buf[:n] {
				buf[k] = spec[i+5] + byte(k)
			}
			got := d.add(fragKey{id: id}, fragInfo{offset: off, more: more, data: buf[:n]}, now, &st)
			if len(got) > maxDatagram {
				t.Fatalf("datagram of %d bytes", len(got))
			}
			if d.bytes > d.budget || len(d.byKey) > maxDatagrams || d.bytes < 0 {
				t.Fatalf("%d bytes, %d datagrams held", d.bytes, len(d.byKey))
			}
		}
	})
}
