package e2e

// The differential test of display filters and -T fields against tshark
// (issue #9). For each expression below and each capture in samples/ and
// the corpus, `mqttdump -Y EXPR` must select the frames `tshark -Y` selects.
//
// mqttdump tests each MQTT packet on its own; tshark tests a frame, with the
// fields of every MQTT packet in it. So:
//   - a frame carrying one MQTT packet (for both tools) must be selected by
//     both or by neither;
//   - a frame carrying several: for a monotone expression (no negation, no
//     !=) a packet we select implies tshark selects its frame (the converse
//     does not hold: tshark may combine fields of two packets); for the
//     others the frame is only counted, not compared.
// Then -T fields: the values of a list of fields, frame by frame, must be
// tshark's; for a frame with several packets our per-packet values are
// joined with "," in order, which is how tshark aggregates them.
//
// samples/ run every expression, each corpus capture one in tfCorpusShare
// (tshark's start-up dominates; the package must fit go test's timeout).
//
// Env: MQTTDUMP_REQUIRE_TSHARK=1 fails instead of skipping without tshark;
// MQTTDUMP_FILTER_SUMMARY=path writes the figures to path.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/testenv"
	"github.com/mqttdump/mqttdump/internal/tsharkjson"
)

// tfExpr is one expression; monotone: adding packets to a frame can only
// make it match (no not, no !=), so per-packet matches imply frame matches.
type tfExpr struct {
	expr     string
	monotone bool
}

var tfExpressions = []tfExpr{
	{"mqtt", true},
	{"mqtt.msgtype == 3", true},
	{"mqtt.msgtype == 3 && mqtt.qos > 0", true},
	{`mqtt.msgtype == 3 && mqtt.qos > 0 && mqtt.topic matches "^sensors/"`, true},
	{`mqtt.topic matches "^(demo|test)/"`, true},
	{"mqtt.qos == 1", true},
	{"mqtt.qos in {1, 2}", true},
	{"mqtt.msgid in {1..3, 10}", true},
	{"mqtt.retain == 1", true},
	{"mqtt.dupflag == True", true},
	{"mqtt.conflag.cleansess == 1", true},
	{"mqtt.kalive > 30", true},
	{`mqtt.clientid contains "a"`, true},
	{"mqtt.topic", true},
	{"!mqtt.topic", false},
	{"mqtt.msgid != 1", false},
	{"not (mqtt.msgtype in {12, 13})", false},
	{"mqtt.msg[0] == 7b", true},
	{"mqtt.msg contains 22", true},
	{"len(mqtt.msg) > 10", true},
	{"mqtt.hdrflags == 0x30", true},
	{"mqtt.ver == 5", true},
	{"mqtt.properties", true},
	{"mqtt.property_id == 0x26", true},
	{"mqtt.username", true},
	{"mqtt.sub.qos == 1", true},
	{"mqtt.conack.val == 0", true},
	{"tcp.srcport == 1883 && mqtt.msgtype == 3", true},
	{"frame.len > 200 && mqtt", true},
	{"ip.addr == 127.0.0.1 || ipv6.addr == ::1", true},
}

// tfCorpusShare: each corpus capture runs one expression in this many.
const tfCorpusShare = 4

// tfFields are compared value by value with tshark -T fields.
var tfFields = []string{
	"frame.number", "mqtt.msgtype", "mqtt.hdrflags", "mqtt.qos", "mqtt.retain", "mqtt.topic", "mqtt.msgid",
	"mqtt.kalive", "mqtt.clientid", "mqtt.conflag.cleansess", "mqtt.ver", "mqtt.len", "mqtt.topic_len",
	"tcp.srcport", "ip.src", "frame.len", "frame.time_relative",
}

// tcp.stream is not compared: tshark numbers every TCP connection of the
// capture, mqttdump only those on the MQTT ports.

// tfFrameFields have one value per frame, not per MQTT packet.
var tfFrameFields = map[string]bool{"frame.number": true, "tcp.srcport": true,
	"ip.src": true, "frame.len": true, "frame.time_relative": true}

// tfRun runs a program and returns its standard output.
func tfRun(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %q: %w: %.1000s", name, args, err, stderr.String())
	}
	return string(out), nil
}

