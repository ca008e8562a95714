package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// StatsReport is what `mqttdump stats` prints.
type StatsReport struct {
	First, Last time.Time
	Frames      int
	Packets     int
	Bytes       int
	ByType      [16]int
	ByQoS       [3]int
	ByReason    map[string]int // "CONNACK 0x00"
	Clients     []ClientStats
	Topics      []TopicStats
	Exchanges   []Dist // connect, subscribe, unsubscribe, ping, publish_qos1, publish_qos2, auth
	Fanout      Dist
	Findings    map[string]int // by rule: spec id, or mqttdump.<analyzer rule>
	MaxClients  int
	MaxTopics   int
}

// ClientStats is one client id's connections.
type ClientStats struct {
	ClientID       string
	Other          int // for "(other)": distinct clients folded in beyond the cap
	Connections    int
	Address        string
	Version        string
	KeepAlive      int
	CleanStart     bool
	Will           bool
	ConnectLatency time.Duration
	PacketsIn      int // client → broker
	PacketsOut     int // broker → client
	BytesIn        int
	BytesOut       int
	End            string // how its last connection ended
}

// TopicStats is one topic.
type TopicStats struct {
	Topic       string
	Other       int // for "(other)": distinct topics folded in beyond the cap
	Messages    int // PUBLISH to the broker
	Deliveries  int // PUBLISH from the broker
	Bytes       int // payload bytes published
	Publishers  int
	Subscribers int
	Retained    int
	QoS         [3]int
	Rate        float64 // messages per second over the statistics' span
	FirstTime   time.Time
	LastTime    time.Time
}

// Dist is a latency distribution (nearest-rank percentiles).
type Dist struct {
	Name                    string
	Count                   int
	Min, P50, P90, P99, Max time.Duration
	Unanswered              int
	Exact                   bool  // false: percentiles from a histogram, within 0.5%
	Histogram               []int // 8 log-spaced bins from Min to Max
}

var specTypeNames = [16]string{"Reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"}

// StatsOptions decide how the text report is drawn.
type StatsOptions struct {
	Histograms bool // draw small latency histograms (on a terminal)
}

const statsRule = "==================================================================================\n"
const statsSub = "----------------------------------------------------------------------------------\n"

