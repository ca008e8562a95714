package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// Goldens of the stats report and the ladder on the shipped samples.
func TestReportGoldens(t *testing.T) {
	samples, err := filepath.Glob("../../samples/*.pcap*")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	views := map[string][]string{
		"stats":      {"stats"},
		"stats.json": {"stats", "-T", "json"},
		"ladder":     {"ladder"},
		"mermaid":    {"ladder", "-T", "mermaid"},
	}
	for _, s := range samples {
		for name, args := range views {
			golden := filepath.Join("testdata", "reports", strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))+"."+name)
			t.Run(filepath.Base(golden), func(t *testing.T) {
				code, out, errs := runCLI(t, "", append(args, "-r", s)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errs)
				}
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update)", err)
				}
				if out != string(want) {
					t.Errorf("%s differs from %s:\n%s", strings.Join(args, " "), golden, out)
				}
			})
		}
	}
}

func TestStatsFiltersAndUsage(t *testing.T) {
	s := "../../samples/mqtt311-session.pcap"
	_, all, _ := runCLI(t, "", "stats", "-r", s, "-T", "json")
	code, pubs, _ := runCLI(t, "", "stats", "-r", s, "-T", "json", "--type", "publish")
	if code != 0 || !strings.Contains(all, `"CONNECT":4`) || !strings.Contains(pubs, `"CONNECT":0`) || !strings.Contains(pubs, `"PUBLISH":6`) {
		t.Errorf("--type publish does not select the counted packets:\n%s", pubs)
	}
	if code, _, errs := runCLI(t, "", "ladder", "-r", s, "-T", "json"); code != exitUsage || !strings.Contains(errs, "mermaid") {
		t.Errorf("ladder -T json: exit %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "stats", "-r", s, "-V"); code != exitUsage {
		t.Errorf("stats -V: exit %d %q", code, errs)
	}
}

// TestStatsCountsConnectionsOnce: every connection of a client counts once,
// however many connections the capture holds (a connection past the first
// 4 x --stats-max-clients was counted again at each of its packets).
func TestStatsCountsConnectionsOnce(t *testing.T) {
	srv := netip.MustParseAddrPort("127.0.0.1:1883")
	in := writeCapture(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		for i := range 8 {
			c := w.Conn(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+i)), srv)
			c.Handshake()
			c.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V311, CleanStart: true, ClientID: "dev"}))
			for range 3 {
				c.Send(pcapgen.ToServer, mqttenc.EncodePingreq())
			}
			c.Close()
		}
	})
	code, out, errs := runCLI(t, "", "stats", "-r", in, "--stats-max-clients", "1")
	if code != 0 || !strings.Contains(out, "connections 8") {
		t.Errorf("exit %d, want the client's 8 connections counted once each:\n%s\n%s", code, out, errs)
	}
}
