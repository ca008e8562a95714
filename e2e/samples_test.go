package e2e

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// sampleCounts are the MQTT packets per type in each sample capture, as
// tshark 4.0.17 counts them (samples/README.md). They do not change when
// make-captures.sh re-records the files.
var sampleCounts = map[string]map[string]int{
	"mqtt311-session.pcap": {
		"connect": 4, "connack": 4, "publish": 6, "puback": 2, "pubrec": 2, "pubrel": 2, "pubcomp": 2,
		"subscribe": 1, "suback": 1, "unsubscribe": 1, "unsuback": 1, "disconnect": 4,
	},
	"mqtt5-properties.pcap": {
		"connect": 3, "connack": 3, "publish": 4, "puback": 2, "pubrec": 2, "pubrel": 2, "pubcomp": 2,
		"subscribe": 1, "suback": 1, "unsubscribe": 1, "unsuback": 1, "disconnect": 3,
	},
	"mqtt31-session.pcap": {
		"connect": 4, "connack": 4, "publish": 6, "puback": 2, "pubrec": 2, "pubrel": 2, "pubcomp": 2,
		"subscribe": 1, "suback": 1, "unsubscribe": 1, "unsuback": 1, "disconnect": 4,
	},
	"mqtt5-ipv6.pcapng": {
		"connect": 2, "connack": 2, "publish": 6, "pubrec": 6, "pubrel": 6, "pubcomp": 6,
		"subscribe": 1, "suback": 1, "disconnect": 2,
	},
	"arkime-mqtt_big.pcap": {
		"connect": 1, "connack": 1, "publish": 8, "puback": 3, "pubrec": 1, "pubrel": 1, "pubcomp": 1,
		"subscribe": 1, "suback": 1, "unsubscribe": 1, "unsuback": 1, "pingreq": 1, "pingresp": 1, "disconnect": 1,
	},
	"suricata-mqtt5-pub-mosquittoprops.pcap": {
		"connect": 1, "connack": 1, "publish": 1, "puback": 1, "disconnect": 1,
	},
	"peafowl-mqtt-1.pcapng": {
		"connect": 2, "connack": 2, "publish": 3, "subscribe": 1, "suback": 1, "pingreq": 5, "pingresp": 5, "disconnect": 1,
	},
}

// samplesDir is the repository's samples/ directory (tests run in e2e/).
const samplesDir = "../samples"

// readSample runs `mqttdump -r` on a sample and parses its NDJSON.
func readSample(t *testing.T, name string) []*packet {
	t.Helper()
	bin := needBinary(t)
	path := filepath.Join(samplesDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("sample missing: %v (re-make with samples/make-captures.sh)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	outPath, errPath := filepath.Join(dir, "out.ndjson"), filepath.Join(dir, "err.txt")
	p := startProc(ctx, t, "", createFile(t, outPath), createFile(t, errPath), bin, "-r", path, "-T", "json")
	if err := p.wait(time.Minute); err != nil {
		stderr, _ := os.ReadFile(errPath)
		t.Fatalf("mqttdump -r %s: %v\nstderr:\n%s", name, err, stderr)
	}
	return readPackets(t, outPath)
}

// TestSampleCaptures reads every sample capture: the packet counts per type
// match tshark's, and (when tshark is installed) the PDUs match tshark's
// frame by frame.
func TestSampleCaptures(t *testing.T) {
	needBinary(t)
	names := keys(sampleCounts)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			pkts := readSample(t, name)
			got, want := countByType(pkts), sampleCounts[name]
			for _, typ := range typeNames {
				if got[typ] != want[typ] {
					t.Errorf("%s: got %s\nwant %s", name, describeCounts(got), describeCounts(want))
					break
				}
			}
			checkAgainstTshark(t, filepath.Join(samplesDir, name), 1883, pkts)
		})
	}
	// Every capture in samples/ is listed above (and so in the README).
	entries, err := os.ReadDir(samplesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); (ext == ".pcap" || ext == ".pcapng") && !slices.Contains(names, e.Name()) {
			t.Errorf("samples/%s has no expected counts here", e.Name())
		}
	}
}

