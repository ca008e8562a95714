package capture

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

var wsMask = []byte{0x12, 0x34, 0x56, 0x78}

// wsSession is an MQTT session over WebSocket on server: CONNECT in one
// binary frame, a PUBLISH split over three messages, SUBSCRIBE, PINGREQ
// and a second PUBLISH in one message, a PINGREQ in a text frame.
func wsSession(w *pcapgen.Writer, client, server netip.AddrPort) (toServer, toClient [][]byte) {
	c := w.Conn(client, server)
	c.Handshake()
	c.SendSplit(pcapgen.ToServer, pcapgen.WSUpgradeRequest("broker", "/mqtt", "mqtt"), 60)
	c.Send(pcapgen.ToClient, pcapgen.WSUpgradeResponse("mqtt"))
	bin := func(fin bool, p []byte) []byte { return pcapgen.WSFrame(2, fin, wsMask, p) }
	con, pub, pub2 := connect("ws-client"), publish("a/b", 300), publish("c", 5)
	sub := packet(0x82, append([]byte{0, 1}, append(str("x/#"), 0)...))
	c.Send(pcapgen.ToServer, bin(true, con))
	c.Send(pcapgen.ToClient, pcapgen.WSFrame(2, true, nil, connack()))
	// one PUBLISH over three messages, the second message in two fragments
	c.Send(pcapgen.ToServer, bin(true, pub[:100]))
	c.Send(pcapgen.ToServer, slices.Concat(bin(false, pub[100:150]), pcapgen.WSFrame(0, true, wsMask, pub[150:200])))
	c.SendSplit(pcapgen.ToServer, bin(true, pub[200:]), 37)
	// three packets in one message
	c.Send(pcapgen.ToServer, bin(true, slices.Concat(sub, pingreq(), pub2)))
	c.Send(pcapgen.ToServer, pcapgen.WSFrame(1, true, wsMask, pingreq()))
	c.Send(pcapgen.ToClient, pcapgen.WSFrame(2, true, nil, pingresp()))
	c.Close()
	return [][]byte{con, pub, sub, pingreq(), pub2, pingreq()}, [][]byte{connack(), pingresp()}
}

func TestWebSocketAnyPort(t *testing.T) {
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	var up, down [][]byte
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		up, down = wsSession(w, cli, server)
	})
	evs, st := mustRead(t, capture, Config{KeepFrames: true})
	var gotUp, gotDown [][]byte
	for _, e := range kinds(evs, EventPacket) {
		if e.Dst == server {
			gotUp = append(gotUp, e.Data)
		} else {
			gotDown = append(gotDown, e.Data)
		}
		if e.Transport == nil || e.Transport.Chain != "websocket" || e.Transport.WebSocket == nil ||
			e.Transport.WebSocket.Subprotocol != "mqtt" || e.WebSocket == nil {
			t.Fatalf("transport %+v / %+v", e.Transport, e.WebSocket)
		}
		if e.PlainSpan().To != 0 {
			t.Errorf("a WebSocket packet has no plain TCP span: %v", e.PlainSpan())
		}
	}
	samePackets(t, gotUp, up...)
	samePackets(t, gotDown, down...)
	if st.Connections != 1 {
		t.Errorf("connections %d", st.Connections)
	}
	pk := kinds(evs, EventPacket)
	// Frames: 1-3 handshake, 4-6 the upgrade request, 7 the 101, 8 CONNECT,
	// 9 CONNACK; the PUBLISH split over three messages came in 10, 11
	// (two fragments) and 12-15 (one frame cut in four segments).
	var split got
	for _, e := range pk {
		if len(e.Data) == len(up[1]) {
			split = e
		}
	}
	if !slices.Equal(split.frameNums, []int{10, 11, 12, 13, 14, 15}) {
		t.Errorf("the split publish's frames %v", split.frameNums)
	}
	for _, f := range split.Frames {
		if f.Data == nil {
			t.Errorf("frame %d kept no data", f.Number)
		}
	}
	last := pk[len(pk)-1]
	text := pk[len(pk)-2]
	if !strings.Contains(text.Finding, "MQTT-6.0.0-1") || text.WebSocket.Opcode != 1 {
		t.Errorf("text frame packet: finding %q, message %+v", text.Finding, text.WebSocket)
	}
	if last.Finding != "" || !last.WebSocket.Masked == (last.Dst == server) {
		t.Errorf("last: finding %q masked %v", last.Finding, last.WebSocket.Masked)
	}
	for _, n := range kinds(evs, EventNote) {
		t.Errorf("unexpected note %q", n.Message)
	}
}

func TestWebSocketWithoutMQTTSubprotocolIgnored(t *testing.T) {
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	capture := build(t, pcapgen.Options{}, func(w *pcapgen.Writer) {
		c := w.Conn(cli, server)
		c.Handshake()
		c.Send(pcapgen.ToServer, pcapgen.WSUpgradeRequest("chat", "/chat", "chat"))
		c.Send(pcapgen.ToClient, pcapgen.WSUpgradeResponse("chat"))
		c.Send(pcapgen.ToServer, pcapgen.WSFrame(2, true, wsMask, connect("x")))
	})
	evs, st := mustRead(t, capture, Config{})
	if len(evs) != 0 || st.Connections != 0 {
		t.Errorf("events %+v, stats %+v", evs, st)
	}
}
