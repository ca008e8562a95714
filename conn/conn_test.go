package conn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/render"
)

// recorder is a View that keeps what the stage hands it.
type recorder struct {
	frames  map[int]render.Meta // frame → meta of the (last) packet in it
	answers map[int]render.Analysis
	types   map[int]uint8
	notices []render.Notice
	tree    bool
}

func newRecorder() *recorder {
	return &recorder{frames: map[int]render.Meta{}, answers: map[int]render.Analysis{}, types: map[int]uint8{}}
}

func (r *recorder) NeedsTree() bool { return r.tree }
func (r *recorder) Packet(pk *dissect.Packet, m *render.Meta) error {
	r.frames[m.Frame] = *m
	r.types[m.Frame] = pk.Type
	if m.Analysis != nil {
		r.answers[m.Frame] = *m.Analysis
	}
	return nil
}
func (r *recorder) Notice(n *render.Notice) error {
	r.notices = append(r.notices, *n)
	return nil
}

// run reads a generated capture through a Pipeline.
func run(t *testing.T, data []byte, v render.View, cfg Config) *Pipeline {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.View = v
	pl := New(cfg)
	if _, err := capture.ReadFile(context.Background(), path, capture.Config{Ports: []uint16{1883}}, pl.Event); err != nil {
		t.Fatal(err)
	}
	if err := pl.Finish(); err != nil {
		t.Fatal(err)
	}
	return pl
}

// truth is what the generator knows about one answer.
type truth struct{ request, flow int }

// TestPairingProperty: random conversations of several clients with
// random QoS, packet ids reused once free, interleaved, some requests left
// unanswered; every answer must name the request the generator paired it
// with, its latency must be the frame time difference, and the unanswered
// requests must be counted.
func TestPairingProperty(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			want := map[int]truth{}
			unanswered := 0
			server := netip.MustParseAddrPort("127.0.0.1:1883")
			data, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
				type client struct {
					c    *pcapgen.Conn
					v    mqttenc.Version
					next uint16
				}
				var cs []*client
				for i := 0; i < 1+rng.IntN(4); i++ {
					v := mqttenc.V311
					if rng.IntN(2) == 0 {
						v = mqttenc.V5
					}
					c := &client{c: w.Conn(netip.AddrPortFrom(server.Addr(), uint16(40000+i)), server), v: v, next: 1}
					c.c.Handshake()
					c.c.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: v, ClientID: fmt.Sprint("c", i), CleanStart: true, KeepAlive: 600}))
					req := w.Frames()
					w.Advance(time.Duration(rng.IntN(5000)) * time.Microsecond)
					c.c.Send(pcapgen.ToClient, mqttenc.EncodeConnack(mqttenc.Connack{Version: v}))
					want[w.Frames()] = truth{request: req}
					cs = append(cs, c)
				}
				for step := 0; step < 60; step++ {
					c := cs[rng.IntN(len(cs))]
					w.Advance(time.Duration(rng.IntN(3000)) * time.Microsecond)
					id := c.next
					c.next++
					answered := rng.IntN(10) > 0
					switch rng.IntN(4) {
					case 0: // QoS 1 from the client
						c.c.Send(pcapgen.ToServer, mqttenc.EncodePublish(mqttenc.Publish{Version: c.v, QoS: 1, PacketID: id, Topic: "t", Payload: []byte{byte(step)}}))
						req := w.Frames()
						if !answered {
							unanswered++
							continue
						}
						w.Advance(time.Duration(1+rng.IntN(3000)) * time.Microsecond)
						c.c.Send(pcapgen.ToClient, mqttenc.EncodePuback(mqttenc.Ack{Version: c.v, PacketID: id}))
						want[w.Frames()] = truth{request: req}
					case 1: // QoS 2 from the broker, same id space number: independent
						c.c.Send(pcapgen.ToClient, mqttenc.EncodePublish(mqttenc.Publish{Version: c.v, QoS: 2, PacketID: id, Topic: "u", Payload: []byte{byte(step)}}))
						pub := w.Frames()
						c.c.Send(pcapgen.ToServer, mqttenc.EncodePubrec(mqttenc.Ack{Version: c.v, PacketID: id}))
						rec := w.Frames()
						want[rec] = truth{request: pub}
						c.c.Send(pcapgen.ToClient, mqttenc.EncodePubrel(mqttenc.Ack{Version: c.v, PacketID: id}))
						rel := w.Frames()
						want[rel] = truth{request: rec}
						if !answered {
							unanswered++
							continue
						}
						w.Advance(time.Duration(rng.IntN(3000)) * time.Microsecond)
						c.c.Send(pcapgen.ToServer, mqttenc.EncodePubcomp(mqttenc.Ack{Version: c.v, PacketID: id}))
						want[w.Frames()] = truth{request: rel, flow: pub}
					case 2:
						c.c.Send(pcapgen.ToServer, mqttenc.EncodeSubscribe(mqttenc.Subscribe{Version: c.v, PacketID: id, Subs: []mqttenc.Subscription{{Filter: "a/#", QoS: 1}}}))
						req := w.Frames()
						w.Advance(time.Duration(rng.IntN(3000)) * time.Microsecond)
						c.c.Send(pcapgen.ToClient, mqttenc.Raw(mqttenc.TypeSuback, 0, subackBody(c.v, id)))
						want[w.Frames()] = truth{request: req}
					case 3:
						c.c.Send(pcapgen.ToServer, mqttenc.EncodePingreq())
						req := w.Frames()
						w.Advance(time.Duration(rng.IntN(3000)) * time.Microsecond)
						c.c.Send(pcapgen.ToClient, mqttenc.EncodePingresp())
						want[w.Frames()] = truth{request: req}
					}
				}
				for _, c := range cs {
					c.c.Close()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			pl := run(t, data, rec, Config{})
			for frame, a := range rec.answers {
				w, ok := want[frame]
				if !ok {
					if a.ResponseTo != 0 {
						t.Errorf("frame %d (type %d) answers %d, but is no answer", frame, rec.types[frame], a.ResponseTo)
					}
					continue
				}
				if a.ResponseTo != w.request {
					t.Errorf("frame %d answers %d, want %d", frame, a.ResponseTo, w.request)
					continue
				}
				if lat := rec.frames[frame].Time.Sub(rec.frames[w.request].Time); lat != a.Latency {
					t.Errorf("frame %d latency %v, frame times differ by %v", frame, a.Latency, lat)
				}
				if a.FlowStart != w.flow {
					t.Errorf("frame %d flow start %d, want %d", frame, a.FlowStart, w.flow)
				}
			}
			for frame := range want {
				if _, ok := rec.answers[frame]; !ok {
					t.Errorf("answer in frame %d not seen", frame)
				}
			}
			got := 0
			for _, n := range pl.Counts().Unanswered {
				got += n
			}
			if got != unanswered {
				t.Errorf("%d unanswered counted, generator left %d", got, unanswered)
			}
			ends := 0
			for _, n := range rec.notices {
				if n.Kind == "unanswered" && unanswered == 0 {
					t.Errorf("unanswered notice with none: %s", n.Message)
				}
				if n.Kind == "end" {
					ends++
				}
			}
			if ends != 0 {
				t.Errorf("%d end notices without Config.Ends", ends)
			}
		})
	}
}