// WriteStatsText writes the report in the manner of tshark -z.
func WriteStatsText(w io.Writer, r *StatsReport, o StatsOptions) error {
	var b strings.Builder
	b.WriteString(statsRule)
	b.WriteString("MQTT Statistics\n")
	span := r.Last.Sub(r.First)
	if r.Packets > 0 {
		fmt.Fprintf(&b, "Span: %s to %s (%.6f s)\n", r.First.UTC().Format("2006-01-02 15:04:05.000000"),
			r.Last.UTC().Format("2006-01-02 15:04:05.000000"), span.Seconds())
	}
	fmt.Fprintf(&b, "Frames: %d  MQTT packets: %d  MQTT bytes: %d\n", r.Frames, r.Packets, r.Bytes)
	b.WriteString(statsSub)
	b.WriteString("Packets by type                 Count   Percent\n")
	for t := 0; t < 16; t++ {
		if r.ByType[t] == 0 {
			continue
		}
		fmt.Fprintf(&b, " %-28s %8d  %7.2f%%\n", specTypeNames[t], r.ByType[t], pct(r.ByType[t], r.Packets))
	}
	if pubs := r.ByQoS[0] + r.ByQoS[1] + r.ByQoS[2]; pubs > 0 {
		b.WriteString("PUBLISH by QoS\n")
		for q, n := range r.ByQoS {
			fmt.Fprintf(&b, " QoS %-24d %8d  %7.2f%%\n", q, n, pct(n, pubs))
		}
	}
	if len(r.ByReason) > 0 {
		b.WriteString("Reason codes\n")
		for _, k := range sortedKeys(r.ByReason) {
			fmt.Fprintf(&b, " %-28s %8d\n", k, r.ByReason[k])
		}
	}
	b.WriteString(statsSub)
	b.WriteString("Exchanges (latency in ms)    Count      Min      P50      P90      P99      Max  Unanswered\n")
	approx := false
	for _, d := range append(append([]Dist{}, r.Exchanges...), r.Fanout) {
		if d.Count == 0 && d.Unanswered == 0 {
			continue
		}
		name := d.Name
		if name == "fanout" {
			name = "broker fan-out"
		}
		fmt.Fprintf(&b, " %-24s %8d %8s %8s %8s %8s %8s  %10d\n", name, d.Count, ms(d.Min, d.Count), ms(d.P50, d.Count),
			ms(d.P90, d.Count), ms(d.P99, d.Count), ms(d.Max, d.Count), d.Unanswered)
		if !d.Exact && d.Count > 0 {
			approx = true
		}
		if o.Histograms && d.Count > 1 {
			fmt.Fprintf(&b, "   %s  %s .. %s ms\n", sparkline(d.Histogram), ms(d.Min, 1), ms(d.Max, 1))
		}
	}
	if approx {
		b.WriteString(" (percentiles of large samples come from a histogram with 1% buckets: within 0.5%)\n")
	}
	if len(r.Clients) > 0 {
		b.WriteString(statsSub)
		b.WriteString("Clients\n")
		for _, c := range r.Clients {
			if c.Other > 0 {
				fmt.Fprintf(&b, " (other: %d more clients beyond --stats-max-clients %d)  packets %d/%d  bytes %d/%d\n",
					c.Other, r.MaxClients, c.PacketsIn, c.PacketsOut, c.BytesIn, c.BytesOut)
				continue
			}
			fmt.Fprintf(&b, " %s\n", quoteText(c.ClientID))
			fmt.Fprintf(&b, "   address %s  v%s  keep alive %d s  clean %s  will %s  connections %d\n",
				c.Address, c.Version, c.KeepAlive, yesNo(c.CleanStart), yesNo(c.Will), c.Connections)
			conn := "-"
			if c.ConnectLatency > 0 {
				conn = ms(c.ConnectLatency, 1) + " ms"
			}
			fmt.Fprintf(&b, "   connect %s  packets in/out %d/%d  bytes in/out %d/%d\n", conn, c.PacketsIn, c.PacketsOut, c.BytesIn, c.BytesOut)
			if c.End != "" {
				fmt.Fprintf(&b, "   ended: %s\n", Escape(c.End))
			}
		}
	}
	if len(r.Topics) > 0 {
		b.WriteString(statsSub)
		b.WriteString("Topics                        Msgs  Deliv     Bytes  Pubs  Subs  Ret  QoS0/1/2       Rate/s\n")
		for _, t := range r.Topics {
			name := t.Topic
			if t.Other > 0 {
				name = fmt.Sprintf("(other: %d topics)", t.Other)
			}
			fmt.Fprintf(&b, " %-26s %6d %6d %9d %5d %5d %4d  %d/%d/%d %12.3f\n", cutText(quoteText(name), 26), t.Messages, t.Deliveries,
				t.Bytes, t.Publishers, t.Subscribers, t.Retained, t.QoS[0], t.QoS[1], t.QoS[2], t.Rate)
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString(statsSub)
		b.WriteString("Findings by rule                                     Count\n")
		for _, k := range sortedKeys(r.Findings) {
			fmt.Fprintf(&b, " %-50s %6d\n", Escape(k), r.Findings[k])
		}
	}
	b.WriteString(statsRule)
	_, err := io.WriteString(w, b.String())
	return err
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func ms(d time.Duration, count int) string {
	if count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func quoteText(s string) string { return Escape(s) }

func cutText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var sparks = []rune(" ▁▂▃▄▅▆▇█")

func sparkline(h []int) string {
	top := 0
	for _, v := range h {
		top = max(top, v)
	}
	var b strings.Builder
	b.WriteRune('|')
	for _, v := range h {
		i := 0
		if top > 0 && v > 0 {
			i = 1 + v*(len(sparks)-2)/top
		}
		b.WriteRune(sparks[i])
	}
	b.WriteRune('|')
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The JSON schema of `mqttdump stats -T json` (documented in the README).
type jsonStats struct {
	Capture struct {
		First   string  `json:"first,omitempty"`
		Last    string  `json:"last,omitempty"`
		Span    float64 `json:"span"`
		Frames  int     `json:"frames"`
		Packets int     `json:"packets"`
		Bytes   int     `json:"bytes"`
	} `json:"capture"`
	Packets struct {
		ByType   map[string]int `json:"by_type"`
		ByQoS    map[string]int `json:"by_qos"`
		ByReason map[string]int `json:"by_reason"`
	} `json:"packets"`
	Exchanges map[string]jsonDist `json:"exchanges"`
	Fanout    jsonDist            `json:"fanout"`
	Clients   []jsonClient        `json:"clients"`
	Topics    []jsonTopic         `json:"topics"`
	Findings  map[string]int      `json:"findings"`
}

type jsonDist struct {
	Count      int     `json:"count"`
	Min        float64 `json:"min"`
	P50        float64 `json:"p50"`
	P90        float64 `json:"p90"`
	P99        float64 `json:"p99"`
	Max        float64 `json:"max"`
	Unanswered int     `json:"unanswered"`
	Exact      bool    `json:"exact"`
}

type jsonClient struct {
	ClientID       string   `json:"client_id"`
	Other          int      `json:"other,omitempty"`
	Connections    int      `json:"connections"`
	Address        string   `json:"address,omitempty"`
	Version        string   `json:"version,omitempty"`
	KeepAlive      int      `json:"keep_alive"`
	CleanStart     bool     `json:"clean_start"`
	Will           bool     `json:"will"`
	ConnectLatency *float64 `json:"connect_latency"`
	PacketsIn      int      `json:"packets_in"`
	PacketsOut     int      `json:"packets_out"`
	BytesIn        int      `json:"bytes_in"`
	BytesOut       int      `json:"bytes_out"`
	End            string   `json:"end,omitempty"`
}

type jsonTopic struct {
	Topic       string  `json:"topic"`
	Other       int     `json:"other,omitempty"`
	Messages    int     `json:"messages"`
	Deliveries  int     `json:"deliveries"`
	Bytes       int     `json:"bytes"`
	Publishers  int     `json:"publishers"`
	Subscribers int     `json:"subscribers"`
	Retained    int     `json:"retained"`
	QoS         [3]int  `json:"qos"`
	Rate        float64 `json:"rate"`
}

func toJSONDist(d Dist) jsonDist {
	return jsonDist{Count: d.Count, Min: d.Min.Seconds(), P50: d.P50.Seconds(), P90: d.P90.Seconds(), P99: d.P99.Seconds(),
		Max: d.Max.Seconds(), Unanswered: d.Unanswered, Exact: d.Exact}
}

// WriteStatsJSON writes the report as one JSON object.
func WriteStatsJSON(w io.Writer, r *StatsReport) error {
	var j jsonStats
	if r.Packets > 0 {
		j.Capture.First = r.First.UTC().Format(time.RFC3339Nano)
		j.Capture.Last = r.Last.UTC().Format(time.RFC3339Nano)
		j.Capture.Span = r.Last.Sub(r.First).Seconds()
	}
	j.Capture.Frames, j.Capture.Packets, j.Capture.Bytes = r.Frames, r.Packets, r.Bytes
	j.Packets.ByType = map[string]int{}
	for t := 1; t < 16; t++ {
		j.Packets.ByType[specTypeNames[t]] = r.ByType[t]
	}
	if r.ByType[0] > 0 {
		j.Packets.ByType["Reserved"] = r.ByType[0]
	}
	j.Packets.ByQoS = map[string]int{"0": r.ByQoS[0], "1": r.ByQoS[1], "2": r.ByQoS[2]}
	j.Packets.ByReason = r.ByReason
	if j.Packets.ByReason == nil {
		j.Packets.ByReason = map[string]int{}
	}
	j.Exchanges = map[string]jsonDist{}
	for _, d := range r.Exchanges {
		j.Exchanges[d.Name] = toJSONDist(d)
	}
	j.Fanout = toJSONDist(r.Fanout)
	j.Clients = []jsonClient{}
	for _, c := range r.Clients {
		jc := jsonClient{ClientID: c.ClientID, Other: c.Other, Connections: c.Connections, Address: c.Address, Version: c.Version,
			KeepAlive: c.KeepAlive, CleanStart: c.CleanStart, Will: c.Will, PacketsIn: c.PacketsIn, PacketsOut: c.PacketsOut,
			BytesIn: c.BytesIn, BytesOut: c.BytesOut, End: c.End}
		if c.ConnectLatency > 0 {
			v := c.ConnectLatency.Seconds()
			jc.ConnectLatency = &v
		}
		j.Clients = append(j.Clients, jc)
	}
	j.Topics = []jsonTopic{}
	for _, t := range r.Topics {
		j.Topics = append(j.Topics, jsonTopic{Topic: t.Topic, Other: t.Other, Messages: t.Messages, Deliveries: t.Deliveries,
			Bytes: t.Bytes, Publishers: t.Publishers, Subscribers: t.Subscribers, Retained: t.Retained, QoS: t.QoS, Rate: t.Rate})
	}
	j.Findings = r.Findings
	if j.Findings == nil {
		j.Findings = map[string]int{}
	}
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("stats json: %w", err)
	}
	_, err = w.Write(append(escapeFormatRunes(b), '\n'))
	return err
}

// escapeFormatRunes rewrites the non-ASCII runes json.Marshal leaves as
// they are but a terminal would act on (C1 controls, bidi and other format
// characters) as \uXXXX escapes; they only occur inside JSON strings.
func escapeFormatRunes(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r < utf8.RuneSelf || unicode.IsGraphic(r) {
			if out != nil {
				out = append(out, b[i:i+size]...)
			}
			i += size
			continue
		}
		if out == nil {
			out = append([]byte{}, b[:i]...)
		}
		for _, u := range utf16.Encode([]rune{r}) {
			out = fmt.Appendf(out, "\\u%04x", u)
		}
		i += size
	}
	if out == nil {
		return b
	}
	return out
}
