package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// The Keras side: scripts/bench_keras.py run by the .venv's Python, which
// writes its raw results as JSON (see the script's docstring).

// pyArgs are the arguments every mode of the script takes.
func (r *runner) pyArgs(mode, out string) []string {
	os.Remove(out) // a result left by an earlier run in the same -workdir must not be read as this one's
	c := r.cfg
	return []string{r.script, mode, "--model", c.Model, "--data", c.Data, "--json", out,
		"--intra", strconv.Itoa(c.IntraOp), "--inter", strconv.Itoa(c.InterOp)}
}

func (r *runner) pyTrain(ctx context.Context, seed int64, save bool, m modelPaths) (trainResult, error) {
	c := r.cfg
	out := filepath.Join(r.work, fmt.Sprintf("python-train-seed%d.json", seed))
	args := append(r.pyArgs("train", out),
		"--seed", strconv.FormatInt(seed, 10), "--epochs", strconv.Itoa(c.Epochs),
		"--batch-size", strconv.Itoa(c.BatchSize), "--predict-repeats", strconv.Itoa(c.PredictRepeats),
		"--jit-compile", c.KerasJIT)
	if save {
		args = append(args, "--save-keras", m.Keras, "--export", m.KerasExport)
	}
	name := fmt.Sprintf("Python Keras training child (seed %d)", seed)
	return runTrainingChild(ctx, r, name, exec.CommandContext(ctx, r.python, args...), out, readResult[trainResult])
}

func (r *runner) pyLatency(ctx context.Context, m modelPaths) (*pyLatency, error) {
	c := r.cfg
	out := filepath.Join(r.work, "python-latency.json")
	args := append(r.pyArgs("latency", out),
		"--keras-model", m.Keras, "--go-savedmodel", m.Go, "--keras-export", m.KerasExport,
		"--image", strconv.Itoa(latencyImage), "--n", strconv.Itoa(c.LatencyN), "--warmup", strconv.Itoa(c.LatencyWarmup))
	const name = "Python latency child"
	if _, err := r.run(ctx, name, exec.CommandContext(ctx, r.python, args...)); err != nil {
		return nil, err
	}
	res := new(pyLatency)
	if err := readJSON(out, res); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}
