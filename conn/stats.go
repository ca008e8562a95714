package conn

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/render"
)

// Stats collects the statistics report over the shown packets. Distinct
// clients and topics beyond the caps are counted together as "other".
type Stats struct {
	MaxClients, MaxTopics int

	first, last time.Time
	packets     int
	bytes       int
	byType      [16]int
	byQoS       [3]int
	byReason    map[string]int
	clients     map[string]*render.ClientStats
	otherClient render.ClientStats
	topics      map[string]*topicAcc
	filters     map[string][]string // subscriptions seen, by client id (capped)
	otherTopic  topicAcc
	ex          [numKinds]dist
	unans       [numKinds]int
	fan         dist
	findings    map[string]int
}

type topicAcc struct {
	render.TopicStats
	pubs, subs map[string]bool
}

// maxNames bounds the publishers/subscribers remembered per topic.
const maxNames = 64

// NewStats returns a collector with the caps (0: 1000 clients, 1000 topics).
func NewStats(maxClients, maxTopics int) *Stats {
	if maxClients <= 0 {
		maxClients = 1000
	}
	if maxTopics <= 0 {
		maxTopics = 1000
	}
	return &Stats{MaxClients: maxClients, MaxTopics: maxTopics, byReason: map[string]int{},
		clients: map[string]*render.ClientStats{},
		topics:  map[string]*topicAcc{}, findings: map[string]int{}, filters: map[string][]string{},
		otherClient: render.ClientStats{ClientID: "(other)"}}
}

func (s *Stats) client(c *Conn) *render.ClientStats {
	if c.stats != nil {
		return c.stats
	}
	id := c.ClientID
	if !c.HasConnect {
		id = "(no CONNECT seen) " + c.Client.String()
	}
	cs := s.clients[id]
	if cs == nil {
		if len(s.clients) >= s.MaxClients {
			s.otherClient.Other++
			cs = &s.otherClient
		} else {
			cs = &render.ClientStats{ClientID: id}
			s.clients[id] = cs
		}
	}
	c.stats = cs // the connection keeps it, so a closed one holds nothing here
	if cs != &s.otherClient {
		cs.Connections++
	}
	return cs
}

func (s *Stats) packet(p *dissect.Packet, m *render.Meta, c *Conn, dir dissect.Direction) {
	if s.first.IsZero() {
		s.first = m.Time
	}
	s.last = m.Time
	s.packets++
	s.bytes += len(p.Raw)
	s.byType[p.Type&0x0f]++
	if p.Type == dissect.TypePublish && p.QoS >= 0 && p.QoS <= 2 {
		s.byQoS[p.QoS]++
	}
	if p.Reason >= 0 {
		s.countCapped(s.byReason, fmt.Sprintf("%s 0x%02x", typeName(p.Type), p.Reason))
	}
	for _, e := range p.Experts() {
		if e == nil || e.Severity < dissect.SevProtocol {
			continue
		}
		rule := e.Spec
		if rule == "" {
			rule = e.Severity.Group()
		}
		s.countCapped(s.findings, rule)
	}
	cs := s.client(c)
	if cs != &s.otherClient {
		cs.Address = c.Client.String()
		cs.Version = c.Version.String()
		cs.KeepAlive, cs.CleanStart, cs.Will = c.KeepAlive, c.CleanStart, c.HasWill
		if c.ConnectLatency > 0 {
			cs.ConnectLatency = c.ConnectLatency
		}
	}
	if dir == dissect.ToServer {
		cs.PacketsIn++
		cs.BytesIn += len(p.Raw)
	} else {
		cs.PacketsOut++
		cs.BytesOut += len(p.Raw)
	}
	a := m.Analysis
	if a != nil && a.ResponseTo > 0 {
		if k, ok := answerKind(p); ok {
			// A QoS 2 flow counts once, from PUBLISH to PUBCOMP.
			if k == KindPublishQoS2 {
				if p.Type == dissect.TypePubcomp {
					s.ex[k].add(a.FlowTime)
				}
			} else {
				s.ex[k].add(a.Latency)
			}
		}
	}
	if a != nil && a.ForwardedFrom > 0 && !a.Retained {
		s.fan.add(a.ForwardLatency)
	}
	if p.Type == dissect.TypePublish {
		s.topic(p, c, dir)
	}
	if p.Type == dissect.TypeSubscribe {
		s.subscribe(c.ClientID, p.Filters)
	}
}

func (s *Stats) countCapped(m map[string]int, k string) {
	if _, ok := m[k]; !ok && len(m) >= 256 {
		k = "(other)"
	}
	m[k]++
}

