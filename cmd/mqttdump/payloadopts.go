package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/dissect"
	"github.com/mqttdump/mqttdump/payload"
	"github.com/mqttdump/mqttdump/redact"
)

// payloadOpts are the flags for looking inside payloads and for redaction,
// shared by the capture and decode modes.
type payloadOpts struct {
	decodeAs        []string
	noPayload       bool
	redact          string
	maxDecompressed int

	rules []payload.Rule
	level redact.Level
}

func (o *payloadOpts) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.decodeAs, "decode-as", nil, "`FILTER=DECODER`: decode the payloads of topics matching the MQTT topic FILTER as DECODER (repeatable, first match wins): "+strings.Join(payload.Names, ", "))
	fs.BoolVar(&o.noPayload, "no-payload", false, "leave the payload preview off PUBLISH summary lines")
	fs.StringVar(&o.redact, "redact", "", "--redact hides credentials (password, authentication data) in every output and in -w; --redact=`all` also the user name and the will")
	fs.Lookup("redact").NoOptDefVal = "on"
	fs.IntVar(&o.maxDecompressed, "max-decompressed", payload.DefaultMaxDecompressed, "bytes a gzip or zlib payload may unpack to")
}

func (o *payloadOpts) check() error {
	o.rules = o.rules[:0]
	for _, s := range o.decodeAs {
		r, err := payload.ParseRule(s)
		if err != nil {
			return usagef("--decode-as %v", err)
		}
		o.rules = append(o.rules, r)
	}
	l, err := redact.ParseLevel(o.redact)
	if err != nil {
		return usagef("%v", err)
	}
	o.level = l
	if o.maxDecompressed <= 0 {
		return usagef("--max-decompressed %d: must be positive", o.maxDecompressed)
	}
	return nil
}

// decoders builds the payload decoding of one run; previews are kept a
// little longer than the summary line shows, so the line can say it cut.
func (o *payloadOpts) decoders(maxBytes int) *payload.Set {
	prev := 4 * maxBytes
	if maxBytes == 0 {
		prev = 1 << 16
	}
	return payload.New(payload.Options{Rules: o.rules, MaxDecompressed: o.maxDecompressed, MaxPreview: max(prev, 64)})
}

// redactFrames applies the packet's redacted spans to the frames -w
// writes. It reports false when they could not be applied (the bytes
// travel transformed: TLS, a compressed WebSocket), so the frames must not
// be written as they are.
func redactFrames(ev *capture.Event, spans []redact.Span) bool {
	if len(spans) == 0 {
		return true
	}
	fs := make([]redact.Frame, 0, len(ev.Frames))
	for _, f := range ev.Frames {
		if f.PayloadOffset < 0 {
			return false // rebuilt from IP fragments: no one frame holds the bytes
		}
		fs = append(fs, redact.Frame{LinkType: f.LinkType, Data: f.Data, Seq: f.Seq})
	}
	masked := ev.WebSocket != nil && ev.WebSocket.Masked
	return redact.Frames(fs, ev.Data, spans, ev.Spans, masked)
}

// redact runs on every dissected packet (conn.Config.Inspect): --redact
// hides the secrets in the packet and, for -w, in the frames that carried
// them, before any filter decides whether the packet is shown. Frames whose
// secrets cannot be overwritten (TLS, compressed WebSocket) are poisoned:
// -w leaves them out even when a shown packet shares them.
func (r *runner) redact(p *dissect.Packet, ev *capture.Event) {
	spans := redact.Packet(p, r.opts.out.pay.level)
	if r.wfile == nil || r.opts.out.pay.level == redact.Off || len(ev.Frames) == 0 {
		return
	}
	w := r.writer(ev.Frames[0].LinkType)
	if w == nil {
		return
	}
	sd := dirKey{ev.Stream, ev.Dir}
	if r.tainted[sd] {
		// The skipped packet before this one may end in its first frame.
		delete(r.tainted, sd)
		if f := ev.Frames[0]; len(ev.Spans) == 0 || f.Seq < ev.Spans[0].From {
			w.Poison(f.Number)
		}
	}
	if !redactFrames(ev, spans) {
		for _, f := range ev.Frames {
			w.Poison(f.Number)
		}
	}
	w.Seen(ev.Stream, ev.Dir, ev.Frames)
}

// dirKey names one direction of a connection.
type dirKey struct {
	stream int
	dir    dissect.Direction
}

// skippedSecret handles a packet the framer skipped unread (over
// --max-packet or the buffer budget) under --redact: a CONNECT or AUTH
// may hold secrets nobody overwrote, so its frames stay out of -w (the
// first here, the one it ends in when the next packet arrives).
func (r *runner) skippedSecret(ev *capture.Event) {
	if r.wfile == nil || r.opts.out.pay.level == redact.Off || ev.Kind != capture.EventNote || len(ev.Data) == 0 {
		return
	}
	if t := ev.Data[0] >> 4; t != dissect.TypeConnect && t != dissect.TypeAuth {
		return
	}
	if r.w != nil {
		r.w.Poison(ev.Frame)
	}
	if r.tainted == nil {
		r.tainted = map[dirKey]bool{}
	}
	r.tainted[dirKey{ev.Stream, ev.Dir}] = true
}

// payloadCounts adds to the end-of-run counts what -w left out for
// --redact and what the bounded Sparkplug state let go, when either
// happened.
func (r *runner) payloadCounts() {
	if r.w != nil && r.w.Poisoned > 0 {
		fmt.Fprintf(r.sys.err, "mqttdump: %d frames not written to %s: --redact could not overwrite the secret bytes in them\n", r.w.Poisoned, r.opts.write)
	}
	st := r.payloads.Stats()
	if st.EdgeNodesEvicted+st.AliasesDropped+st.SeqStatesEvicted > 0 {
		fmt.Fprintf(r.sys.err, "mqttdump: Sparkplug state: %d edge nodes evicted, %d aliases dropped, %d seq counters evicted\n",
			st.EdgeNodesEvicted, st.AliasesDropped, st.SeqStatesEvicted)
	}
}
