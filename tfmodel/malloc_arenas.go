package tfmodel

import (
	"runtime"

	"github.com/gokeras/fashion/internal/rss"
)

// init caps glibc malloc's arenas at one per core, before any session
// starts TensorFlow's threads, unless the environment sets
// MALLOC_ARENA_MAX (see rss.LimitArenas). Measured on an Intel Xeon (two
// cores), the tutorial's CNN trained with oneDNN off (Eigen's kernels,
// the default of AVX2-only CPUs): two epochs on the 60,000 images ended at
// a resident set of 7.8-10.7 GiB with glibc's default of eight arenas per
// core, 0.8 GiB with two, and an epoch took 22.4 s instead of 28-36 s
// (go run ./cmd/bench -model cnn -skip-python -skip-probe -seeds 1
// -epochs 2, TF_ENABLE_ONEDNN_OPTS=0, with MALLOC_ARENA_MAX unset and 2).
// With oneDNN on, whose kernels allocate little per step, and for the MLP,
// the cap changes neither memory nor time.
func init() { rss.LimitArenas(runtime.NumCPU()) }
