package e2e

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

// recorder is an errorer that keeps the complaints.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// clonePackets copies packets deeply enough to tamper with their headers
// and flattened fields.
func clonePackets(pkts []*packet) []*packet {
	out := make([]*packet, len(pkts))
	for i, p := range pkts {
		c := *p
		c.flat = make(map[string][]string, len(p.flat))
		for k, v := range p.flat {
			c.flat[k] = slices.Clone(v)
		}
		out[i] = &c
	}
	return out
}

// checkChecksCanFail runs checkRun on tampered copies of a run that
// passed: each fault a broken mqttdump could make must be reported. It
// keeps the end-to-end checks honest.
func checkChecksCanFail(t *testing.T, pkts []*packet, w *workload, port int) {
	t.Helper()
	index := func(ps []*packet, typ string) int {
		return slices.IndexFunc(ps, func(p *packet) bool { return p.Type == typ })
	}
	faults := map[string]func([]*packet) []*packet{
		"lost PUBACK": func(ps []*packet) []*packet {
			return slices.Delete(ps, index(ps, "puback"), index(ps, "puback")+1)
		},
		"wrong PUBCOMP id": func(ps []*packet) []*packet {
			i := index(ps, "pubcomp")
			ps[i].flat["mqtt.msgid"] = []string{"65000"}
			return ps
		},
		"payload changed": func(ps []*packet) []*packet {
			i := index(ps, "publish")
			ps[i].flat["mqtt.msg"] = []string{"00"}
			return ps
		},
		"PUBLISHes swapped": func(ps []*packet) []*packet {
			i := index(ps, "publish")
			j := i + 1 + index(ps[i+1:], "publish")
			ps[i], ps[j] = ps[j], ps[i]
			return ps
		},
		"QoS changed": func(ps []*packet) []*packet {
			i := slices.IndexFunc(ps, func(p *packet) bool { return p.Type == "publish" && p.flat["mqtt.qos"][0] == "0" })
			ps[i].flat["mqtt.qos"] = []string{"1"}
			return ps
		},
		"version guessed": func(ps []*packet) []*packet {
			ps[len(ps)-1].VersionSource = "guess"
			return ps
		},
		"expert finding": func(ps []*packet) []*packet {
			ps[0].Expert = append(ps[0].Expert, expert{Severity: "warning", Message: "tampered"})
			return ps
		},
		"duplicated packet": func(ps []*packet) []*packet {
			return slices.Insert(ps, 5, ps[4])
		},
		"topic changed": func(ps []*packet) []*packet {
			i := index(ps, "publish")
			ps[i].flat["mqtt.topic"] = []string{"e2e/elsewhere"}
			return ps
		},
	}
	for _, name := range slices.Sorted(maps.Keys(faults)) {
		r := &recorder{}
		checkRun(r, faults[name](clonePackets(pkts)), w, port)
		if len(r.errs) == 0 {
			t.Errorf("checks did not notice: %s", name)
			continue
		}
		t.Logf("fault %q noticed: %.150s", name, r.errs[0])
	}
}
