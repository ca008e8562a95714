package conn

import (
	"net/netip"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
)

// TestParkingReleasesAliases: a parked connection pushed out of the
// parking gives its topic-alias bytes back to the shared budget.
func TestParkingReleasesAliases(t *testing.T) {
	budget := &dissect.AliasBudget{Max: AliasBudget}
	p := parking{m: map[connKey]*Conn{}}
	pub := enc.EncodePublish(enc.Publish{Version: enc.V5, Topic: "some/topic", Properties: []enc.Property{enc.TopicAlias(1)}})
	for i := 0; i < maxParked+10; i++ {
		s := dissect.NewSession(dissect.V5)
		s.Aliases = budget
		s.Dissect(pub, dissect.ToServer)
		p.put(connKey{netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(i+1)), netip.MustParseAddrPort("10.0.0.2:1883")}, &Conn{sess: s})
	}
	per := budget.Used() / len(p.m)
	if per == 0 || budget.Used() != per*maxParked {
		t.Errorf("budget holds %d bytes for %d parked connections (%d each)", budget.Used(), len(p.m), per)
	}
}
