package websocket

import (
	"bytes"
	"compress/flate"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzConn")

// A fuzz input is a list of records: a control byte (bit 0: direction,
// bit 1: a gap of n bytes instead of data), a length n, then n bytes of
// data. The first byte chooses MaxInflate (bits 0-4) and AssumeUpgraded
// (bit 7).
type fuzzInput []byte

func (f *fuzzInput) add(d Dir, b []byte) {
	for len(b) > 0 {
		n := min(len(b), 255)
		*f = append(*f, byte(d), byte(n))
		*f = append(*f, b[:n]...)
		b = b[n:]
	}
}

func (f *fuzzInput) gap(d Dir, n int) { *f = append(*f, byte(d)|2, byte(n)) }

// maxFuzzBuffered bounds Buffered in every state: per direction a header
// block, the inflate state, an unmask chunk, a data chunk and a control payload.
const maxFuzzBuffered = 2 * (2*DefaultMaxHeader + winSize + outChunk + unmaskChunk + maxCarry + 2*dataChunk + 2*maxControl + 14)

func FuzzConn(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		r := &recorder{t: t}
		c := NewConn(r)
		c.MaxInflate = 1 << (in[0] & 31)
		if in[0]&0x80 != 0 {
			c.AssumeUpgraded()
		}
		in = in[1:]
		var off [2]int64
		var lastTo [2]int64
		check := sinkFunc(func(d Dir, p []byte, sp []Span, m MessageInfo, final bool) {
			r.Data(d, p, sp, m, final)
			for _, s := range sp {
				if s.From < 0 || s.To > off[d] || s.To < s.From {
					t.Fatalf("%s span %v outside the fed stream [0,%d)", d, s, off[d])
				}
				if !m.Compressed {
					if s.From < lastTo[d] {
						t.Fatalf("%s span %v before the previous end %d", d, s, lastTo[d])
					}
					lastTo[d] = s.To
				}
			}
			if len(p) > max(dataChunk, outChunk) {
				t.Fatalf("Data of %d bytes", len(p))
			}
		})
		c.sink = sinkEvents{check, r}
		for len(in) >= 2 {
			d, n := Dir(in[0]&1), int(in[1])
			if in[0]&4 != 0 {
				// The capture's budget is full: what the decoder holds goes
				// (a frame header and a control payload are kept).
				c.Shed("fuzz budget")
				if b := c.Buffered(); b > 2*(14+2*maxControl) {
					t.Fatalf("Buffered %d after Shed", b)
				}
			}
			if in[0]&2 != 0 {
				off[d] += int64(n)
				c.Gap(d, off[d]-int64(n), n)
				in = in[2:]
				continue
			}
			n = min(n, len(in)-2)
			off[d] += int64(n)
			c.Write(d, off[d]-int64(n), in[2:2+n])
			in = in[2+n:]
			if b := c.Buffered(); b > maxFuzzBuffered {
				t.Fatalf("Buffered %d > %d", b, maxFuzzBuffered)
			}
		}
		_ = c.Info()
	})
}

type sinkEvents struct {
	data sinkFunc
	ev   *recorder
}

func (s sinkEvents) Data(d Dir, p []byte, sp []Span, m MessageInfo, final bool) {
	s.data(d, p, sp, m, final)
}
func (s sinkEvents) Event(d Dir, sp Span, k EventKind, msg string) { s.ev.Event(d, sp, k, msg) }

