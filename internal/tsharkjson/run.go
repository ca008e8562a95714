package tsharkjson

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// Options for Run.
type Options struct {
	// Tshark is the program to run; "" looks up "tshark" in PATH.
	Tshark string
	// Ports are extra TCP ports to dissect as MQTT (-d tcp.port==N,mqtt).
	Ports []int
	// Raw asks tshark for the bytes of every field (-x) so PDU.Raw is set.
	// It makes tshark's output several times larger.
	Raw bool
	// Extra are further arguments, e.g. "-X", "lua_script:ws.lua" or
	// "-o", "tls.keylog_file:keys.log".
	Extra []string
}

// Find returns the path of tshark in PATH.
func Find() (string, error) {
	p, err := exec.LookPath("tshark")
	if err != nil {
		return "", fmt.Errorf("find tshark: %w", err)
	}
	return p, nil
}

// Args returns tshark's arguments for reading file: only frames with MQTT,
// as JSON, no name resolution.
func Args(file string, ports []int) []string {
	args := []string{"-n", "-r", file, "-Y", "mqtt", "-T", "json"}
	for _, p := range ports {
		args = append(args, "-d", "tcp.port=="+strconv.Itoa(p)+",mqtt")
	}
	return args
}

// maxStderr bounds how much of tshark's stderr is kept for error messages.
const maxStderr = 4 << 10

// Run runs tshark over file and returns the MQTT PDUs it dissected.
func Run(ctx context.Context, file string, opt Options) ([]PDU, error) {
	prog := opt.Tshark
	if prog == "" {
		p, err := Find()
		if err != nil {
			return nil, err
		}
		prog = p
	}
	args := Args(file, opt.Ports)
	if opt.Raw {
		args = append(args, "-x")
	}
	args = append(args, opt.Extra...)
	cmd := exec.CommandContext(ctx, prog, args...)
	stderr := &capped{max: maxStderr}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("tshark %s: %w", file, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tshark %s: %w", file, err)
	}
	pdus, perr := Parse(out)
	_, _ = io.Copy(io.Discard, out) // let tshark finish writing before Wait
	werr := cmd.Wait()
	if werr != nil {
		return nil, fmt.Errorf("tshark %s: %w: %s", file, werr, stderr.text())
	}
	if perr != nil {
		return nil, fmt.Errorf("tshark %s: %w", file, perr)
	}
	return pdus, nil
}

// capped keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// text is the kept stderr without tshark's "Running as user root" warning.
func (c *capped) text() string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(c.buf.String()), "\n") {
		if !strings.HasPrefix(l, "Running as user") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "; ")
}
