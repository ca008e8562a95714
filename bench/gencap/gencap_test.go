package main

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mqttdump/mqttdump/dissect"
)

// streamKey names one direction of one connection.
type streamKey struct {
	src, dst gopacket.Endpoint
	sp, dp   layers.TCPPort
}

type stream struct {
	next   uint32 // expected next sequence number
	data   []byte
	starts []int // offset in data where each segment starts
}

func generate(t *testing.T, cfg Config) []byte {
	t.Helper()
	var b bytes.Buffer
	st, err := Generate(&b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(b.Len()) || st.Bytes < cfg.Size {
		t.Fatalf("stats say %d bytes, wrote %d, asked for %d", st.Bytes, b.Len(), cfg.Size)
	}
	return b.Bytes()
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Size: 300 << 10, Seed: 7, Concurrency: 20}
	a, b := generate(t, cfg), generate(t, cfg)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different bytes")
	}
	cfg.Seed = 8
	if bytes.Equal(a, generate(t, cfg)) {
		t.Error("different seed, same bytes")
	}
}

// TestStreamsFrameCleanly reassembles every direction of every connection
// (the generator never loses or reorders data), cuts it into MQTT packets and
// checks the conversation shape and the mix the benchmark relies on.
func TestStreamsFrameCleanly(t *testing.T) {
	for _, cfg := range []Config{{Size: 2 << 20, Seed: 1, Concurrency: 50}, {Size: 1 << 20, Seed: 3, Concurrency: 30, SplitVarint: true}} {
		streams, order, ipv6 := readStreams(t, generate(t, cfg))
		types := map[byte]int{}
		versions := map[byte]int{}
		multi, spanning := 0, 0
		for _, k := range order {
			s := streams[k]
			var pkts [][]byte
			isStart := map[int]bool{}
			for off := 0; off < len(s.data); {
				f := dissect.FrameHead(s.data[off:])
				if f.Status != dissect.FrameComplete {
					t.Fatalf("stream %v: %d bytes left that do not frame (status %d)", k, len(s.data)-off, f.Status)
				}
				isStart[off] = true
				pkts = append(pkts, s.data[off:off+f.Total])
				off += f.Total
			}
			for i, start := range s.starts {
				end := len(s.data)
				if i+1 < len(s.starts) {
					end = s.starts[i+1]
				}
				n := 0
				for off := start; off < end; off++ {
					if isStart[off] {
						n++
					}
				}
				if n > 1 {
					multi++ // several packets start in this segment
				}
				if !isStart[start] {
					spanning++ // this segment continues a packet
				}
			}
			first := pkts[0][0] >> 4
			if k.dp == 1883 {
				if first != dissect.TypeConnect {
					t.Fatalf("stream %v starts with type %d", k, first)
				}
				versions[pkts[0][8]]++ // protocol level after "00 04 MQTT" (one-byte length)
			} else if first != dissect.TypeConnack {
				t.Fatalf("stream %v starts with type %d", k, first)
			}
			for _, p := range pkts {
				types[p[0]>>4]++
			}
		}
		for typ := byte(1); typ <= 14; typ++ {
			if typ == dissect.TypeUnsubscribe || typ == dissect.TypeUnsuback {
				continue
			}
			if types[typ] == 0 {
				t.Errorf("no packet of type %d in %d streams", typ, len(order))
			}
		}
		if versions[4] == 0 || versions[5] == 0 || ipv6 == 0 || multi == 0 || spanning == 0 {
			t.Errorf("mix missing: versions %v, IPv6 frames %d, segments with several packets %d, continuing a packet %d", versions, ipv6, multi, spanning)
		}
	}
}

func readStreams(t *testing.T, capture []byte) (map[streamKey]*stream, []streamKey, int) {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	streams := map[streamKey]*stream{}
	var order []streamKey
	ipv6 := 0
	for n := 1; ; n++ {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.NoCopy)
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Fatalf("frame %d: no TCP", n)
		}
		if p.Layer(layers.LayerTypeIPv6) != nil {
			ipv6++
		}
		nf := p.NetworkLayer().NetworkFlow()
		k := streamKey{nf.Src(), nf.Dst(), tcp.SrcPort, tcp.DstPort}
		s := streams[k]
		if tcp.SYN {
			if s != nil {
				t.Fatalf("frame %d: tuple %v reused", n, k)
			}
			streams[k] = &stream{next: tcp.Seq + 1}
			order = append(order, k)
			continue
		}
		if s == nil {
			t.Fatalf("frame %d: data before SYN on %v", n, k)
		}
		if len(tcp.Payload) == 0 {
			continue
		}
		if tcp.Seq != s.next {
			t.Fatalf("frame %d: seq %d, want %d", n, tcp.Seq, s.next)
		}
		s.next += uint32(len(tcp.Payload))
		s.starts = append(s.starts, len(s.data))
		s.data = append(s.data, tcp.Payload...)
	}
	return streams, order, ipv6
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"500MB": 500 << 20, "1GB": 1 << 30, "64kb": 64 << 10, "123": 123, "2M": 2 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1MB", "1TB", "x"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}
