package e2e

// The differential test against tshark (issue #4): for every capture in
// samples/ and in the shared corpus, every mqtt.* value tshark reports must
// equal the value of mqttdump's node with the same abbreviation (MQTT 5
// properties matched by property id), packet by packet, except for the
// reviewed differences in tshark_allowlist.txt.
//
// Env: MQTTDUMP_REQUIRE_TSHARK=1 fails instead of skipping without tshark;
// MQTTDUMP_DIFF_SUMMARY=path writes the summary (and every difference, in
// allowlist format) to path; MQTTDUMP_CORPUS overrides the corpus folder.
// The binary is the one TestMain builds (needBinary).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/testenv"
	"github.com/mqttdump/mqttdump/internal/tsharkjson"
)

const (
	tsAllowlistFile = "tshark_allowlist.txt"
	tsAbsent        = "<absent>" // ours, where mqttdump has no such field or packet
	tsMaxShown      = 40         // differences printed per capture; all go to the summary file
	tsShowValue     = 60         // characters of a value shown in messages
)

// tsCapture is one capture to compare.
type tsCapture struct {
	name string // "corpus/ndpi/coap_mqtt.pcap" or "samples/x.pcap": the allowlist's capture column
	path string
	port int // 0 = MQTT's default port only
}

// tsPortFor gives the non-standard MQTT ports of the corpus (SOURCES.md).
func tsPortFor(name string) int {
	switch {
	case name == "corpus/ndpi/coap_mqtt.pcap":
		return 17501
	case strings.HasPrefix(name, "corpus/presill/"):
		return 1337
	}
	return 0
}

