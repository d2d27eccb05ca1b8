package tfmodel

import (
	"testing"

	"github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// TestSessionRunsInTheCallersThread: InterOp 0 is TensorFlow's negative
// inter-op count (a run's operations in the caller's thread); a count
// given is a pool of that many, the session's own (TensorFlow's shared
// pool would keep the size the process's first session gave it).
func TestSessionRunsInTheCallersThread(t *testing.T) {
	for _, c := range []struct {
		threads        Threads
		intra, interOp int32
		own            bool
	}{
		{Threads{}, 0, -1, false},
		{Threads{IntraOp: 2}, 2, -1, false},
		{Threads{IntraOp: 1, InterOp: 3}, 1, 3, true},
	} {
		raw, err := sessionConfig(c.threads)
		require.NoError(t, err)
		var config for_core_protos_go_proto.ConfigProto
		require.NoError(t, proto.Unmarshal(raw, &config))
		assert.Equal(t, c.intra, config.IntraOpParallelismThreads, "%+v", c.threads)
		assert.Equal(t, c.interOp, config.InterOpParallelismThreads, "%+v", c.threads)
		assert.Equal(t, c.own, config.UsePerSessionThreads, "%+v", c.threads)
	}
}
