package dissect

import "strconv"

// alloc hands out nodes and child-pointer slices from slabs, so a packet's
// tree costs a few allocations instead of one per field. Slabs are never
// reallocated, so pointers into them stay valid; one alloc serves one packet.
type alloc struct {
	nodes []Node
	ptrs  []*Node
	// Slabs filled before the current ones, kept so the next packet of an
	// arena reuses them instead of allocating (bounded by the node budget).
	nodeSlabs [][]Node
	ptrSlabs  [][]*Node
	nodeSlab  int // index of nodes in nodeSlabs
	ptrSlab   int
	experts   []*Expert // every finding of the packet, in the order made
	pkt       Packet    // the packet itself, when the alloc is an arena's
	cur       cursor    // the packet's cursor (one allocation less per packet)
	pl        Payload   // the message handed to the payload decoder
	// noTree: the facts-only mode. Nodes come from a small ring and are not
	// linked into a tree; the decoder reads values from them at once, so a
	// reused slot only ever holds a node nobody needs any more.
	noTree bool
	ring   []Node
	ri     int

	// The per-packet budget (see Session.MaxNodes): count is the nodes
	// made so far; cut, while set, is the node that stands for the rest of
	// a list past the budget (decoded for facts and findings, not kept);
	// dropped counts findings past maxFindings.
	maxNodes, maxFindings int
	count                 int
	cut                   *Node
	cutNoTree             bool // noTree before the cut began
	dropped               int
	droppedMalformed      bool
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
	if len(a.nodeSlabs) > 0 {
		a.nodes, a.nodeSlab = a.nodeSlabs[0][:0], 0
	}
	if len(a.ptrSlabs) > 0 {
		a.ptrs, a.ptrSlab = a.ptrSlabs[0][:0], 0
	}
	a.nodes, a.ptrs, a.experts = a.nodes[:0], a.ptrs[:0], a.experts[:0]
	a.count, a.cut, a.dropped, a.droppedMalformed = 0, nil, 0, false
	return a
}

func (a *alloc) node(n Node) *Node {
	a.count++
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
		a.nextNodeSlab()
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
		a.nextPtrSlab(n)
	}
	l := len(a.ptrs)
	a.ptrs = a.ptrs[:l+n]
	return a.ptrs[l : l : l+n]
}

// nextNodeSlab moves to the next node slab, reusing one an earlier packet
// filled; new slabs double in size up to 1024 nodes.
func (a *alloc) nextNodeSlab() {
	if len(a.nodeSlabs) == 0 {
		a.nodeSlabs = append(a.nodeSlabs, a.nodes) // the first, from newAlloc
	}
	a.nodeSlab++
	if a.nodeSlab < len(a.nodeSlabs) {
		a.nodes = a.nodeSlabs[a.nodeSlab][:0]
		return
	}
	a.nodes = make([]Node, 0, min(1024, 2*cap(a.nodes)))
	a.nodeSlabs = append(a.nodeSlabs, a.nodes)
}

// nextPtrSlab moves to a pointer slab with room for n, as nextNodeSlab.
func (a *alloc) nextPtrSlab(n int) {
	if len(a.ptrSlabs) == 0 {
		a.ptrSlabs = append(a.ptrSlabs, a.ptrs)
	}
	for a.ptrSlab++; a.ptrSlab < len(a.ptrSlabs); a.ptrSlab++ {
		if cap(a.ptrSlabs[a.ptrSlab]) >= n {
			a.ptrs = a.ptrSlabs[a.ptrSlab][:0]
			return
		}
	}
	a.ptrs = make([]*Node, 0, max(n, min(2048, 2*cap(a.ptrs))))
	a.ptrSlabs = append(a.ptrSlabs, a.ptrs)
	a.ptrSlab = len(a.ptrSlabs) - 1
}

// child appends ch to n's children, growing the slice inside the pointer
// slabs rather than on the heap.
func (a *alloc) child(n, ch *Node) {
	if len(n.Children) == cap(n.Children) {
		grown := a.kids(max(4, 2*len(n.Children)))
		n.Children = append(grown, n.Children...)
	}
	n.Children = append(n.Children, ch)
}

// ringSize is larger than the nodes any one field decode holds on to.
const ringSize = 256

// Default per-packet budget: far above any real packet (a CONNECT with every
// property is under 100 nodes), low enough that a packet of a million tiny
// fields costs a bounded tree.
const (
	DefaultMaxNodes    = 10000
	DefaultMaxFindings = 1000
)

// checkBudget is called before each item of a list a packet can repeat
// without bound (properties, topic filters, return codes). Once the
// packet has used its node budget, one node covers the rest of the list;
// the items under it are still decoded, so facts and findings stay right,
// but their nodes are not kept (endCut restores the tree).
func (d *decoder) checkBudget(c *cursor) {
	a := d.a
	if a.cut != nil || a.count < a.maxNodes || c.left() == 0 || c.dead {
		return
	}
	n := c.add(a.node(Node{Def: fUndecoded, Offset: c.pos, Length: c.left(), Value: c.b[c.pos:c.end]}))
	a.report(n, eiTreeCut, "field tree cut after "+strconv.Itoa(a.maxNodes)+" fields: the last "+bytesText(n.Length)+
		" of this list are checked but shown as one field", nil)
	a.cut, a.cutNoTree, a.noTree = n, a.noTree, true
}

// endCut ends a cut begun by checkBudget for the list just decoded.
func (d *decoder) endCut() {
	if a := d.a; a.cut != nil {
		a.noTree, a.cut = a.cutNoTree, nil
	}
}

// bytesText is "1 byte" or "N bytes".
func bytesText(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}
