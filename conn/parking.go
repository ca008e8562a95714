package conn

// parking keeps the state of recently closed connections. The capture closes
// a connection that has been idle longer than --idle-flush; when the same
// addresses speak again (a long keep-alive), the connection resumes with
// the version, topic aliases and --client match it had, instead of being
// guessed afresh. Bounded: the oldest entries go first.
type parking struct {
	m     map[connKey]*Conn
	order []connKey
}

const maxParked = 4096

func (p *parking) put(k connKey, c *Conn) {
	if old, ok := p.m[k]; !ok {
		p.order = append(p.order, k)
	} else if old != c {
		old.sess.Release() // its topic aliases leave the shared budget
	}
	p.m[k] = c
	for len(p.m) > maxParked && len(p.order) > 0 {
		if old := p.m[p.order[0]]; old != nil {
			old.sess.Release()
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
}

func (p *parking) take(k connKey) *Conn {
	c := p.m[k]
	if c != nil {
		delete(p.m, k)
	}
	return c
}
