package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// Config controls one generated capture.
type Config struct {
	Size        int64 // stop opening connections once this many bytes are written
	Seed        uint64
	Concurrency int // connections open at once
	Format      pcapgen.Format
	// SplitVarint lets segments end inside a multi-byte remaining length.
	SplitVarint bool
	// Telemetry makes small sensor messages only (a few to 100 bytes,
	// about 1.2 MQTT packets per frame), the other capture the speed
	// targets name.
	Telemetry bool
}

// Stats describes what was generated.
type Stats struct {
	Bytes       int64
	Frames      int
	Connections int
	Packets     int // MQTT packets
}

// msg is one MQTT packet waiting to be sent on a connection.
type msg struct {
	dir pcapgen.Dir
	pkt []byte
}

// Phases of a connection's life.
const (
	phaseConnect = iota
	phaseSubscribe
	phasePublish
	phaseDisconnect
	phaseClose
)

type conn struct {
	tcp     *pcapgen.Conn
	v       mqttenc.Version
	id      int
	phase   int
	left    int // publishes left before DISCONNECT
	queue   []msg
	nextPID uint16
	mss     int
	aliases map[string]uint16 // client->server topic aliases in use (MQTT 5)
	topics  []string
	reset   bool // end with RST instead of DISCONNECT + FIN
}

type generator struct {
	cfg    Config
	rng    *rand.Rand
	w      *pcapgen.Writer
	out    *countingWriter
	text   []byte // payload source: slices of it become payloads
	active []*conn
	stats  Stats
	v6     int // IPv6 connections opened, for unique ports
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var (
	server4 = netip.MustParseAddrPort("127.0.0.1:1883")
	server6 = netip.MustParseAddrPort("[::1]:1883")
)

// Generate writes a capture of about cfg.Size bytes to out. The same
// Config gives the same bytes.
func Generate(out io.Writer, cfg Config) (Stats, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 300
	}
	cw := &countingWriter{w: out}
	w, err := pcapgen.NewWriter(cw, pcapgen.Options{Format: cfg.Format, Step: 250_000})
	if err != nil {
		return Stats{}, fmt.Errorf("start capture: %w", err)
	}
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6d717474)), w: w, out: cw}
	g.text = payloadText(g.rng, 128<<10)
	for cw.n < cfg.Size && w.Err() == nil {
		for len(g.active) < cfg.Concurrency {
			g.open()
		}
		g.step(g.rng.IntN(len(g.active)))
	}
	// Wind down: every open connection says goodbye.
	for _, c := range g.active {
		c.left = 0
	}
	for len(g.active) > 0 && w.Err() == nil {
		g.step(g.rng.IntN(len(g.active)))
	}
	if err := w.Flush(); err != nil {
		return g.stats, fmt.Errorf("write capture: %w", err)
	}
	g.stats.Bytes = cw.n
	g.stats.Frames = w.Frames()
	return g.stats, nil
}

// open starts a connection: mostly IPv4, one in ten IPv6; half MQTT 5.
func (g *generator) open() {
	id := g.stats.Connections
	g.stats.Connections++
	var tcp *pcapgen.Conn
	if g.rng.IntN(10) == 0 {
		port := uint16(10000 + g.v6%55000)
		g.v6++
		tcp = g.w.Conn(netip.AddrPortFrom(server6.Addr(), port), server6)
	} else {
		// A fresh client address every 50000 connections keeps tuples unique.
		a := netip.AddrFrom4([4]byte{127, 1, byte(id / 50000 >> 8), byte(id / 50000)})
		tcp = g.w.Conn(netip.AddrPortFrom(a, uint16(10000+id%50000)), server4)
	}
	c := &conn{tcp: tcp, id: id, v: mqttenc.V311, nextPID: 1, mss: 65483}
	if g.rng.IntN(2) == 0 {
		c.v = mqttenc.V5
		c.aliases = map[string]uint16{}
	}
	if g.rng.IntN(3) == 0 {
		c.mss = 1460
	}
	c.left = 5 + g.rng.IntN(60)
	if g.rng.IntN(20) == 0 {
		c.left = 200 + g.rng.IntN(800) // a few long-lived chatty clients
	}
	c.reset = g.rng.IntN(25) == 0
	c.topics = []string{
		fmt.Sprintf("site/%d/dev/%d/temp", id%17, id),
		fmt.Sprintf("site/%d/dev/%d/status", id%17, id),
		fmt.Sprintf("fleet/%d/cmd", id%101),
	}
	tcp.Handshake()
	g.active = append(g.active, c)
}

