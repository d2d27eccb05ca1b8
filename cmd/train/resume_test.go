package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tflog"
)

// TestInterruptedTrainingResumes kills training in the middle of an epoch
// (SIGKILL: no chance to save) and interrupts it (SIGINT, SIGTERM: saves
// where it stopped); rerunning the same command resumes, and each ends with
// the model of a run never interrupted, bit for bit. Training is paused at
// a chosen step of the second epoch (TRAIN_TEST_PAUSE_AT) and signalled once
// it says so, so the signal lands at the same step on any machine.
func TestInterruptedTrainingResumes(t *testing.T) {
	bin := buildTrain(t)
	args := func(dir string) []string {
		return []string{"-epochs", "3", "-quiet", "-seed", "7", "-plots", "",
			"-out", filepath.Join(dir, "model"), "-checkpoint-dir", filepath.Join(dir, "checkpoints")}
	}

	whole := t.TempDir()
	stdout, stderr, code := runCommand(t, bin, args(whole)...)
	require.Equal(t, 0, code, stderr)
	wantAccuracy := testAccuracyLine.FindString(stdout)
	require.NotEmpty(t, wantAccuracy)

	for _, tt := range []struct {
		name     string
		signal   os.Signal
		wantCode int
		resumeAt string
	}{
		{"SIGKILL", syscall.SIGKILL, -1, `Resuming from checkpoint \S+ckpt-epoch1 at epoch 2, step 0\n`},
		{"SIGINT", syscall.SIGINT, exitInterrupted, `Resuming from checkpoint \S+ckpt-epoch1-step700 at epoch 2, step 700\n`},
		{"SIGTERM", syscall.SIGTERM, exitInterrupted, `Resuming from checkpoint \S+ckpt-epoch1-step700 at epoch 2, step 700\n`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, args(dir)...)
			cmd.Env = append(os.Environ(), pauseAtVar+"=2:700" /* of the epoch's 1,875 steps */)
			stderrPipe, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())

			// Read stderr up to the pause, then signal; keep the rest.
			lines := bufio.NewScanner(stderrPipe)
			var before []string
			paused := false
			for !paused && lines.Scan() {
				before = append(before, lines.Text())
				paused = lines.Text() == "train: paused at epoch 2, step 700 ("+pauseAtVar+")"
			}
			require.True(t, paused, "training never reached the pause: %s", strings.Join(before, "\n"))
			require.NoError(t, cmd.Process.Signal(tt.signal))
			rest, err := io.ReadAll(stderrPipe)
			require.NoError(t, err)
			err = cmd.Wait()
			require.Error(t, err)
			own := tflog.Own(string(rest))
			assert.Equal(t, tt.wantCode, cmd.ProcessState.ExitCode(), "stderr: %s", own)
			if tt.signal != syscall.SIGKILL {
				assert.Regexp(t, `^train: interrupted at epoch 2, step 700; saved the training state to \S+ckpt-epoch1-step700: rerun the same command to resume: context canceled\n$`, own)
			}

			stdout, stderr, code := runCommand(t, bin, args(dir)...)
			require.Equal(t, 0, code, stderr)
			assert.Regexp(t, tt.resumeAt, stdout)
			assert.Equal(t, wantAccuracy, testAccuracyLine.FindString(stdout))
			assert.Equal(t, savedWeights(t, whole), savedWeights(t, dir), "the resumed run ends with the uninterrupted run's weights")
		})
	}
}

// testAccuracyLine finds the test accuracy line a run prints (the accuracy
// in its group): a resumed run prints the uninterrupted run's line.
var testAccuracyLine = regexp.MustCompile(`Test accuracy: (\S+)`)

// savedWeights returns the variables of the SavedModel a run wrote to
// dir/model: a resumed run ends with the uninterrupted run's, bit for bit.
func savedWeights(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "model", "variables", "variables.data-00000-of-00001"))
	require.NoError(t, err)
	return b
}

func TestPauseSettingIsChecked(t *testing.T) {
	bin := buildTrain(t)
	for _, bad := range []string{"2", "0:5", "2:-1", "two:three"} {
		cmd := exec.Command(bin, "-epochs", "1", "-quiet", "-plots", "", "-out", filepath.Join(t.TempDir(), "m"))
		cmd.Env = append(os.Environ(), pauseAtVar+"="+bad)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, bad)
		assert.Contains(t, tflog.Own(string(out)), pauseAtVar+"=\""+bad+"\": want EPOCH:STEP, both from 1", bad)
	}
}
