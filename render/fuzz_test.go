package render

import (
	"path/filepath"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

// FuzzRender dissects arbitrary bytes and draws every view: no panic, valid
// JSON, nothing unsafe for a terminal.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob("../samples/hex/*.hex")
	for _, file := range files {
		pks, err := loadHexSample(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, pk := range pks {
			f.Add(pk.Raw, uint8(pk.Version))
		}
	}
	f.Add([]byte{0x10, 0x26, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x1b}, uint8(4))
	f.Fuzz(func(t *testing.T, raw []byte, v uint8) {
		pk := dissect.NewSession(dissect.Version(v%6)).Dissect(raw, dissect.DirUnknown)
		checkInvariants(t, []*dissect.Packet{pk})
	})
}
