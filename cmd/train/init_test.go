package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/loader"
)

// TestInitTrainsPythonModels builds five models in Keras 3 (logits with a
// from_logits loss and SGD with momentum; Dropout with RMSprop; a sigmoid
// binary classifier with binary cross-entropy; an MSE regression; a CNN
// with BatchNormalization, pooling and Dropout), trains
// each from Go for one epoch with -init, and has Keras load the .keras file
// Go wrote and evaluate it on the test set: Keras's figures equal Go's, and
// the optimizer's step count is Go's.
func TestInitTrainsPythonModels(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	_, err := pyenv.Run(context.Background(), "testdata/keras_suite.py", "build", dir)
	require.NoError(t, err)
	var suite struct {
		Models []struct {
			Name, File, Targets string
		} `json:"models"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "suite.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &suite))
	require.Len(t, suite.Models, 5)
	d, err := loader.DefaultSearch("").Load(context.Background())
	require.NoError(t, err, "the real Fashion-MNIST is needed")

	testLine := regexp.MustCompile(`(?m)^Test: (.*)$`)
	for _, m := range suite.Models {
		t.Run(m.Name, func(t *testing.T) {
			trained := filepath.Join(dir, m.Name+"-trained.keras")
			stdout, stderr, code := runCommand(t, bin, "-init", filepath.Join(dir, m.File), "-epochs", "1", "-quiet",
				"-data", d.Source.Dir, "-out", filepath.Join(dir, m.Name+"-model"), "-plots", "", "-keras", trained)
			require.Equal(t, 0, code, "stderr: %s\nstdout: %s", stderr, stdout)
			match := testLine.FindStringSubmatch(stdout)
			require.NotNil(t, match, "stdout: %s", stdout)
			goFigures := map[string]float64{}
			for _, part := range strings.Split(match[1], ", ") {
				name, value, ok := strings.Cut(part, " ")
				require.True(t, ok, part)
				v, err := strconv.ParseFloat(value, 64)
				require.NoError(t, err)
				goFigures[name] = v
			}

			out, err := pyenv.Run(context.Background(), "testdata/keras_suite.py", "check", "--data", d.Source.Dir, trained)
			require.NoError(t, err)
			var py struct {
				Evaluate  map[string]float64 `json:"evaluate"`
				Targets   string             `json:"targets"`
				Optimizer struct {
					Iterations int `json:"iterations"`
				} `json:"optimizer"`
			}
			require.NoError(t, json.Unmarshal(out, &py), "python printed %s", out)
			assert.Equal(t, m.Targets, py.Targets)
			assert.Equal(t, 60000/32, py.Optimizer.Iterations, "one epoch: 1,875 steps of 32, counted on from the file's 0")
			require.Len(t, goFigures, len(py.Evaluate), "Go printed %v, Keras %v", goFigures, py.Evaluate)
			for name, want := range py.Evaluate {
				got, ok := goFigures[name]
				require.True(t, ok, "Go printed no %s: %v", name, goFigures)
				// Go prints four decimals; the figures themselves are the
				// same float32 computations.
				assert.LessOrEqual(t, math.Abs(got-want), 0.00005+1e-9, "%s: Go %.4f, Keras %.6f", name, got, want)
			}
			t.Logf("%s: Go %v, Keras %v", m.Name, goFigures, py.Evaluate)
		})
	}
}

// TestInitRefusesUnsupportedParts checks that a .keras file with a part Go
// does not implement is an error naming it before anything trains.
func TestInitRefusesUnsupportedParts(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "silu.keras")
	_, err := pyenv.Run(context.Background(), "-c", `
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras
m = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="swish")])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
m.save(sys.argv[1])
`, file)
	require.NoError(t, err)
	stdout, stderr, code := runCommand(t, bin, "-init", file, "-epochs", "1", "-out", filepath.Join(dir, "model"), "-plots", "")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown activation "silu": want one of [linear relu sigmoid tanh softmax gelu]`) // Keras stores swish as silu
	assert.Contains(t, stderr, file)
	assert.NotContains(t, stdout, "Epoch 1/1")
}

func TestShuffleFlag(t *testing.T) {
	out := filepath.Join(t.TempDir(), "model")
	for args, want := range map[string]bool{"": true, "-shuffle=false": false, "-shuffle": true} {
		argv := []string{"-out", out, "-plots", ""}
		if args != "" {
			argv = append(argv, args)
		}
		cfg, err := parseFlags(argv, io.Discard)
		require.NoError(t, err, args)
		assert.Equal(t, want, cfg.shuffle, "%q", args)
	}
}
