package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is a background process in its own process group, so cleanup kills
// everything it started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
}

// startProc starts name with args in a new process group, stdin from
// stdin (may be empty), stdout and stderr to the given files (nil: discard).
// The process is killed at the end of the test if still running, and by
// ctx's cancellation.
func startProc(ctx context.Context, t *testing.T, stdin string, stdout, stderr *os.File, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = killGroup(cmd)
		<-p.done
	})
	return p
}

// killGroup SIGKILLs the process group of a started command.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// wait waits for the process to exit, at most d; it returns the exit error
// or a timeout error (the process is then killed).
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		_ = killGroup(p.cmd)
		<-p.done
		return fmt.Errorf("%s did not exit within %v (killed)", p.name, d)
	}
}

// interrupt sends SIGINT (what Ctrl-C sends) to the process itself.
func (p *proc) interrupt() error {
	err := p.cmd.Process.Signal(syscall.SIGINT)
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("interrupt %s: %w", p.name, err)
	}
	return nil
}

// exited reports whether the process has already exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// runProc runs a command to completion within d, returning its combined
// output; it fails the test on error.
func runProc(t *testing.T, d time.Duration, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v (timeout %v)\n%s", name, strings.Join(args, " "), err, d, out)
	}
	return string(out)
}

// createFile creates path for a child's output; closed at test end.
func createFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// waitForFile polls path until it contains text, at most d. It stops early
// when the optional process exits first.
func waitForFile(path, text string, d time.Duration, p *proc) error {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), text) {
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited (%v) before %q appeared in %s:\n%s", p.name, p.err, text, path, b)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%q did not appear in %s within %v:\n%s", text, path, d, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStable polls until path has at least want lines, or its size has not
// changed for quiet, at most d. It gives a capturing process time to write
// what it has already seen before it is stopped; it never fails.
func waitStable(path string, want int, quiet, d time.Duration) {
	deadline := time.Now().Add(d)
	last, since := int64(-1), time.Now()
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if want > 0 && strings.Count(string(b), "\n") >= want {
			return
		}
		if n := int64(len(b)); n != last {
			last, since = n, time.Now()
		} else if want <= 0 && time.Since(since) >= quiet {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
