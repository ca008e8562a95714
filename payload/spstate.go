package payload

import (
	"fmt"
	"strconv"

	"github.com/mqttdump/mqttdump/dissect"
)

// spState is the Sparkplug state of a capture, bounded: edge nodes (alias
// tables, bdSeq) capture-wide, because the NBIRTH that defines an alias
// reaches every subscriber; sequence numbers per connection, because each
// connection sees an edge node's messages in its own order.
type spState struct {
	o          Options
	edges      map[edgeKey]*edgeState
	edgeOrder  []edgeKey
	aliasCount int
	seqs       map[seqKey]uint8
	seqOrder   []seqKey
	stats      Stats
}

type edgeKey struct{ group, edge string }

type seqKey struct {
	conn int
	edge edgeKey
}

type aliasEntry struct {
	name     string
	datatype uint64
}

type edgeState struct {
	aliases    map[uint64]aliasEntry
	types      map[string]uint64 // datatype by metric name
	born       bool              // an NBIRTH was seen
	birthBdSeq int64             // -1: unknown
	willBdSeq  int64             // from the NDEATH will of a CONNECT; -1: unknown
}

// maxNameKept bounds the bytes of a metric name the state keeps.
const maxNameKept = 256

func newSpState(o Options) *spState {
	return &spState{o: o, edges: map[edgeKey]*edgeState{}, seqs: map[seqKey]uint8{}}
}

// edge returns the state of an edge node, making room by forgetting the
// oldest when the cap is reached.
func (s *spState) edge(k edgeKey, create bool) *edgeState {
	if e := s.edges[k]; e != nil || !create {
		return e
	}
	for len(s.edges) >= s.o.MaxEdgeNodes && len(s.edgeOrder) > 0 {
		old := s.edgeOrder[0]
		s.edgeOrder = s.edgeOrder[1:]
		if e := s.edges[old]; e != nil {
			s.aliasCount -= len(e.aliases) + len(e.types)
			delete(s.edges, old)
			s.stats.EdgeNodesEvicted++
		}
	}
	e := &edgeState{birthBdSeq: -1, willBdSeq: -1}
	s.edges[k] = e
	s.edgeOrder = append(s.edgeOrder, k)
	return e
}

func keyOf(t spTopic) edgeKey { return edgeKey{t.group, t.edge} }

func (s *spState) datatypeByName(t spTopic, name string) (uint64, bool) {
	if e := s.edges[keyOf(t)]; e != nil {
		dt, ok := e.types[name]
		return dt, ok
	}
	return 0, false
}

func (s *spState) datatypeByAlias(t spTopic, alias uint64) (uint64, bool) {
	if e := s.edges[keyOf(t)]; e != nil {
		a, ok := e.aliases[alias]
		return a.datatype, ok
	}
	return 0, false
}

func (s *spState) forget(e *edgeState) {
	s.aliasCount -= len(e.aliases) + len(e.types)
	e.aliases, e.types = nil, nil
}

// learn records a birth certificate's metrics, within the alias budget.
func (s *spState) learn(e *edgeState, ms []spMetric) {
	if e.aliases == nil {
		e.aliases, e.types = map[uint64]aliasEntry{}, map[string]uint64{}
	}
	for _, m := range ms {
		name := m.name
		if len(name) > maxNameKept {
			name = name[:maxNameKept]
		}
		if m.hasAlias {
			if _, ok := e.aliases[m.alias]; !ok {
				if s.aliasCount >= s.o.MaxAliases {
					s.stats.AliasesDropped++
					continue
				}
				s.aliasCount++
			}
			e.aliases[m.alias] = aliasEntry{name: name, datatype: m.datatype}
		}
		if name != "" {
			if _, ok := e.types[name]; !ok {
				if s.aliasCount >= s.o.MaxAliases {
					continue
				}
				s.aliasCount++
			}
			e.types[name] = m.datatype
		}
	}
}

