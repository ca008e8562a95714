package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// Hostile input: captures built to exhaust memory. Each test measures the
// heap (after a forced GC) or the allocation total, not time.

// heapInUse forces a collection and returns the bytes in in-use heap spans.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// totalAlloc returns the cumulative bytes allocated so far.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// perConnOverhead is what one idle connection may cost besides its buffered
// bytes: reassembly's connection (two half-connections, the pool's map
// entry, its page cache) plus our stream (two framers and their FrameRef
// slices). Measured at about 1.5 KB; 4 KB leaves room for runtime and
// gopacket changes without hiding a per-connection buffer (the smallest
// pinned buffer we care about, keptBuffer, is 2 KB per direction).
const perConnOverhead = 4 << 10

// maxDeclared is the largest remaining length MQTT can encode.
var maxDeclared = []byte{0x30, 0xff, 0xff, 0xff, 0x7f}

const maxDeclaredTotal = 1 + 4 + 268435455

// runEngine feeds every frame of capture to a new engine without the final
// flush, so the connections are still open when the caller measures.
func runEngine(t *testing.T, capture []byte, cfg Config, fn func(*Event) error) *engine {
	t.Helper()
	e := newEngine(cfg, fn)
	src, err := openSource(bytes.NewReader(capture))
	if err != nil {
		t.Fatalf("open capture: %v", err)
	}
	for {
		d, ci, lt, err := src.readPacket()
		if err == io.EOF {
			return e
		}
		if err != nil {
			t.Fatalf("read capture: %v", err)
		}
		e.handle(d, ci, lt)
	}
}

// TestHostileMaxLengthNeverSent: 5000 connections each announce a packet of
// 268435455 remaining bytes and never send the body. Whatever the limits,
// the heap grows by at most the buffer cap plus perConnOverhead per
// connection, and every connection's packet is reported as skipped
// (oversize / over budget) or partial.
func TestHostileMaxLengthNeverSent(t *testing.T) {
	const conns = 5000
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		for i := 0; i < conns; i++ {
			c := w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 2, byte(i >> 8), byte(i)}), 40000), srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, maxDeclared)
		}
	})
	cases := []struct {
		name string
		cfg  Config
		// how many connections end with a partial packet rather than a skip note
		partial func(cfg Config) int
	}{
		// the declared size is over MaxPacket: reported by header, skipped
		{"default caps", Config{}, func(Config) int { return 0 }},
		// MaxPacket allows it, so the 5-byte headers are buffered until the
		// small MaxBuffered runs out; the rest are skipped as over budget
		{"small buffer budget", Config{MaxPacket: 1 << 29, MaxBuffered: 16 << 10}, func(cfg Config) int {
			return cfg.MaxBuffered / (len(maxDeclared) + frameRefCost)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var skipped, partial, other int
			before := heapInUse()
			e := runEngine(t, capture, tc.cfg, func(ev *Event) error {
				switch {
				case ev.Kind == EventNote && ev.Declared == maxDeclaredTotal && strings.Contains(ev.Message, "skipped"):
					skipped++
				case ev.Kind == EventPacket && ev.Partial && ev.Declared == maxDeclaredTotal && bytes.Equal(ev.Data, maxDeclared):
					partial++
				case ev.Kind == EventClose:
				default:
					other++
				}
				return nil
			})
			grown := int64(heapInUse()) - int64(before)
			limit := int64(e.cfg.MaxBuffered) + conns*perConnOverhead
			if e.cfg.MaxBuffered > 64<<20 {
				t.Fatalf("test assumes a modest MaxBuffered, got %d", e.cfg.MaxBuffered)
			}
			if grown > limit {
				t.Errorf("heap grew %d bytes with %d connections open, limit %d (cap %d + %d per connection)",
					grown, conns, limit, e.cfg.MaxBuffered, perConnOverhead)
			}
			if e.buffered > e.cfg.MaxBuffered {
				t.Errorf("buffered %d over the %d cap", e.buffered, e.cfg.MaxBuffered)
			}
			runtime.KeepAlive(capture)
			e.closeAll()
			if e.buffered != 0 {
				t.Errorf("buffered %d after the flush", e.buffered)
			}
			wantPartial := tc.partial(e.cfg)
			// ±1: whether the header that reaches the cap exactly fits
			// depends on how the frame's cost is charged.
			if partial < wantPartial-1 || partial > wantPartial+1 || skipped+partial != conns || other != 0 {
				t.Errorf("%d skipped, %d partial, %d other events; want %d skipped, %d partial", skipped, partial, other, conns-wantPartial, wantPartial)
			}
		})
	}
}

