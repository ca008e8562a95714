package tsharkjson

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttdump/mqttdump/internal/testenv"
)

// corpusRow is what SOURCES.md says about one capture.
type corpusRow struct {
	path string // relative to the corpus
	msgs int    // MQTT PDUs tshark decodes (counted with -e mqtt.msgtype)
	port int
}

// readSources parses the Files table of SOURCES.md by its column names.
func readSources(path string) ([]corpusRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var rows []corpusRow
	col := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "Corpus path" {
			for i, c := range cells {
				col[c] = i
			}
			continue
		}
		mi, ok1 := col["MQTT msgs"]
		pi, ok2 := col["Port"]
		if !ok1 || !ok2 || len(cells) <= max(mi, pi) || strings.HasPrefix(cells[0], "---") {
			continue
		}
		msgs, err := strconv.Atoi(cells[mi])
		if err != nil {
			return nil, fmt.Errorf("%s: %s: MQTT msgs %q: %w", path, cells[0], cells[mi], err)
		}
		port, err := strconv.Atoi(cells[pi])
		if err != nil {
			return nil, fmt.Errorf("%s: %s: port %q: %w", path, cells[0], cells[pi], err)
		}
		rows = append(rows, corpusRow{path: cells[0], msgs: msgs, port: port})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}

// TestCorpusCounts proves the parser on real tshark output: for every
// capture in the shared corpus, the PDUs found must equal the "MQTT msgs"
// column of SOURCES.md, every PDU must have exactly one mqtt.msgtype, and
// every value must have a canonical form.
func TestCorpusCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark over the corpus")
	}
	tshark, err := Find()
	if err != nil {
		if os.Getenv("MQTTDUMP_REQUIRE_TSHARK") == "1" {
			t.Fatalf("MQTTDUMP_REQUIRE_TSHARK=1: %v", err)
		}
		t.Skip(err)
	}
	corpusDir := testenv.Corpus(t)
	rows, err := readSources(filepath.Join(corpusDir, "SOURCES.md"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no corpus")
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 48 {
		t.Fatalf("SOURCES.md lists %d captures, want 48", len(rows))
	}
	total := 0
	for _, r := range rows {
		t.Run(r.path, func(t *testing.T) {
			var ports []int
			if r.port != 1883 {
				ports = []int{r.port}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			pdus, err := Run(ctx, filepath.Join(corpusDir, r.path), Options{Tshark: tshark, Ports: ports})
			if err != nil {
				t.Fatal(err)
			}
			total += len(pdus)
			if len(pdus) != r.msgs {
				t.Errorf("%d PDUs, SOURCES.md says %d", len(pdus), r.msgs)
			}
			for _, p := range pdus {
				if n := len(p.Values("mqtt.msgtype")); n != 1 {
					t.Errorf("frame %d pdu %d: %d mqtt.msgtype", p.Frame, p.Index, n)
				}
				if _, err := p.Comparables(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	if total != 523 {
		t.Errorf("corpus total %d PDUs, SOURCES.md says 523", total)
	}
}
