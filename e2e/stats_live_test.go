package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statsMessages is how many messages each (version, QoS) publisher sends
// in the live stats test.
const statsMessages = 5

// TestLiveStats is `mqttdump stats -i lo` against a real broker: the
// workload's publishers (3.1.1 and 5.0 at QoS 0, 1 and 2) and its QoS 2
// subscriber, then Ctrl-C; the report printed on the interrupt counts
// every connection and every QoS 1 and 2 exchange, as text and as JSON.
func TestLiveStats(t *testing.T) {
	bin := needBinary(t)
	needRoot(t)
	tools := needTools(t, "mosquitto", "mosquitto_pub", "mosquitto_sub")
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			b := startBroker(ctx, t, tools["mosquitto"])
			w := newWorkload(statsMessages)
			out := liveStats(ctx, t, bin, tools, b, w, format == "json")
			// Each QoS 1 or 2 message makes two exchanges: publisher to
			// broker and broker to the subscriber (its subscription is
			// QoS 2, so the QoS is kept); one CONNECT per client.
			var perQoS [3]int
			for _, p := range w.pubs {
				perQoS[p.qos] += 2 * len(p.payloads)
			}
			connects := len(w.pubs) + 1
			if format == "json" {
				checkStatsJSON(t, out, connects, perQoS)
			} else {
				checkStatsText(t, out, w, connects, perQoS)
			}
		})
	}
}

// liveStats runs mqttdump stats -i lo on the broker's port through the
// workload and returns what it printed on SIGINT.
func liveStats(ctx context.Context, t *testing.T, bin string, tools map[string]string, b *broker, w *workload, asJSON bool) string {
	t.Helper()
	dir := t.TempDir()
	outPath, errPath := filepath.Join(dir, "stats.out"), filepath.Join(dir, "stats.err")
	args := []string{"stats", "-i", "lo", "--port", strconv.Itoa(b.port)}
	if asJSON {
		args = append(args, "-T", "json")
	}
	dump := startProc(ctx, t, "", createFile(t, outPath), createFile(t, errPath), bin, args...)
	if err := waitForFile(errPath, "listening on lo", 15*time.Second, dump); err != nil {
		t.Fatalf("mqttdump stats not capturing: %v", err)
	}
	w.run(ctx, t, tools, b)
	// The report comes only on the interrupt: let the last packets reach
	// the capture first (what the kernel still queues is read on SIGINT).
	time.Sleep(time.Second)
	if err := dump.interrupt(); err != nil {
		t.Fatal(err)
	}
	if err := dump.wait(15 * time.Second); err != nil {
		stderr, _ := os.ReadFile(errPath)
		t.Fatalf("mqttdump stats after SIGINT: %v (want exit 0)\nstderr:\n%s", err, stderr)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	stderr, _ := os.ReadFile(errPath)
	t.Logf("stderr: %s", strings.TrimSpace(string(stderr)))
	return string(out)
}

// checkStatsText reads the text report: its sections, the CONNECT and
// PUBLISH counts, the exchange rows and every client.
func checkStatsText(t *testing.T, out string, w *workload, connects int, perQoS [3]int) {
	t.Helper()
	for _, want := range []string{"MQTT Statistics", "Packets by type", "PUBLISH by QoS", "Exchanges (latency in ms)", "Clients", "Topics"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	row := func(name string) []string {
		m := regexp.MustCompile(`(?m)^ ` + regexp.QuoteMeta(name) + `\s+(.*)$`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("report has no %q row:\n%s", name, out)
			return nil
		}
		return strings.Fields(m[1])
	}
	if r := row("CONNECT"); r != nil && r[0] != strconv.Itoa(connects) {
		t.Errorf("CONNECT count %s, want %d", r[0], connects)
	}
	for _, ex := range []struct {
		name  string
		count int
	}{{"connect", connects}, {"subscribe", 1}, {"publish_qos1", perQoS[1]}, {"publish_qos2", perQoS[2]}} {
		r := row(ex.name)
		if len(r) != 7 {
			t.Errorf("%s row %q: want count, min, p50, p90, p99, max, unanswered", ex.name, r)
			continue
		}
		if r[0] != strconv.Itoa(ex.count) || r[6] != "0" {
			t.Errorf("%s: count %s unanswered %s, want %d and 0", ex.name, r[0], r[6], ex.count)
		}
		if lat, err := strconv.ParseFloat(r[5], 64); err != nil || lat <= 0 {
			t.Errorf("%s: max latency %q", ex.name, r[5])
		}
	}
	for _, id := range append([]string{w.subID}, pubIDs(w)...) {
		if !strings.Contains(out, "\n "+id+"\n") {
			t.Errorf("client %s not in the report", id)
		}
	}
}

// checkStatsJSON reads the -T json report: one object whose exchange and
// packet counts agree with the workload.
func checkStatsJSON(t *testing.T, out string, connects int, perQoS [3]int) {
	t.Helper()
	type exchange struct {
		Count      int     `json:"count"`
		Max        float64 `json:"max"`
		Unanswered int     `json:"unanswered"`
	}
	var rep struct {
		Packets struct {
			ByType map[string]int `json:"by_type"`
			ByQoS  map[string]int `json:"by_qos"`
		} `json:"packets"`
		Exchanges map[string]exchange `json:"exchanges"`
		Clients   []struct {
			ClientID string `json:"client_id"`
		} `json:"clients"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stats -T json is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Errorf("stats -T json printed more than one object:\n%s", out)
	}
	if got := rep.Packets.ByType["CONNECT"]; got != connects {
		t.Errorf("by_type.CONNECT %d, want %d", got, connects)
	}
	if c := rep.Exchanges["connect"]; c.Count != connects || c.Count != rep.Packets.ByType["CONNECT"] || c.Unanswered != 0 {
		t.Errorf("exchanges.connect %+v, want count %d (= by_type.CONNECT), none unanswered", c, connects)
	}
	if q1 := rep.Exchanges["publish_qos1"]; q1.Count < 1 || q1.Count != perQoS[1] || q1.Max <= 0 {
		t.Errorf("exchanges.publish_qos1 %+v, want count %d", q1, perQoS[1])
	}
	if q2 := rep.Exchanges["publish_qos2"]; q2.Count != perQoS[2] {
		t.Errorf("exchanges.publish_qos2 %+v, want count %d", q2, perQoS[2])
	}
	for q := 0; q <= 2; q++ {
		// Every message twice: to the broker and to the subscriber.
		if got := rep.Packets.ByQoS[strconv.Itoa(q)]; got != 2*statsMessages*2 {
			t.Errorf("by_qos[%d] = %d, want %d", q, got, 2*statsMessages*2)
		}
	}
	if len(rep.Clients) != connects {
		t.Errorf("%d clients, want %d", len(rep.Clients), connects)
	}
	t.Logf("connect %d, publish_qos1 %d, publish_qos2 %d", rep.Exchanges["connect"].Count, rep.Exchanges["publish_qos1"].Count, rep.Exchanges["publish_qos2"].Count)
}

func pubIDs(w *workload) []string {
	var ids []string
	for _, p := range w.pubs {
		ids = append(ids, p.clientID)
	}
	return ids
}