// TestHostileRecordLength: record headers claiming a 4 GB frame (and other
// sizes past libpcap's maximum) end the read with an error naming the frame
// and its offset, after the frames before it were delivered, without
// allocating anything near the claim. A file header announcing a 4 GB
// snaplen must not raise the limit either.
func TestHostileRecordLength(t *testing.T) {
	for _, claim := range []uint32{0xffffffff, 0x80000000, 0x10000000, maxRecord + 1} {
		for _, opt := range []pcapgen.Options{{}, {BigEndian: true}, {Nanos: true}, {Format: pcapgen.PCAPNG}} {
			name := fmt.Sprintf("claim %#x format %d big-endian %v", claim, opt.Format, opt.BigEndian)
			capture := build(t, opt, func(w *pcapgen.Writer) {
				c := w.Conn(cli, srv)
				c.Handshake()
				c.Send(pcapgen.ToServer, pingreq())
				w.WriteOversizedRecord(claim, bytes.Repeat([]byte{0xab}, 200))
			})
			if opt.Format == pcapgen.PCAP {
				// file header snaplen at byte 16: claim the maximum too
				order := binary.ByteOrder(binary.LittleEndian)
				if opt.BigEndian {
					order = binary.BigEndian
				}
				order.PutUint32(capture[16:], 0xffffffff)
			}
			before := totalAlloc()
			evs, _, err := read(t, capture, Config{})
			allocated := totalAlloc() - before
			if err == nil || !strings.Contains(err.Error(), "frame 5") {
				t.Errorf("%s: err = %v, want one naming frame 5", name, err)
			}
			if errors.Is(err, ErrNotCapture) {
				t.Errorf("%s: the file header was rejected: %v", name, err)
			}
			if pk := kinds(evs, EventPacket); len(pk) != 1 || !bytes.Equal(pk[0].Data, pingreq()) {
				t.Errorf("%s: packets before the bad record: %+v", name, pk)
			}
			// bufio readers (2 x 64 KiB), pcapgo's record buffer (at most
			// maxRecord) and reassembly state: well under 4 MB.
			if allocated > 4<<20 {
				t.Errorf("%s: allocated %d bytes reading a %d-byte file", name, allocated, len(capture))
			}
		}
	}
}

// tinyStream writes n one-byte segments of a valid MQTT byte stream on one
// connection to out and returns the packets it carried, in order, via want.
// Mostly small PUBLISH packets; every 500th is a 3000-byte one, so one
// packet spans thousands of frames.
func tinyStream(out io.Writer, n int) error {
	w, err := pcapgen.NewWriter(out, pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.RawIPv4}})
	if err != nil {
		return fmt.Errorf("new writer: %w", err)
	}
	c := w.Conn(cli, srv)
	c.Handshake()
	for i, sent := 0, 0; sent < n; i++ {
		p := tinyPacket(i)
		for _, b := range p {
			if sent == n {
				break
			}
			c.Send(pcapgen.ToServer, []byte{b})
			sent++
		}
	}
	c.Close()
	return w.Flush()
}

// tinyPacket is packet i of tinyStream.
func tinyPacket(i int) []byte {
	if i%500 == 499 {
		return publish(fmt.Sprintf("big/%d", i), 3000)
	}
	return publish(fmt.Sprintf("t/%d", i), i%7)
}

