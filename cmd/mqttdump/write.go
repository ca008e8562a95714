package main

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"

	"github.com/mqttdump/mqttdump/capture"
	"github.com/mqttdump/mqttdump/redact"
)

// writer returns the -w writer, made for the link type of the first frame
// that needs it; nil when it could not write its header (the error is
// returned by the next writeFrames).
func (r *runner) writer(link layers.LinkType) *capture.PcapWriter {
	if r.w == nil && r.wErr == nil {
		w, err := capture.NewPcapWriter(r.wfile, link, 0)
		if err != nil {
			r.wErr = fmt.Errorf("-w %s: %w", r.opts.write, err)
			return nil
		}
		if r.opts.out.pay.level != redact.Off {
			w.HoldForRedaction()
		}
		r.w = w
	}
	return r.w
}

// writeFrames appends the frames that carried a shown packet to the -w file.
func (r *runner) writeFrames(ev *capture.Event) error {
	if len(ev.Frames) == 0 {
		return nil
	}
	w := r.writer(ev.Frames[0].LinkType)
	if w == nil {
		return r.wErr
	}
	if err := w.WriteEvent(ev); err != nil {
		return fmt.Errorf("-w %s: %w", r.opts.write, err)
	}
	return nil
}