// TestSampleSession311 checks decoded values of the README's main example
// against the client commands in make-captures.sh.
func TestSampleSession311(t *testing.T) {
	pkts := readSample(t, "mqtt311-session.pcap")
	sub := findPacket(pkts, func(p *packet) bool { return p.Type == "connect" && first(p, "mqtt.clientid") == "demo-sub" })
	if sub == nil {
		t.Fatal("no CONNECT from demo-sub")
	}
	wantValues(t, sub, map[string]string{
		"mqtt.ver": "4", "mqtt.username": "alice", "mqtt.passwd": "secret", "mqtt.kalive": "30",
		"mqtt.willtopic": "demo/status", "mqtt.conflag.qos": "1", "mqtt.conflag.retain": "true",
	})
	if sub.Version != "3.1.1" {
		t.Errorf("CONNECT version %q, want 3.1.1", sub.Version)
	}
	retained := findPacket(pkts, func(p *packet) bool {
		return p.Type == "publish" && first(p, "mqtt.topic") == "demo/b" && sameValue(first(p, "mqtt.retain"), "true")
	})
	if retained == nil {
		t.Fatal("no retained PUBLISH on demo/b")
	}
	wantValues(t, retained, map[string]string{
		"mqtt.qos": "1", "mqtt.msg": hex.EncodeToString([]byte("hello qos1 retained")),
	})
	unsub := findPacket(pkts, func(p *packet) bool { return p.Type == "unsubscribe" })
	if unsub == nil {
		t.Fatal("no UNSUBSCRIBE")
	}
	wantValues(t, unsub, map[string]string{"mqtt.topic": "demo/old"})
}

// TestSampleProperties checks MQTT 5 property values in
// mqtt5-properties.pcap (set with -D in make-captures.sh).
func TestSampleProperties(t *testing.T) {
	pkts := readSample(t, "mqtt5-properties.pcap")
	pub := findPacket(pkts, func(p *packet) bool {
		return p.Type == "publish" && first(p, "mqtt.topic") == "v5/sensor/temp"
	})
	if pub == nil {
		t.Fatal("no PUBLISH on v5/sensor/temp")
	}
	if pub.Version != "5.0" {
		t.Errorf("PUBLISH version %q, want 5.0", pub.Version)
	}
	for abbrev, want := range map[string]string{
		"mqtt.property.content_type":             "application/json",
		"mqtt.property.response_topic":           "v5/reply",
		"mqtt.property.correlation_data":         hex.EncodeToString([]byte("req-42")),
		"mqtt.property.message_expiry_interval":  "300",
		"mqtt.property.topic_alias":              "1",
		"mqtt.property.payload_format_indicator": "1",
	} {
		if vs := valuesUnder(pub.Fields, abbrev); !slices.Contains(vs, want) {
			t.Errorf("%s: got %q, want %q among them", abbrev, vs, want)
		}
	}
	if !hasUserProperty(pub, "unit", "celsius") || !hasUserProperty(pub, "sensor", "kitchen") {
		t.Errorf("user properties: keys %q values %q", pub.flat["mqtt.prop_key"], pub.flat["mqtt.prop_value"])
	}
	conn := findPacket(pkts, func(p *packet) bool { return p.Type == "connect" && first(p, "mqtt.clientid") == "v5-pub1" })
	if conn == nil {
		t.Fatal("no CONNECT from v5-pub1")
	}
	// Will properties stay in their own section (DESIGN: never merged).
	if vs := valuesUnder(conn.Fields, "mqtt.property.will_delay_interval"); !slices.Contains(vs, "5") {
		t.Errorf("will delay interval: got %q, want 5", vs)
	}
	if wp := valuesUnder(conn.Fields, "mqtt.will_properties"); len(wp) == 0 {
		t.Error("no mqtt.will_properties section in CONNECT")
	}
}

// findPacket returns the first packet for which ok is true, or nil.
func findPacket(pkts []*packet, ok func(*packet) bool) *packet {
	for _, p := range pkts {
		if ok(p) {
			return p
		}
	}
	return nil
}

// first is the first value of abbrev in p ("" when absent).
func first(p *packet, abbrev string) string {
	v, _ := p.get(abbrev)
	return v
}

// wantValues checks the first value of each abbreviation.
func wantValues(t *testing.T, p *packet, want map[string]string) {
	t.Helper()
	for abbrev, w := range want {
		if got, ok := p.get(abbrev); !ok || !sameValue(got, w) {
			t.Errorf("%s = %q (present %v), want %q: %v", abbrev, got, ok, w, p)
		}
	}
}

// valuesUnder returns the values of every node with abbrev and of all
// their descendants: a property may carry its value itself or in a child.
func valuesUnder(nodes []node, abbrev string) []string {
	var out []string
	var all func([]node)
	all = func(ns []node) {
		for _, n := range ns {
			out = append(out, valueText(n.Value))
			all(n.Children)
		}
	}
	var walk func([]node)
	walk = func(ns []node) {
		for _, n := range ns {
			if n.Abbrev == abbrev {
				out = append(out, valueText(n.Value))
				all(n.Children)
				continue
			}
			walk(n.Children)
		}
	}
	walk(nodes)
	return out
}

// sameValue compares value texts; a flag may be written as a boolean or
// as its bit value.
func sameValue(got, want string) bool {
	norm := map[string]string{"1": "true", "0": "false"}
	if got == want {
		return true
	}
	if n, ok := norm[got]; ok && n == want {
		return true
	}
	return false
}