// tfLines parses -T fields output into rows of columns.
func tfLines(out string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

func tfTshark(ctx context.Context, tshark string, c tsCapture, expr string, fields ...string) ([][]string, error) {
	args := []string{"-n", "-r", c.path, "-Y", expr, "-T", "fields", "-E", "occurrence=a"}
	if c.port != 0 {
		args = append(args, "-d", "tcp.port=="+strconv.Itoa(c.port)+",mqtt")
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := tfRun(ctx, tshark, args...)
	return tfLines(out), err
}

func tfOurs(ctx context.Context, bin string, c tsCapture, expr string, fields ...string) ([][]string, error) {
	args := []string{"-r", c.path, "-T", "fields"}
	if expr != "" {
		args = append(args, "-Y", expr)
	}
	if c.port != 0 {
		args = append(args, "--port", strconv.Itoa(c.port))
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := tfRun(ctx, bin, args...)
	return tfLines(out), err
}

// tfCounts is MQTT packets per frame, from rows whose first column is the frame.
func tfCounts(rows [][]string, tsharkAgg bool) map[int]int {
	m := map[int]int{}
	for _, r := range rows {
		n, err := strconv.Atoi(r[0])
		if err != nil {
			continue
		}
		if tsharkAgg { // second column: mqtt.msgtype of every PDU, comma-joined
			m[n] += strings.Count(r[1], ",") + 1
		} else {
			m[n]++
		}
	}
	return m
}

type tfStats struct {
	captures, expressions, comparedFrames, multiFrames, mismatches int
	fieldFrames, fieldValues                                       int
	unknownVersion                                                 int // frames left out: tshark has no version
}

func TestTsharkFilters(t *testing.T) {
	require := os.Getenv("MQTTDUMP_REQUIRE_TSHARK") == "1"
	tshark, err := tsharkjson.Find()
	if err != nil {
		if require {
			t.Fatalf("MQTTDUMP_REQUIRE_TSHARK=1: %v", err)
		}
		t.Skip(err)
	}
	if testing.Short() && !require {
		t.Skip("runs tshark once per expression and capture")
	}
	captures, err := tsFindCaptures("../samples", testenv.Corpus(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := needBinary(t)
	var st tfStats
	var mu sync.Mutex
	corpusIndex := 0
	for _, c := range captures {
		// tshark starts once per expression and capture; to keep the
		// package inside go test's timeout, samples/ get every expression
		// and each corpus capture a rotating quarter of them (every
		// expression still meets about a quarter of the corpus).
		ci := -1
		if strings.HasPrefix(c.name, "corpus/") {
			ci = corpusIndex
			corpusIndex++
		}
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			theirAll, err := tfTshark(ctx, tshark, c, "mqtt", "frame.number", "mqtt.msgtype")
			if err != nil {
				t.Fatal(err)
			}
			ourAll, err := tfOurs(ctx, bin, c, "", "frame.number")
			if err != nil {
				t.Fatal(err)
			}
			theirN, ourN := tfCounts(theirAll, true), tfCounts(ourAll, false)
			if len(theirN) == 0 && len(ourN) == 0 {
				return // no MQTT here: nothing to select
			}
			// Where tshark does not know the version (no CONNECT seen:
			// its expert mqtt.unknown_version) it decodes less than
			// mqttdump, which guesses (TestTsharkDiff allows the same).
			unknown, err := tfTshark(ctx, tshark, c, "mqtt.unknown_version", "frame.number")
			if err != nil {
				t.Fatal(err)
			}
			for f := range tfCounts(unknown, false) {
				delete(theirN, f)
				delete(ourN, f)
				mu.Lock()
				st.unknownVersion++
				mu.Unlock()
			}
			mu.Lock()
			st.captures++
			mu.Unlock()
			tfCompareFields(ctx, t, tshark, bin, c, theirN, ourN, &st, &mu)
			// Expressions two at a time: tshark dominates the run time.
			sem := make(chan struct{}, 2)
			var wg sync.WaitGroup
			for i, e := range tfExpressions {
				if ci >= 0 && (ci+i)%tfCorpusShare != 0 {
					continue
				}
				wg.Add(1)
				sem <- struct{}{}
				go func(e tfExpr) {
					defer wg.Done()
					defer func() { <-sem }()
					tfCompareExpr(ctx, t, tshark, bin, c, e, theirN, ourN, &st, &mu)
				}(e)
			}
			wg.Wait()
		})
	}
	t.Logf("filters: %d expressions (each corpus capture 1 in %d of them), %d captures with MQTT, %d expression runs; %d single-packet frame decisions compared, %d multi-packet frame decisions checked one way or counted, %d mismatches; fields: %d frames x %d fields, %d values compared; %d frames left out (tshark: unknown version)",
		len(tfExpressions), tfCorpusShare, st.captures, st.expressions, st.comparedFrames, st.multiFrames, st.mismatches, st.fieldFrames, len(tfFields), st.fieldValues, st.unknownVersion)
	if path := os.Getenv("MQTTDUMP_FILTER_SUMMARY"); path != "" {
		line := fmt.Sprintf("expressions %d, captures %d, expression runs %d, single-packet frame decisions %d, multi-packet %d, mismatches %d, field frames %d, field values %d, unknown-version frames left out %d\n",
			len(tfExpressions), st.captures, st.expressions, st.comparedFrames, st.multiFrames, st.mismatches, st.fieldFrames, st.fieldValues, st.unknownVersion)
		if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func tfCompareExpr(ctx context.Context, t *testing.T, tshark, bin string, c tsCapture, e tfExpr,
	theirN, ourN map[int]int, st *tfStats, mu *sync.Mutex) {
	theirs, err := tfTshark(ctx, tshark, c, "mqtt && ("+e.expr+")", "frame.number")
	if err != nil {
		t.Error(err)
		return
	}
	ours, err := tfOurs(ctx, bin, c, e.expr, "frame.number")
	if err != nil {
		t.Error(err)
		return
	}
	theirSel, ourSel := tfCounts(theirs, false), tfCounts(ours, false)
	var bad []string
	compared, multi := 0, 0
	frames := make([]int, 0, len(theirN))
	for f := range theirN {
		frames = append(frames, f)
	}
	for f := range ourN {
		if _, ok := theirN[f]; !ok {
			frames = append(frames, f)
		}
	}
	sort.Ints(frames)
	for _, f := range frames {
		if theirN[f] == 0 && ourN[f] == 0 {
			continue // left out (unknown version)
		}
		tsel, osel := theirSel[f] > 0, ourSel[f] > 0
		if theirN[f] == 1 && ourN[f] == 1 {
			compared++
			if tsel != osel {
				bad = append(bad, fmt.Sprintf("frame %d: tshark %v, mqttdump %v", f, tsel, osel))
			}
			continue
		}
		if theirN[f] != ourN[f] {
			continue // framed differently: the fields test reports it
		}
		multi++
		if e.monotone && osel && !tsel {
			bad = append(bad, fmt.Sprintf("frame %d (%d packets): mqttdump selects a packet, tshark not the frame", f, ourN[f]))
		}
	}
	mu.Lock()
	st.expressions++
	st.comparedFrames += compared
	st.multiFrames += multi
	st.mismatches += len(bad)
	mu.Unlock()
	for i, b := range bad {
		if i == 10 {
			t.Errorf("-Y %s: … %d more", e.expr, len(bad)-10)
			break
		}
		t.Errorf("-Y %s: %s", e.expr, b)
	}
}

func tfCompareFields(ctx context.Context, t *testing.T, tshark, bin string, c tsCapture,
	theirN, ourN map[int]int, st *tfStats, mu *sync.Mutex) {
	theirs, err := tfTshark(ctx, tshark, c, "mqtt", tfFields...)
	if err != nil {
		t.Error(err)
		return
	}
	ours, err := tfOurs(ctx, bin, c, "", tfFields...)
	if err != nil {
		t.Error(err)
		return
	}
	// Our packets grouped by frame, values joined as tshark aggregates.
	byFrame := map[string][]string{}
	var order []string
	for _, r := range ours {
		f := r[0]
		prev, seen := byFrame[f]
		if !seen {
			byFrame[f] = append([]string(nil), r...)
			order = append(order, f)
			continue
		}
		for i, v := range r {
			if i < len(prev) && !tfFrameFields[tfFields[i]] && v != "" {
				if prev[i] != "" {
					prev[i] += ","
				}
				prev[i] += v
			}
		}
	}
	bad, frames, values := 0, 0, 0
	for _, r := range theirs {
		n, _ := strconv.Atoi(r[0])
		if theirN[n] == 0 || theirN[n] != ourN[n] {
			continue // left out, or framed differently (a packet tshark does not reassemble): TestTsharkDiff's business
		}
		o, ok := byFrame[r[0]]
		if !ok {
			continue
		}
		frames++
		for i, f := range tfFields {
			if i >= len(r) || i >= len(o) {
				break
			}
			values++
			if r[i] != o[i] {
				bad++
				if bad <= 20 {
					t.Errorf("frame %s %s: tshark %q, mqttdump %q", r[0], f, r[i], o[i])
				}
			}
		}
	}
	mu.Lock()
	st.fieldFrames += frames
	st.fieldValues += values
	st.mismatches += bad
	mu.Unlock()
}