func subackBody(v mqttenc.Version, id uint16) []byte {
	b := []byte{byte(id >> 8), byte(id)}
	if v == mqttenc.V5 {
		b = append(b, 0)
	}
	return append(b, 1)
}

// How connections end: FIN and RST from each side, DISCONNECT, takeover,
// keep-alive expiry, still open.
func TestEnds(t *testing.T) {
	server := netip.MustParseAddrPort("127.0.0.1:1883")
	addr := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(server.Addr(), p) }
	connect := func(c *pcapgen.Conn, id string, ka uint16) {
		c.Handshake()
		c.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, ClientID: id, CleanStart: true, KeepAlive: ka}))
		c.Send(pcapgen.ToClient, mqttenc.EncodeConnack(mqttenc.Connack{Version: mqttenc.V5}))
	}
	data, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
		a := w.Conn(addr(40001), server)
		connect(a, "fin-client", 60)
		a.Send(pcapgen.ToServer, mqttenc.EncodeDisconnect(mqttenc.Disconnect{Version: mqttenc.V5}))
		a.Close()
		b := w.Conn(addr(40002), server)
		connect(b, "rst-broker", 60)
		b.ResetFrom(pcapgen.ToClient)
		c := w.Conn(addr(40003), server)
		connect(c, "taken", 60)
		d := w.Conn(addr(40004), server)
		connect(d, "taken", 60)
		c.Send(pcapgen.ToClient, mqttenc.EncodeDisconnect(mqttenc.Disconnect{Version: mqttenc.V5, Reason: 0x8E}))
		c.Fin(pcapgen.ToClient)
		c.Fin(pcapgen.ToServer)
		c.Ack(pcapgen.ToClient)
		e := w.Conn(addr(40005), server)
		connect(e, "sleepy", 2)
		w.Advance(3100 * time.Millisecond)
		e.Fin(pcapgen.ToClient)
		e.Fin(pcapgen.ToServer)
		e.Ack(pcapgen.ToClient)
		f := w.Conn(addr(40006), server)
		connect(f, "late", 2)
		w.Advance(3500 * time.Millisecond)
		f.Send(pcapgen.ToServer, mqttenc.EncodePingreq())
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	pl := run(t, data, rec, Config{Ends: true})
	got := map[uint16]render.Notice{}
	for _, n := range rec.notices {
		if n.Kind != "unanswered" {
			got[n.Meta.Src.Port()] = n
		}
	}
	for port, want := range map[uint16]string{
		40001: "end|DISCONNECT from the client, FIN from the client",
		40002: "end|RST from the broker",
		40003: "takeover|DISCONNECT from the broker (0x8e Session taken over), session taken over by the CONNECT in frame",
		40004: "end|still open at the end of the capture",
		40005: "keepalive|keep-alive expiry: the broker closed after 3.1",
		40006: "end|still open",
	} {
		kind, text, _ := strings.Cut(want, "|")
		n := got[port]
		if n.Kind != kind || !strings.Contains(n.Message, text) {
			t.Errorf("port %d: [%s] %s\nwant [%s] …%s…", port, n.Kind, n.Message, kind, text)
		}
	}
	if f := pl.Findings(); f["takeover"] != 1 || f["keepalive_expiry"] != 1 || f["keepalive_exceeded"] != 1 || f["unanswered"] != 1 {
		t.Errorf("findings %v", f)
	}
}
