package payload_test

import (
	"bytes"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	sp "github.com/mqttdump/mqttdump/internal/sparkplugenc"
	"github.com/mqttdump/mqttdump/payload"
)

// TestPayloadExpertIDs walks every kind of payload finding: each case must
// make its kind, every finding made must carry a registered id (JSON
// showed "id":"" for them once), and every registered payload kind must
// have a case here, so a new kind cannot go without an id or a test.
func TestPayloadExpertIDs(t *testing.T) {
	doc := []byte(`{"a":[1,2,3],"b":"x"}`)
	badCRC := func(b []byte) []byte {
		b = bytes.Clone(b)
		b[len(b)-5] ^= 0xff // gzip: in the CRC-32; zlib: in the compressed data or Adler-32
		return b
	}
	badAdler := func(b []byte) []byte {
		b = bytes.Clone(b)
		b[len(b)-1] ^= 0xff
		return b
	}
	big := bytes.Repeat([]byte("a"), 5000)
	noBdSeq := sp.Payload{Seq: sp.U64(0), Metrics: []sp.Metric{{Name: sp.Str("T"), Alias: sp.U64(1), Datatype: sp.U32(sp.Double), Value: 1.5}}}
	noSeq := sp.Payload{Timestamp: sp.U64(1)}
	bigSeq := sp.Payload{Seq: sp.U64(300)}
	covered := map[string]bool{}
	badType := sp.Payload{Seq: sp.U64(0), Metrics: []sp.Metric{{Name: sp.Str("x"), Datatype: sp.U32(99)}}}
	for _, c := range []struct {
		want string
		opts payload.Options
		s    sample
	}{
		{"json.expert.malformed", payload.Options{}, sample{rules: []string{"a=json"}, pkts: [][]byte{connect311(), pub("a", []byte(`{"a": [1, 2}`))}}},
		{"json.expert.values_cut", payload.Options{MaxNodes: 3}, sample{pkts: [][]byte{connect311(), pub("a", doc)}}},
		{"mqtt.expert.payload_not_text", payload.Options{}, sample{rules: []string{"a=text"}, pkts: [][]byte{connect311(), pub("a", []byte{0xff, 0xfe})}}},
		{"protobuf.expert.malformed", payload.Options{}, sample{rules: []string{"a=protobuf"}, pkts: [][]byte{connect311(), pub("a", []byte{0xff, 0xff})}}},
		{"gzip.expert.malformed", payload.Options{}, sample{rules: []string{"a=gzip"}, pkts: [][]byte{connect311(), pub("a", []byte("not gzip"))}}},
		{"gzip.expert.checksum", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("a", badCRC(gz(doc)))}}},
		{"gzip.expert.trailing_bytes", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("a", append(gz(doc), "xx"...))}}},
		{"gzip.expert.decompressed_cut", payload.Options{MaxDecompressed: 100}, sample{pkts: [][]byte{connect311(), pub("a", gz(big))}}},
		{"zlib.expert.malformed", payload.Options{}, sample{rules: []string{"a=zlib"}, pkts: [][]byte{connect311(), pub("a", []byte("not zlib"))}}},
		{"zlib.expert.checksum", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("a", badAdler(zl(doc)))}}},
		{"zlib.expert.trailing_bytes", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("a", append(zl(doc), "xx"...))}}},
		{"zlib.expert.decompressed_cut", payload.Options{MaxDecompressed: 100}, sample{pkts: [][]byte{connect311(), pub("a", zl(big))}}},
		{"sparkplug.expert.malformed", payload.Options{}, sampleNamed("sparkplug_bad")},
		{"sparkplug.expert.topic_namespace", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1", nbirth(0, 0))}}},
		{"sparkplug.expert.wire_type", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NDATA/E1", []byte{0x18, 0x00, 0x10, 0x01})}}},
		{"sparkplug.expert.bad_submessage", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NDATA/E1", []byte{0x18, 0x00, 0x12, 0x02, 0xff, 0xff})}}},
		{"sparkplug.expert.unknown_datatype", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NBIRTH/E1", badType.Marshal())}}},
		{"sparkplug.expert.seq_range", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NDATA/E1", bigSeq.Marshal())}}},
		{"sparkplug.expert.seq_missing", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NDATA/E1", noSeq.Marshal())}}},
		{"sparkplug.expert.seq_gap", payload.Options{}, sampleNamed("sparkplug_seq_gap")},
		{"sparkplug.expert.bdseq_missing", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NBIRTH/E1", noBdSeq.Marshal())}}},
		{"sparkplug.expert.bdseq_mismatch", payload.Options{}, sampleNamed("sparkplug_bdseq_mismatch")},
		{"sparkplug.expert.unknown_alias", payload.Options{}, sampleNamed("sparkplug_unknown_alias")},
		{"sparkplug.expert.alias_without_birth", payload.Options{}, sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NDATA/E1", ndata(1, 1))}}},
	} {
		t.Run(c.want, func(t *testing.T) {
			c.opts.Rules = rules(t, c.s.rules)
			set := payload.New(c.opts)
			for _, facts := range []bool{false, true} {
				sess := dissect.NewSession(dissect.VersionUnknown)
				sess.Payload = set.ForConnection()
				sess.FactsOnly = facts
				seen := false
				for _, b := range c.s.pkts {
					for _, e := range sess.Dissect(b, dissect.ToServer).Experts() {
						info, ok := dissect.LookupExpert(e.ID)
						if !ok {
							t.Errorf("finding %q has id %q, not a registered one", e, e.ID)
							continue
						}
						if info.Severity != e.Severity {
							t.Errorf("finding %q: severity %v, its kind says %v", e, e.Severity, info.Severity)
						}
						seen = seen || e.ID == c.want
					}
				}
				if !seen {
					t.Errorf("facts-only %v: no %s finding", facts, c.want)
				}
			}
		})
		covered[c.want] = true
	}
	for _, info := range dissect.PayloadExperts() {
		if !covered[info.ID] {
			t.Errorf("payload expert %s has no case in this test", info.ID)
		}
	}
}
