package capture

import (
	"bytes"
	"testing"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func TestSecretsBlockFound(t *testing.T) {
	keys := []byte("CLIENT_RANDOM 0101 0202\n")
	capture := build(t, pcapgen.Options{Format: pcapgen.PCAPNG}, func(w *pcapgen.Writer) {
		w.WriteSecrets(pcapgen.SecretsTLS, keys)
		session(w, w.Iface0(), cli, srv)
		w.WriteSecrets(0x57474b4c, []byte("wireguard, not ours")) // another secrets type
		w.WriteSecrets(pcapgen.SecretsTLS, keys[:5])
	})
	var found [][]byte
	src, err := openSource(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for {
		if _, _, _, err := src.readPacket(); err != nil {
			break
		}
		frames++
		found = append(found, src.pendingSecrets()...)
	}
	found = append(found, src.pendingSecrets()...)
	if len(found) != 2 || !bytes.Equal(found[0], keys) || !bytes.Equal(found[1], keys[:5]) {
		t.Errorf("secrets %q", found)
	}
	evs, st := mustRead(t, capture, Config{})
	if st.Secrets != 2 || len(packetsOf(evs)) == 0 || st.Frames != frames {
		t.Errorf("stats %+v", st)
	}
}

func TestSecretScannerHostile(t *testing.T) {
	// A length that is not a multiple of 4 stops the scan; nothing is kept.
	var got int
	s := newSecretScanner(func(uint32, []byte) { got++ })
	s.feed([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a})
	s.feed(make([]byte, 16))
	s.feed([]byte{0x0a, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x53, 0x4c, 0x54})
	if !s.dead || got != 0 || s.body != nil {
		t.Errorf("dead %v, found %d, body %d", s.dead, got, len(s.body))
	}
	// A huge secrets block is passed over, not buffered.
	s = newSecretScanner(func(uint32, []byte) { got++ })
	s.feed([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a})
	s.feed(make([]byte, 16))
	s.feed([]byte{0x0a, 0, 0, 0, 0xfc, 0xff, 0xff, 0x7f, 0x4b, 0x53, 0x4c, 0x54})
	s.feed(make([]byte, 1<<16))
	if s.dead || got != 0 || cap(s.body) > 64 || s.skip == 0 {
		t.Errorf("dead %v, found %d, body cap %d, skip %d", s.dead, got, cap(s.body), s.skip)
	}
}
