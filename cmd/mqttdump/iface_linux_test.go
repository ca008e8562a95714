//go:build linux

package main

import (
	"fmt"
	"strings"
	"testing"
)

// -D ends with the pseudo-interface any, as tcpdump lists it, and -i N
// takes its number.
func TestListInterfacesAny(t *testing.T) {
	code, out, errs := runCLI(t, "", "-D")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := fmt.Sprintf("%d.any (Pseudo-device that captures on all interfaces) [up]", len(lines))
	if lines[len(lines)-1] != want || !strings.HasPrefix(lines[0], "1.") {
		t.Fatalf("-D:\n%s\nwant the last line %q", out, want)
	}
	o := captureOpts{iface: fmt.Sprint(len(lines))}
	if err := o.ifaceByNumber(); err != nil || o.iface != "any" {
		t.Fatalf("-i %d: %q, %v; want any", len(lines), o.iface, err)
	}
	o = captureOpts{iface: "1"}
	if err := o.ifaceByNumber(); err != nil || o.iface == "1" || o.iface == "any" {
		t.Fatalf("-i 1: %q, %v", o.iface, err)
	}
}
