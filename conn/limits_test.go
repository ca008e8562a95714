package conn

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/filter"
	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
	"github.com/mqttdump/mqttdump/render"
)

// finding is one expert finding as a test sees it: its kind, reference,
// the node it hangs on and the bytes it covers.
type finding struct {
	id, spec, node string
	off, length    int
}

// findingsView keeps every packet's findings by frame, with the node each
// sits on (the packets are reused after Packet returns).
type findingsView struct {
	byFrame map[int][]finding
	size    map[int]int // the length of the frame's (last) packet
}

func (v *findingsView) NeedsTree() bool             { return true }
func (v *findingsView) Notice(*render.Notice) error { return nil }
func (v *findingsView) Packet(pk *dissect.Packet, m *render.Meta) error {
	v.size[m.Frame] = len(pk.Raw)
	for _, e := range pk.Experts() {
		f := finding{id: e.ID, spec: e.Spec, off: e.Offset, length: e.Length}
		for _, top := range pk.Fields {
			top.Walk(func(n *dissect.Node) {
				if f.node == "" && slices.Contains(n.Expert, e) {
					f.node = n.Def.Abbrev
				}
			})
		}
		v.byFrame[m.Frame] = append(v.byFrame[m.Frame], f)
	}
	return nil
}

// limitCase is one negotiated-limit rule: the limits of the handshake, and
// the packets after it, the last of which breaks the rule when over (and
// stays just inside it when not).
type limitCase struct {
	name    string
	v       enc.Version
	connect enc.Connect // ClientID, Version and CleanStart are filled in
	connack []enc.Property
	send    func(w *pcapgen.Writer, c *pcapgen.Conn, over bool)
	want    finding // on the last packet when over; length -1: the whole packet
}

func pub(v enc.Version, qos byte, id uint16, props ...enc.Property) []byte {
	return enc.EncodePublish(enc.Publish{Version: v, QoS: qos, PacketID: id, Topic: "t", Properties: props, Payload: []byte("x")})
}

