package dissect

// alloc hands out nodes and child-pointer slices from slabs, so a packet's
// tree costs a few allocations instead of one per field. Slabs are never
// reallocated, so pointers into them stay valid; one alloc serves one packet.
type alloc struct {
	nodes   []Node
	ptrs    []*Node
	experts []*Expert // every finding of the packet, in the order made
	text    []byte    // scratch for the Info text
	pkt     Packet    // the packet itself, when the alloc is an arena's
	// noTree: the facts-only mode. Nodes come from a small ring and are not
	// linked into a tree; the decoder reads values from them at once, so a
	// reused slot only ever holds a node nobody needs any more.
	noTree bool
	ring   []Node
	ri     int
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
	a.nodes, a.ptrs, a.experts = a.nodes[:0], a.ptrs[:0], a.experts[:0]
	return a
}

func (a *alloc) node(n Node) *Node {
	if a.noTree {
		if a.ring == nil {
			a.ring = make([]Node, ringSize)
		}
		slot := &a.ring[a.ri%ringSize]
		a.ri++
		*slot = n
		return slot
	}
	if len(a.nodes) == cap(a.nodes) {
		a.nodes = make([]Node, 0, 32)
	}
	a.nodes = append(a.nodes, n)
	return &a.nodes[len(a.nodes)-1]
}

// kids returns an empty slice with room for n children; appending past n
// falls back to ordinary growth.
func (a *alloc) kids(n int) []*Node {
	if a.noTree {
		return nil
	}
	if cap(a.ptrs)-len(a.ptrs) < n {
		a.ptrs = make([]*Node, 0, max(64, n))
	}
	l := len(a.ptrs)
	a.ptrs = a.ptrs[:l+n]
	return a.ptrs[l : l : l+n]
}

// ringSize is larger than the nodes any one field decode holds on to.
const ringSize = 256
