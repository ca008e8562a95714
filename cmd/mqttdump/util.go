package main

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/mattn/go-isatty"
)

func isTerminal(f *os.File) bool { return isatty.IsTerminal(f.Fd()) }

// unwrapPath drops the *PathError wrapper whose text repeats the file name
// we already print: "cannot open x.pcap: no such file or directory".
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// flushWriter buffers output and flushes it after each packet when the
// output is watched live.
type flushWriter struct {
	*bufio.Writer
	term io.Writer // the terminal or pipe underneath, for colour detection
	each bool
}

func newFlushWriter(w io.Writer, each bool) *flushWriter {
	return &flushWriter{Writer: bufio.NewWriterSize(w, 64<<10), term: w, each: each}
}

func (f *flushWriter) packetDone() error {
	if f.each {
		return f.Flush()
	}
	return nil
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// isPipeInput reports input that arrives as it is written (standard input
// or a FIFO that is not a regular file): its packets are printed as they are
// decoded, not when the buffer fills, so tcpdump -U -w - | mqttdump -r - |
// grep shows each packet at once.
func isPipeInput(path string, sys stdio) bool {
	var fi os.FileInfo
	var err error
	switch {
	case path == "":
		return false
	case path == "-":
		f, ok := sys.in.(*os.File)
		if !ok {
			return false
		}
		fi, err = f.Stat()
	default:
		fi, err = os.Stat(path)
	}
	return err == nil && !fi.Mode().IsRegular()
}
