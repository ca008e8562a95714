package capture

import (
	"context"
	"io"
	"os"
)

// ctxReader makes reads from a pipe, a terminal or a socket end when the
// context does: such a read can block for ever (a writer that keeps the
// pipe open and sends nothing), and a blocked read(2) on a blocking
// descriptor is not interrupted by closing it. A goroutine does the reads;
// on cancellation Read returns the context's error at once and the
// goroutine is left to end with the process (or with its input).
type ctxReader struct {
	ctx  context.Context
	res  chan readResult
	next chan struct{}
	rest []byte
	err  error
}

type readResult struct {
	b   []byte
	err error
}

// readChunk is the size of the reads the goroutine makes.
const readChunk = 1 << 16

// cancellable wraps f in a ctxReader unless it is a regular file (whose
// reads do not block).
func cancellable(ctx context.Context, f *os.File) io.Reader {
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return f
	}
	return newCtxReader(ctx, f)
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	c := &ctxReader{ctx: ctx, res: make(chan readResult), next: make(chan struct{})}
	go func() {
		buf := make([]byte, readChunk)
		for {
			n, err := r.Read(buf)
			select {
			case c.res <- readResult{buf[:n], err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			select { // the consumer is done with buf
			case <-c.next:
			case <-ctx.Done():
				return
			}
		}
	}()
	return c
}

func (c *ctxReader) Read(p []byte) (int, error) {
	for len(c.rest) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		select {
		case r := <-c.res:
			c.rest, c.err = r.b, r.err
			if c.err == nil && len(c.rest) == 0 {
				c.next <- struct{}{}
			}
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	if len(c.rest) == 0 && c.err == nil {
		select {
		case c.next <- struct{}{}:
		case <-c.ctx.Done():
		}
	}
	return n, nil
}
