package conn

import (
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/filter"
	"github.com/mqttdump/mqttdump/render"
)

// Display is a compiled display filter (-Y) as a stage filter. Each MQTT
// packet is tested on its own, with the frame, IP and TCP fields of the
// frame that carried its last byte.
type Display struct {
	F *filter.Filter
	p filter.Packet // reused: Match does not allocate
}

// Match implements Filter.
func (d *Display) Match(pk *dissect.Packet, m *render.Meta, _ *Conn) bool {
	d.p = render.FilterPacket(pk, m)
	return d.F.Match(&d.p)
}

// NeedsTree reports whether the expression reads the field tree.
func (d *Display) NeedsTree() bool { return d.F.NeedsTree() }
