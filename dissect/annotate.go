package dissect

import "slices"

// AddFinding records a finding made after dissection, by an analyzer that
// knows more than one packet (an unanswered request, a negotiated limit
// broken). It goes on node n, or on the packet's first field when n is nil
// (when the packet has no tree, only Experts lists it).
func (p *Packet) AddFinding(n *Node, e *Expert) {
	if n == nil && len(p.Fields) > 0 {
		n = p.Fields[0]
	}
	if n != nil {
		n.Expert = append(n.Expert, e)
	}
	if p.collected {
		// Experts stays in wire order: after every finding that starts
		// at or before this one.
		i := len(p.experts)
		for i > 0 && p.experts[i-1].Offset > e.Offset {
			i--
		}
		p.experts = slices.Insert(p.experts, i, e)
	}
	if e.Severity == SevMalformed {
		p.Malformed = true
	}
}

// Flag records a finding of rule r on node n (nil: the whole packet),
// citing the rule in the packet's version.
func (p *Packet) Flag(n *Node, r *Rule, msg string) {
	e := &Expert{ID: r.Info.ID, Severity: r.Info.Severity, Message: msg, Spec: r.Cite(p.Version), Length: len(p.Raw)}
	if n != nil {
		e.Offset, e.Length = n.Offset, n.Length
	}
	p.AddFinding(n, e)
}

// AddGenerated appends a generated field (a value worked out, not read:
// a latency, the frame of a request) to the packet's top level.
func (p *Packet) AddGenerated(n *Node) {
	n.Generated, n.Length = true, 0
	if n.Offset == 0 {
		n.Offset = len(p.Raw)
	}
	p.Fields = append(p.Fields, n)
}
