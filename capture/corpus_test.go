package capture

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/internal/testenv"
)

// corpusRow is one line of SOURCES.md: what tshark counted in a file.
type corpusRow struct {
	path         string
	frames, msgs int
}

func corpusRows(t *testing.T, corpusDir string) []corpusRow {
	f, err := os.Open(filepath.Join(corpusDir, "SOURCES.md"))
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) < 13 {
			continue
		}
		path := strings.TrimSpace(cols[1])
		frames, err1 := strconv.Atoi(strings.TrimSpace(cols[8]))
		msgs, err2 := strconv.Atoi(strings.TrimSpace(cols[11]))
		if err1 != nil || err2 != nil || !strings.Contains(path, ".pcap") {
			continue
		}
		rows = append(rows, corpusRow{path, frames, msgs})
	}
	return rows
}

// TestCorpus reads every real capture: no error, every frame counted, and
// as many MQTT packets as tshark found (differences are listed in
// corpusDiffs with the reason).
func TestCorpus(t *testing.T) {
	corpusDir := testenv.Corpus(t)
	rows := corpusRows(t, corpusDir)
	if len(rows) < 40 {
		t.Fatalf("parsed only %d rows of SOURCES.md", len(rows))
	}
	cfg := Config{Ports: []uint16{1883, 17501, 1337}}
	total, totalTshark := 0, 0
	for _, row := range rows {
		path := filepath.Join(corpusDir, row.path)
		n, partial := 0, 0
		st, err := ReadFile(context.Background(), path, cfg, func(ev *Event) error {
			if ev.Kind == EventPacket {
				n++
				if ev.Partial {
					partial++
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", row.path, err)
			continue
		}
		if st.Frames != row.frames {
			t.Errorf("%s: %d frames, tshark %d", row.path, st.Frames, row.frames)
		}
		want, why := row.msgs, ""
		if d, ok := corpusDiffs[row.path]; ok {
			want, why = d.ours, d.why
		}
		if n != want {
			t.Errorf("%s: %d MQTT packets (%d partial), tshark %d, expected %d %s", row.path, n, partial, row.msgs, want, why)
		}
		if testing.Verbose() && n != row.msgs {
			t.Logf("%s: %d packets (%d partial), tshark %d: %s", row.path, n, partial, row.msgs, why)
		}
		total += n
		totalTshark += row.msgs
	}
	t.Logf("corpus: %d files, %d MQTT packets, tshark %d", len(rows), total, totalTshark)
}

// corpusDiffs are the files where our count differs from tshark's, and why.
var corpusDiffs = map[string]struct {
	ours int
	why  string
}{}