// TestLimits: every negotiated-limit and in-flight rule, each triggered by
// a generated conversation and not triggered one step below; the finding
// has its rule's id for the packet's version, its expert kind and sits on
// the bytes that break the rule.
func TestLimits(t *testing.T) {
	const (
		toServer = pcapgen.ToServer
		toClient = pcapgen.ToClient
	)
	// A QoS 0 PUBLISH to "t" with a payload of n bytes (5.0, no properties).
	sized := func(n int) []byte {
		return enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: "t", Payload: make([]byte, n)})
	}
	limit := uint32(len(sized(20)))
	cases := []limitCase{
		{name: "max packet size to server", connack: []enc.Property{enc.MaximumPacketSize(limit)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toServer, sized(20+boolInt(over)))
			},
			want: finding{id: "mqtt.expert.max_packet_size", spec: "MQTT-3.2.2-15", node: "mqtt.hdrflags", off: 0, length: -1}},
		{name: "max packet size to client", connect: enc.Connect{Properties: []enc.Property{enc.MaximumPacketSize(limit)}},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toClient, sized(20+boolInt(over)))
			},
			want: finding{id: "mqtt.expert.max_packet_size", spec: "MQTT-3.1.2-24", node: "mqtt.hdrflags", off: 0, length: -1}},
		// PUBLISH: header, length, topic (2+1), property length; the alias at 6.
		{name: "topic alias to server", connack: []enc.Property{enc.TopicAliasMaximum(5)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toServer, pub(enc.V5, 0, 0, enc.TopicAlias(uint16(5+boolInt(over)))))
			},
			want: finding{id: "mqtt.expert.topic_alias_max", spec: "MQTT-3.3.2-9", node: "mqtt.property.topic_alias", off: 6, length: 3}},
		{name: "topic alias to client", connect: enc.Connect{Properties: []enc.Property{enc.TopicAliasMaximum(2)}},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toClient, pub(enc.V5, 0, 0, enc.TopicAlias(uint16(2+boolInt(over)))))
			},
			want: finding{id: "mqtt.expert.topic_alias_max", spec: "MQTT-3.3.2-11", node: "mqtt.property.topic_alias", off: 6, length: 3}},
		{name: "topic alias absent maximum", // no Topic Alias Maximum: 0, no alias allowed
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				if over {
					c.Send(toServer, pub(enc.V5, 0, 0, enc.TopicAlias(1)))
				} else {
					c.Send(toServer, pub(enc.V5, 0, 0))
				}
			},
			want: finding{id: "mqtt.expert.topic_alias_max", spec: "MQTT-3.3.2-9", node: "mqtt.property.topic_alias", off: 6, length: 3}},
		{name: "receive maximum to server", connack: []enc.Property{enc.ReceiveMaximum(2)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toServer, pub(enc.V5, 1, 1))
				c.Send(toServer, pub(enc.V5, 2, 2))
				c.Send(toClient, enc.EncodePuback(enc.Ack{Version: enc.V5, PacketID: 1}))
				c.Send(toServer, pub(enc.V5, 1, 3)) // 2 in flight again
				if over {
					c.Send(toServer, pub(enc.V5, 1, 4))
				}
			},
			want: finding{id: "mqtt.expert.receive_max", spec: "MQTT-3.3.4-7", node: "mqtt.qos", off: 0, length: 1}},
		{name: "receive maximum to client", connect: enc.Connect{Properties: []enc.Property{enc.ReceiveMaximum(1)}},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toClient, pub(enc.V5, 2, 1))
				if over {
					c.Send(toClient, pub(enc.V5, 1, 2))
				}
			},
			want: finding{id: "mqtt.expert.receive_max", spec: "MQTT-3.3.4-9", node: "mqtt.qos", off: 0, length: 1}},
		{name: "maximum QoS", connack: []enc.Property{enc.MaximumQoS(1)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toServer, pub(enc.V5, byte(1+boolInt(over)), 1))
			},
			want: finding{id: "mqtt.expert.max_qos", spec: "MQTT-3.2.2-11", node: "mqtt.qos", off: 0, length: 1}},
		{name: "retain not available", connack: []enc.Property{enc.RetainAvailable(0)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				c.Send(toServer, enc.EncodePublish(enc.Publish{Version: enc.V5, Retain: over, Topic: "t", Payload: []byte("x")}))
			},
			want: finding{id: "mqtt.expert.retain_unavailable", spec: "MQTT-3.2.2-14", node: "mqtt.retain", off: 0, length: 1}},
		// SUBSCRIBE: header, length, id (2), property length, "x" (2+1) and its
		// options at 8, the second filter (2+3 or 2+10) and its options.
		{name: "wildcard not available", connack: []enc.Property{enc.WildcardSubscriptionAvailable(0)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				second := "a/b"
				if over {
					second = "a/+"
				}
				c.Send(toServer, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1, Subs: []enc.Subscription{{Filter: "x"}, {Filter: second}}}))
			},
			want: finding{id: "mqtt.expert.wildcard_unavailable", spec: "5.0 §3.2.2.3.11", node: "mqtt.subscription_options", off: 14, length: 1}},
		{name: "shared not available", connack: []enc.Property{enc.SharedSubscriptionAvailable(0)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				second := "$shure/a/b"
				if over {
					second = "$share/a/b"
				}
				c.Send(toServer, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1, Subs: []enc.Subscription{{Filter: "x"}, {Filter: second}}}))
			},
			want: finding{id: "mqtt.expert.shared_unavailable", spec: "5.0 §3.2.2.3.13", node: "mqtt.subscription_options", off: 21, length: 1}},
		// SUBSCRIBE: header, length, id (2), property length; the identifier at 5.
		{name: "subscription identifiers not available", connack: []enc.Property{enc.SubscriptionIdentifierAvailable(0)},
			send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				var props []enc.Property
				if over {
					props = []enc.Property{enc.SubscriptionIdentifier(7)}
				}
				c.Send(toServer, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1, Properties: props, Subs: []enc.Subscription{{Filter: "x"}}}))
			},
			want: finding{id: "mqtt.expert.subid_unavailable", spec: "5.0 §3.2.2.3.12", node: "mqtt.property.subscription_identifier", off: 5, length: 2}},
	}
	// Packet identifier reuse, per sender and version: the id is in use
	// until its answer (over: the same id again before it).
	for _, v := range []enc.Version{enc.V311, enc.V5} {
		for _, d := range []pcapgen.Dir{toServer, toClient} {
			spec := map[bool]string{true: "MQTT-2.2.1-3", false: "MQTT-2.2.1-4"}[d == toServer]
			if v == enc.V311 {
				spec = map[bool]string{true: "MQTT-2.3.1-2", false: "MQTT-2.3.1-4"}[d == toServer]
			}
			cases = append(cases, limitCase{name: "packet id in use " + d.String() + " " + spec, v: v,
				send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
					c.Send(d, pub(v, 1, 7))
					if !over {
						c.Send(1-d, enc.EncodePuback(enc.Ack{Version: v, PacketID: 7}))
					}
					c.Send(d, pub(v, 1, 7))
				},
				// PUBLISH: header, length, topic (2+1); the id at 5.
				want: finding{id: "mqtt.expert.packet_id_in_use", spec: spec, node: "mqtt.msgid", off: 5, length: 2}})
		}
	}
	// A SUBSCRIBE id still waiting for its SUBACK (the client's rule).
	cases = append(cases, limitCase{name: "subscribe id in use",
		send: func(_ *pcapgen.Writer, c *pcapgen.Conn, over bool) {
			sub := enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 9, Subs: []enc.Subscription{{Filter: "x"}}})
			c.Send(toServer, sub)
			if !over {
				c.Send(toClient, enc.EncodeSuback(enc.Suback{Version: enc.V5, PacketID: 9, Codes: []byte{0}}))
			}
			c.Send(toServer, sub)
		},
		want: finding{id: "mqtt.expert.packet_id_in_use", spec: "MQTT-2.2.1-3", node: "mqtt.msgid", off: 2, length: 2}})
	// Keep alive 2 s: up to 3 s of silence is allowed (each generated frame
	// takes a few microseconds of its own: 10 ms either side).
	for _, v := range []enc.Version{enc.V311, enc.V5} {
		spec := map[enc.Version]string{enc.V311: "MQTT-3.1.2-24", enc.V5: "MQTT-3.1.2-22"}[v]
		cases = append(cases, limitCase{name: "keep alive " + spec, v: v, connect: enc.Connect{KeepAlive: 2},
			send: func(w *pcapgen.Writer, c *pcapgen.Conn, over bool) {
				w.Advance(3*time.Second + time.Duration(20*boolInt(over)-10)*time.Millisecond)
				c.Send(toServer, enc.EncodePingreq())
			},
			want: finding{id: "mqtt.expert.keepalive_exceeded", spec: spec, node: "mqtt.hdrflags", off: 0, length: -1}})
	}

	server := netip.MustParseAddrPort("127.0.0.1:1883")
	client := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, over := range []bool{false, true} {
				last := 0
				data, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
					v := tc.v
					if v == 0 {
						v = enc.V5
					}
					c := w.Conn(client, server)
					c.Handshake()
					cn := tc.connect
					cn.Version, cn.ClientID, cn.CleanStart = v, "limits", true
					c.Send(toServer, enc.EncodeConnect(cn))
					c.Send(toClient, enc.EncodeConnack(enc.Connack{Version: v, Properties: tc.connack}))
					tc.send(w, c, over)
					last = w.Frames()
				})
				if err != nil {
					t.Fatal(err)
				}
				fv := &findingsView{byFrame: map[int][]finding{}, size: map[int]int{}}
				pl := run(t, data, fv, Config{})
				if !over {
					for frame, fs := range fv.byFrame {
						t.Errorf("just inside the limit: frame %d has findings %+v", frame, fs)
					}
					continue
				}
				want := tc.want
				if want.length < 0 {
					want.length = fv.size[last]
				}
				if got := fv.byFrame[last]; len(got) != 1 || got[0] != want {
					t.Errorf("over the limit: frame %d has %+v, want [%+v]", last, got, want)
				}
				for frame, fs := range fv.byFrame {
					if frame != last {
						t.Errorf("frame %d has findings %+v, only the last should", frame, fs)
					}
				}
				name := strings.TrimPrefix(want.id, "mqtt.expert.")
				if pl.Findings()[name] != 1 {
					t.Errorf("findings counted %v, want one %s", pl.Findings(), name)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestGeneratedFieldsFilter: -Y on the analysis' generated fields selects
// the packets the analyzers paired, with no field tree (the analyzers run
// before the filter).
func TestGeneratedFieldsFilter(t *testing.T) {
	server := netip.MustParseAddrPort("127.0.0.1:1883")
	var slowAck, fastAck, forward, comp int
	data, err := pcapgen.Build(pcapgen.Options{Step: time.Microsecond}, func(w *pcapgen.Writer) {
		pubc := w.Conn(netip.MustParseAddrPort("127.0.0.1:40001"), server)
		subc := w.Conn(netip.MustParseAddrPort("127.0.0.1:40002"), server)
		for i, c := range []*pcapgen.Conn{pubc, subc} {
			c.Handshake()
			c.Send(pcapgen.ToServer, enc.EncodeConnect(enc.Connect{Version: enc.V5, ClientID: "g" + string(rune('0'+i)), CleanStart: true}))
			c.Send(pcapgen.ToClient, enc.EncodeConnack(enc.Connack{Version: enc.V5}))
		}
		subc.Send(pcapgen.ToServer, enc.EncodeSubscribe(enc.Subscribe{Version: enc.V5, PacketID: 1, Subs: []enc.Subscription{{Filter: "t", QoS: 2}}}))
		subc.Send(pcapgen.ToClient, enc.EncodeSuback(enc.Suback{Version: enc.V5, PacketID: 1, Codes: []byte{2}}))
		w.Advance(time.Second)
		pubc.Send(pcapgen.ToServer, pub(enc.V5, 1, 1))
		w.Advance(2 * time.Millisecond)
		pubc.Send(pcapgen.ToClient, enc.EncodePuback(enc.Ack{Version: enc.V5, PacketID: 1}))
		slowAck = w.Frames()
		w.Advance(300 * time.Microsecond)
		subc.Send(pcapgen.ToClient, pub(enc.V5, 2, 5))
		forward = w.Frames()
		subc.Send(pcapgen.ToServer, enc.EncodePubrec(enc.Ack{Version: enc.V5, PacketID: 5}))
		subc.Send(pcapgen.ToClient, enc.EncodePubrel(enc.Ack{Version: enc.V5, PacketID: 5}))
		w.Advance(10 * time.Microsecond)
		subc.Send(pcapgen.ToServer, enc.EncodePubcomp(enc.Ack{Version: enc.V5, PacketID: 5}))
		comp = w.Frames()
		pubc.Send(pcapgen.ToServer, pub(enc.V5, 1, 2))
		pubc.Send(pcapgen.ToClient, enc.EncodePuback(enc.Ack{Version: enc.V5, PacketID: 2}))
		fastAck = w.Frames()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expr string
		want []int
	}{
		{"mqtt.latency > 0.001", []int{slowAck}},
		{"mqtt.latency > 0.001 && mqtt.msgtype == 4", []int{slowAck}},
		{"mqtt.response_to == " + strconv.Itoa(slowAck-1), []int{slowAck}},
		{"mqtt.forwarded_from && mqtt.forward_latency > 0.0002", []int{forward}},
		{"mqtt.flow_time > 0.00001", []int{comp}},
		{"mqtt.msgtype == 4 && mqtt.latency < 0.001", []int{fastAck}},
	} {
		f, err := filter.Compile(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		run(t, data, rec, Config{Filter: &Display{F: f}})
		var got []int
		for frame := range rec.frames {
			got = append(got, frame)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("-Y %s shows frames %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// Findings the analyzers add keep Experts in wire order: the QoS bits
// (byte 0) come before the Topic Alias found first.
func TestLimitFindingsInWireOrder(t *testing.T) {
	server := netip.MustParseAddrPort("127.0.0.1:1883")
	data, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(netip.MustParseAddrPort("127.0.0.1:40000"), server)
		c.Handshake()
		c.Send(pcapgen.ToServer, enc.EncodeConnect(enc.Connect{Version: enc.V5, ClientID: "o", CleanStart: true}))
		c.Send(pcapgen.ToClient, enc.EncodeConnack(enc.Connack{Version: enc.V5, Properties: []enc.Property{enc.MaximumQoS(0), enc.TopicAliasMaximum(1)}}))
		c.Send(pcapgen.ToServer, pub(enc.V5, 1, 3, enc.TopicAlias(2)))
	})
	if err != nil {
		t.Fatal(err)
	}
	fv := &findingsView{byFrame: map[int][]finding{}, size: map[int]int{}}
	run(t, data, fv, Config{})
	var ids []string
	for _, fs := range fv.byFrame {
		for _, f := range fs {
			ids = append(ids, f.id)
		}
	}
	if want := []string{"mqtt.expert.max_qos", "mqtt.expert.topic_alias_max"}; !slices.Equal(ids, want) {
		t.Errorf("findings %v, want %v (wire order)", ids, want)
	}
}

// seconds' integer formatting prints what the float formatting printed.
func TestSecondsSameAsFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ds := []time.Duration{0, 1, 999999999, time.Second, 10 * time.Second, 52500 * time.Microsecond, exactSeconds - 1}
	for i := 0; i < 100000; i++ {
		ds = append(ds, time.Duration(r.Int64N(int64(exactSeconds))), time.Duration(r.Int64N(int64(10*time.Second))))
	}
	for _, d := range ds {
		if got, want := seconds(d), secondsByFloat(d); got != want {
			t.Fatalf("seconds(%d) = %q, the float formatting says %q", int64(d), got, want)
		}
	}
}

// The fan-out index finds what a map of key sums to the newest ring index
// finds, through ring wrap-around and the deletions it causes, with keys
// that collide in the index's home slots.
func TestFanTableSameAsMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	f := newFanTable()
	ref := map[uint64]int{}
	var ring []fanKey
	next := 0
	key := func() fanKey {
		// few distinct home slots, many keys: long probe runs
		return fanKey{topic: uint64(r.IntN(64)) | uint64(r.IntN(4000))<<20, payload: uint64(r.IntN(3))}
	}
	for i := 0; i < 5*maxFan; i++ {
		k := key()
		f.add(fanEntry{key: k, frame: i})
		if len(ring) < maxFan {
			ring = append(ring, k)
			ref[k.sum()] = len(ring) - 1
		} else {
			old := ring[next]
			if ref[old.sum()] == next {
				delete(ref, old.sum())
			}
			ring[next] = k
			ref[k.sum()] = next
			next = (next + 1) % maxFan
		}
		q := key()
		var want *fanKey
		if j, ok := ref[q.sum()]; ok && ring[j] == q {
			want = &ring[j]
		}
		got := f.find(q)
		if (got == nil) != (want == nil) || (got != nil && got.key != *want) {
			t.Fatalf("step %d: find(%+v) = %v, the map says %v", i, q, got, want)
		}
	}
}

// sub gives what time.Time.Sub gives for capture times, near and far
// apart, either way round, at the saturation limits too.
func TestSubSameAsTimeSub(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	base := []time.Time{time.Unix(0, 0), time.Unix(1700000000, 123456789), time.Unix(1<<33, 999999999), time.Unix(-1<<33, 1), {}}
	for i := 0; i < 100000; i++ {
		a := base[r.IntN(len(base))].Add(time.Duration(r.Int64()))
		b := a.Add(-time.Duration(r.Int64N(int64(200 * 365 * 24 * time.Hour))))
		for _, p := range [][2]time.Time{{a, b}, {b, a}, {a, base[r.IntN(len(base))]}} {
			if got, want := sub(p[0], p[1]), p[0].Sub(p[1]); got != want {
				t.Fatalf("sub(%v, %v) = %v, Sub says %v", p[0], p[1], got, want)
			}
		}
	}
}
