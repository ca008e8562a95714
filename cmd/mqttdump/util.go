package main

import (
	"errors"
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
