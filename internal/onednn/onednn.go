// Package onednn tells whether TensorFlow runs its oneDNN kernels in this
// process, as TensorFlow itself decided it.
//
// TensorFlow 2.21 turns oneDNN on by default on CPUs with AVX-512 VNNI or
// BF16 or AMX (Intel Xeons, AMD EPYCs from Zen 4) and leaves it off on
// AVX2-only CPUs; TF_ENABLE_ONEDNN_OPTS=0 or 1 overrides that. The choice
// changes which kernels run (a oneDNN inner product instead of Eigen's
// MatMul), so results can differ in the last bits, and so do speed and
// memory: tests and benchmarks record it. A CPU model is no reliable guide
// (an EPYC with AVX-512 has oneDNN on without saying so on stderr), so this
// asks TensorFlow.
package onednn

// TensorFlow's C API has no call for this; tensorflow::IsMklEnabled(), the
// function its kernels' registration consults, is exported by
// libtensorflow_cc.so.2. It takes nothing and returns a bool, which the
// C++ ABI passes as C passes a _Bool, so C can call it by its mangled name.

// #cgo LDFLAGS: -ltensorflow
// #include <stdbool.h>
// extern bool _ZN10tensorflow12IsMklEnabledEv(void);
// static bool onednn_enabled(void) { return _ZN10tensorflow12IsMklEnabledEv(); }
import "C"

import "os"

// EnvVar is the environment variable that overrides TensorFlow's default.
const EnvVar = "TF_ENABLE_ONEDNN_OPTS"

// Enabled reports whether TensorFlow's oneDNN kernels are on.
func Enabled() bool { return bool(C.onednn_enabled()) }

// Setting describes the setting for a report: "on" or "off", and how it
// came to be, such as "on (machine default)" or "off (TF_ENABLE_ONEDNN_OPTS=0)".
func Setting() string {
	state := "off"
	if Enabled() {
		state = "on"
	}
	if v, set := os.LookupEnv(EnvVar); set {
		return state + " (" + EnvVar + "=" + v + ")"
	}
	return state + " (machine default)"
}