// TestFuzzSeeds writes the seed corpus with -update-seeds, and checks it is there.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzConn")
	if !*updateSeeds {
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) < 5 {
			t.Fatalf("seed corpus missing in %s (go test -run TestFuzzSeeds -update-seeds): %v", dir, err)
		}
		return
	}
	seeds := map[string]fuzzInput{}
	hs := func(reqExt, respExt string) fuzzInput {
		f := fuzzInput{24}
		f.add(ClientToServer, []byte(upgradeRequest("mqtt", reqExt)))
		f.add(ServerToClient, []byte(upgradeResponse("mqtt", respExt)))
		return f
	}
	{
		f := hs("", "")
		var cs, ss stream
		cs.frame(true, OpBinary, false, testMask, []byte("\x10\x10\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x00"), true)
		ss.frame(true, OpBinary, false, nil, []byte("\x20\x03\x00\x00\x00"), true)
		cs.frame(false, OpBinary, false, testMask, []byte("\x30\x05\x00"), true)
		cs.frame(true, OpPing, false, testMask, []byte("hi"), false)
		cs.frame(true, OpContinuation, false, testMask, []byte("\x01tx"), true)
		ss.frame(true, OpPong, false, nil, []byte("hi"), false)
		cs.frame(true, OpClose, false, testMask, []byte("\x03\xe8bye"), false)
		ss.frame(true, OpClose, false, nil, []byte("\x03\xe8"), false)
		f.add(ClientToServer, cs.b)
		f.add(ServerToClient, ss.b)
		seeds["session"] = f
	}
	{
		f := hs("permessage-deflate", "permessage-deflate")
		var cs, ss stream
		comp := deflateSync(t, flate.DefaultCompression, []byte("\x30\x20\x00\x05topic{\"value\":1,\"value\":2}"), []byte("\x30\x20\x00\x05topic{\"value\":1,\"value\":3}"))
		compressedStream(&cs, testMask, comp)
		compressedStream(&ss, nil, comp)
		f.add(ClientToServer, cs.b)
		f.add(ServerToClient, ss.b)
		seeds["deflate"] = f
	}
	{
		f := hs("permessage-deflate", "permessage-deflate; client_no_context_takeover; server_no_context_takeover")
		var cs stream
		compressedStream(&cs, testMask, deflateEach(t, make([]byte, 5000), []byte("x")))
		f.add(ClientToServer, cs.b)
		seeds["deflate-no-takeover"] = f
	}
	{
		f := fuzzInput{24}
		f.add(ClientToServer, []byte(upgradeRequest("mqtt", "")))
		f.add(ServerToClient, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		seeds["refused"] = f
	}
	{
		f := fuzzInput{24}
		var cs stream
		cs.b = []byte(upgradeRequest("mqtt", ""))
		cs.frame(true, OpBinary, false, testMask, make([]byte, 300), true)
		f.add(ClientToServer, cs.b[:len(cs.b)-100])
		f.gap(ClientToServer, 50)
		f.add(ClientToServer, cs.b[len(cs.b)-50:])
		seeds["client-only-gap"] = f
	}
	{
		f := fuzzInput{0x80 | 24}
		var cs, ss stream
		cs.frame(true, OpBinary, false, testMask, []byte("\x30\x03\x00\x01t"), true)
		cs.frame(true, OpBinary, true, testMask, []byte("\x32\x34\x00"), false)
		ss.frame(true, OpBinary, false, nil, []byte("\xd0\x00"), true)
		f.add(ClientToServer, cs.b)
		f.add(ServerToClient, ss.b)
		seeds["mid-stream"] = f
	}
	{
		f := hs("", "")
		f.add(ServerToClient, []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1, 1})
		f.add(ClientToServer, []byte{0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5})
		seeds["lengths"] = f
	}
	writeInflateSeeds(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, f := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", []byte(f))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeInflateSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzInflate")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var full bytes.Buffer
	w, _ := flate.NewWriter(&full, flate.BestCompression)
	_, _ = w.Write([]byte(strings.Repeat("mqtt over websocket, ", 30)))
	_ = w.Close()
	var stored bytes.Buffer
	w, _ = flate.NewWriter(&stored, flate.NoCompression)
	_, _ = w.Write([]byte("stored"))
	_ = w.Close()
	seeds := map[string][]byte{
		"dynamic": full.Bytes(),
		"stored":  stored.Bytes(),
		"sync":    append(deflateSync(t, flate.BestSpeed, []byte("abcabcabc"))[0], 0, 0, 0xff, 0xff),
		"bad":     {0x07, 0x00},
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbyte('\\x03')\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