// step sends the next segment of connection i, refilling its queue from its
// phase, and retires it when done.
func (g *generator) step(i int) {
	c := g.active[i]
	if len(c.queue) == 0 {
		g.refill(c)
	}
	if len(c.queue) == 0 { // phaseClose reached
		if c.reset {
			c.tcp.Reset()
		} else {
			c.tcp.Close()
		}
		g.active[i] = g.active[len(g.active)-1]
		g.active = g.active[:len(g.active)-1]
		return
	}
	// Several packets in one segment now and then: queue a few more
	// publishes and send the ones going the same way together.
	n := 1
	bundle := g.rng.IntN(5) == 0
	if g.cfg.Telemetry {
		bundle = g.rng.IntN(12) == 0
	}
	for bundle && len(c.queue) < 6 && c.phase == phasePublish && c.left > 0 {
		g.refill(c)
	}
	data := c.queue[0].pkt
	dir := c.queue[0].dir
	if bundle {
		for n < len(c.queue) && n < 4 && c.queue[n].dir == dir {
			data = append(data[:len(data):len(data)], c.queue[n].pkt...)
			n++
		}
	}
	c.queue = c.queue[n:]
	g.stats.Packets += n
	switch r := g.rng.IntN(20); {
	case r == 0 && len(data) > 2:
		// Split off the first byte, or (SplitVarint) cut inside the
		// remaining length, which tshark 4.x mis-frames.
		first := 1
		if g.cfg.SplitVarint && len(data) > 127 {
			first = 2
		}
		c.tcp.SendSplit(dir, data, first, c.mss)
	case r == 1 && len(data) > 8:
		c.tcp.SendSplit(dir, data, min(1+g.rng.IntN(len(data)-1), c.mss), c.mss)
	default:
		c.tcp.SendSplit(dir, data, c.mss)
	}
}

func (g *generator) refill(c *conn) {
	switch c.phase {
	case phaseConnect:
		g.connect(c)
		c.phase = phaseSubscribe
	case phaseSubscribe:
		g.subscribe(c)
		c.phase = phasePublish
	case phasePublish:
		if c.left <= 0 {
			c.phase = phaseDisconnect
			g.refill(c)
			return
		}
		c.left--
		if g.rng.IntN(20) == 0 {
			c.queue = append(c.queue, msg{pcapgen.ToServer, mqttenc.EncodePingreq()}, msg{pcapgen.ToClient, mqttenc.EncodePingresp()})
			return
		}
		g.publish(c)
	case phaseDisconnect:
		c.phase = phaseClose
		if c.reset {
			return
		}
		var props []mqttenc.Property
		if c.v == mqttenc.V5 && g.rng.IntN(3) == 0 {
			props = []mqttenc.Property{mqttenc.SessionExpiryInterval(0)}
		}
		c.queue = append(c.queue, msg{pcapgen.ToServer, mqttenc.EncodeDisconnect(mqttenc.Disconnect{Version: c.v, Properties: props})})
	}
}

func (g *generator) connect(c *conn) {
	clientID := fmt.Sprintf("client-%06d", c.id)
	var props, ackProps []mqttenc.Property
	if c.v == mqttenc.V5 {
		props = []mqttenc.Property{mqttenc.SessionExpiryInterval(3600), mqttenc.ReceiveMaximum(100)}
		if g.rng.IntN(3) == 0 {
			props = append(props, mqttenc.UserProperty("region", "eu-west"))
		}
		ackProps = []mqttenc.Property{mqttenc.TopicAliasMaximum(10), mqttenc.ReceiveMaximum(20)}
		if g.rng.IntN(4) == 0 {
			clientID = ""
			ackProps = append(ackProps, mqttenc.AssignedClientIdentifier(fmt.Sprintf("auto-%06d", c.id)))
		}
	}
	c.queue = append(c.queue,
		msg{pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{
			Version: c.v, CleanStart: true, KeepAlive: 60, Properties: props, ClientID: clientID})},
		msg{pcapgen.ToClient, mqttenc.EncodeConnack(mqttenc.Connack{Version: c.v, Properties: ackProps})})
}

