package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tflog"
)

// fastArgs train for little time: one epoch on the first tenth of the data
// (the rest is validation data), no plots, summary lines only.
func fastArgs(out string, more ...string) []string {
	return append([]string{"-epochs", "1", "-validation-split", "0.9", "-quiet", "-plots", "", "-out", out}, more...)
}

// running is cmd/train started in the background and stopped at a line of
// its stderr (a pause, see pause.go).
type running struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	rest   chan string // the stderr after the line, once the process closed it
	exited chan struct{}
}

// startUntil starts the command with env added and returns once it has
// printed line on stderr.
func startUntil(t *testing.T, bin string, env []string, line string, args ...string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(bin, args...), rest: make(chan string, 1), exited: make(chan struct{})}
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdout = &r.stdout
	pipe, err := r.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, r.cmd.Start())
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			r.cmd.Process.Kill()
			<-r.exited
		}
	})
	lines := bufio.NewScanner(pipe)
	var before []string
	found := false
	for !found && lines.Scan() {
		before = append(before, lines.Text())
		found = lines.Text() == line
	}
	go func() {
		b, _ := io.ReadAll(pipe)
		r.rest <- tflog.Own(string(b))
		r.cmd.Wait()
		close(r.exited)
	}()
	require.True(t, found, "the command never printed %q: %s", line, strings.Join(before, "\n"))
	return r
}

// wait waits for the command to exit, at most limit (then kills it and
// fails: a command that does not exit is the bug some tests look for), and
// returns its status and own stderr after the line.
func (r *running) wait(t *testing.T, limit time.Duration) (code int, stderr string) {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(limit):
		r.cmd.Process.Kill()
		<-r.exited
		t.Fatalf("the command did not exit within %v", limit)
	}
	return r.cmd.ProcessState.ExitCode(), <-r.rest
}

// runWithEnv is runCommand with variables added to the environment.
func runWithEnv(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return o.String(), tflog.Own(e.String()), exit.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), tflog.Own(e.String()), 0
}
