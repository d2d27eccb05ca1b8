package tensorboard

import (
	"testing"

	"github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// TestWriterLeavesThePoolsAlone: the writer's session sets no intra-op
// count (TensorFlow sizes its one intra-op pool per process from the
// first session opened: a writer opened before a model would size the
// model's) and runs its ops in the caller's thread, needing no inter-op
// pool.
func TestWriterLeavesThePoolsAlone(t *testing.T) {
	raw, err := sessionConfig()
	require.NoError(t, err)
	var config for_core_protos_go_proto.ConfigProto
	require.NoError(t, proto.Unmarshal(raw, &config))
	assert.Zero(t, config.IntraOpParallelismThreads)
	assert.Equal(t, int32(-1), config.InterOpParallelismThreads)
	assert.False(t, config.UsePerSessionThreads)
}
