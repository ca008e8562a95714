package conn

import (
	"hash/maphash"
	"math/bits"
	"time"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
)

// fanKey identifies an application message: topic (after alias
// resolution), payload and correlation data, hashed.
type fanKey struct {
	topic   uint64 // hashed too: a topic can be 64 KiB, and the table holds thousands
	payload uint64
	corr    uint64
}

// fanEntry is an inbound PUBLISH (client → broker), or a will message the
// broker is about to publish.
type fanEntry struct {
	key    fanKey
	frame  int
	t      time.Time
	retain bool
	will   bool
}

// maxFan bounds the table of recent inbound publishes; older ones are
// overwritten (counted as evicted) and can no longer be matched.
const maxFan = 8192

// fanTable holds recent inbound publishes in a ring, indexed by key (the
// most recent entry per key).
type fanTable struct {
	ring    []fanEntry
	next    int
	full    bool
	index   map[uint64]int32 // by fanKey.sum; find checks the whole key
	evicted int
	seed    maphash.Seed
}

func newFanTable() fanTable {
	return fanTable{ring: make([]fanEntry, 0, 64), index: map[uint64]int32{}, seed: maphash.MakeSeed()}
}

// sum folds the three hashes into the one word the index is keyed by: a
// map of integers costs a third of a map of 24-byte keys per lookup.
func (k fanKey) sum() uint64 {
	return k.topic ^ bits.RotateLeft64(k.payload, 21) ^ bits.RotateLeft64(k.corr, 42)
}

func (f *fanTable) add(e fanEntry) {
	if len(f.ring) < maxFan {
		f.ring = append(f.ring, e)
		f.index[e.key.sum()] = int32(len(f.ring) - 1)
		return
	}
	old := &f.ring[f.next]
	if s := old.key.sum(); f.index[s] == int32(f.next) {
		delete(f.index, s)
	}
	f.evicted++
	*old = e
	f.index[e.key.sum()] = int32(f.next)
	f.next = (f.next + 1) % maxFan
}

func (f *fanTable) find(k fanKey) *fanEntry {
	i, ok := f.index[k.sum()]
	if !ok || f.ring[i].key != k {
		return nil
	}
	return &f.ring[i]
}

// hash is a fast 64-bit hash of a payload (maphash: the run's own seed).
func (f *fanTable) hash(b []byte) uint64 { return maphash.Bytes(f.seed, b) }

func payloadOf(p *dissect.Packet) []byte {
	if p.Missing > 0 || p.Payload > len(p.Raw) || p.Payload < 0 {
		return nil
	}
	return p.Raw[len(p.Raw)-p.Payload:]
}

// fanOut records inbound publishes and names the inbound publish (or
// will) that an outbound one forwards.
func (pl *Pipeline) fanOut(c *Conn, p *dissect.Packet, ev *capture.Event) {
	if p.Missing > 0 {
		return
	}
	k := fanKey{topic: maphash.String(pl.fan.seed, p.Topic), payload: pl.fan.hash(payloadOf(p))}
	if b := propBytes(p, propCorrelation); b != nil {
		k.corr = pl.fan.hash(b)
	}
	switch ev.Dir {
	case dissect.ToServer:
		pl.fan.add(fanEntry{key: k, frame: ev.Frame, t: ev.Time, retain: p.Retain})
	case dissect.ToClient:
		e := pl.fan.find(k)
		if e == nil && k.corr != 0 {
			// The broker may forward correlation data the capture did not
			// see inbound with a tree; fall back to topic and payload.
			e = pl.fan.find(fanKey{topic: k.topic, payload: k.payload})
		}
		if p.Retain {
			pl.an.Retained = true
		}
		if e == nil || e.t.After(ev.Time) {
			return
		}
		lat := ev.Time.Sub(e.t)
		if e.will {
			pl.an.WillOf, pl.an.ForwardLatency = e.frame, lat
		} else {
			pl.an.ForwardedFrom, pl.an.ForwardLatency = e.frame, lat
		}
		if p.Fields != nil && !c.sess.FactsOnly {
			if e.will {
				p.AddGenerated(&dissect.Node{Def: fWillOf, Value: uint64(e.frame)})
			} else {
				p.AddGenerated(&dissect.Node{Def: fForwardedFrom, Value: uint64(e.frame)})
			}
			ls := seconds(lat)
			p.AddGenerated(&dissect.Node{Def: fForwardLatency, Value: ls, Show: ls + " seconds"})
			if p.Retain {
				p.AddGenerated(&dissect.Node{Def: fRetainedCopy, Value: true})
			}
		}
	}
}