// observe checks a decoded message against the state and updates it:
// alias resolution, seq order, bdSeq of births and deaths.
func (s *spState) observe(r *run, sp *spDecoder, t spTopic) {
	if t.edge == "" {
		return
	}
	k := keyOf(t)
	for _, m := range sp.metrics {
		if m.name == "bdSeq" {
			if v, err := strconv.ParseInt(m.value, 10, 64); err == nil {
				sp.bdSeq = v
			}
		}
	}
	if r.pl.Will {
		if t.msgType == "NDEATH" && sp.bdSeq >= 0 {
			s.edge(k, true).willBdSeq = sp.bdSeq
		}
		return
	}
	e := s.edge(k, true)
	switch t.msgType {
	case "NBIRTH":
		s.forget(e)
		s.learn(e, sp.metrics)
		e.born = true
		switch {
		case sp.bdSeq < 0:
			r.finding(sp.top, sp.base, 0, dissect.EISpNoBdSeq, "NBIRTH without a bdSeq metric", "tck-id-topics-nbirth-bdseq-included")
		case e.willBdSeq >= 0 && e.willBdSeq != sp.bdSeq:
			r.finding(sp.top, sp.base, 0, dissect.EISpBdSeqMismatch,
				fmt.Sprintf("NBIRTH bdSeq %d does not match the bdSeq %d of the NDEATH will in the CONNECT", sp.bdSeq, e.willBdSeq), "tck-id-topics-nbirth-bdseq-matching")
		}
		e.birthBdSeq = sp.bdSeq
	case "DBIRTH":
		s.learn(e, sp.metrics)
	case "NDEATH":
		if sp.bdSeq >= 0 && e.birthBdSeq >= 0 && sp.bdSeq != e.birthBdSeq {
			r.finding(sp.top, sp.base, 0, dissect.EISpBdSeqMismatch,
				fmt.Sprintf("NDEATH bdSeq %d does not match the bdSeq %d of the NBIRTH", sp.bdSeq, e.birthBdSeq), "tck-id-payloads-ndeath-bdseq")
		}
	case "NDATA", "DDATA", "NCMD", "DCMD":
		s.resolve(r, sp, e, t)
	}
	s.checkSeq(r, sp, t, k)
}

// resolve names the metrics that carry only an alias, from the births.
func (s *spState) resolve(r *run, sp *spDecoder, e *edgeState, t spTopic) {
	for i := range sp.metrics {
		m := &sp.metrics[i]
		if m.name != "" || !m.hasAlias {
			continue
		}
		a, ok := e.aliases[m.alias]
		if !ok {
			if e.born {
				r.finding(m.node, sp.base+m.aliasOff, m.aliasEnd-m.aliasOff, dissect.EISpUnknownAlias,
					fmt.Sprintf("metric alias %d is not in the NBIRTH or DBIRTH of %s/%s", m.alias, t.group, t.edge), "")
			} else {
				r.finding(m.node, sp.base+m.aliasOff, m.aliasEnd-m.aliasOff, dissect.EISpAliasNoBirth,
					fmt.Sprintf("metric alias %d: no NBIRTH of %s/%s seen", m.alias, t.group, t.edge), "")
			}
			continue
		}
		m.name = a.name
		if m.node != nil {
			gen := r.add(m.node, dissect.Node{Def: fSpName, Offset: sp.base + m.aliasEnd, Value: a.name, Generated: true, Source: sp.src})
			moveAfterAlias(m.node, gen)
			m.node.Show = metricShow(*m)
		}
	}
}

// moveAfterAlias puts the generated name (appended last) after the alias.
func moveAfterAlias(n, gen *dissect.Node) {
	ch := n.Children
	for i, c := range ch {
		if c.Def == fSpAlias && i+1 < len(ch) {
			copy(ch[i+2:], ch[i+1:len(ch)-1])
			ch[i+1] = gen
			return
		}
	}
}

var seqTypes = map[string]bool{"NBIRTH": true, "NDATA": true, "DBIRTH": true, "DDATA": true, "DDEATH": true}

func (s *spState) checkSeq(r *run, sp *spDecoder, t spTopic, k edgeKey) {
	if !seqTypes[t.msgType] {
		return
	}
	if sp.seq < 0 {
		r.finding(sp.top, sp.base, 0, dissect.EISpSeqMissing, t.msgType+" without a seq", "tck-id-payloads-sequence-num-always-included")
		return
	}
	sk := seqKey{r.d.conn, k}
	prev, ok := s.seqs[sk]
	if ok && t.msgType != "NBIRTH" {
		if want := prev + 1; uint64(want) != uint64(sp.seq) {
			gap := (int(sp.seq) - int(want) + 256) % 256
			r.finding(sp.seqNode, sp.base+sp.seqOff, 0, dissect.EISpSeqGap,
				fmt.Sprintf("seq %d after %d on %s/%s: expected %d (%d messages missing or out of order)", sp.seq, prev, t.group, t.edge, want, gap),
				"tck-id-payloads-sequence-num-incrementing")
		}
	}
	if !ok {
		for len(s.seqs) >= s.o.MaxSeqStates && len(s.seqOrder) > 0 {
			delete(s.seqs, s.seqOrder[0])
			s.seqOrder = s.seqOrder[1:]
			s.stats.SeqStatesEvicted++
		}
		s.seqOrder = append(s.seqOrder, sk)
	}
	s.seqs[sk] = uint8(sp.seq)
}
