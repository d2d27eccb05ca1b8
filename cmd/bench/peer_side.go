package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/internal/tffunc"
)

// peerRun is one training run of a peer side, as its script writes it
// (scripts/bench_peers_common.py's result): the Keras side's fields, and
// what only the peers have.
type peerRun struct {
	Side string `json:"side"`
	trainResult
	Optimizer   string `json:"optimizer,omitempty"`    // how the script implements Adam
	ThreadsNote string `json:"threads_note,omitempty"` // thread settings beyond intra/inter-op
	// With the first seed of a side that has them: single-image latency,
	// seconds per call, by inference system, the systems taking turns.
	LatencyImage   int                  `json:"latency_image,omitempty"`
	LatencyWarmup  int                  `json:"latency_warmup,omitempty"`
	LatencySeconds map[string][]float64 `json:"latency_seconds,omitempty"`
	// Other runtimes serving the trained weights (ONNX Runtime).
	Runtimes []peerRuntime `json:"runtimes,omitempty"`
}

// peerRuntime is a runtime that served a peer's trained weights.
type peerRuntime struct {
	System         string            `json:"system"`
	TestAccuracy   float64           `json:"test_accuracy"`
	PredictImages  int               `json:"predict_images"`
	PredictSeconds []float64         `json:"predict_seconds"`
	Versions       map[string]string `json:"versions,omitempty"`
	Threads        *threadsInfo      `json:"threads,omitempty"`
}

// readPeerRun reads a peer child's result and checks it is the run asked
// for: a script that wrote something else must not pass for it.
func readPeerRun(path string, side peerSide, seed int64, epochs int) (peerRun, error) {
	var p peerRun
	if err := readJSON(path, &p); err != nil {
		return p, err
	}
	switch {
	case p.Side != side.Name:
		return p, fmt.Errorf("%s: side %q, want %q", path, p.Side, side.Name)
	case p.Seed != seed:
		return p, fmt.Errorf("%s: seed %d, want %d", path, p.Seed, seed)
	case len(p.EpochSeconds) != epochs:
		return p, fmt.Errorf("%s: %d epoch times, want %d", path, len(p.EpochSeconds), epochs)
	case p.TrainExamples == 0 || p.BatchSize == 0:
		return p, fmt.Errorf("%s: no train_examples or batch_size", path)
	}
	return p, nil
}

// findPeers finds .venv.peers's Python and the peers' scripts, when -peers
// selected some.
func (r *runner) findPeers() error {
	c := r.cfg
	if len(c.Peers) == 0 {
		return nil
	}
	root, err := pyenv.Root()
	if err != nil {
		return err
	}
	r.peersScripts = filepath.Join(root, "scripts")
	for _, p := range c.selectedPeers() {
		if _, err := os.Stat(filepath.Join(r.peersScripts, p.Script)); err != nil {
			return fmt.Errorf("-peers %s: its script: %w", p.Name, err)
		}
	}
	if !c.needsPeersVenv() {
		return nil
	}
	venv := c.peersVenv
	if venv == "" {
		venv = filepath.Join(root, ".venv.peers")
	}
	r.peersPython, err = peersPython(venv)
	return err
}

// measureOtherSides runs, after a seed's Go and Keras runs, the same seed's
// Go XLA run and (withPeers) the peers', in peerSides order; the first
// seed's children of the sides with latency also time single images.
func measureOtherSides(ctx context.Context, cfg config, runner *runner, seed int64, first bool, r *report, withPeers bool, logf func(string, ...any)) error {
	if cfg.GoXLA {
		logf("Go XLA training, seed %d (%s, one session run per epoch)", seed, plural(cfg.Epochs, "epoch"))
		g, err := runner.goTrainXLA(ctx, seed)
		if err != nil {
			return err
		}
		r.GoXLA = append(r.GoXLA, g)
		logf("  Go XLA: %s", g.summary())
	}
	if !withPeers {
		return nil
	}
	timed := map[string]bool{}
	for _, side := range cfg.selectedPeers() {
		latency := first && side.Latency && !timed[side.Inference]
		timed[side.Inference] = timed[side.Inference] || latency
		logf("peer %s training, seed %d (%s)", side.Name, seed, plural(cfg.Epochs, "epoch"))
		p, err := runner.peerTrain(ctx, side, seed, latency)
		if err != nil {
			return err
		}
		r.Peers = append(r.Peers, p)
		logf("  %s: %s", side.Name, p.summary())
	}
	return nil
}

func (r *runner) goTrainXLA(ctx context.Context, seed int64) (trainResult, error) {
	out := filepath.Join(r.work, fmt.Sprintf("go-xla-train-seed%d.json", seed))
	name := fmt.Sprintf("Go XLA training child (seed %d)", seed)
	cmd := r.goChild(ctx, "go-train", out, "-first-seed", strconv.FormatInt(seed, 10), "-child-xla")
	return runTrainingChild(ctx, r, name, cmd, out, readResult[trainResult])
}

// peerTrain runs one training run of a peer side.
func (r *runner) peerTrain(ctx context.Context, side peerSide, seed int64, latency bool) (peerRun, error) {
	c := r.cfg
	out := filepath.Join(r.work, fmt.Sprintf("peer-%s-seed%d.json", side.Name, seed))
	os.Remove(out) // a result left by an earlier run in the same -workdir must not be read as this one's
	python := r.peersPython
	if side.MainVenv {
		python = r.python
	}
	args := []string{filepath.Join(r.peersScripts, side.Script), side.Mode,
		"--data", c.Data, "--json", out, "--seed", strconv.FormatInt(seed, 10),
		"--epochs", strconv.Itoa(c.Epochs), "--batch-size", strconv.Itoa(c.BatchSize),
		"--predict-repeats", strconv.Itoa(c.PredictRepeats),
		"--intra", strconv.Itoa(c.IntraOp), "--inter", strconv.Itoa(c.InterOp), "--side", side.Name}
	if latency {
		args = append(args, "--latency-n", strconv.Itoa(c.LatencyN), "--latency-warmup", strconv.Itoa(c.LatencyWarmup),
			"--image", strconv.Itoa(latencyImage))
	}
	if side.Name == "torch-eager" && c.peerSelected(onnxPeer) {
		args = append(args, "--onnx")
	}
	name := fmt.Sprintf("peer %s training child (seed %d)", side.Name, seed)
	read := func(path string) (peerRun, error) { return readPeerRun(path, side, seed, c.Epochs) }
	cmd := exec.CommandContext(ctx, python, args...)
	if side.GoXLAOptions {
		cmd.Env = append(os.Environ(), tffunc.XLAFlagsEnv+"="+tffunc.WithYNNDotsOff(os.Getenv(tffunc.XLAFlagsEnv)))
	}
	return runTrainingChild(ctx, r, name, cmd, out, read)
}

func (c config) peerSelected(name string) bool { return slices.Contains(c.Peers, name) }
