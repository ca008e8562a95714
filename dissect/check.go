package dissect

import "fmt"

// Check verifies the tree invariants the renderer relies on: every node lies
// inside its parent, siblings ascend without overlapping (bit groups share
// their parent's bytes), and the leaves cover every byte of Raw exactly
// once. Nodes in another data source (unpacked bytes) must cover that
// source exactly once; children of a Sparse node may leave gaps (JSON
// punctuation). Tests and fuzzers call it; a failure is a dissector bug.
func (p *Packet) Check() error {
	next, err := checkNodes(p.Fields, 0, len(p.Raw), 0, nil, false)
	if err != nil {
		return err
	}
	if next != len(p.Raw) {
		return fmt.Errorf("leaves cover bytes 0..%d of %d", next, len(p.Raw))
	}
	return nil
}

// checkNodes walks siblings in data source src that must cover [lo, hi) in
// order starting at pos (with gaps when sparse), returning where coverage
// ended.
func checkNodes(ns []*Node, lo, hi, pos int, src *DataSource, sparse bool) (int, error) {
	for _, n := range ns {
		if n.Def == nil {
			return pos, fmt.Errorf("node at %d has no definition", n.Offset)
		}
		if n.Generated {
			if n.Length != 0 {
				return pos, fmt.Errorf("generated %s has length %d", n.Def.Abbrev, n.Length)
			}
			continue
		}
		if n.Source != src {
			return pos, fmt.Errorf("%s is in another data source than its siblings", n.Def.Abbrev)
		}
		if n.Offset < lo || n.Length < 0 || n.Offset+n.Length > hi {
			return pos, fmt.Errorf("%s [%d,+%d) outside parent [%d,%d)", n.Def.Abbrev, n.Offset, n.Length, lo, hi)
		}
		if n.Offset < pos || (n.Offset > pos && !sparse) {
			return pos, fmt.Errorf("%s at %d, expected %d (gap or overlap)", n.Def.Abbrev, n.Offset, pos)
		}
		pos = n.Offset
		var leafKids []*Node
		other := map[*DataSource][]*Node{}
		for _, ch := range n.Children {
			switch {
			case ch.IsBitField():
				if ch.Offset != n.Offset || ch.Length != n.Length {
					return pos, fmt.Errorf("bit field %s does not share %s's bytes", ch.Def.Abbrev, n.Def.Abbrev)
				}
			case ch.Source != src && !ch.Generated:
				other[ch.Source] = append(other[ch.Source], ch)
			default:
				leafKids = append(leafKids, ch)
			}
		}
		for ds, kids := range other {
			if ds == nil {
				return pos, fmt.Errorf("%s has a child in the packet below unpacked bytes", n.Def.Abbrev)
			}
			end, err := checkNodes(kids, 0, len(ds.Data), 0, ds, false)
			if err != nil {
				return pos, err
			}
			if end != len(ds.Data) {
				return pos, fmt.Errorf("data source %q: leaves cover 0..%d of %d", ds.Name, end, len(ds.Data))
			}
		}
		if !hasBytes(leafKids) {
			pos += n.Length
			continue
		}
		end, err := checkNodes(leafKids, n.Offset, n.Offset+n.Length, n.Offset, src, n.Def.Sparse)
		if err != nil {
			return pos, err
		}
		if end != n.Offset+n.Length && !n.Def.Sparse {
			return pos, fmt.Errorf("children of %s cover [%d,%d) of [%d,%d)", n.Def.Abbrev, n.Offset, end, n.Offset, n.Offset+n.Length)
		}
		pos = n.Offset + n.Length
	}
	return pos, nil
}

// hasBytes reports whether any node is not generated.
func hasBytes(ns []*Node) bool {
	for _, n := range ns {
		if !n.Generated {
			return true
		}
	}
	return false
}
