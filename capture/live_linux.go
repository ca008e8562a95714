//go:build linux

package capture

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Live is a capture on a Linux interface through an AF_PACKET socket (pure
// Go, no libpcap) with a kernel filter for the MQTT ports.
type Live struct {
	iface   string
	cfg     Config
	h       *pcapgo.EthernetHandle
	snaplen int

	// Warning is set when the capture works but not as configured (the
	// kernel queue could not be sized); the caller shows it.
	Warning string

	mu      sync.Mutex // guards the handle's close and the drop counters
	closed  bool
	seen    int
	dropped int
}

// OpenLive opens iface for capture of cfg.Ports (snaplen <= 0: 262144).
// Refused permissions become "capturing on eth0 needs root or CAP_NET_RAW";
// an unknown name lists the interfaces that exist.
func OpenLive(iface string, cfg Config, snaplen int) (*Live, error) {
	cfg = cfg.withDefaults()
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, unknownInterface(iface)
	}
	filter, err := portFilter(cfg.Ports, ifc.Flags&net.FlagLoopback != 0)
	if err != nil {
		return nil, fmt.Errorf("capturing on %s: %w", iface, err)
	}
	h, err := pcapgo.NewEthernetHandle(iface)
	if err != nil {
		// pcapgo formats the errno with %s, so match its text.
		if isPermission(err) {
			return nil, fmt.Errorf("capturing on %s needs root or CAP_NET_RAW", iface)
		}
		return nil, fmt.Errorf("capturing on %s: %w", iface, err)
	}
	if snaplen <= 0 || snaplen > maxRecord {
		snaplen = maxRecord
	}
	if err := h.SetCaptureLength(snaplen); err != nil {
		h.Close()
		return nil, fmt.Errorf("capturing on %s: set snaplen %d: %w", iface, snaplen, err)
	}
	if err := h.SetBPF(filter); err != nil {
		h.Close()
		if isPermission(err) {
			return nil, fmt.Errorf("capturing on %s needs root or CAP_NET_RAW", iface)
		}
		return nil, fmt.Errorf("capturing on %s: attach filter: %w", iface, err)
	}
	l := &Live{iface: iface, cfg: cfg, h: h, snaplen: snaplen}
	if err := setReceiveBuffer(h, cfg.BufferSize); err != nil {
		l.Warning = fmt.Sprintf("capturing on %s: cannot set the %d-byte kernel buffer (%v); frames may be dropped under load", iface, cfg.BufferSize, err)
	}
	return l, nil
}

func isPermission(err error) bool {
	s := err.Error()
	return strings.Contains(s, syscall.EPERM.Error()) || strings.Contains(s, syscall.EACCES.Error())
}

// Run captures until ctx is cancelled (then what is in flight is flushed
// and delivered) or fn returns an error. Stats.Dropped is the kernel's
// drop count.
func (l *Live) Run(ctx context.Context, fn func(*Event) error) (Stats, error) {
	e := newEngine(l.cfg, fn)
	e.clockStep = liveClockStep
	e.stats.LinkType, e.stats.Snaplen = layers.LinkTypeEthernet, l.snaplen
	// On cancellation the frames already queued in the kernel are still
	// read (as tcpdump does); then the socket closes, which is the only
	// thing that ends a blocked read.
	runCtx, endRun := context.WithCancel(context.Background())
	defer endRun()
	stop := context.AfterFunc(ctx, func() {
		l.drain(maxDrain)
		endRun()
		l.Close()
	})
	defer stop()
	err := e.run(runCtx, liveSource{l})
	if ctx.Err() != nil {
		e.stats.Interrupted = true
	}
	l.collectStats()
	l.mu.Lock()
	e.stats.Dropped, e.stats.Received = l.dropped, l.seen
	l.mu.Unlock()
	if err != nil {
		return e.stats, fmt.Errorf("capturing on %s: %w", l.iface, err)
	}
	return e.stats, nil
}

// collectStats adds the kernel counters (reset on every read) to the totals.
func (l *Live) collectStats() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if st, err := l.h.Stats(); err == nil {
		l.seen += int(st.Packets)
		l.dropped += int(st.Drops)
	}
}

// Close releases the socket; it may be called more than once.
func (l *Live) Close() error {
	l.collectStats()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.h.Close(); err != nil {
		return fmt.Errorf("close capture on %s: %w", l.iface, err)
	}
	return nil
}

// maxDrain bounds how long a cancelled capture goes on reading what the
// kernel had queued (a second Ctrl-C ends the process at once).
const maxDrain = 5 * time.Second

// drain waits until the kernel queue of the socket is empty (the reader
// goroutine empties it), for at most d.
func (l *Live) drain(d time.Duration) {
	end := time.Now().Add(d)
	for empty := 0; empty < 3 && time.Now().Before(end); {
		n, err := queuedBytes(l.h)
		if err != nil {
			return
		}
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
		time.Sleep(time.Millisecond)
	}
}

type liveSource struct{ l *Live }

func (s liveSource) readPacket() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	data, ci, err := s.l.h.ZeroCopyReadPacketData()
	ci.AncillaryData = nil
	return data, ci, layers.LinkTypeEthernet, err
}