// tsFindCaptures lists *.pcap and *.pcapng under samples/ and the corpus,
// sorted; a missing folder contributes nothing.
func tsFindCaptures(samplesDir, corpusDir string) ([]tsCapture, error) {
	var out []tsCapture
	for _, root := range []struct{ prefix, dir string }{{"samples", samplesDir}, {"corpus", corpusDir}} {
		err := filepath.WalkDir(root.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == root.dir {
					return fs.SkipAll
				}
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
				return nil
			}
			rel, err := filepath.Rel(root.dir, path)
			if err != nil {
				return err
			}
			name := root.prefix + "/" + filepath.ToSlash(rel)
			out = append(out, tsCapture{name: name, path: path, port: tsPortFor(name)})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list captures in %s: %w", root.dir, err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// tsNode is one field of mqttdump's JSON tree.
type tsNode struct {
	Abbrev     string   `json:"abbrev"`
	Value      any      `json:"value"`
	PropertyID *int     `json:"property_id"`
	Children   []tsNode `json:"children"`
}

// tsPacket is one MQTT packet from mqttdump -T json.
type tsPacket struct {
	Frame  int      `json:"frame"`
	Fields []tsNode `json:"fields"`
	pos    int      // index among the packets of the same frame
	values map[string][]any
}

// tsRunOurs runs mqttdump over the capture and reads its NDJSON packets.
func tsRunOurs(ctx context.Context, bin string, c tsCapture) ([]tsPacket, error) {
	args := []string{"-r", c.path, "-T", "json"}
	if c.port != 0 {
		args = append(args, "--port", strconv.Itoa(c.port))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("mqttdump %s: %w", c.name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mqttdump %s: %w", c.name, err)
	}
	pkts, perr := tsReadOurs(out)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("mqttdump %s: %w: %.2000s", c.name, err, stderr.String())
	}
	if perr != nil {
		return nil, fmt.Errorf("mqttdump %s: %w", c.name, perr)
	}
	return pkts, nil
}

// tsReadOurs decodes NDJSON packets (objects with a frame and fields; other
// objects are ignored), numbers their position within each frame and
// flattens their trees into comparison keys.
func tsReadOurs(r io.Reader) ([]tsPacket, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.UseNumber()
	var out []tsPacket
	perFrame := map[int]int{}
	for n := 1; ; n++ {
		var p tsPacket
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("json object %d: %w", n, err)
		}
		if p.Frame <= 0 || p.Fields == nil {
			continue
		}
		p.pos = perFrame[p.Frame]
		perFrame[p.Frame]++
		p.values = map[string][]any{}
		for _, f := range p.Fields {
			tsFlatten(f, "", -1, p.values)
		}
		out = append(out, p)
	}
}

// tsFlatten records every node under the key tshark's field would have:
// property lists set the section, property nodes (and their children) the id.
func tsFlatten(n tsNode, section string, propID int, into map[string][]any) {
	if n.PropertyID != nil {
		propID = *n.PropertyID
	}
	into[tsharkjson.Key(section, propID, n.Abbrev)] = append(into[tsharkjson.Key(section, propID, n.Abbrev)], n.Value)
	if n.Abbrev == "mqtt.properties" || n.Abbrev == "mqtt.will_properties" {
		section, propID = n.Abbrev, -1
	}
	for _, c := range n.Children {
		tsFlatten(c, section, propID, into)
	}
}

// tsDiff is one value tshark reports that mqttdump does not match.
type tsDiff struct {
	capture     string
	frame, pos  int
	field       string
	tshark, our string
}

// line is the difference in allowlist format, ready to be reviewed.
func (d tsDiff) line(reason string) string {
	return strings.Join([]string{d.capture, strconv.Itoa(d.frame), strconv.Itoa(d.pos), d.field, d.tshark, d.our, reason}, "\t")
}

func (d tsDiff) String() string {
	return fmt.Sprintf("frame %d #%d %s: tshark %q, mqttdump %q", d.frame, d.pos, d.field, tsShort(d.tshark), tsShort(d.our))
}

func tsShort(s string) string {
	if len(s) <= tsShowValue {
		return s
	}
	return s[:tsShowValue] + fmt.Sprintf("…(%d chars)", len(s))
}

// tsStats is one capture's line in the summary.
type tsStats struct {
	capture                string
	tsharkPkts, ourPkts    int
	compared, equal        int
	differences, allowlist int
}

// tsVersionAliases name the same byte in MQTT 3.1.1 and 5.0. Without a
// CONNECT tshark 4.0 names CONNACK's and SUBACK's codes with 5.0 names
// while mqttdump names them after the version it guessed; for such packets
// (tshark's expert mqtt.unknown_version) the value is compared under the
// other name when mqttdump has no field of tshark's name.
var tsVersionAliases = map[string]string{
	"mqtt.connack.reason_code": "mqtt.conack.val",
	"mqtt.conack.val":          "mqtt.connack.reason_code",
	"mqtt.suback.reason_code":  "mqtt.suback.qos",
	"mqtt.suback.qos":          "mqtt.suback.reason_code",
}

// tsCompare matches packets by (frame, position in frame) and compares,
// per packet and key, the ordered values tshark reports with ours.
// Fields only mqttdump has are fine; every tshark value must be matched.
func tsCompare(capture string, theirs []tsharkjson.PDU, ours []tsPacket) ([]tsDiff, tsStats, error) {
	st := tsStats{capture: capture, tsharkPkts: len(theirs), ourPkts: len(ours)}
	type at struct{ frame, pos int }
	byPos := make(map[at]*tsPacket, len(ours))
	for i := range ours {
		byPos[at{ours[i].Frame, ours[i].pos}] = &ours[i]
	}
	var diffs []tsDiff
	for i := range theirs {
		p := &theirs[i]
		cs, err := p.Comparables()
		if err != nil {
			return nil, st, fmt.Errorf("%s: %w", capture, err)
		}
		our := byPos[at{p.Frame, p.Index}]
		seen := map[string]int{} // occurrences of each key so far
		for _, c := range cs {
			st.compared++
			k := seen[c.Key]
			seen[c.Key]++
			d := tsDiff{capture: capture, frame: p.Frame, pos: p.Index, field: c.Key, tshark: c.Value, our: tsAbsent}
			key := c.Key
			if alt, ok := tsVersionAliases[key]; ok && p.UnknownVersion && our != nil && len(our.values[key]) == 0 {
				key = alt
			}
			if our != nil && k < len(our.values[key]) {
				v, err := tsharkjson.CanonJSON(c.Kind, our.values[key][k])
				if err != nil {
					v = fmt.Sprintf("<%v>", err)
				}
				d.our = v
			}
			if d.our == d.tshark {
				st.equal++
				continue
			}
			diffs = append(diffs, d)
		}
	}
	return diffs, st, nil
}

// tsAllowed is one reviewed difference from the allowlist.
type tsAllowed struct {
	lineNo                   int
	capture                  string
	frame, pos               int
	field, tshark, our, rule string
	used                     int
}

// matches: exact columns; "*" in field, tshark or ours matches anything
// (for a packet tshark mis-frames as a whole).
func (a *tsAllowed) matches(d tsDiff) bool {
	eq := func(pat, s string) bool { return pat == "*" || pat == s }
	return a.capture == d.capture && a.frame == d.frame && a.pos == d.pos &&
		eq(a.field, d.field) && eq(a.tshark, d.tshark) && eq(a.our, d.our)
}

// tsParseAllowlist reads entries: capture, frame, position, field, tshark
// value, mqttdump value, spec rule and reason; tab- or |-separated; '#'
// starts a comment line.
func tsParseAllowlist(r io.Reader) ([]*tsAllowed, error) {
	var out []*tsAllowed
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sep := "|"
		if strings.Contains(line, "\t") {
			sep = "\t"
		}
		cols := strings.SplitN(line, sep, 7)
		if len(cols) != 7 {
			return nil, fmt.Errorf("allowlist line %d: %d columns, want 7", n, len(cols))
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		frame, err := strconv.Atoi(cols[1])
		if err != nil {
			return nil, fmt.Errorf("allowlist line %d: frame %q: %w", n, cols[1], err)
		}
		pos, err := strconv.Atoi(cols[2])
		if err != nil {
			return nil, fmt.Errorf("allowlist line %d: position %q: %w", n, cols[2], err)
		}
		if cols[0] == "" || cols[3] == "" || cols[6] == "" {
			return nil, fmt.Errorf("allowlist line %d: capture, field and spec rule/reason are required", n)
		}
		out = append(out, &tsAllowed{lineNo: n, capture: cols[0], frame: frame, pos: pos,
			field: cols[3], tshark: cols[4], our: cols[5], rule: cols[6]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read allowlist: %w", err)
	}
	return out, nil
}

// tsFilter splits diffs into those no entry allows and counts the allowed.
func tsFilter(diffs []tsDiff, allow []*tsAllowed) (left []tsDiff, allowed int) {
	for _, d := range diffs {
		hit := false
		for _, a := range allow {
			if a.matches(d) {
				a.used++
				hit = true
			}
		}
		if hit {
			allowed++
		} else {
			left = append(left, d)
		}
	}
	return left, allowed
}

// tsSummary formats the per-capture table and totals.
func tsSummary(stats []tsStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-72s %7s %5s %8s %8s %5s %5s\n", "capture", "tshark", "ours", "compared", "equal", "diff", "allow")
	var tot tsStats
	for _, s := range stats {
		fmt.Fprintf(&b, "%-72s %7d %5d %8d %8d %5d %5d\n", s.capture, s.tsharkPkts, s.ourPkts, s.compared, s.equal, s.differences, s.allowlist)
		tot.tsharkPkts += s.tsharkPkts
		tot.ourPkts += s.ourPkts
		tot.compared += s.compared
		tot.equal += s.equal
		tot.differences += s.differences
		tot.allowlist += s.allowlist
	}
	fmt.Fprintf(&b, "%-72s %7d %5d %8d %8d %5d %5d\n", fmt.Sprintf("TOTAL (%d captures)", len(stats)),
		tot.tsharkPkts, tot.ourPkts, tot.compared, tot.equal, tot.differences, tot.allowlist)
	return b.String()
}

func TestTsharkDiff(t *testing.T) {
	require := os.Getenv("MQTTDUMP_REQUIRE_TSHARK") == "1"
	tshark, err := tsharkjson.Find()
	if err != nil {
		if require {
			t.Fatalf("MQTTDUMP_REQUIRE_TSHARK=1: %v", err)
		}
		t.Skip(err)
	}
	if testing.Short() && !require {
		t.Skip("runs tshark and mqttdump over every capture")
	}
	corpus := os.Getenv("MQTTDUMP_CORPUS")
	if corpus == "" {
		corpus = testenv.Corpus(t)
	}
	captures, err := tsFindCaptures("../samples", corpus)
	if err != nil {
		t.Fatal(err)
	}
	if len(captures) == 0 {
		t.Fatal("no captures in samples/ or the corpus")
	}
	af, err := os.Open(tsAllowlistFile)
	if err != nil {
		t.Fatalf("open allowlist: %v", err)
	}
	allow, err := tsParseAllowlist(af)
	af.Close()
	if err != nil {
		t.Fatal(err)
	}
	bin := needBinary(t)

	var stats []tsStats
	var report strings.Builder
	tested := map[string]bool{}
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var ports []int
			if c.port != 0 {
				ports = []int{c.port}
			}
			theirs, err := tsharkjson.Run(ctx, c.path, tsharkjson.Options{Tshark: tshark, Ports: ports})
			if err != nil {
				t.Fatal(err)
			}
			ours, err := tsRunOurs(ctx, bin, c)
			if err != nil {
				t.Fatal(err)
			}
			tested[c.name] = true
			diffs, st, err := tsCompare(c.name, theirs, ours)
			if err != nil {
				t.Fatal(err)
			}
			left, allowed := tsFilter(diffs, allow)
			st.differences, st.allowlist = len(left), allowed
			stats = append(stats, st)
			for i, d := range left {
				report.WriteString(d.line("TODO: spec rule and reason") + "\n")
				if i < tsMaxShown {
					t.Errorf("%s", d)
				}
			}
			if len(left) > tsMaxShown {
				t.Errorf("… and %d more differences (set MQTTDUMP_DIFF_SUMMARY to list them all)", len(left)-tsMaxShown)
			}
		})
	}

	found := map[string]bool{}
	for _, c := range captures {
		found[c.name] = true
	}
	_, corpusErr := os.Stat(corpus)
	for _, a := range allow {
		switch {
		case a.used == 0 && tested[a.capture]:
			t.Errorf("%s line %d is stale: no difference matches %s frame %d #%d %s", tsAllowlistFile, a.lineNo, a.capture, a.frame, a.pos, a.field)
		case !found[a.capture] && !(strings.HasPrefix(a.capture, "corpus/") && corpusErr != nil):
			t.Errorf("%s line %d names %s, which is not a capture here", tsAllowlistFile, a.lineNo, a.capture)
		}
	}
	summary := tsSummary(stats)
	t.Log("\n" + summary)
	if path := os.Getenv("MQTTDUMP_DIFF_SUMMARY"); path != "" {
		text := summary
		if report.Len() > 0 {
			text += "\n# Differences not in the allowlist (allowlist format):\n" + report.String()
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Errorf("write summary %s: %v", path, err)
		}
	}
}

