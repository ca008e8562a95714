package render

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/mqttdump/mqttdump/dissect"
)

// drawAll renders every view of pk with o.
func drawAll(t *testing.T, pk *dissect.Packet, o Options) string {
	t.Helper()
	var out bytes.Buffer
	p := New(&out, o)
	for _, err := range []error{p.Breakdown(pk), p.Hex(pk), p.Summary(pk, testMeta), p.JSON(pk, testMeta)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

// hostile carries terminal escapes in every wire text the views show.
func hostile(t *testing.T) *dissect.Packet {
	pk := publish5Example(t)
	pk.Fields[3].Value = "\x1b]0;pwned\x07"
	pk.Fields[3].Length = 0
	pk.Info = "Publish Message [\x1b[2J]"
	return pk
}

func TestNoColorMeansNoEscapes(t *testing.T) {
	for _, pk := range []*dissect.Packet{connectExample(t), publishExample(t), malformedExample(t), hostile(t)} {
		if got := drawAll(t, pk, Options{}); strings.Contains(got, "\x1b") {
			t.Errorf("ESC byte with Color off:\n%q", got)
		}
	}
}

// sgr matches the colour sequences the palette may emit, nothing else.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestColorOn(t *testing.T) {
	got := drawAll(t, hostile(t), Options{Color: true})
	if !strings.Contains(got, "\x1b[") {
		t.Fatal("no colour with Color on")
	}
	if rest := sgr.ReplaceAllString(got, ""); strings.Contains(rest, "\x1b") {
		t.Errorf("an ESC that is not our colour reached the output:\n%q", rest)
	}
	if !strings.Contains(got, "\x1b[36m[note] Topic resolved from alias 7\x1b[0m") {
		t.Errorf("note not cyan:\n%q", got)
	}
	mal := drawAll(t, malformedExample(t), Options{Color: true})
	for _, want := range []string{"\x1b[33m[protocol] Reserved bit", "\x1b[31;1m[malformed] Client ID"} {
		if !strings.Contains(mal, want) {
			t.Errorf("missing %q in\n%q", want, mal)
		}
	}
	// colour off again: plain text identical to the coloured one minus SGR
	plain := drawAll(t, malformedExample(t), Options{})
	if sgr.ReplaceAllString(mal, "") != plain {
		t.Errorf("colour changed the text:\n%s", firstDiff([]byte(plain), []byte(sgr.ReplaceAllString(mal, ""))))
	}
}

// TestColorIsPerPrinter checks that one Printer's setting does not leak
// into another (no package-global color.NoColor).
func TestColorIsPerPrinter(t *testing.T) {
	var on, off bytes.Buffer
	pon, poff := New(&on, Options{Color: true}), New(&off, Options{})
	pk := malformedExample(t)
	_ = pon.Breakdown(pk)
	_ = poff.Breakdown(pk)
	if !strings.Contains(on.String(), "\x1b[") || strings.Contains(off.String(), "\x1b") {
		t.Error("colour leaked between printers")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsWrapped(t *testing.T) {
	p := New(failWriter{}, Options{})
	err := p.Summary(connectExample(t), nil)
	if err == nil || !strings.Contains(err.Error(), "write summary: disk full") {
		t.Errorf("got %v", err)
	}
	// the buffer is reset after a failed write
	var out bytes.Buffer
	p.w = &out
	_ = p.Summary(connectExample(t), nil)
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("stale output after error: %q", out.String())
	}
}
