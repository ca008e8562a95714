package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pubSpec is one mosquitto_pub run: one connection sending every payload
// on one topic at one QoS.
type pubSpec struct {
	clientID string
	flag     string // mosquitto -V value: mqttv311, mqttv5
	version  string // what mqttdump must report: "3.1.1", "5.0"
	topic    string
	qos      int
	payloads []string
	userProp bool // MQTT 5: a user property run=e2e on every PUBLISH
}

// workload is the traffic of one test run: a subscriber on e2e/# at QoS 2
// and one publisher per (version, QoS).
type workload struct {
	subID      string
	subFlag    string
	subVersion string
	filter     string
	pubs       []pubSpec
}

const (
	propKey   = "run"
	propValue = "e2e"
)

// newWorkload makes n messages for each of QoS 0, 1, 2 in MQTT 3.1.1 and
// MQTT 5.0 (the 5.0 ones with a user property). Payloads are distinct so
// order and loss are visible.
func newWorkload(n int) *workload {
	w := &workload{subID: "e2e-sub", subFlag: "mqttv5", subVersion: "5.0", filter: "e2e/#"}
	for _, v := range []struct{ flag, version, short string }{
		{"mqttv311", "3.1.1", "v311"},
		{"mqttv5", "5.0", "v5"},
	} {
		for qos := 0; qos <= 2; qos++ {
			p := pubSpec{
				clientID: fmt.Sprintf("e2e-pub-%s-q%d", v.short, qos),
				flag:     v.flag,
				version:  v.version,
				topic:    fmt.Sprintf("e2e/%s/q%d", v.short, qos),
				qos:      qos,
				userProp: v.flag == "mqttv5",
			}
			for i := 0; i < n; i++ {
				p.payloads = append(p.payloads, fmt.Sprintf("%s q%d message %02d", v.short, qos, i))
			}
			w.pubs = append(w.pubs, p)
		}
	}
	return w
}

// messages is the number of messages the subscriber must receive.
func (w *workload) messages() int {
	total := 0
	for _, p := range w.pubs {
		total += len(p.payloads)
	}
	return total
}

// acksPerQoS is the number of acknowledgement packets one PUBLISH of the
// QoS causes (PUBACK; PUBREC, PUBREL, PUBCOMP).
var acksPerQoS = [3]int{0, 1, 3}

// expectedPackets is the exact number of MQTT packets the run makes: per
// publisher CONNECT, CONNACK, the PUBLISHes and their acks, DISCONNECT; for
// the subscriber CONNECT, CONNACK, SUBSCRIBE, SUBACK, the same PUBLISHes
// and acks towards it (the subscription is QoS 2, so the QoS is kept), and
// DISCONNECT.
func (w *workload) expectedPackets() int {
	total := 5 // subscriber: CONNECT, CONNACK, SUBSCRIBE, SUBACK, DISCONNECT
	for _, p := range w.pubs {
		flow := len(p.payloads) * (1 + acksPerQoS[p.qos])
		total += 3 + flow // publisher
		total += flow     // relayed to the subscriber
	}
	return total
}

// run plays the workload against the broker: start the subscriber, wait
// for the broker to grant it, run each publisher to completion, wait for
// the subscriber to have every message. Every step has a timeout.
func (w *workload) run(ctx context.Context, t *testing.T, tools map[string]string, b *broker) {
	t.Helper()
	port := strconv.Itoa(b.port)
	subOut := filepath.Join(t.TempDir(), "sub.out")
	sub := startProc(ctx, t, "", createFile(t, subOut), nil, tools["mosquitto_sub"],
		"-h", "127.0.0.1", "-p", port, "-V", w.subFlag, "-i", w.subID,
		"-q", "2", "-t", w.filter, "-C", strconv.Itoa(w.messages()), "-W", "60", "-v")
	if err := waitForFile(b.log, "Sending SUBACK to "+w.subID, 15*time.Second, sub); err != nil {
		t.Fatalf("subscriber not ready: %v", err)
	}
	for _, p := range w.pubs {
		args := []string{"-h", "127.0.0.1", "-p", port, "-V", p.flag, "-i", p.clientID,
			"-q", strconv.Itoa(p.qos), "-t", p.topic, "-l"}
		if p.userProp {
			args = append(args, "-D", "publish", "user-property", propKey, propValue)
		}
		// -l sends one message per input line on a single connection.
		runProc(t, 30*time.Second, strings.Join(p.payloads, "\n")+"\n", tools["mosquitto_pub"], args...)
	}
	if err := sub.wait(30 * time.Second); err != nil {
		b, _ := os.ReadFile(subOut)
		t.Fatalf("subscriber: %v; got:\n%s", err, b)
	}
	// The workload itself must have worked, or mqttdump is not to blame.
	b2, err := os.ReadFile(subOut)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b2), "\n"); got != w.messages() {
		t.Fatalf("subscriber printed %d messages, want %d:\n%s", got, w.messages(), b2)
	}
}
