package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gokeras/fashion/internal/tffunc"
)

// The peer sides (-peers): the tutorial's MLP trained, in the same run on
// the same machine, by other frameworks, the way each is at its fastest on
// a CPU, for the question of how Go on TensorFlow's C API compares
// with the compiled training loops of JAX and Python TensorFlow, and with
// PyTorch. Each runs as a child like the Keras side, a Python script
// writing its raw timings as JSON (scripts/bench_peers_*.py); JAX, PyTorch
// and ONNX Runtime live in a virtual environment of their own,
// .venv.peers, which scripts/peers-install.sh creates and nothing else
// needs.

// peerSide is one way a peer framework trains the model: one child per
// seed.
type peerSide struct {
	Name   string // the side's name in -peers, the child's JSON and the report
	Group  string // the -peers name that selects this side with its siblings
	Script string // under scripts/
	Mode   string // the script's mode argument
	// MainVenv: the script runs with the main .venv's Python (TensorFlow),
	// not .venv.peers's.
	MainVenv bool
	// Latency: the side's first child (the first seed) also times
	// single-image predictions, under the inference key.
	Latency   bool
	Inference string // the inference table's system its predictions are counted under
	Text      string // how the report names it
	// GoXLAOptions: the child runs with the XLA option Go's compiled
	// loops use (tffunc.YNNDotsOff) added to XLA_FLAGS, so that the
	// report shows what that option alone gives JAX.
	GoXLAOptions bool
}

// peerSides in the order they run within a seed.
var peerSides = []peerSide{
	{Name: "tf-xla", Group: "tf-xla", Script: "bench_peers_tf.py", Mode: "xla-loop", MainVenv: true, Inference: "tf-xla",
		Text: "TF from Python: one `tf.function(jit_compile=True)` running a whole epoch in a `tf.while_loop`"},
	{Name: "jax-scan", Group: "jax", Script: "bench_peers_jax.py", Mode: "scan", Latency: true, Inference: "jax-jit",
		Text: "JAX, whole epoch compiled (`jax.lax.scan`)"},
	{Name: "jax-scan-eigen", Group: "jax", Script: "bench_peers_jax.py", Mode: "scan", GoXLAOptions: true, Inference: "jax-jit-eigen",
		Text: "JAX, whole epoch compiled (`jax.lax.scan`), with Go's XLA option (`" + tffunc.YNNDotsOff + "`)"},
	{Name: "jax-scan-bytes", Group: "jax", Script: "bench_peers_jax.py", Mode: "scan-bytes",
		Text: "JAX, whole epoch compiled (`jax.lax.scan`), its images resident as bytes and divided by 255 in the step, as Go's"},
	{Name: "jax-step", Group: "jax", Script: "bench_peers_jax.py", Mode: "step", Latency: true, Inference: "jax-jit",
		Text: "JAX, jitted step called once per batch"},
	{Name: "torch-eager", Group: "torch", Script: "bench_peers_torch.py", Mode: "eager", Latency: true, Inference: "torch-eager",
		Text: "PyTorch eager"},
	{Name: "torch-compile", Group: "torch", Script: "bench_peers_torch.py", Mode: "compile", Inference: "torch-compile",
		Text: "PyTorch, step in `torch.compile`"},
}

// onnxPeer is ONNX Runtime serving the weights torch-eager trained: no
// training side of its own, so it rides on torch-eager's children.
const onnxPeer = "onnx"

// peerNames are the names -peers accepts, for its help and its errors.
func peerNames() []string {
	names := []string{"all"}
	for _, s := range peerSides {
		if s.Group != s.Name && !slices.Contains(names, s.Group) {
			names = append(names, s.Group)
		}
		names = append(names, s.Name)
	}
	return append(names, onnxPeer)
}

// parsePeers turns -peers into the selected sides' names, in peerSides
// order, with onnxPeer last when selected; "" selects none.
func parsePeers(s string) ([]string, error) {
	want := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			continue
		case name == "all":
			for _, p := range peerSides {
				want[p.Name] = true
			}
			want[onnxPeer] = true
			continue
		case name == onnxPeer:
			want[onnxPeer] = true
			continue
		}
		found := false
		for _, p := range peerSides {
			if name == p.Name || name == p.Group {
				want[p.Name], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("-peers %q: unknown peer %q; want a comma-separated list of %s", s, name, strings.Join(peerNames(), ", "))
		}
	}
	if want[onnxPeer] && !want["torch-eager"] {
		return nil, fmt.Errorf("-peers %q: onnx serves the model torch-eager trains: add torch or torch-eager", s)
	}
	var out []string
	for _, p := range peerSides {
		if want[p.Name] {
			out = append(out, p.Name)
		}
	}
	if want[onnxPeer] {
		out = append(out, onnxPeer)
	}
	return out, nil
}

// lookupPeer is the side named name.
func lookupPeer(name string) (peerSide, bool) {
	for _, p := range peerSides {
		if p.Name == name {
			return p, true
		}
	}
	return peerSide{}, false
}

// selectedPeers are the training sides of c.Peers.
func (c config) selectedPeers() []peerSide {
	var out []peerSide
	for _, name := range c.Peers {
		if p, ok := lookupPeer(name); ok {
			out = append(out, p)
		}
	}
	return out
}

// needsPeersVenv says whether some selected side runs in .venv.peers.
func (c config) needsPeersVenv() bool {
	for _, p := range c.selectedPeers() {
		if !p.MainVenv {
			return true
		}
	}
	return false
}

// needsMainPython says whether a child runs with the main .venv's Python:
// the Keras side, or the Python TensorFlow peer.
func (c config) needsMainPython() bool {
	if !c.SkipPython {
		return true
	}
	for _, p := range c.selectedPeers() {
		if p.MainVenv {
			return true
		}
	}
	return false
}

const peersInstall = "scripts/peers-install.sh"

// peersPython is the Python of the peers' virtual environment at venv, or
// an error that says how to create it.
func peersPython(venv string) (string, error) {
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("-peers: %s not found: run %s to create %s (JAX, PyTorch, ONNX Runtime; a few GB, separate from .venv)", py, peersInstall, venv)
		}
		return "", fmt.Errorf("-peers: %w", err)
	}
	return py, nil
}

// parseGoModes turns -go-modes into whether the Go XLA side runs: "auto"
// runs it with -peers (the peers' table compares it with them) and not
// without; otherwise a list of step and xla. The per-step side always
// runs: every other figure is compared with it.
func parseGoModes(s string, peers bool) (xla bool, err error) {
	if s == "auto" {
		return peers, nil
	}
	step := false
	for _, m := range strings.Split(s, ",") {
		switch strings.TrimSpace(m) {
		case "step":
			step = true
		case "xla":
			xla = true
		default:
			return false, fmt.Errorf("-go-modes %q: want auto, or a comma-separated list of step and xla", s)
		}
	}
	if !step {
		return false, fmt.Errorf("-go-modes %q: step must be one of them: the per-step side is what every other figure is compared with", s)
	}
	return xla, nil
}
