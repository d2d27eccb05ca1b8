package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/gokeras/fashion/internal/onednn"
)

// onednnSetting is the TF_ENABLE_ONEDNN_OPTS a pass of the benchmark runs
// its children with: "" leaves the environment as bench found it.
type onednnSetting struct{ env string }

// onednnPasses turns -onednn into the settings to run, in order. "both"
// runs the setting bench started with (the machine's default unless the
// variable was set) and then the other one; bench itself loaded TensorFlow
// with the first, so it knows which the other is.
func onednnPasses(flag string) ([]onednnSetting, error) {
	switch flag {
	case "default":
		return []onednnSetting{{}}, nil
	case "on":
		return []onednnSetting{{"1"}}, nil
	case "off":
		return []onednnSetting{{"0"}}, nil
	case "both":
		other := "1"
		if onednn.Enabled() {
			other = "0"
		}
		return []onednnSetting{{}, {other}}, nil
	}
	return nil, fmt.Errorf("-onednn %q: want default, on, off or both", flag)
}

// apply sets the environment the children inherit.
func (s onednnSetting) apply() error {
	if s.env == "" {
		return nil
	}
	return os.Setenv(onednn.EnvVar, s.env)
}

func (s onednnSetting) String() string {
	if s.env == "" {
		if v, set := os.LookupEnv(onednn.EnvVar); set {
			return onednn.EnvVar + "=" + v + " as set"
		}
		return "the machine's default"
	}
	return onednn.EnvVar + "=" + s.env
}

// dir names the pass's work directory.
func (s onednnSetting) dir() string {
	if s.env == "" {
		return "onednn-default"
	}
	return "onednn-" + s.env
}

// oneDNNOf is the setting the Go children of a pass reported, such as
// "on (machine default)", or "—" if none did.
func oneDNNOf(r *report) string {
	for _, g := range r.Go {
		if g.OneDNN != "" {
			return g.OneDNN
		}
	}
	return "—"
}

// renderOneDNNComparison is the report's section comparing the two oneDNN
// passes of -onednn both: the headline figures of each side under each.
func renderOneDNNComparison(r *report) string {
	o := r.OtherOneDNN
	if o == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	a, z := oneDNNOf(r), oneDNNOf(o)
	p("### oneDNN on and off\n\n")
	p("The same run twice on this machine: first with TensorFlow's oneDNN kernels %s, as in the Results above; then %s. ", a, z)
	p("Both sides, Go and Keras, run with the same setting in each pass.\n\n")
	p("| metric | Go, oneDNN %s | Go, oneDNN %s | Keras, oneDNN %s | Keras, oneDNN %s |\n", a, z, a, z)
	p("| :-- | --: | --: | --: | --: |\n")
	row := func(metric string, prec int, f func(*report) (goV, pyV float64)) {
		g1, p1 := f(r)
		g2, p2 := f(o)
		p("| %s | %s | %s | %s | %s |\n", metric, fmtF(g1, prec), fmtF(g2, prec), fmtF(p1, prec), fmtF(p2, prec))
	}
	row("seconds per epoch (median of epochs 2–N)", 2, func(x *report) (float64, float64) { return sides(x, steadyEpochSeconds) })
	row("ms per step", 3, func(x *report) (float64, float64) {
		g, py := sides(x, steadyEpochSeconds)
		steps := float64(stepsPerEpoch(x.Go))
		return 1e3 * g / steps, 1e3 * py / steps
	})
	row("test accuracy, % (mean over seeds)", 2, func(x *report) (float64, float64) {
		g, _ := meanStd(accuracies(x.Go))
		py := math.NaN()
		if len(x.Python) > 0 {
			py, _ = meanStd(accuracies(x.Python))
		}
		return g, py
	})
	row("batch prediction, images per second", 0, func(x *report) (float64, float64) { return sides(x, imagesPerSecond) })
	row("evaluation, images per second", 0, func(x *report) (float64, float64) { return sides(x, evaluatedPerSecond) })
	if len(sharedSessionRuns(r)) > 0 || len(sharedSessionRuns(o)) > 0 {
		// A pass that did not time InferenceShared beside the default ran
		// its default there.
		shared := func(x *report, f func([]trainResult) float64) (float64, float64) {
			if runs := sharedSessionRuns(x); len(runs) > 0 {
				return f(runs), math.NaN()
			}
			return f(x.Go), math.NaN()
		}
		row("batch prediction, Go's `InferenceShared` (Keras's bits), images per second", 0, func(x *report) (float64, float64) { return shared(x, imagesPerSecond) })
		row("evaluation, Go's `InferenceShared`, images per second", 0, func(x *report) (float64, float64) { return shared(x, evaluatedPerSecond) })
	}
	if len(r.GoXLA) > 0 && len(o.GoXLA) > 0 {
		// Go XLA runs in both passes; the peers in the first only, and
		// none of them reads TensorFlow's oneDNN setting.
		goOnly := func(f func([]trainResult) float64) func(*report) (float64, float64) {
			return func(x *report) (float64, float64) { return f(x.GoXLA), math.NaN() }
		}
		row("Go XLA: seconds per epoch", 3, goOnly(steadyEpochSeconds))
		if jax := medianOf(trainingSystems(r), "jax-scan"); !math.IsNaN(jax) {
			row("Go XLA / JAX lax.scan's median epoch (JAX from the first pass)", 2, goOnly(func(t []trainResult) float64 { return steadyEpochSeconds(t) / jax }))
		}
		row("Go XLA: test accuracy, % (mean over seeds)", 2, goOnly(func(t []trainResult) float64 {
			m, _ := meanStd(accuracies(t))
			return m
		}))
		row("Go XLA: batch prediction, images per second", 0, goOnly(imagesPerSecond))
		row("Go XLA: evaluation, images per second", 0, goOnly(evaluatedPerSecond))
	}
	row("single-image latency p50, µs (Go savedmodel.Predict; Keras model.predict)", 0, func(x *report) (float64, float64) {
		g, py := math.NaN(), math.NaN()
		if x.GoLatency != nil {
			g = µs(x.GoLatency.SavedModelPredict, 50)
		}
		if x.PyLatency != nil {
			py = µs(x.PyLatency.KerasPredict, 50)
		}
		return g, py
	})
	row("single-image latency p50, µs (Python: signature call of Go's SavedModel)", 0, func(x *report) (float64, float64) {
		g, py := math.NaN(), math.NaN()
		if x.GoLatency != nil {
			g = µs(x.GoLatency.SavedModelPredict, 50)
		}
		if x.PyLatency != nil {
			py = µs(x.PyLatency.GoSavedModelSignature, 50)
		}
		return g, py
	})
	row("peak RSS by the end of training, MiB", 0, func(x *report) (float64, float64) {
		return sides(x, func(t []trainResult) float64 {
			return maxOf(t, func(t trainResult) int64 { return t.PeakRSSKBAfterTraining }) / 1024
		})
	})
	p("\n")
	// The first pass's sentence is under the peers' inference table, when
	// there is one.
	passes := []*report{o}
	if !hasPeersSection(r) {
		passes = []*report{r, o}
	}
	for _, x := range passes {
		if t := sharedSessionText(x); t != "" {
			p("%s\n\n", t)
		}
	}
	return b.String()
}
