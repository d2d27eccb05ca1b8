package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInterruptedTrainingResumes kills training in the middle of an epoch
// (SIGKILL: no chance to save) and interrupts it (SIGINT: saves where it
// stopped); rerunning the same command resumes, and both end with the
// model of a run never interrupted, bit for bit.
func TestInterruptedTrainingResumes(t *testing.T) {
	bin := buildTrain(t)
	args := func(dir string) []string {
		return []string{"-epochs", "3", "-quiet", "-seed", "7", "-plots", "",
			"-out", filepath.Join(dir, "model"), "-checkpoint-dir", filepath.Join(dir, "checkpoints")}
	}
	testAccuracy := regexp.MustCompile(`Test accuracy: \S+`)
	weights := func(dir string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "model", "variables", "variables.data-00000-of-00001"))
		require.NoError(t, err)
		return b
	}

	whole := t.TempDir()
	stdout, stderr, code := runCommand(t, bin, args(whole)...)
	require.Equal(t, 0, code, stderr)
	wantAccuracy := testAccuracy.FindString(stdout)
	require.NotEmpty(t, wantAccuracy)

	for _, tt := range []struct {
		name     string
		signal   os.Signal
		wantCode int
		resumeAt *regexp.Regexp
	}{
		{"SIGKILL", syscall.SIGKILL, -1, regexp.MustCompile(`Resuming from checkpoint \S+ckpt-epoch1 at epoch 2, step 0`)},
		{"SIGINT", syscall.SIGINT, exitInterrupted, regexp.MustCompile(`Resuming from checkpoint \S+ckpt-epoch1-step\d+ at epoch 2, step [1-9]\d*`)},
		{"SIGTERM", syscall.SIGTERM, exitInterrupted, regexp.MustCompile(`Resuming from checkpoint \S+ckpt-epoch1-step\d+ at epoch 2, step [1-9]\d*`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errOut bytes.Buffer
			cmd := exec.Command(bin, args(dir)...)
			cmd.Stdout, cmd.Stderr = &out, &errOut
			require.NoError(t, cmd.Start())
			// Wait for the first epoch's checkpoint, then a little more: the
			// signal lands in the middle of the second epoch.
			state := filepath.Join(dir, "checkpoints", "checkpoint")
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if _, err := os.Stat(state); err == nil {
					break
				}
				require.True(t, time.Now().Before(deadline), "no checkpoint after the first epoch: %s", errOut.String())
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(400 * time.Millisecond)
			require.NoError(t, cmd.Process.Signal(tt.signal))
			err := cmd.Wait()
			require.Error(t, err)
			assert.Equal(t, tt.wantCode, cmd.ProcessState.ExitCode(), "stderr: %s", errOut.String())
			if tt.signal != syscall.SIGKILL {
				assert.Regexp(t, `train: interrupted at epoch 2, step \d+; saved the training state to \S+ckpt-epoch1-step\d+: rerun the same command to resume`, errOut.String())
			}

			stdout, stderr, code := runCommand(t, bin, args(dir)...)
			require.Equal(t, 0, code, stderr)
			assert.Regexp(t, tt.resumeAt, stdout)
			assert.Equal(t, wantAccuracy, testAccuracy.FindString(stdout))
			assert.Equal(t, weights(whole), weights(dir), "the resumed run ends with the uninterrupted run's weights")
		})
	}
}