// tinySegmentsPeak reads a capture of n one-byte segments, streamed from
// the generator through a pipe so the capture itself is never in memory,
// checks every packet, and returns the largest in-use heap seen (sampled
// after a GC at eight points of the run).
func tinySegmentsPeak(t *testing.T, n int) uint64 {
	t.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tinyStream(pw, n)) }()
	defer pr.Close()
	base := heapInUse()
	var peak uint64
	idx, partial := 0, 0
	next := n / 8
	_, err := ReadFrom(context.Background(), pr, Config{}, func(ev *Event) error {
		if ev.Kind != EventPacket {
			if ev.Kind != EventClose {
				return fmt.Errorf("unexpected %s event: %s", ev.Kind, ev.Message)
			}
			return nil
		}
		want := tinyPacket(idx)
		if ev.Partial {
			partial++
			want = want[:min(len(want), len(ev.Data))]
		}
		if !bytes.Equal(ev.Data, want) {
			return fmt.Errorf("packet %d = %q, want %q", idx, ev.Data, want)
		}
		if len(ev.Frames) != len(ev.Data) {
			return fmt.Errorf("packet %d: %d frames for %d one-byte segments", idx, len(ev.Frames), len(ev.Data))
		}
		idx++
		if ev.Frame >= next {
			next += n / 8
			if h := heapInUse(); h > base {
				peak = max(peak, h-base)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%d segments: %v", n, err)
	}
	if partial > 1 {
		t.Errorf("%d segments: %d partial packets, at most the last may be", n, partial)
	}
	if idx < n/40 {
		t.Errorf("%d segments: only %d packets", n, idx)
	}
	return peak
}

// TestHostileTinySegments: two million one-byte segments of a valid stream
// (about 110 MB of capture, generated on the fly): every packet comes out
// intact with one frame per byte, and the heap in use stays flat: no more
// than with ten times fewer segments, plus slack for GC timing.
func TestHostileTinySegments(t *testing.T) {
	if testing.Short() {
		t.Skip("two million segments: skipped with -short")
	}
	small := tinySegmentsPeak(t, 200_000)
	large := tinySegmentsPeak(t, 2_000_000)
	t.Logf("peak heap growth: %d bytes for 200k segments, %d for 2M", small, large)
	const slack = 8 << 20
	if large > small+slack {
		t.Errorf("heap in use grew with the number of segments: %d bytes for 2M vs %d for 200k", large, small)
	}
}

// TestHostileBudgetCountsFrames: the bytes charged to MaxBuffered (packet
// bytes plus frameRefCost and, with KeepFrames, the frame copy for every
// frame a packet in progress holds) must never exceed it, however the
// attacker lines up segments across thousands of connections.
func TestHostileBudgetCountsFrames(t *testing.T) {
	const conns = 2000
	connAt := func(w *pcapgen.Writer, net byte, i int) *pcapgen.Conn {
		c := w.Conn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, net, byte(i >> 8), byte(i)}), 40000), srv)
		c.Handshake()
		return c
	}
	// A complete 60000-byte packet followed by the first byte of the next
	// header in the same segment: the frame (copied with KeepFrames) stays
	// charged to the unfinished header.
	filler := publish("f", 60000-7)
	cases := []struct {
		name string
		cfg  Config
		fill func(w *pcapgen.Writer)
	}{
		{"header split after its first byte", Config{MaxPacket: 1 << 29, MaxBuffered: 64 << 10}, func(w *pcapgen.Writer) {
			var cs []*pcapgen.Conn
			for i := 0; i < conns; i++ {
				c := connAt(w, 3, i)
				c.Send(pcapgen.ToServer, maxDeclared[:1])
				cs = append(cs, c)
			}
			for _, c := range cs {
				c.Send(pcapgen.ToServer, maxDeclared[1:])
			}
		}},
		{"big frame ending in one header byte, frames kept", Config{MaxPacket: 1 << 29, MaxBuffered: 1 << 20, KeepFrames: true}, func(w *pcapgen.Writer) {
			for i := 0; i < conns; i++ {
				connAt(w, 4, i).Send(pcapgen.ToServer, append(append([]byte{}, filler...), 0x30))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			capture := build(t, pcapgen.Options{}, tc.fill)
			peak := 0
			before := heapInUse()
			e := newEngine(tc.cfg, func(*Event) error { return nil })
			src, err := openSource(bytes.NewReader(capture))
			if err != nil {
				t.Fatal(err)
			}
			for {
				d, ci, lt, err := src.readPacket()
				if err != nil {
					break
				}
				e.handle(d, ci, lt)
				peak = max(peak, e.buffered)
			}
			grown := int64(heapInUse()) - int64(before)
			runtime.KeepAlive(e)
			runtime.KeepAlive(capture)
			if peak > tc.cfg.MaxBuffered {
				t.Errorf("peak buffered %d, over the %d-byte MaxBuffered (%.2fx)", peak, tc.cfg.MaxBuffered, float64(peak)/float64(tc.cfg.MaxBuffered))
			}
			// The retransmission check keeps a fixed, input-independent
			// tail per recently active direction (tail.go).
			if limit := int64(tc.cfg.MaxBuffered) + conns*perConnOverhead + tailDirs*2*tailKeep; grown > limit {
				t.Errorf("heap grew %d bytes, limit %d (cap + %d per connection)", grown, limit, perConnOverhead)
			}
		})
	}
}
