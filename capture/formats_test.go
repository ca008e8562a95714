package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"github.com/gopacket/gopacket/pcapgo"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

var (
	cli6 = netip.MustParseAddrPort("[::1]:50000")
	srv6 = netip.MustParseAddrPort("[::1]:1883")
)

// session writes a small conversation with a packet split over two segments.
func session(w *pcapgen.Writer, ifc *pcapgen.Iface, client, server netip.AddrPort) {
	c := ifc.Conn(client, server)
	c.Handshake()
	c.Send(pcapgen.ToServer, connect("id"))
	c.Send(pcapgen.ToClient, connack())
	p := publish("a/b", 100)
	c.SendSplit(pcapgen.ToServer, p, 20, 1000)
	c.Close()
}

func wantSession(t *testing.T, evs []got) {
	t.Helper()
	samePackets(t, packetsOf(evs), connect("id"), connack(), publish("a/b", 100))
}

func TestLinkTypesAndFormats(t *testing.T) {
	cases := []struct {
		name   string
		opt    pcapgen.Options
		v6     bool
		wantLT layers.LinkType
	}{
		{"ethernet", pcapgen.Options{}, false, layers.LinkTypeEthernet},
		{"ethernet-ipv6", pcapgen.Options{}, true, layers.LinkTypeEthernet},
		{"vlan", pcapgen.Options{Link: pcapgen.Link{VLANs: []uint16{1008}}}, false, layers.LinkTypeEthernet},
		{"qinq-ipv6", pcapgen.Options{Link: pcapgen.Link{VLANs: []uint16{10, 20}}}, true, layers.LinkTypeEthernet},
		{"sll", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.SLL}}, false, layers.LinkTypeLinuxSLL},
		{"sll-ipv6", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.SLL}}, true, layers.LinkTypeLinuxSLL},
		{"sll2", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.SLL2}}, false, layers.LinkTypeLinuxSLL2},
		{"null", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.Null}}, false, layers.LinkTypeNull},
		{"null-ipv6-bigendian", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.Null, Family6: 24}, BigEndian: true}, true, layers.LinkTypeNull},
		{"loop", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.Loop}}, true, layers.LinkTypeLoop},
		{"raw-ipv4-228", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.RawIPv4}}, false, layers.LinkTypeIPv4},
		{"raw-ipv6-229", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.RawIPv6}}, true, layers.LinkTypeIPv6},
		{"raw-101", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.Raw}}, true, layers.LinkTypeRaw},
		{"raw-dlt12", pcapgen.Options{Link: pcapgen.Link{Kind: pcapgen.RawDLT12}}, false, layers.LinkType(12)},
		{"nanosecond", pcapgen.Options{Nanos: true}, false, layers.LinkTypeEthernet},
		{"big-endian", pcapgen.Options{BigEndian: true}, false, layers.LinkTypeEthernet},
		{"big-endian-nanosecond", pcapgen.Options{BigEndian: true, Nanos: true}, true, layers.LinkTypeEthernet},
		{"pcapng", pcapgen.Options{Format: pcapgen.PCAPNG}, false, layers.LinkTypeEthernet},
		{"pcapng-sll2-ipv6", pcapgen.Options{Format: pcapgen.PCAPNG, Link: pcapgen.Link{Kind: pcapgen.SLL2}}, true, layers.LinkTypeLinuxSLL2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := cli, srv
			if tc.v6 {
				c, s = cli6, srv6
			}
			capture := build(t, tc.opt, func(w *pcapgen.Writer) { session(w, w.Iface0(), c, s) })
			evs, st := mustRead(t, capture, Config{})
			wantSession(t, evs)
			if st.LinkType != tc.wantLT {
				t.Errorf("link type %v, want %v", st.LinkType, tc.wantLT)
			}
			if pk := kinds(evs, EventPacket); len(pk) > 0 && (pk[0].Src != c || pk[0].Dst != s) {
				t.Errorf("addresses %v -> %v", pk[0].Src, pk[0].Dst)
			}
			wantTime := pcapgen.DefaultStart.Add(3 * pcapgen.DefaultStep)
			if pk := kinds(evs, EventPacket); len(pk) > 0 && !pk[0].Time.Equal(wantTime) {
				t.Errorf("time %v, want %v", pk[0].Time, wantTime)
			}
		})
	}
}

func TestPcapngTwoInterfaces(t *testing.T) {
	capture := build(t, pcapgen.Options{Format: pcapgen.PCAPNG}, func(w *pcapgen.Writer) {
		raw, err := w.AddInterface(pcapgen.Link{Kind: pcapgen.RawIPv6})
		if err != nil {
			t.Fatal(err)
		}
		session(w, w.Iface0(), cli, srv)
		session(w, raw, cli6, srv6)
	})
	evs, st := mustRead(t, capture, Config{KeepFrames: true})
	pk := kinds(evs, EventPacket)
	if len(pk) != 6 || st.Connections != 2 {
		t.Fatalf("packets %d, connections %d", len(pk), st.Connections)
	}
	if pk[0].Frames[0].LinkType != layers.LinkTypeEthernet || pk[5].Frames[0].LinkType != layers.LinkTypeIPv6 {
		t.Errorf("frame link types %v %v", pk[0].Frames[0].LinkType, pk[5].Frames[0].LinkType)
	}
	if pk[5].Stream != 1 || pk[5].Src != cli6 {
		t.Errorf("second stream %d from %v", pk[5].Stream, pk[5].Src)
	}
}

