package savedmodel

import (
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// Internals the external tests drive directly.
var (
	ReadLimited = readLimited
	CheckOps    = checkOps
)

// InterOpThreads is the inter_op_parallelism_threads of the session Load
// makes with opts: 0 (TensorFlow's default) when it sets none.
func InterOpThreads(opts LoadOptions) (int32, error) {
	so, err := sessionOptions(opts)
	if err != nil || so == nil {
		return 0, err
	}
	var config corepb.ConfigProto
	if err := proto.Unmarshal(so.Config, &config); err != nil {
		return 0, err
	}
	return config.GetInterOpParallelismThreads(), nil
}

// RegisteredOps is the set of op types libtensorflow knows.
func RegisteredOps() map[string]bool {
	all, err := allOps()
	if err != nil {
		panic(err)
	}
	ops := map[string]bool{}
	for _, def := range all.GetOp() {
		ops[def.GetName()] = true
	}
	return ops
}
