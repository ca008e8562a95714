package capture

import (
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func notes(evs []got) []string {
	var out []string
	for _, e := range kinds(evs, EventNote) {
		out = append(out, e.Message)
	}
	return out
}

// TestSilentDropsAreNoted: data after a FIN or a RST, and a retransmission
// whose bytes differ from the first copy, each get a note; an identical
// retransmission does not.
func TestSilentDropsAreNoted(t *testing.T) {
	pub := publish("a/b", 40)
	evil := append([]byte(nil), pub...)
	evil[30] ^= 0x20
	tests := []struct {
		name string
		fill func(c *pcapgen.Conn)
		want string // "" = no note
	}{
		{"after FIN", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.Fin(pcapgen.ToServer)
			c.Send(pcapgen.ToServer, pub)
		}, "bytes after the FIN in frame"},
		{"after RST", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.ResetFrom(pcapgen.ToServer)
			c.Send(pcapgen.ToServer, pub)
		}, "bytes after the RST in frame"},
		{"different retransmission", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.Send(pcapgen.ToServer, pub)
			c.SendAt(pcapgen.ToServer, 2, evil)
		}, "retransmission with different bytes at stream offset 32 (frame 6): kept the first copy"},
		{"same retransmission", func(c *pcapgen.Conn) {
			c.Send(pcapgen.ToServer, pingreq())
			c.Send(pcapgen.ToServer, pub)
			c.SendAt(pcapgen.ToServer, 2, pub)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
				c := w.Conn(cli, srv)
				c.Handshake()
				tt.fill(c)
			})
			evs, _ := mustRead(t, capture, Config{})
			ns := notes(evs)
			if tt.want == "" {
				if len(ns) != 0 {
					t.Errorf("notes %q, want none", ns)
				}
				return
			}
			if len(ns) != 1 || !strings.Contains(ns[0], tt.want) {
				t.Errorf("notes %q, want one with %q", ns, tt.want)
			}
		})
	}
}