func (g *generator) subscribe(c *conn) {
	var props []mqttenc.Property
	if c.v == mqttenc.V5 && g.rng.IntN(2) == 0 {
		props = []mqttenc.Property{mqttenc.SubscriptionIdentifier(uint32(1 + c.id%1000))}
	}
	subs := []mqttenc.Subscription{{Filter: c.topics[2], QoS: 1}, {Filter: fmt.Sprintf("site/%d/+/+/temp", c.id%17), QoS: 1}}
	pid := c.pid()
	c.queue = append(c.queue,
		msg{pcapgen.ToServer, mqttenc.EncodeSubscribe(mqttenc.Subscribe{Version: c.v, PacketID: pid, Properties: props, Subs: subs})},
		msg{pcapgen.ToClient, mqttenc.EncodeSuback(mqttenc.Suback{Version: c.v, PacketID: pid, Codes: []byte{1, 1}})})
}

// publish queues one PUBLISH (client to server mostly, else a delivery)
// with the acknowledgements its QoS needs.
func (g *generator) publish(c *conn) {
	from, to := pcapgen.ToServer, pcapgen.ToClient
	topic := c.topics[g.rng.IntN(2)]
	if g.rng.IntN(10) < 4 {
		from, to = to, from
		topic = fmt.Sprintf("site/%d/dev/%d/temp", c.id%17, g.rng.IntN(5000))
	}
	qos := byte(0)
	switch r := g.rng.IntN(10); {
	case r >= 8:
		qos = 2
	case r >= 5:
		qos = 1
	}
	var props []mqttenc.Property
	if c.v == mqttenc.V5 {
		if g.rng.IntN(3) == 0 {
			props = append(props, mqttenc.MessageExpiryInterval(300))
		}
		if g.rng.IntN(5) == 0 {
			props = append(props, mqttenc.PayloadFormatIndicator(1), mqttenc.ContentType("text/plain")) // payloads are cut from a text at any byte: not JSON
		}
		if g.rng.IntN(10) == 0 {
			props = append(props, mqttenc.UserProperty("trace", fmt.Sprintf("%08x", g.rng.Uint32())))
		}
		if from == pcapgen.ToServer && g.rng.IntN(3) == 0 {
			topic, props = c.alias(topic, props)
		}
	}
	var pid uint16
	if qos > 0 {
		pid = c.pid()
	}
	c.queue = append(c.queue, msg{from, mqttenc.EncodePublish(mqttenc.Publish{
		Version: c.v, QoS: qos, Retain: g.rng.IntN(50) == 0, Topic: topic, PacketID: pid, Properties: props, Payload: g.payload()})})
	ack := mqttenc.Ack{Version: c.v, PacketID: pid}
	switch qos {
	case 1:
		full := ack
		full.Full = g.rng.IntN(4) == 0 // 5.0: reason code written out now and then
		c.queue = append(c.queue, msg{to, mqttenc.EncodePuback(full)})
	case 2:
		c.queue = append(c.queue,
			msg{to, mqttenc.EncodePubrec(ack)},
			msg{from, mqttenc.EncodePubrel(ack)},
			msg{to, mqttenc.EncodePubcomp(ack)})
	}
}

// alias replaces topic by a topic alias: the first use carries both, later
// ones an empty topic.
func (c *conn) alias(topic string, props []mqttenc.Property) (string, []mqttenc.Property) {
	if a, ok := c.aliases[topic]; ok {
		return "", append(props, mqttenc.TopicAlias(a))
	}
	if len(c.aliases) >= 10 {
		return topic, props
	}
	a := uint16(len(c.aliases) + 1)
	c.aliases[topic] = a
	return topic, append(props, mqttenc.TopicAlias(a))
}

func (c *conn) pid() uint16 {
	p := c.nextPID
	c.nextPID++
	if c.nextPID == 0 {
		c.nextPID = 1
	}
	return p
}

// payload picks a size, most small, a few up to 64 KB, and slices the text.
func (g *generator) payload() []byte {
	var n int
	if g.cfg.Telemetry {
		n = 4 + g.rng.IntN(96)
		off := g.rng.IntN(len(g.text) - n)
		return g.text[off : off+n]
	}
	switch r := g.rng.IntN(100); {
	case r < 70:
		n = 1 + g.rng.IntN(64)
	case r < 90:
		n = 64 + g.rng.IntN(960)
	case r < 98:
		n = 1024 + g.rng.IntN(7*1024)
	default:
		n = 8192 + g.rng.IntN(56*1024)
	}
	off := g.rng.IntN(len(g.text) - n)
	return g.text[off : off+n]
}

// payloadText makes n bytes of JSON-like sensor records.
func payloadText(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+128)
	for len(b) < n {
		b = fmt.Appendf(b, `{"ts":%d,"temp":%.2f,"hum":%d,"ok":true}`+"\n", 1700000000+rng.IntN(1e7), 15+rng.Float64()*20, rng.IntN(100))
	}
	return b[:n]
}
