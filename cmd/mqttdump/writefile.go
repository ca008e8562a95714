package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gopacket/gopacket/layers"
)

// createTemp opens a temporary file beside path for -w.
func createTemp(path string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", path, unwrapPath(err))
	}
	return f, nil
}

// finishWrite completes -w: with keep, the frames still waiting are written
// and the temporary file replaces the target (a pcap with no frames when
// nothing was shown); without (the input could not be read), the target is
// left as it was.
func (r *runner) finishWrite(keep bool, link layers.LinkType) error {
	f := r.wfile
	if !keep {
		f.Close()
		return nil
	}
	if r.writer(link) == nil {
		return r.wErr
	}
	if err := r.w.Close(); err != nil {
		return fmt.Errorf("-w %s: %w", r.opts.write, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("-w %s: %w", r.opts.write, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", r.opts.write, err)
	}
	if err := os.Rename(f.Name(), r.opts.write); err != nil {
		return fmt.Errorf("-w %s: %w", r.opts.write, unwrapPath(err))
	}
	return nil
}
