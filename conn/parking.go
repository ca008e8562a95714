package conn

import "slices"

// parking keeps the state of recently closed connections. The capture closes
// a connection that has been idle longer than --idle-flush; when the same
// addresses speak again (a long keep-alive), the connection resumes with
// the version, topic aliases, open requests and --client match it had,
// instead of being guessed afresh. Bounded: the oldest entries go first.
type parking struct {
	m     map[connKey]*Conn
	order []connKey
}

const maxParked = 4096

// put parks c and returns a connection pushed out to make room (or
// replaced at the same addresses), if any; its topic aliases leave the
// shared budget at once.
func (p *parking) put(k connKey, c *Conn) (evicted *Conn) {
	if old, ok := p.m[k]; !ok {
		p.order = append(p.order, k)
	} else if old != c {
		old.sess.Release() // its topic aliases leave the shared budget
		evicted = old
	}
	p.m[k] = c
	for len(p.m) > maxParked && len(p.order) > 0 {
		if old := p.m[p.order[0]]; old != nil && old != c {
			old.sess.Release()
			evicted = old
		}
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
	if len(p.order) > 2*maxParked {
		// Drop keys already taken back, so order stays bounded.
		kept := p.order[:0]
		for _, k := range p.order {
			if _, ok := p.m[k]; ok {
				kept = append(kept, k)
			}
		}
		p.order = kept
	}
	return evicted
}

func (p *parking) take(k connKey) *Conn {
	c := p.m[k]
	if c != nil {
		delete(p.m, k)
	}
	return c
}

// all empties the parking and returns what it held.
func (p *parking) all() []*Conn {
	out := make([]*Conn, 0, len(p.m))
	for _, c := range p.m {
		out = append(out, c)
	}
	p.m, p.order = map[connKey]*Conn{}, nil
	return out
}

func sortConns(cs []*Conn) {
	slices.SortFunc(cs, func(a, b *Conn) int { return a.Stream - b.Stream })
}
