package savedmodel

import "sort"

// servingOps are the op types Load lets a serving signature run: pure
// computation on tensors and the model's own variables, the plumbing of
// graphs and functions, and nothing that touches files, the network, other
// processes or Python, or that stops the process (Abort) or fails requests
// at the model author's choice (Assert, CheckNumerics). They cover this
// project's models and Keras 3's model.export of the layers an image
// classifier is built from (Dense, Conv, pooling, normalization,
// activations, reshaping, resizing). PrintV2 is allowed separately, by
// where it prints (see printStreams).
var servingOps = []string{
	// Graph inputs, constants, identities.
	"Placeholder", "PlaceholderWithDefault", "Const", "Identity", "IdentityN", "NoOp",
	"StopGradient", "PreventGradient", "Snapshot", "EnsureShape", "Print",
	// Variables, read only.
	"VarHandleOp", "ReadVariableOp", "VarIsInitializedOp", "VariableV2",
	// Function calls and control flow; Load checks the functions they call.
	"StatefulPartitionedCall", "PartitionedCall",
	"If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase",
	"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond",
	// Element-wise arithmetic and comparisons.
	"Abs", "Add", "AddN", "AddV2", "Sub", "Mul", "MulNoNan", "Div", "DivNoNan", "RealDiv",
	"FloorDiv", "FloorMod", "TruncateDiv", "Mod", "Neg", "Reciprocal", "Inv", "Sign",
	"Square", "SquaredDifference", "Sqrt", "Rsqrt", "Pow", "Exp", "Expm1", "Log", "Log1p",
	"Floor", "Ceil", "Round", "Rint", "Maximum", "Minimum", "ClipByValue",
	"Sin", "Cos", "Tan", "Atan", "Atan2", "Erf", "Erfc",
	"Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
	"LogicalAnd", "LogicalOr", "LogicalNot", "IsNan", "IsInf", "IsFinite",
	"Select", "SelectV2", "Cast", "Bitcast",
	// Activations and the layers of image classifiers.
	"Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Softplus", "Softsign", "Sigmoid", "Tanh",
	"Softmax", "LogSoftmax", "BiasAdd", "BiasAddV1", "MatMul", "BatchMatMul", "BatchMatMulV2",
	"BatchMatMulV3", "Einsum", "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput",
	"MaxPool", "MaxPoolV2", "MaxPool3D", "AvgPool", "AvgPool3D", "LRN",
	"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3",
	"ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "ScaleAndTranslate",
	// Reductions and indices.
	"Sum", "Mean", "Prod", "Max", "Min", "All", "Any", "ArgMax", "ArgMin", "Cumsum", "Cumprod",
	"TopKV2", "OneHot",
	// Shapes and layout.
	"Shape", "ShapeN", "Size", "Rank", "Reshape", "ExpandDims", "Squeeze", "Transpose",
	"ConcatV2", "Concat", "Pack", "Unpack", "Split", "SplitV", "Slice", "StridedSlice",
	"GatherV2", "Gather", "GatherNd", "Tile", "Pad", "PadV2", "MirrorPad", "Fill", "ZerosLike",
	"OnesLike", "Range", "BroadcastTo", "BroadcastArgs", "BroadcastGradientArgs", "ReverseV2",
	"Where",
	// String formatting, pure (tf.print builds StringFormat for PrintV2).
	"StringFormat", "StringJoin", "AsString", "StaticRegexFullMatch", "ShardedFilename",
}

// loaderOps are allowed, beyond servingOps, in what TensorFlow's loader runs
// itself while loading: the SaverDef's restore op, which reads the
// checkpoint in variables/ (RestoreV2) into the variables, and the init op.
// Saving ops (SaveV2, MergeV2Checkpoints) are allowed nowhere: the loader
// never runs the save path, and Load does not check what it does not run.
var loaderOps = []string{"RestoreV2", "AssignVariableOp", "Assign"}

// printStreams are where a PrintV2 op may print: the process's own output
// and log, not a file (tf.print's output_stream="file://...").
var printStreams = map[string]bool{
	"stderr": true, "stdout": true, "log(info)": true, "log(warning)": true, "log(error)": true,
}

// AllowedOps returns, sorted, the op types Load accepts in what a serving
// signature reaches (and, in what the loader itself runs, also loaderOps),
// besides PrintV2 printing to stderr, stdout or the log.
func AllowedOps() []string {
	ops := append([]string(nil), servingOps...)
	sort.Strings(ops)
	return ops
}

func opSet(lists ...[]string) map[string]bool {
	set := map[string]bool{}
	for _, l := range lists {
		for _, op := range l {
			set[op] = true
		}
	}
	return set
}
