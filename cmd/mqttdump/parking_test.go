package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

// A connection quiet for longer than --idle-flush is closed by the capture
// and seen again later; it must resume with the version its CONNECT set.
func TestIdleConnectionResumes(t *testing.T) {
	client := netip.MustParseAddrPort("127.0.0.1:40000")
	server := netip.MustParseAddrPort("127.0.0.1:1883")
	data, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(client, server)
		c.Handshake()
		c.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, ClientID: "idle", KeepAlive: 600}))
		c.Send(pcapgen.ToClient, mqttenc.EncodeConnack(mqttenc.Connack{Version: mqttenc.V5}))
		w.Advance(5 * time.Minute) // longer than the idle flush
		// Another frame first: the capture flushes idle connections as
		// capture time passes, so this closes the quiet one.
		w.UDP(netip.MustParseAddrPort("127.0.0.1:5353"), netip.MustParseAddrPort("127.0.0.1:5354"), []byte("tick"))
		// A QoS 0 PUBLISH without properties: as 3.1.1 its property-length
		// byte would be taken for payload, so a guess could go either way.
		c.Send(pcapgen.ToServer, mqttenc.EncodePublish(mqttenc.Publish{Version: mqttenc.V5, Topic: "a/b", Payload: []byte("x")}))
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "idle.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-r", path}, {"-r", path, "-T", "json"}} {
		code, out, errs := runCLI(t, "", append(args, "--idle-flush", "1m", "--client", "idle")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 {
			t.Fatalf("%v: want CONNECT, CONNACK, PUBLISH; got:\n%s", args, out)
		}
		pub := lines[2]
		if !strings.Contains(pub, "v5.0") && !strings.Contains(pub, `"version":"5.0","version_source":"connect"`) {
			t.Errorf("%v: resumed connection lost its version: %s", args, pub)
		}
		if strings.Contains(pub, "guess") {
			t.Errorf("%v: version guessed after idle: %s", args, pub)
		}
	}
}

// TestReusedAddressesNewSession: a new connection (new SYN, new sequence
// numbers) on the addresses of a closed one starts a new MQTT session: it
// neither resolves the old topic aliases nor matches the old --client.
func TestReusedAddressesNewSession(t *testing.T) {
	client := netip.MustParseAddrPort("127.0.0.1:40000")
	server := netip.MustParseAddrPort("127.0.0.1:1883")
	alias := mqttenc.PropU16(mqttenc.PropTopicAlias, 7)
	data, err := pcapgen.Build(pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(client, server)
		c.Handshake()
		c.Send(pcapgen.ToServer, mqttenc.EncodeConnect(mqttenc.Connect{Version: mqttenc.V5, ClientID: "old"}))
		c.Send(pcapgen.ToClient, mqttenc.EncodeConnack(mqttenc.Connack{Version: mqttenc.V5}))
		c.Send(pcapgen.ToServer, mqttenc.EncodePublish(mqttenc.Publish{Version: mqttenc.V5, Topic: "old/topic", Properties: []mqttenc.Property{alias}, Payload: []byte("1")}))
		c.Close()
		n := w.Conn(client, server)
		n.SetISN(0x70000000, 0x50000000)
		n.Handshake()
		n.Send(pcapgen.ToServer, mqttenc.EncodePublish(mqttenc.Publish{Version: mqttenc.V5, Properties: []mqttenc.Property{alias}, Payload: []byte("2")}))
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "reuse.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errs := runCLI(t, "", "-r", path, "--client", "old")
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 3 {
		t.Errorf("--client old shows %d packets, want 3 (the new connection is not that client):\n%s%s", n, out, errs)
	}
	_, out, _ = runCLI(t, "", "-r", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; strings.Contains(last, "old/topic") {
		t.Errorf("the new connection resolved the old topic alias: %s", last)
	}
}
