package payload_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/payload"
	"github.com/mqttdump/mqttdump/render"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func rules(t testing.TB, rs []string) []payload.Rule {
	var out []payload.Rule
	for _, s := range rs {
		r, err := payload.ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// run dissects the packets on one connection with payload decoding.
func run(t testing.TB, s sample, facts bool) []*dissect.Packet {
	set := payload.New(payload.Options{Rules: rules(t, s.rules)})
	sess := dissect.NewSession(dissect.VersionUnknown)
	sess.Payload = set.ForConnection()
	var out []*dissect.Packet
	for _, b := range s.pkts {
		s2 := *sess // facts-only packets live until the next Dissect: one session each
		_ = s2
		sess.FactsOnly = facts
		p := sess.Dissect(b, dissect.ToServer)
		if facts {
			cp := *p
			cp.Fields = nil
			out = append(out, &cp)
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestGoldens(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			var text, js bytes.Buffer
			pr := render.New(&text, render.Options{MaxValueBytes: 64})
			jr := render.New(&js, render.Options{MaxValueBytes: 64})
			for _, p := range run(t, s, false) {
				if err := p.Check(); err != nil {
					t.Errorf("%s: tree invariant: %v", p.InfoText(), err)
				}
				pr.Summary(p, nil)
				pr.Breakdown(p)
				pr.Hex(p)
				text.WriteString("\n")
				jr.JSON(p, nil)
			}
			golden(t, s.name+".golden", text.Bytes())
			golden(t, s.name+".json.golden", js.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./payload -update, then review the diff)\n--- got:\n%s", name, got)
	}
}

// The facts-only mode (summary lines) must make the same findings and
// previews as the full tree.
func TestFactsOnlyMatchesTree(t *testing.T) {
	for _, s := range samples() {
		tree, facts := run(t, s, false), run(t, s, true)
		for i := range tree {
			if tree[i].Preview != facts[i].Preview {
				t.Errorf("%s packet %d: preview %q with tree, %q facts-only", s.name, i, tree[i].Preview, facts[i].Preview)
			}
			if a, b := expertTexts(tree[i]), expertTexts(facts[i]); !reflect.DeepEqual(a, b) {
				t.Errorf("%s packet %d: findings differ\ntree:  %q\nfacts: %q", s.name, i, a, b)
			}
		}
	}
}

func expertTexts(p *dissect.Packet) []string {
	var out []string
	for _, e := range p.Experts() {
		out = append(out, fmt.Sprintf("%s@%d+%d", e, e.Offset, e.Length))
	}
	return out
}

func sampleNamed(name string) sample {
	for _, s := range samples() {
		if s.name == name {
			return s
		}
	}
	panic(name)
}

// findAll lists the nodes with the abbreviation, depth first.
func findAll(p *dissect.Packet, abbrev string) []*dissect.Node {
	var out []*dissect.Node
	for _, f := range p.Fields {
		f.Walk(func(n *dissect.Node) {
			if n.Def != nil && n.Def.Abbrev == abbrev {
				out = append(out, n)
			}
		})
	}
	return out
}

func hasFinding(p *dissect.Packet, sub string) bool {
	for _, e := range p.Experts() {
		if strings.Contains(e.String(), sub) {
			return true
		}
	}
	return false
}

func TestJSONSpans(t *testing.T) {
	ps := run(t, sampleNamed("json"), false)
	p := ps[1]
	if p.Preview != `{"temp":21.5,"ok":true,"tags":["a","b\u00e9"],"none":null,"n":-1e3,"off":false}` {
		t.Errorf("preview %q", p.Preview)
	}
	raw := string(p.Raw)
	for _, c := range []struct{ abbrev, text string }{
		{"json.key", `"temp"`}, {"json.value.number", "21.5"}, {"json.value.true", "true"},
		{"json.value.string", `"b\u00e9"`}, {"json.value.null", "null"}, {"json.value.false", "false"},
		{"json.value.number", "-1e3"},
	} {
		found := false
		for _, n := range findAll(p, c.abbrev) {
			if raw[n.Offset:n.Offset+n.Length] == c.text {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s node spanning %s", c.abbrev, c.text)
		}
	}
	if n := findAll(p, "json.value.string"); len(n) != 2 || n[1].Value != "bé" {
		t.Errorf("string values: %v", n)
	}
	if len(findAll(p, "json.object")) != 1 || len(findAll(p, "json.array")) != 1 || len(findAll(p, "json.member")) != 6 {
		t.Error("wrong container counts")
	}
}

func TestSparkplugAliasResolution(t *testing.T) {
	ps := run(t, sampleNamed("sparkplug_alias"), false)
	data := ps[2]
	var names []string
	for _, n := range findAll(data, "sparkplug.metric.name") {
		if !n.Generated || n.Length != 0 {
			t.Errorf("resolved name %v: want generated, length 0", n.Value)
		}
		names = append(names, n.Value.(string))
	}
	if want := []string{"Temperature", "Pressure", "Node Control/Rebirth"}; !reflect.DeepEqual(names, want) {
		t.Errorf("resolved names %q, want %q", names, want)
	}
	if want := "NDATA seq 1: Temperature=22.25, Pressure=-8, Node Control/Rebirth=true"; data.Preview != want {
		t.Errorf("preview %q, want %q", data.Preview, want)
	}
	if len(data.Experts()) != 0 || len(ps[1].Experts()) != 0 {
		t.Errorf("unexpected findings: %v %v", ps[1].Experts(), data.Experts())
	}
	for _, abbrev := range []string{"sparkplug.message_type", "sparkplug.group_id", "sparkplug.edge_node_id", "sparkplug.timestamp", "sparkplug.seq", "sparkplug.metric", "sparkplug.metric.alias", "sparkplug.metric.datatype", "sparkplug.metric.value"} {
		if data.Find(abbrev) == nil {
			t.Errorf("no %s", abbrev)
		}
	}
}

func TestSparkplugFindings(t *testing.T) {
	for _, c := range []struct {
		sample string
		pkt    int
		want   string
	}{
		{"sparkplug_seq_gap", 3, "seq 3 after 1 on G1/E1: expected 2 (1 messages missing"},
		{"sparkplug_bdseq_mismatch", 1, "NBIRTH bdSeq 6 does not match the bdSeq 5"},
		{"sparkplug_unknown_alias", 2, "metric alias 9 is not in the NBIRTH or DBIRTH of G1/E1"},
		{"sparkplug_bad", 1, "malformed: Sparkplug B payload"},
		{"json_bad_asked", 1, "malformed: payload does not decode as json"},
		{"content_type_bad", 1, "malformed: payload does not decode as json"},
	} {
		ps := run(t, sampleNamed(c.sample), false)
		if !hasFinding(ps[c.pkt], c.want) {
			t.Errorf("%s: no finding %q in %v", c.sample, c.want, ps[c.pkt].Experts())
		}
	}
}

func TestSparkplugSeqWraps(t *testing.T) {
	s := sample{pkts: [][]byte{connect311(), pub("spBv1.0/G1/NBIRTH/E1", nbirth(254, 0))}}
	for _, seq := range []uint64{255, 0, 1} {
		s.pkts = append(s.pkts, pub("spBv1.0/G1/NDATA/E1", ndata(seq, 1)))
	}
	for i, p := range run(t, s, false) {
		if len(p.Experts()) != 0 {
			t.Errorf("packet %d: %v", i, p.Experts())
		}
	}
	// and a second connection keeps its own counter
	s.pkts = append(s.pkts, pub("spBv1.0/G1/NDATA/E1", ndata(5, 1)))
	ps := run(t, s, false)
	if !hasFinding(ps[len(ps)-1], "expected 2") {
		t.Errorf("gap after the wrap not found: %v", ps[len(ps)-1].Experts())
	}
}

func TestSparkplugDatatypes(t *testing.T) {
	p := run(t, sampleNamed("sparkplug_types"), false)[1]
	got := map[string]string{}
	for _, m := range findAll(p, "sparkplug.metric") {
		got[strings.Fields(m.Show)[0]] = m.Show
	}
	want := map[string]string{
		"i8": "i8 = -5 (Int8)", "i16": "i16 = -300 (Int16)", "i32": "i32 = -70000 (Int32)",
		"i64": "i64 = -5000000000 (Int64)", "u8": "u8 = 250 (UInt8)", "u16": "u16 = 65000 (UInt16)",
		"u32": "u32 = 4000000000 (UInt32)", "u64": "u64 = 18000000000000000000 (UInt64)",
		"f": "f = 1.5 (Float)", "d": "d = 2.25 (Double)", "b": "b = true (Boolean)", "s": `s = "hello" (String)`,
		"dt":   "dt = 1700000000000 (2023-11-14T22:13:20.000Z) (DateTime)",
		"txt":  `txt = "long text" (Text)`,
		"uuid": `uuid = "123e4567-e89b-12d3-a456-426614174000" (UUID)`,
		"ds":   "ds = DataSet (2 columns) (DataSet)", "bytes": "bytes = 2 bytes (Bytes)", "file": "file = 4 bytes (File)",
		"tmpl": "tmpl = Template (Template)", "ps": "ps (PropertySet)", "psl": "psl (PropertySetList)",
		"i8a": "i8a = [-17, 123] (Int8Array)", "i16a": "i16a = [-2, 300] (Int16Array)",
		"i32a": "i32a = [123456789, -987654321] (Int32Array)", "i64a": "i64a = [-1, 1099511627776] (Int64Array)",
		"u8a": "u8a = [1, 255] (UInt8Array)", "u16a": "u16a = [1, 65535] (UInt16Array)",
		"u32a": "u32a = [1, 4294967295] (UInt32Array)", "u64a": "u64a = [1, 18446744073709551615] (UInt64Array)",
		"fa": "fa = [1.5, -2] (FloatArray)", "da": "da = [0.125, 3] (DoubleArray)",
		"ba": "ba = [true, false, true] (BooleanArray)", "sa": `sa = ["ab", "c"] (StringArray)`,
		"dta": "dta = [1700000000000] (DateTimeArray)", "meta": "meta = 2 bytes (Bytes)",
		"null": "null = null (Int32)", "hist": "hist = 3 (Int32)", "rpm": "rpm = 1200 (UInt32)",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("metric %s: got %q, want %q", k, got[k], w)
		}
	}
	for _, c := range []struct{ abbrev, show string }{
		{"sparkplug.dataset.row", `[-1, "one"]`},
		{"sparkplug.template.parameter", "max = -9"},
		{"sparkplug.propertyvalue", `"°C"`},
		{"sparkplug.metadata.field", `content_type: "image/png"`},
	} {
		ok := false
		for _, n := range findAll(p, c.abbrev) {
			ok = ok || n.Show == c.show
		}
		if !ok {
			t.Errorf("no %s showing %q", c.abbrev, c.show)
		}
	}
	if len(p.Experts()) != 0 {
		t.Errorf("findings: %v", p.Experts())
	}
}

func TestCompressedSources(t *testing.T) {
	for _, name := range []string{"gzip_json", "zlib_text"} {
		p := run(t, sampleNamed(name), false)[1]
		if len(p.Sources) != 1 || p.Sources[0].Name != "decompressed" {
			t.Fatalf("%s: sources %v", name, p.Sources)
		}
		d := p.Find("mqtt.payload.decompressed")
		if d == nil || d.Source != p.Sources[0] || d.Offset != 0 || d.Length != len(p.Sources[0].Data) {
			t.Errorf("%s: decompressed node %+v", name, d)
		}
	}
	p := run(t, sampleNamed("gzip_json"), false)[1]
	if !strings.HasPrefix(p.Preview, `gzip `) || !strings.Contains(p.Preview, `: {"temp":21.5`) {
		t.Errorf("preview %q", p.Preview)
	}
	for _, n := range findAll(p, "json.key") {
		if n.Source != p.Sources[0] || string(p.Sources[0].Data[n.Offset : n.Offset+n.Length])[0] != '"' {
			t.Errorf("key %v not in the decompressed source", n.Value)
		}
	}
}

func TestMaxDecompressed(t *testing.T) {
	big := gz(bytes.Repeat([]byte("a"), 100000))
	set := payload.New(payload.Options{MaxDecompressed: 1000})
	sess := dissect.NewSession(dissect.V311)
	sess.Payload = set.ForConnection()
	p := sess.Dissect(pub("z", big), dissect.ToServer)
	if len(p.Sources) != 1 || len(p.Sources[0].Data) != 1000 {
		t.Fatalf("sources %v", p.Sources)
	}
	if !hasFinding(p, "unpacks to more than 1000 bytes") {
		t.Errorf("findings %v", p.Experts())
	}
	if err := p.Check(); err != nil {
		t.Error(err)
	}
}

func TestChoice(t *testing.T) {
	for _, c := range []struct {
		rules   []string
		topic   string
		payload string
		want    string // preview prefix
	}{
		{nil, "a", `{"x":1}`, `{"x":1}`},
		{nil, "a", `{"x":1`, `{"x":1`}, // not JSON: text
		{nil, "a", "\x00\x01", "hex 0001"},
		{[]string{"a/+=hex"}, "a/b", "hi", "hex 6869"},
		{[]string{"a/#=text", "a/b=hex"}, "a/b", "hi", "hi"}, // first match wins
		{[]string{"+/b=protobuf"}, "x/b", "\x08\x01", "protobuf 1:1"},
		{[]string{"#=json"}, "$SYS/x", "hi", "hi"}, // # does not match $ topics
	} {
		set := payload.New(payload.Options{Rules: rules(t, c.rules)})
		sess := dissect.NewSession(dissect.V311)
		sess.Payload = set.ForConnection()
		p := sess.Dissect(pub(c.topic, []byte(c.payload)), dissect.ToServer)
		if !strings.HasPrefix(p.Preview, c.want) {
			t.Errorf("%v %s %q: preview %q, want %q", c.rules, c.topic, c.payload, p.Preview, c.want)
		}
	}
}

func TestParseRule(t *testing.T) {
	for _, bad := range []string{"a", "a=nope", "a/#/b=json", "=json"} {
		if _, err := payload.ParseRule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if r, err := payload.ParseRule("spBv1.0/#=sparkplug"); err != nil || r.Decoder != "sparkplug" {
		t.Errorf("%v %v", r, err)
	}
}

// The Sparkplug state is bounded: edge nodes beyond the cap evict the
// oldest, counted.
func TestSparkplugStateBounded(t *testing.T) {
	set := payload.New(payload.Options{MaxEdgeNodes: 4, MaxAliases: 10})
	sess := dissect.NewSession(dissect.V311)
	sess.Payload = set.ForConnection()
	for i := 0; i < 20; i++ {
		sess.Dissect(pub(fmt.Sprintf("spBv1.0/G/NBIRTH/E%d", i), nbirth(0, 0)), dissect.ToServer)
	}
	st := set.Stats()
	if st.EdgeNodesEvicted != 16 || st.AliasesDropped == 0 {
		t.Errorf("stats %+v", st)
	}
}
