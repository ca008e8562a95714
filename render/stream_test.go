package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
	enc "github.com/mqttdump/mqttdump/internal/mqttenc"
)

// chunkWriter records the largest single write.
type chunkWriter struct {
	bytes.Buffer
	largest int
}

func (w *chunkWriter) Write(b []byte) (int, error) {
	w.largest = max(w.largest, len(b))
	return w.Buffer.Write(b)
}

// TestHugePacketStreams: the JSON and the breakdown (every byte shown) of
// an 8 MB PUBLISH are written in slices, not built as one giant buffer,
// and the JSON is still one valid object.
func TestHugePacketStreams(t *testing.T) {
	payload := bytes.Repeat([]byte{0xab}, 8<<20)
	raw := enc.EncodePublish(enc.Publish{Version: enc.V311, Topic: "big", Payload: payload})
	pk := dissect.NewSession(dissect.V311).Dissect(raw, dissect.ToServer)
	var w chunkWriter
	p := New(&w, Options{})
	if err := p.JSON(pk, nil); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(w.Bytes()) {
		t.Fatalf("invalid JSON (%d bytes)", w.Len())
	}
	if w.largest > 1<<20 {
		t.Errorf("largest write %d bytes for a JSON of %d", w.largest, w.Len())
	}
	if cap(p.buf) > 1<<20 {
		t.Errorf("printer keeps a buffer of %d bytes", cap(p.buf))
	}
	w = chunkWriter{}
	p = New(&w, Options{MaxValueBytes: 0})
	if err := p.Breakdown(pk); err != nil {
		t.Fatal(err)
	}
	if w.Len() < 8<<20 || w.largest > 1<<20 {
		t.Errorf("breakdown of %d bytes, largest write %d", w.Len(), w.largest)
	}
}
