package dissect

import "fmt"

// Check verifies the tree invariants the renderer relies on: every node lies
// inside its parent, siblings ascend without overlapping (bit groups share
// their parent's bytes), and the leaves cover every byte of Raw exactly
// once. Tests and fuzzers call it; a failure is a dissector bug.
func (p *Packet) Check() error {
	next, err := checkNodes(p.Fields, 0, len(p.Raw), 0)
	if err != nil {
		return err
	}
	if next != len(p.Raw) {
		return fmt.Errorf("leaves cover bytes 0..%d of %d", next, len(p.Raw))
	}
	return nil
}

// checkNodes walks siblings that must cover [lo, hi) in order starting at
// pos, returning where coverage ended.
func checkNodes(ns []*Node, lo, hi, pos int) (int, error) {
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
		if n.Offset < lo || n.Length < 0 || n.Offset+n.Length > hi {
			return pos, fmt.Errorf("%s [%d,+%d) outside parent [%d,%d)", n.Def.Abbrev, n.Offset, n.Length, lo, hi)
		}
		if n.Offset != pos {
			return pos, fmt.Errorf("%s at %d, expected %d (gap or overlap)", n.Def.Abbrev, n.Offset, pos)
		}
		var leafKids []*Node
		for _, ch := range n.Children {
			if ch.IsBitField() {
				if ch.Offset != n.Offset || ch.Length != n.Length {
					return pos, fmt.Errorf("bit field %s does not share %s's bytes", ch.Def.Abbrev, n.Def.Abbrev)
				}
				continue
			}
			leafKids = append(leafKids, ch)
		}
		if len(leafKids) == 0 {
			pos += n.Length
			continue
		}
		end, err := checkNodes(leafKids, n.Offset, n.Offset+n.Length, n.Offset)
		if err != nil {
			return pos, err
		}
		if end != n.Offset+n.Length {
			return pos, fmt.Errorf("children of %s cover [%d,%d) of [%d,%d)", n.Def.Abbrev, n.Offset, end, n.Offset, n.Offset+n.Length)
		}
		pos = end
	}
	return pos, nil
}
