package tfmodel

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/rss"
)

// TestMallocArenasAreCapped: with tfmodel imported, threads allocating at
// once make no arena beyond one per core, or beyond those made before
// tfmodel's init ran (glibc keeps those; without the cap each thread here
// would make one, up to eight per core: TestArenasGrowWithThreads in
// internal/rss), as the threads TensorFlow and Go's scheduler run a step's
// kernels on would.
func TestMallocArenasAreCapped(t *testing.T) {
	if _, set := os.LookupEnv("MALLOC_ARENA_MAX"); set {
		t.Skip("MALLOC_ARENA_MAX is set: glibc applies the environment's cap, not tfmodel's")
	}
	before := rss.Arenas()
	require.Positive(t, before, "malloc_info reports the arenas")
	threads := 8 * runtime.NumCPU()
	rss.AllocateFromThreads(threads, 1<<20)
	assert.LessOrEqual(t, rss.Arenas(), max(before, runtime.NumCPU()), "arenas after %d threads allocated at once, %d before", threads, before)
}
