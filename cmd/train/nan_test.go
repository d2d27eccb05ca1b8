package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrainingIntoNaN: training that diverges (a learning rate of 1e30,
// which -lr refuses, through learningRateVar) stops at the first NaN loss
// with status 1 and writes nothing, checkpoint included; with
// -terminate-on-nan=false it trains on, and then refuses to save the NaN
// model, naming a variable.
func TestTrainingIntoNaN(t *testing.T) {
	bin := buildTrain(t)
	for _, tt := range []struct {
		name  string
		flags []string
		want  string // the own stderr, as a regexp
	}{
		{"stops at the first NaN loss", nil,
			`^train: training stopped: tfmodel: fit: epoch 1, step \d+: callback: the loss is not finite \((NaN|\+Inf)\): training diverged, stopping \(a lower learning rate may help\)\n$`},
		{"trains on, but does not save", []string{"-terminate-on-nan=false"},
			`^train: tfmodel: save \S+/model: the model holds values that are not finite: dense(_1)?/(kernel|bias) holds (NaN|[+-]Inf) at index \d+ \(\d+ of its \d+ values are not finite\); not saving it \(training diverged\?\)\n$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, ckpt, kerasFile := filepath.Join(dir, "model"), filepath.Join(dir, "ckpt"), filepath.Join(dir, "model.keras")
			args := append([]string{"-epochs", "1", "-validation-split", "0.9", "-quiet", "-out", out, "-keras", kerasFile, "-plots", filepath.Join(dir, "plots")}, tt.flags...)
			stdout, stderr, code := runWithEnv(t, bin, []string{learningRateVar + "=1e30"}, args...)
			assert.Equal(t, 1, code, stdout)
			assert.Regexp(t, tt.want, stderr)
			assert.NotContains(t, stdout, "Saved the model")
			assert.NoDirExists(t, out)
			assert.NoFileExists(t, kerasFile)
			entries, _ := os.ReadDir(filepath.Join(dir, "plots"))
			assert.Empty(t, entries, "no plots of a NaN model")

			// With checkpoints: none of the diverged model is written.
			stdout, stderr, code = runWithEnv(t, bin, []string{learningRateVar + "=1e30"}, append(args, "-checkpoint-dir", ckpt)...)
			assert.Equal(t, 1, code, stdout)
			files, err := filepath.Glob(filepath.Join(ckpt, "ckpt-*"))
			require.NoError(t, err)
			assert.Empty(t, files, "stderr: %s", stderr)
		})
	}
}
