package main

import (
	"errors"

	"github.com/mqttdump/mqttdump/capture"
)

// errConsumerStopped tells the capture to stop: the consumer has failed or
// has shown enough packets; finish returns the consumer's own error.
var errConsumerStopped = errors.New("consumer stopped")

// asyncStage hands capture events to a second goroutine that dissects and
// renders them, so reading and reassembly use one core and dissection the
// other. Events travel in batches through a FIFO, so the output order is the
// capture order; the number of batches in flight is fixed, so memory is
// bounded. Used for files; live capture stays synchronous for latency.
type asyncStage struct {
	work chan *eventBatch
	free chan *eventBatch
	done chan error
	cur  *eventBatch
	// stop is set by the consumer's first error; the producer returns it so
	// the capture stops reading. Only the consumer writes it before done closes;
	// the producer reads it through stopped.
	stopped chan struct{}
}

const (
	batchEvents  = 256
	batchBytes   = 512 << 10
	batchesAlive = 4
)

// eventBatch owns copies of the events and of their packet bytes.
type eventBatch struct {
	events []capture.Event
	data   []byte
}

func newAsyncStage(consume func(*capture.Event) error) *asyncStage {
	a := &asyncStage{
		work:    make(chan *eventBatch, batchesAlive-1),
		free:    make(chan *eventBatch, batchesAlive),
		done:    make(chan error, 1),
		stopped: make(chan struct{}),
	}
	for i := 0; i < batchesAlive; i++ {
		a.free <- &eventBatch{events: make([]capture.Event, 0, batchEvents), data: make([]byte, 0, batchBytes)}
	}
	go a.consume(consume)
	return a
}

func (a *asyncStage) consume(fn func(*capture.Event) error) {
	var err error
	for b := range a.work {
		for i := range b.events {
			if err != nil {
				break
			}
			if err = fn(&b.events[i]); err != nil {
				close(a.stopped)
			}
		}
		b.events, b.data = b.events[:0], b.data[:0]
		if cap(b.data) > 4*batchBytes {
			b.data = make([]byte, 0, batchBytes) // one huge packet grew it
		}
		a.free <- b
	}
	a.done <- err
}

// add copies ev into the current batch (the capture reuses its buffers).
func (a *asyncStage) add(ev *capture.Event) error {
	select {
	case <-a.stopped:
		return errConsumerStopped
	default:
	}
	if a.cur == nil {
		a.cur = <-a.free
	}
	b := a.cur
	if len(b.events) == cap(b.events) || (len(b.data)+len(ev.Data) > cap(b.data) && len(b.data) > 0) {
		a.work <- b
		a.cur = <-a.free
		b = a.cur
	}
	c := *ev
	c.Frames, c.Spans = nil, nil // -w and --redact of frames run synchronously
	start := len(b.data)
	b.data = append(b.data, ev.Data...)
	c.Data = b.data[start:len(b.data):len(b.data)]
	b.events = append(b.events, c)
	return nil
}

// finish hands over the last batch and waits for the consumer's result.
func (a *asyncStage) finish() error {
	if a.cur != nil && len(a.cur.events) > 0 {
		a.work <- a.cur
	}
	a.cur = nil
	close(a.work)
	return <-a.done
}
