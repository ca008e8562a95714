package main

import (
	"fmt"

	"github.com/mqttdump/mqttdump/capture"
)

// writeFrames appends the frames that carried a shown packet to the -w file.
func (r *runner) writeFrames(ev *capture.Event) error {
	if len(ev.Frames) == 0 {
		return nil
	}
	if r.w == nil {
		w, err := capture.NewPcapWriter(r.wfile, ev.Frames[0].LinkType, 0)
		if err != nil {
			return fmt.Errorf("-w %s: %w", r.opts.write, err)
		}
		r.w = w
	}
	ev.Frames = r.poisoned.filter(ev.Frames)
	if err := r.w.WriteEvent(ev); err != nil {
		return fmt.Errorf("-w %s: %w", r.opts.write, err)
	}
	return nil
}
