package kerasfile

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadAdamOutOfRange checks that Read refuses Adam hyperparameters no
// training step survives, naming the field and its value as the file
// spells it, in config.json and in the learning-rate variable that Keras
// trains with after loading.
func TestReadAdamOutOfRange(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.keras")
	require.NoError(t, Write(good, withState(seeded(Fashion(), 1), 2)))
	editConfig := func(from, to string) string {
		return rewrite(t, good, func(name string, old []byte) []byte {
			if name == configMember {
				require.Contains(t, string(old), from)
				return []byte(strings.Replace(string(old), from, to, 1))
			}
			return old
		})
	}
	lr := func(v string) string {
		return editConfig(`"learning_rate":0.0010000000474974513`, `"learning_rate":`+v)
	}
	weightsWithRate := func(rate float32) string {
		h5 := h5File(t, func(f *h5) error {
			m := withState(seeded(Fashion(), 1), 2)
			m.Optimizer.LearningRate = rate // writeVars does not validate
			return writeVars(f, m)
		})
		return rewrite(t, good, func(name string, old []byte) []byte {
			if name == weightsMember {
				return h5
			}
			return old
		})
	}
	const adam = "config.json: compile_config: Adam "
	for _, tc := range []struct {
		name, path, want string
	}{
		// 1e39 is a finite JSON number, +Inf as the float32 Keras keeps.
		{"learning rate infinite in float32", lr("1e39"), adam + "learning_rate 1e39 out of range: want a finite float32 > 0"},
		{"learning rate beyond float64", lr("1e400"), adam + "learning_rate 1e400 out of range: want a finite float32 > 0"},
		// Python's json writes float("inf") so; Go's JSON has no such token.
		{"learning rate Infinity", lr("Infinity"), "config.json: invalid character 'I' looking for beginning of value"},
		{"learning rate zero", lr("0"), adam + "learning_rate 0 out of range: want a finite float32 > 0"},
		{"learning rate zero in float32", lr("1e-50"), adam + "learning_rate 1e-50 out of range: want a finite float32 > 0"},
		{"negative learning rate", lr("-0.001"), adam + "learning_rate -0.001 out of range: want a finite float32 > 0"},
		{"learning rate a string", lr(`"0.001"`), adam + `learning_rate "0.001" is not a number`},
		{"beta_1 above 1", editConfig(`"beta_1":0.9`, `"beta_1":1.5`), adam + "beta_1 1.5 out of range: want 0 <= beta_1 < 1"},
		{"negative beta_1", editConfig(`"beta_1":0.9`, `"beta_1":-0.1`), adam + "beta_1 -0.1 out of range: want 0 <= beta_1 < 1"},
		{"beta_2 of 1", editConfig(`"beta_2":0.999`, `"beta_2":1`), adam + "beta_2 1 out of range: want 0 <= beta_2 < 1"},
		{"beta_2 beyond float64", editConfig(`"beta_2":0.999`, `"beta_2":-1e999`), adam + "beta_2 -1e999 out of range: want 0 <= beta_2 < 1"},
		{"epsilon zero", editConfig(`"epsilon":1e-7`, `"epsilon":0`), adam + "epsilon 0 out of range: want a finite number > 0"},
		{"epsilon infinite", editConfig(`"epsilon":1e-7`, `"epsilon":2e308`), adam + "epsilon 2e308 out of range: want a finite number > 0"},
		{"learning rate variable infinite", weightsWithRate(float32(math.Inf(1))),
			"model.weights.h5: Adam learning rate (optimizer/vars/1) +Inf out of range: want a finite float32 > 0"},
		{"learning rate variable NaN", weightsWithRate(float32(math.NaN())),
			"model.weights.h5: Adam learning rate (optimizer/vars/1) NaN out of range: want a finite float32 > 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path)
			assert.EqualError(t, err, "kerasfile: read "+tc.path+": "+tc.want)
		})
	}
}

// TestWriteAdamOutOfRange checks that Write refuses what Read refuses, so
// that Go never writes a file it would not read back.
func TestWriteAdamOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Adam)
		want string
	}{
		{"infinite learning rate", func(o *Adam) { o.LearningRate = float32(math.Inf(1)) }, "Adam: learning rate +Inf out of range: want a finite float32 > 0"},
		{"beta_1 of 1", func(o *Adam) { o.Beta1 = 1 }, "Adam: beta_1 1 out of range: want 0 <= beta_1 < 1"},
		{"NaN beta_2", func(o *Adam) { o.Beta2 = math.NaN() }, "Adam: beta_2 NaN out of range: want 0 <= beta_2 < 1"},
		{"infinite epsilon", func(o *Adam) { o.Epsilon = math.Inf(1) }, "Adam: epsilon +Inf out of range: want a finite number > 0"},
		{"negative iterations", func(o *Adam) { o.Iterations = -1 }, "Adam: -1 iterations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := seeded(Fashion(), 1)
			tc.set(m.Optimizer)
			dir := t.TempDir()
			path := filepath.Join(dir, "model.keras")
			assert.EqualError(t, Write(path, m), "kerasfile: write "+path+": "+tc.want)
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "Write left files behind")
		})
	}
}
