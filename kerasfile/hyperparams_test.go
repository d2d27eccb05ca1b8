package kerasfile

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadAdamOutOfRange checks that Read refuses optimizer hyperparameters no
// training step survives, naming the field and its value as the file
// spells it, in config.json and in the learning-rate variable that Keras
// trains with after loading.
func TestReadAdamOutOfRange(t *testing.T) {
	model := trainedState(t, adam(mixed(1)), 2)
	good := filepath.Join(t.TempDir(), "good.keras")
	require.NoError(t, Write(good, model))
	config := func(from, to string) string { return rewrite(t, good, editConfig(t, from, to)) }
	lr := func(v string) string {
		return config(`"learning_rate":0.0010000000474974513`, `"learning_rate":`+v)
	}
	weightsWithRate := func(rate float32) string {
		m := model
		c := *m.Compile
		c.Optimizer.LearningRate = rate // writeVars does not validate
		m.Compile = &c
		return rewrite(t, good, replaceMember(weightsMember, h5Of(t, m, nil)))
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
		{"beta_1 above 1", config(`"beta_1":0.9`, `"beta_1":1.5`), adam + "beta_1 1.5 out of range: want 0 <= beta_1 < 1"},
		{"negative beta_1", config(`"beta_1":0.9`, `"beta_1":-0.1`), adam + "beta_1 -0.1 out of range: want 0 <= beta_1 < 1"},
		{"beta_2 of 1", config(`"beta_2":0.999`, `"beta_2":1`), adam + "beta_2 1 out of range: want 0 <= beta_2 < 1"},
		{"beta_2 beyond float64", config(`"beta_2":0.999`, `"beta_2":-1e999`), adam + "beta_2 -1e999 out of range: want 0 <= beta_2 < 1"},
		{"epsilon zero", config(`"epsilon":1e-7`, `"epsilon":0`), adam + "epsilon 0 out of range: want a finite number > 0"},
		{"epsilon infinite", config(`"epsilon":1e-7`, `"epsilon":2e308`), adam + "epsilon 2e308 out of range: want a finite number > 0"},
		{"AdamW beta_1 of 1", rewrite(t, good, both(editConfig(t, `"class_name":"Adam"`, `"class_name":"AdamW"`), editConfig(t, `"beta_1":0.9`, `"beta_1":1`))),
			"config.json: compile_config: AdamW beta_1 1 out of range: want 0 <= beta_1 < 1"},
		{"SGD momentum above 1", rewrite(t, good, both(editConfig(t, `"class_name":"Adam"`, `"class_name":"SGD"`), editConfig(t, `"amsgrad":false`, `"amsgrad":false,"momentum":1.5`))),
			"config.json: compile_config: SGD momentum 1.5 out of range: want 0 <= momentum <= 1"},
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

// TestWriteOptimizerOutOfRange checks that Write refuses what Read
// refuses, so that Go never writes a file it would not read back.
func TestWriteOptimizerOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Optimizer)
		want string
	}{
		{"infinite learning rate", func(o *Optimizer) { o.LearningRate = float32(math.Inf(1)) },
			"compile: Adam LearningRate +Inf out of range: want a finite float32 > 0"},
		{"config learning rate zero", func(o *Optimizer) {
			o.Config = json.RawMessage(strings.Replace(adamConfig, `"learning_rate":0.0010000000474974513`, `"learning_rate":0`, 1))
		}, "compile: Adam learning_rate 0 out of range: want a finite float32 > 0"},
		{"beta_1 of 1", func(o *Optimizer) {
			o.Config = json.RawMessage(strings.Replace(adamConfig, `"beta_1":0.9`, `"beta_1":1`, 1))
		}, "compile: Adam beta_1 1 out of range: want 0 <= beta_1 < 1"},
		{"infinite epsilon", func(o *Optimizer) {
			o.Config = json.RawMessage(strings.Replace(adamConfig, `"epsilon":1e-7`, `"epsilon":1e999`, 1))
		}, "compile: Adam epsilon 1e999 out of range: want a finite number > 0"},
		{"use_ema", func(o *Optimizer) {
			o.Config = json.RawMessage(strings.Replace(adamConfig, `"use_ema":false`, `"use_ema":true`, 1))
		}, "compile: Adam has use_ema on; kerasfile supports it off"},
		{"SGD momentum", func(o *Optimizer) {
			o.ClassName, o.Config = "SGD", json.RawMessage(strings.Replace(sgdConfig, `"momentum":0.9`, `"momentum":-0.5`, 1))
		}, "compile: SGD momentum -0.5 out of range: want 0 <= momentum <= 1"},
		{"config not an object", func(o *Optimizer) { o.Config = json.RawMessage(`[]`) }, `compile: Adam config "[]" is not a JSON object`},
		{"negative iterations", func(o *Optimizer) { o.Iterations = -1 }, "compile: Adam: -1 iterations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := adam(mixed(1))
			tc.set(&m.Compile.Optimizer)
			dir := t.TempDir()
			path := filepath.Join(dir, "model.keras")
			assert.EqualError(t, Write(path, m), "kerasfile: write "+path+": "+tc.want)
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "Write left files behind")
		})
	}
}
