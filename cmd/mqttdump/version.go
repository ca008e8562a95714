package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what the Go toolchain recorded about this binary.
type buildInfo struct {
	version, commit, when string
	modified              bool
}

func readBuildInfo() buildInfo {
	bi := buildInfo{version: "(devel)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return bi
	}
	if v := info.Main.Version; v != "" {
		bi.version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.commit = s.Value
		case "vcs.time":
			bi.when = s.Value
		case "vcs.modified":
			bi.modified = s.Value == "true"
		}
	}
	return bi
}

// writeVersion prints the version, the commit and the Go version, as
// `go version -m` would tell them.
func writeVersion(w io.Writer) error {
	bi := readBuildInfo()
	commit := "unknown (built without version control information)"
	if bi.commit != "" {
		commit = bi.commit
		if bi.when != "" {
			commit += " (" + bi.when + ")"
		}
		if bi.modified {
			commit += ", with uncommitted changes"
		}
	}
	_, err := fmt.Fprintf(w, "mqttdump %s\ncommit %s\n%s %s/%s\n", bi.version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