func answerKind(p *dissect.Packet) (Kind, bool) {
	switch p.Type {
	case dissect.TypeConnack:
		return KindConnect, true
	case dissect.TypeSuback:
		return KindSubscribe, true
	case dissect.TypeUnsuback:
		return KindUnsubscribe, true
	case dissect.TypePingresp:
		return KindPing, true
	case dissect.TypePuback:
		return KindPublishQoS1, true
	case dissect.TypePubrec, dissect.TypePubrel, dissect.TypePubcomp:
		return KindPublishQoS2, true
	case dissect.TypeAuth:
		return KindAuth, true
	}
	return 0, false
}

func (s *Stats) topicAcc(name string) *topicAcc {
	t := s.topics[name]
	if t == nil {
		if len(s.topics) >= s.MaxTopics {
			s.otherTopic.Other++
			if s.otherTopic.pubs == nil {
				s.otherTopic.pubs, s.otherTopic.subs = map[string]bool{}, map[string]bool{}
				s.otherTopic.Topic = "(other)"
			}
			return &s.otherTopic
		}
		t = &topicAcc{TopicStats: render.TopicStats{Topic: name}, pubs: map[string]bool{}, subs: map[string]bool{}}
		s.topics[name] = t
	}
	return t
}

func (s *Stats) topic(p *dissect.Packet, c *Conn, dir dissect.Direction) {
	t := s.topicAcc(p.Topic)
	if dir == dissect.ToServer {
		t.Messages++
		t.Bytes += p.Payload
		if p.Retain {
			t.Retained++
		}
		if p.QoS >= 0 && p.QoS <= 2 {
			t.QoS[p.QoS]++
		}
		if t.FirstTime.IsZero() {
			t.FirstTime = s.last
		}
		t.LastTime = s.last
		if len(t.pubs) < maxNames {
			t.pubs[c.ClientID] = true
		}
	} else {
		t.Deliveries++
		if len(t.subs) < maxNames {
			t.subs[c.ClientID] = true
		}
	}
}

func (s *Stats) unanswered(k Kind) { s.unans[k]++ }

// maxFilters bounds the subscriptions remembered per client.
const maxFilters = 16

func (s *Stats) subscribe(client string, filters []string) {
	fs, ok := s.filters[client]
	if !ok && len(s.filters) >= s.MaxClients {
		return
	}
	for _, f := range filters {
		if len(fs) < maxFilters && !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	s.filters[client] = fs
}

// notice records a connection's end.
func (s *Stats) notice(c *Conn, kind string) {
	if kind == "unanswered" {
		return
	}
	if c.stats != nil {
		c.stats.End = c.End
	}
}

// Report returns the collected statistics. frames is the capture's count.
func (s *Stats) Report(frames int, analyzer map[string]int) *render.StatsReport {
	r := &render.StatsReport{First: s.first, Last: s.last, Frames: frames, Packets: s.packets, Bytes: s.bytes,
		ByType: s.byType, ByQoS: s.byQoS, ByReason: s.byReason, MaxClients: s.MaxClients, MaxTopics: s.MaxTopics}
	for _, c := range s.clients {
		r.Clients = append(r.Clients, *c)
	}
	slices.SortFunc(r.Clients, func(a, b render.ClientStats) int { return cmpString(a.ClientID, b.ClientID) })
	if s.otherClient.Other > 0 {
		r.Clients = append(r.Clients, s.otherClient)
	}
	span := s.last.Sub(s.first).Seconds()
	// Clients by subscription filter: many clients share a filter, so each
	// topic is matched against the distinct filters only.
	byFilter := map[string][]string{}
	for client, fs := range s.filters {
		for _, f := range fs {
			byFilter[f] = append(byFilter[f], client)
		}
	}
	filters := slices.Sorted(maps.Keys(byFilter))
	add := func(t *topicAcc) {
		// Subscribers: clients that got the topic, or whose subscription
		// seen in the capture matches it.
		if t.Other == 0 {
			for _, f := range filters {
				if len(t.subs) >= maxNames {
					break
				}
				if !dissect.TopicMatches(f, t.Topic) {
					continue
				}
				for _, client := range byFilter[f] {
					if len(t.subs) >= maxNames {
						break
					}
					t.subs[client] = true
				}
			}
		}
		ts := t.TopicStats
		ts.Publishers, ts.Subscribers = len(t.pubs), len(t.subs)
		if span > 0 {
			ts.Rate = float64(ts.Messages) / span
		}
		r.Topics = append(r.Topics, ts)
	}
	for _, t := range s.topics {
		add(t)
	}
	slices.SortFunc(r.Topics, func(a, b render.TopicStats) int { return cmpString(a.Topic, b.Topic) })
	if s.otherTopic.Other > 0 {
		add(&s.otherTopic)
	}
	for k := Kind(0); k < numKinds; k++ {
		r.Exchanges = append(r.Exchanges, s.ex[k].report(k.String(), s.unans[k]))
	}
	r.Fanout = s.fan.report("fanout", 0)
	r.Findings = map[string]int{}
	for k, v := range s.findings {
		r.Findings[k] += v
	}
	for k, v := range analyzer {
		r.Findings["mqttdump."+k] += v
	}
	return r
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
