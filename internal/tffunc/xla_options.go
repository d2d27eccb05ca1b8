package tffunc

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// XLAFlagsEnv is where XLA reads its options: once per process, when it
// first compiles. Nothing in TensorFlow's C API reaches XLA's options
// otherwise (no session, graph or function option does), so the options
// this package prefers go there, before the first compile.
const XLAFlagsEnv = "XLA_FLAGS"

// ynnOption is XLA's CPU option naming the operations it hands to the
// YNNPACK library; in TensorFlow 2.21 they are single matrix products and
// convolutions, and reductions.
const ynnOption = "xla_cpu_experimental_ynn_fusion_type"

// YNNDotsOff takes the matrix products from that list, so that XLA runs
// them with Eigen's contraction as it does every other dot. Measured on an
// Intel Xeon (AVX-512) with the tutorial's model: YNNPACK takes 80 µs for
// the first layer's 32×784 by 784×128 product, Eigen 47; an XLA-compiled
// training epoch goes from 0.41-0.44 s to 0.34-0.38 s. The results change
// in the last bits only (another order of the same sums). Not yet measured
// on an AMD CPU; XLA's own default list comes back with
// XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=individual_dot,individual_convolution,reduce.
const YNNDotsOff = "--" + ynnOption + "=-individual_dot"

// WithYNNDotsOff is the XLA_FLAGS value flags with YNNDotsOff added,
// unless flags already set the YNNPACK option: a user's choice stands.
func WithYNNDotsOff(flags string) string {
	for _, f := range strings.Fields(flags) {
		if name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "="); name == ynnOption {
			return flags
		}
	}
	if strings.TrimSpace(flags) == "" {
		return YNNDotsOff
	}
	return flags + " " + YNNDotsOff
}

var xlaOptions struct {
	once sync.Once
	err  error
}

// PreferXLAOptions adds YNNDotsOff to XLA_FLAGS, once per process.
// AddCompiled calls it, so it is in place before XLA's first compile; if
// something in the process made XLA compile before that, XLA has read its
// options already and keeps its defaults.
func PreferXLAOptions() error {
	xlaOptions.once.Do(func() {
		flags := os.Getenv(XLAFlagsEnv)
		if want := WithYNNDotsOff(flags); want != flags {
			if err := os.Setenv(XLAFlagsEnv, want); err != nil {
				xlaOptions.err = fmt.Errorf("tffunc: set %s=%q: %w", XLAFlagsEnv, want, err)
			}
		}
	})
	return xlaOptions.err
}
