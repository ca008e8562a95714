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
)

// Live is a capture on a Linux interface, or on all of them (-i any),
// through an AF_PACKET socket (pure Go, no libpcap) with a kernel filter
// for the MQTT ports.
type Live struct {
	iface   string
	cfg     Config
	sock    packetSocket
	rc      syscall.RawConn // the socket, for its counters and queue; nil if unreachable
	snaplen int

	// Warning is set when the capture works but not as configured (the
	// kernel queue could not be sized); the caller shows it.
	Warning string

	mu      sync.Mutex // guards the socket's close and the drop counters
	closed  bool
	seen    int
	dropped int
}

// OpenLive opens iface ("any": all interfaces, Linux cooked capture) for
// capture of cfg.Ports (snaplen <= 0: 262144). Refused permissions become
// "capturing on eth0 needs root or CAP_NET_RAW"; an unknown name lists the
// interfaces that exist.
func OpenLive(iface string, cfg Config, snaplen int) (*Live, error) {
	cfg = cfg.withDefaults()
	if snaplen <= 0 || snaplen > maxRecord {
		snaplen = maxRecord
	}
	var sock packetSocket
	var err error
	if iface == AnyInterface {
		sock, err = openAny(cfg.Ports, snaplen)
	} else {
		sock, err = openNamed(iface, cfg.Ports, snaplen)
	}
	if err != nil {
		// pcapgo formats the errno with %s, so match its text.
		if isPermission(err) {
			return nil, fmt.Errorf("capturing on %s needs root or CAP_NET_RAW", iface)
		}
		return nil, fmt.Errorf("capturing on %s: %w", iface, err)
	}
	l := &Live{iface: iface, cfg: cfg, sock: sock, snaplen: snaplen}
	l.rc, err = sock.conn()
	if err == nil {
		err = setReceiveBuffer(l.rc, cfg.BufferSize)
	}
	if err != nil {
		l.Warning = fmt.Sprintf("capturing on %s: cannot set the %d-byte kernel buffer (%v); frames may be dropped under load", iface, cfg.BufferSize, err)
	}
	return l, nil
}

// openNamed opens one interface; its frames carry their Ethernet header.
func openNamed(iface string, ports []uint16, snaplen int) (packetSocket, error) {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, unknownInterface(iface)
	}
	filter, err := portFilter(ports, filterOpts{dropOutgoing: ifc.Flags&net.FlagLoopback != 0})
	if err != nil {
		return nil, err
	}
	return openEthernet(ifc, filter, snaplen)
}

// openAny opens the cooked socket on all interfaces; the outgoing copies
// are dropped on the loopback interfaces only.
func openAny(ports []uint16, snaplen int) (packetSocket, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var loopbacks []int
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			loopbacks = append(loopbacks, ifc.Index)
		}
	}
	o := filterOpts{cooked: true}
	if len(loopbacks) > 0 {
		o.dropOutgoing, o.loopbacks = true, loopbacks
	}
	filter, err := portFilter(ports, o)
	if err != nil {
		return nil, err
	}
	return openCooked(filter, snaplen)
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
	e.stats.LinkType, e.stats.Snaplen = l.sock.link(), l.snaplen
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
	if l.closed || l.rc == nil {
		return
	}
	if packets, drops, err := kernelStats(l.rc); err == nil {
		l.seen += packets
		l.dropped += drops
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
	if err := l.sock.Close(); err != nil {
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
	if l.rc == nil {
		return
	}
	end := time.Now().Add(d)
	for empty := 0; empty < 3 && time.Now().Before(end); {
		n, err := queuedBytes(l.rc)
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
	data, ci, err := s.l.sock.read()
	return data, ci, s.l.sock.link(), err
}
