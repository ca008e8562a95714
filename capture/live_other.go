//go:build !linux

package capture

import (
	"context"
	"fmt"
	"runtime"
)

// Live is a live capture; only Linux supports it.
type Live struct{ Warning string }

// OpenLive reports that live capture needs Linux.
func OpenLive(iface string, cfg Config, snaplen int) (*Live, error) {
	return nil, fmt.Errorf("live capture is not supported on %s", runtime.GOOS)
}

// Run is never reached on this platform.
func (l *Live) Run(ctx context.Context, fn func(*Event) error) (Stats, error) {
	return Stats{}, fmt.Errorf("live capture is not supported on %s", runtime.GOOS)
}

// Close does nothing.
func (l *Live) Close() error { return nil }