// The comparator's own tests: they need neither tshark nor the CLI.

const tsTheirs = `[{"_source":{"layers":{"frame":{"frame.number":"4"},
 "mqtt":{"mqtt.hdrflags":"0x32","mqtt.hdrflags_tree":{"mqtt.msgtype":"3","mqtt.qos":"1","mqtt.retain":"0"},
   "mqtt.len":"20","mqtt.topic":"a/b","mqtt.msgid":"7",
   "mqtt.properties":{"mqtt.property_len":"13",
     "mqtt.property_id":"0x26","mqtt.prop_key":"k1","mqtt.prop_value":"v1",
     "mqtt.property_id":"0x26","mqtt.prop_key":"k2","mqtt.prop_value":"v2"},
   "mqtt.msg":"68:69"},
 "mqtt":{"mqtt.hdrflags":"0xc0","mqtt.len":"0"}}}}]`

// tsOursJSON is the same two packets as mqttdump prints them, but with the
// second user property's key wrong and the PINGREQ missing.
const tsOursJSON = `{"frame":4,"type":"publish","fields":[
 {"abbrev":"mqtt.hdrflags","value":50,"children":[{"abbrev":"mqtt.msgtype","value":3},{"abbrev":"mqtt.dupflag","value":false},{"abbrev":"mqtt.qos","value":1},{"abbrev":"mqtt.retain","value":false}]},
 {"abbrev":"mqtt.len","value":20},{"abbrev":"mqtt.topic_len","value":3},{"abbrev":"mqtt.topic","value":"a/b"},{"abbrev":"mqtt.msgid","value":7},
 {"abbrev":"mqtt.properties","children":[{"abbrev":"mqtt.property_len","value":13},
   {"abbrev":"mqtt.property.user_property","property_id":38,"value":null,"children":[{"abbrev":"mqtt.property_id","value":38},{"abbrev":"mqtt.prop_key","value":"k1"},{"abbrev":"mqtt.prop_value","value":"v1"}]},
   {"abbrev":"mqtt.property.user_property","property_id":38,"value":null,"children":[{"abbrev":"mqtt.property_id","value":38},{"abbrev":"mqtt.prop_key","value":"kX"},{"abbrev":"mqtt.prop_value","value":"v2"}]}]},
 {"abbrev":"mqtt.msg","value":"6869"}]}
{"event":"gap","frame":5}
`