func TestFrameNumbersCountOtherTraffic(t *testing.T) {
	var want int
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		w.ARP()
		w.UDP(netip.MustParseAddrPort("127.0.0.1:5353"), netip.MustParseAddrPort("127.0.0.1:5353"), []byte("dns"))
		o := w.Conn(netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:80"))
		o.Handshake()
		o.Send(pcapgen.ToServer, pingreq()) // MQTT-looking bytes on port 80: ignored
		c := w.Conn(cli, srv)
		c.Send(pcapgen.ToServer, pingreq())
		want = w.Frames()
		w.ARP()
	})
	evs, st := mustRead(t, capture, Config{})
	pk := kinds(evs, EventPacket)
	if len(pk) != 1 || pk[0].Frame != want || want != 7 {
		t.Fatalf("packets %+v, want one at frame 7 (%d)", pk, want)
	}
	if st.Frames != 8 || st.NonTCP != 3 || st.OtherTCP != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestCutCapture(t *testing.T) {
	for _, format := range []pcapgen.Format{pcapgen.PCAP, pcapgen.PCAPNG} {
		capture := build(t, pcapgen.Options{Format: format}, func(w *pcapgen.Writer) {
			c := w.Conn(cli, srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, connect("id"))
			c.Send(pcapgen.ToServer, publish("a", 10)[:6]) // in flight at the cut
			w.CutNext(30)
			c.Send(pcapgen.ToServer, pingreq())
		})
		evs, st, err := read(t, capture, Config{})
		if err == nil || !strings.Contains(err.Error(), "cut short in frame 6") || !strings.Contains(err.Error(), "byte offset") {
			t.Fatalf("format %d: err = %v", format, err)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("error does not wrap io.ErrUnexpectedEOF: %v", err)
		}
		pk := kinds(evs, EventPacket)
		if len(pk) != 2 || !pk[1].Partial || st.Frames != 5 {
			t.Errorf("format %d: packets %+v, frames %d", format, pk, st.Frames)
		}
	}
}

func TestCutOffsetPcap(t *testing.T) {
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, srv)
		c.Send(pcapgen.ToServer, pingreq())
		w.CutNext(3)
		c.Send(pcapgen.ToServer, pingreq())
	})
	// Header 24, record 16 + 14+20+20+2 bytes.
	want := "record at byte offset 96"
	if _, _, err := read(t, capture, Config{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestNotACapture(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"x.txt": "hello, this is text\n", "short": "\xd4\xc3"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(context.Background(), p, Config{}, func(*Event) error { return nil })
		if err == nil || err.Error() != p+": not a pcap or pcapng file" || !errors.Is(err, ErrNotCapture) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// An empty file and a directory are named as such, not as "not a capture".
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	if _, err := ReadFile(context.Background(), empty, Config{}, func(*Event) error { return nil }); err == nil || !errors.Is(err, ErrEmpty) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := ReadFile(context.Background(), dir, Config{}, func(*Event) error { return nil }); err == nil || err.Error() != dir+" is a directory, not a capture file" {
		t.Errorf("directory: %v", err)
	}
	_, err := ReadFile(context.Background(), filepath.Join(dir, "missing.pcap"), Config{}, func(*Event) error { return nil })
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "cannot open") {
		t.Errorf("missing file: %v", err)
	}
}

func TestHugeRecordHeader(t *testing.T) {
	for _, format := range []pcapgen.Format{pcapgen.PCAP, pcapgen.PCAPNG} {
		capture := build(t, pcapgen.Options{Format: format}, func(w *pcapgen.Writer) {
			c := w.Conn(cli, srv)
			c.Send(pcapgen.ToServer, pingreq())
			w.WriteOversizedRecord(0xffffffff, bytes.Repeat([]byte{1}, 100))
		})
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		evs, _, err := read(t, capture, Config{})
		runtime.ReadMemStats(&ms)
		if err == nil || !strings.Contains(err.Error(), "frame 2") {
			t.Errorf("format %d: err = %v", format, err)
		}
		if len(kinds(evs, EventPacket)) != 1 {
			t.Errorf("format %d: the packet before the bad record was not delivered", format)
		}
		if d := ms.TotalAlloc - before; d > 64<<20 {
			t.Errorf("format %d: allocated %d bytes", format, d)
		}
	}
}

func TestUnsupportedLinkType(t *testing.T) {
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeIEEE802_11); err != nil {
		t.Fatal(err)
	}
	_, _, err := read(t, b.Bytes(), Config{})
	if err == nil || !strings.Contains(err.Error(), "link type") || !strings.Contains(err.Error(), "(105)") {
		t.Errorf("err = %v", err)
	}
}

func TestGzipCapture(t *testing.T) {
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) { session(w, w.Iface0(), cli, srv) })
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(capture)
	zw.Close()
	evs, _ := mustRead(t, z.Bytes(), Config{})
	wantSession(t, evs)
}
