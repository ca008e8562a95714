package conn

import "slices"

// adopt moves the open publish exchanges of a persistent session from old
// into x (the session resumed on a new connection: a DUP retransmission
// and its answer pair up with the request made before).
func (x *exchanges) adopt(old *exchanges) {
	if x.inflight == nil {
		x.inflight = map[idKey]*request{}
	}
	for k, r := range old.inflight {
		if !isPublish(r.kind) {
			continue
		}
		old.remove(k)
		if len(x.inflight) < maxInflight {
			x.remove(k)
			x.put(k, r)
		}
	}
}

// saved is a persistent session between connections.
type saved struct {
	conn Conn // identity and addresses of the connection that left it
	ex   exchanges
}

// sessions keeps persistent sessions by client id. Bounded: the oldest
// goes first (its open requests become unanswered).
type sessions struct {
	m     map[string]*saved
	order []string
}

const maxSessions = 4096

// put saves the open publishes of x for client; returns an evicted session.
func (s *sessions) put(c *Conn) (evicted *exchanges) {
	client := c.ClientID
	sv := &saved{conn: Conn{ClientID: c.ClientID, Client: c.Client, Server: c.Server, Stream: c.Stream}}
	sv.ex.adopt(&c.ex)
	if _, ok := s.m[client]; !ok {
		s.order = append(s.order, client)
	}
	s.m[client] = sv
	for len(s.m) > maxSessions && len(s.order) > 0 {
		if old := s.m[s.order[0]]; old != nil {
			evicted = &old.ex
		}
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
	if len(s.order) > 2*maxSessions {
		kept := s.order[:0]
		for _, k := range s.order {
			if _, ok := s.m[k]; ok {
				kept = append(kept, k)
			}
		}
		s.order = kept
	}
	return evicted
}

func (s *sessions) take(client string) *saved {
	sv := s.m[client]
	delete(s.m, client)
	return sv
}

// finish reports the open requests of sessions never resumed.
func (s *sessions) finish(pl *Pipeline) error {
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sv := s.m[k]
		if open := sv.ex.open(); len(open) > 0 {
			c := sv.conn
			if err := pl.unanswered(&c, open, "session of client "+quote(k)+" never resumed: "); err != nil {
				return err
			}
		}
	}
	s.m, s.order = map[string]*saved{}, nil
	return nil
}

func quote(s string) string { return "\"" + s + "\"" }
