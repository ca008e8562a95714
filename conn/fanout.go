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
// overwritten and can no longer be matched.
const maxFan = 8192

// fanTable holds recent inbound publishes in a ring, indexed by key sum
// (the most recent entry per sum) in an open-addressing table with linear
// probing and twice as many slots as the ring has entries: a Go map's
// insert and delete for every inbound publish were a twentieth of a run.
type fanTable struct {
	ring  []fanEntry
	next  int
	slots []fanSlot // fanSlots of them, made at the first add
	seed  maphash.Seed
}

// fanSlot is one index slot: idx is the ring index plus one (0: empty).
type fanSlot struct {
	sum uint64
	idx int32
}

const fanSlots = 2 * maxFan // a power of two

func newFanTable() fanTable {
	return fanTable{ring: make([]fanEntry, 0, 64), seed: maphash.MakeSeed()}
}

// sum folds the three hashes into the one word the index is keyed by.
func (k fanKey) sum() uint64 {
	return k.topic ^ bits.RotateLeft64(k.payload, 21) ^ bits.RotateLeft64(k.corr, 42)
}

// slot is where sum is in the index, or the empty slot where it goes.
func (f *fanTable) slot(sum uint64) int {
	i := int(sum & (fanSlots - 1))
	for f.slots[i].idx != 0 && f.slots[i].sum != sum {
		i = (i + 1) & (fanSlots - 1)
	}
	return i
}

// unset empties slot i, moving later slots of the probe run back so every
// entry stays reachable from its home slot.
func (f *fanTable) unset(i int) {
	for j := i; ; {
		j = (j + 1) & (fanSlots - 1)
		if f.slots[j].idx == 0 {
			break
		}
		home := int(f.slots[j].sum & (fanSlots - 1))
		// j's entry stays unless i lies cyclically between its home and j.
		if (i <= j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
			f.slots[i] = f.slots[j]
			i = j
		}
	}
	f.slots[i] = fanSlot{}
}

func (f *fanTable) add(e fanEntry) {
	if f.slots == nil {
		f.slots = make([]fanSlot, fanSlots)
	}
	idx := len(f.ring)
	if idx < maxFan {
		f.ring = append(f.ring, e)
	} else {
		idx = f.next
		old := &f.ring[idx]
		if i := f.slot(old.key.sum()); f.slots[i].idx == int32(idx)+1 {
			f.unset(i)
		}
		*old = e
		f.next = (f.next + 1) % maxFan
	}
	sum := e.key.sum()
	f.slots[f.slot(sum)] = fanSlot{sum: sum, idx: int32(idx) + 1}
}

func (f *fanTable) find(k fanKey) *fanEntry {
	if f.slots == nil {
		return nil
	}
	s := f.slots[f.slot(k.sum())]
	if s.idx == 0 || f.ring[s.idx-1].key != k {
		return nil
	}
	return &f.ring[s.idx-1]
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
