package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Wire text in the stats JSON cannot drive a terminal, and stays valid JSON.
func TestStatsJSONEscapesFormatRunes(t *testing.T) {
	r := &StatsReport{Topics: []TopicStats{{Topic: "a\u202eb\u0085c/é"}}}
	var out bytes.Buffer
	if err := WriteStatsJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.ContainsRune(s, '\u202e') || strings.ContainsRune(s, '\u0085') || !strings.Contains(s, `\u202e`) || !strings.Contains(s, "é") {
		t.Errorf("not escaped: %q", s)
	}
	var back struct {
		Topics []struct{ Topic string } `json:"topics"`
	}
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Topics[0].Topic != "a\u202eb\u0085c/é" {
		t.Errorf("round trip: %v %+v", err, back)
	}
}