func TestTsCompare(t *testing.T) {
	theirs, err := tsharkjson.Parse(strings.NewReader(tsTheirs))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := tsReadOurs(strings.NewReader(tsOursJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != 1 {
		t.Fatalf("read %d packets, want 1 (the gap event is not a packet)", len(ours))
	}
	diffs, st, err := tsCompare("samples/x.pcap", theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, d.line("r"))
	}
	want := []string{
		"samples/x.pcap\t4\t0\tmqtt.properties[0x26]/mqtt.prop_key\tk2\tkX\tr",
		"samples/x.pcap\t4\t1\tmqtt.hdrflags\t192\t<absent>\tr",
		"samples/x.pcap\t4\t1\tmqtt.len\t0\t<absent>\tr",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diffs\n got %q\nwant %q", got, want)
	}
	// PUBLISH: hdrflags, msgtype, qos, retain, len, topic, msgid,
	// property_len, 2x(id, key, value), msg = 15 values; PINGREQ: 2.
	if st.compared != 17 || st.equal != 14 || st.tsharkPkts != 2 || st.ourPkts != 1 {
		t.Errorf("stats %+v, want compared 17 equal 14 tshark 2 ours 1", st)
	}
}

func TestTsCompareVersionAlias(t *testing.T) {
	// A SUBACK without CONNECT: tshark uses the 5.0 name, we guessed 3.1.1.
	const theirs = `[{"_source":{"layers":{"frame":{"frame.number":"2"},"mqtt":{
	  "_ws.expert":{"mqtt.unknown_version":""},"mqtt.len":"4","mqtt.msgid":"1",
	  "mqtt.suback.reason_code":"1","mqtt.suback.reason_code":"2"}}}},
	 {"_source":{"layers":{"frame":{"frame.number":"3"},"mqtt":{"mqtt.len":"3","mqtt.msgid":"2","mqtt.suback.reason_code":"1"}}}}]`
	const ours = `{"frame":2,"fields":[{"abbrev":"mqtt.len","value":4},{"abbrev":"mqtt.msgid","value":1},
	  {"abbrev":"mqtt.suback.qos","value":1},{"abbrev":"mqtt.suback.qos","value":0}]}
	{"frame":3,"fields":[{"abbrev":"mqtt.len","value":3},{"abbrev":"mqtt.msgid","value":2},{"abbrev":"mqtt.suback.qos","value":1}]}`
	th, err := tsharkjson.Parse(strings.NewReader(theirs))
	if err != nil {
		t.Fatal(err)
	}
	our, err := tsReadOurs(strings.NewReader(ours))
	if err != nil {
		t.Fatal(err)
	}
	diffs, st, err := tsCompare("samples/x.pcap", th, our)
	if err != nil {
		t.Fatal(err)
	}
	// Frame 2: the second code differs by value; frame 3: tshark knew the
	// version, so its name must be matched as is.
	want := []string{"frame 2 #0 mqtt.suback.reason_code: tshark \"2\", mqttdump \"0\"",
		"frame 3 #0 mqtt.suback.reason_code: tshark \"1\", mqttdump \"<absent>\""}
	var got []string
	for _, d := range diffs {
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || st.equal != 5 {
		t.Errorf("diffs %q equal %d, want %q and 5", got, st.equal, want)
	}
}

func TestTsAllowlist(t *testing.T) {
	const list = "# comment\n\n" +
		"samples/x.pcap\t4\t0\tmqtt.properties[0x26]/mqtt.prop_key\tk2\tkX\t5.0 §3.1.2.11.8 a reason\n" +
		"samples/x.pcap | 4 | 1 | * | * | * | MQTT-1.5.5-1 a|b reason with a bar\n" +
		"samples/x.pcap\t9\t0\tmqtt.len\t1\t2\tnever matches\n"
	allow, err := tsParseAllowlist(strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(allow) != 3 || allow[1].rule != "MQTT-1.5.5-1 a|b reason with a bar" || allow[1].lineNo != 4 {
		t.Fatalf("parsed %+v", allow)
	}
	diffs := []tsDiff{
		{capture: "samples/x.pcap", frame: 4, pos: 0, field: "mqtt.properties[0x26]/mqtt.prop_key", tshark: "k2", our: "kX"},
		{capture: "samples/x.pcap", frame: 4, pos: 1, field: "mqtt.len", tshark: "0", our: tsAbsent},
		{capture: "samples/x.pcap", frame: 4, pos: 0, field: "mqtt.topic", tshark: "a", our: "b"},
		{capture: "samples/y.pcap", frame: 4, pos: 1, field: "mqtt.len", tshark: "0", our: tsAbsent},
	}
	left, allowed := tsFilter(diffs, allow)
	if allowed != 2 || len(left) != 2 || left[0].field != "mqtt.topic" || left[1].capture != "samples/y.pcap" {
		t.Errorf("allowed %d, left %+v", allowed, left)
	}
	if allow[0].used != 1 || allow[1].used != 1 || allow[2].used != 0 {
		t.Errorf("use counts %d %d %d, want 1 1 0 (the last is stale)", allow[0].used, allow[1].used, allow[2].used)
	}
	for _, bad := range []string{
		"samples/x.pcap\t4\t0\tmqtt.len\t1\t2\n",          // no reason
		"samples/x.pcap\tfour\t0\tmqtt.len\t1\t2\trule\n", // frame not a number
		"samples/x.pcap\t4\t0\tmqtt.len\t1\t2\t\n",        // empty reason
	} {
		if _, err := tsParseAllowlist(strings.NewReader(bad)); err == nil {
			t.Errorf("allowlist %q accepted, want an error", bad)
		}
	}
}

func TestTsAllowlistFileParses(t *testing.T) {
	f, err := os.Open(tsAllowlistFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tsParseAllowlist(f); err != nil {
		t.Fatal(err)
	}
}

func TestTsFindCaptures(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"s/a.pcap", "s/notes.md", "c/presill/m.pcap", "c/ndpi/coap_mqtt.pcap", "c/x/y.pcapng"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := tsFindCaptures(filepath.Join(dir, "s"), filepath.Join(dir, "c"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, fmt.Sprintf("%s:%d", c.name, c.port))
	}
	want := "corpus/ndpi/coap_mqtt.pcap:17501 corpus/presill/m.pcap:1337 corpus/x/y.pcapng:0 samples/a.pcap:0"
	if strings.Join(names, " ") != want {
		t.Errorf("got %s\nwant %s", strings.Join(names, " "), want)
	}
	if got, err := tsFindCaptures(filepath.Join(dir, "none"), filepath.Join(dir, "none2")); err != nil || len(got) != 0 {
		t.Errorf("missing folders: %v, %v", got, err)
	}
}
