package payload

import (
	"errors"
	"unicode/utf8"

	"github.com/mqttdump/mqttdump/dissect"
)

// text accepts valid UTF-8 without NUL and with few control characters;
// the payload node already shows the bytes, so no node is added.
func (r *run) text(_ *dissect.Node, data []byte, asked bool) error {
	if !asked && len(data) > sniffText {
		// Only the preview depends on a guess of text, so a prefix
		// decides it: a 64 KB payload costs no more than a short one.
		cut := sniffText
		for cut > sniffText-utf8.UTFMax && !utf8.RuneStart(data[cut]) {
			cut--
		}
		data = data[:cut]
	}
	if !utf8.Valid(data) {
		return errors.New("not valid UTF-8")
	}
	if !asked {
		ctl := 0
		for _, c := range data {
			if c == 0 {
				return errors.New("contains NUL")
			}
			if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
				ctl++
			}
		}
		if ctl*10 > len(data) {
			return errors.New("mostly control characters")
		}
	}
	r.preview = appendCutUTF8(r.preview[:0], data, r.o.MaxPreview)
	return nil
}

// sniffText is how many bytes decide whether a payload is text.
const sniffText = 1024

// hex previews binary data.
func (r *run) hex(data []byte) {
	const digits = "0123456789abcdef"
	b := append(r.preview[:0], "hex "...)
	for i, c := range data {
		if len(b)+2 > r.o.MaxPreview {
			if i < len(data) {
				b = append(b, "…"...)
			}
			break
		}
		b = append(b, digits[c>>4], digits[c&15])
	}
	if len(data) == 0 {
		b = b[:0]
	}
	r.preview = b
}

// appendCutUTF8 appends at most n bytes of s without splitting a rune.
func appendCutUTF8(dst, s []byte, n int) []byte {
	if len(s) <= n {
		return append(dst, s...)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return append(dst, s[:cut]...)
}
