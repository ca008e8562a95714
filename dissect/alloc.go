package dissect

// alloc hands out nodes and child-pointer slices from slabs, so a packet's
// tree costs a few allocations instead of one per field. Slabs are never
// reallocated, so pointers into them stay valid; one alloc serves one packet.
type alloc struct {
	nodes []Node
	ptrs  []*Node
}

// newAlloc starts with slabs that fit the common packets (a PUBLISH or an
// acknowledgement needs under a dozen nodes); bigger trees get more slabs.
func newAlloc() *alloc {
	return &alloc{nodes: make([]Node, 0, 12), ptrs: make([]*Node, 0, 24)}
}

// reset makes the slabs reusable; the trees built from them are dead.
func (a *alloc) reset() *alloc {
	if cap(a.nodes) == 0 {
		*a = *newAlloc()
	}
	a.nodes, a.ptrs = a.nodes[:0], a.ptrs[:0]
	return a
}

func (a *alloc) node(n Node) *Node {
	if len(a.nodes) == cap(a.nodes) {
		a.nodes = make([]Node, 0, 32)
	}
	a.nodes = append(a.nodes, n)
	return &a.nodes[len(a.nodes)-1]
}

// kids returns an empty slice with room for n children; appending past n
// falls back to ordinary growth.
func (a *alloc) kids(n int) []*Node {
	if cap(a.ptrs)-len(a.ptrs) < n {
		a.ptrs = make([]*Node, 0, max(64, n))
	}
	l := len(a.ptrs)
	a.ptrs = a.ptrs[:l+n]
	return a.ptrs[l : l : l+n]
}
