package savedmodel_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	variablepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/variable_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/gokeras/fashion/savedmodel"
)

// TestWriteThenLoad is the Go round trip: the reloaded model predicts
// exactly, bit for bit, what the in-memory model predicted.
func TestWriteThenLoad(t *testing.T) {
	ts := loadTestSet(t, 0)
	tr := newTrained(t, fashion, 1)
	want := tr.predict(t, ts.images, ts.n)

	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, tr, dir, true)

	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()
	got, err := predictImages(m, ts.images, ts.n)
	require.NoError(t, err)
	require.Len(t, got, ts.n*classes)
	assertSameFloats(t, want, got, "the reloaded model must predict bit-exactly what the in-memory one did")

	// Batches of another size give the same answers (to float rounding).
	part, err := predictImages(m, ts.images[:7*pixels], 7)
	require.NoError(t, err)
	assert.InDeltaSlice(t, toF64(want[:7*classes]), toF64(part), 1e-6)

	require.NoError(t, m.Close())
	_, err = predictImages(m, ts.images[:pixels], 1)
	assert.ErrorIs(t, err, savedmodel.ErrClosed)
}

// TestWriteUint8Signature loads the second signature, which scales raw
// pixels in the graph, through the C API directly.
func TestWriteUint8Signature(t *testing.T) {
	ts := loadTestSet(t, 500)
	tr := newTrained(t, fashion, 2)
	want := tr.predict(t, ts.images, ts.n)
	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, tr, dir, true)

	saved, err := tf.LoadSavedModel(dir, []string{savedmodel.ServeTag}, nil)
	require.NoError(t, err)
	defer saved.Session.Close()
	sig, ok := saved.Signatures["serving_uint8"]
	require.True(t, ok)
	in, out := sig.Inputs["pixels"], sig.Outputs["probabilities"]
	assert.Equal(t, tf.Uint8, in.DType)
	assert.Equal(t, "[?, 28, 28]", in.Shape.String())
	assert.Equal(t, "[?, 10]", out.Shape.String())

	px, err := tf.NewTensor(ts.raw)
	require.NoError(t, err)
	require.NoError(t, px.Reshape([]int64{int64(ts.n), 28, 28}))
	res, err := saved.Session.Run(
		map[tf.Output]*tf.Tensor{saved.Graph.Operation("pixels").Output(0): px},
		[]tf.Output{saved.Graph.Operation(strings.TrimSuffix(out.Name, ":0")).Output(0)}, nil)
	require.NoError(t, err)
	var got []float32
	for _, row := range res[0].Value().([][]float32) {
		got = append(got, row...)
	}
	assertSameFloats(t, want, got, "scaling in the graph must match scaling in Go exactly")
}

// TestWriteLayout checks the files and the MetaGraphDef against what
// TensorFlow's loaders need.
func TestWriteLayout(t *testing.T) {
	tr := newTrained(t, fashion, 3)
	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, tr, dir, false)

	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	}))
	sort.Strings(files)
	assert.Equal(t, []string{"saved_model.pb", "variables/variables.data-00000-of-00001", "variables/variables.index"}, files,
		"one SaveV2 writes the prefix's files directly, no temporary or sharded names")
	data, err := os.Stat(filepath.Join(dir, "variables", "variables.data-00000-of-00001"))
	require.NoError(t, err)
	assert.EqualValues(t, 4*(784*128+128+128*10+10), data.Size(), "the data file holds the four float32 weights")

	raw, err := os.ReadFile(filepath.Join(dir, "saved_model.pb"))
	require.NoError(t, err)
	var sm corepb.SavedModel
	require.NoError(t, proto.Unmarshal(raw, &sm))
	assert.EqualValues(t, 1, sm.GetSavedModelSchemaVersion())
	require.Len(t, sm.GetMetaGraphs(), 1)
	mg := sm.GetMetaGraphs()[0]
	assert.Equal(t, []string{"serve"}, mg.GetMetaInfoDef().GetTags())
	assert.Equal(t, tf.Version(), mg.GetMetaInfoDef().GetTensorflowVersion())

	nodes := map[string]string{} // name -> op type
	for _, n := range mg.GetGraphDef().GetNode() {
		nodes[n.GetName()] = n.GetOp()
	}
	var opList []string
	for _, o := range mg.GetMetaInfoDef().GetStrippedOpList().GetOp() {
		opList = append(opList, o.GetName())
	}
	for _, typ := range nodes {
		assert.Contains(t, opList, typ, "stripped_op_list lacks an op the graph uses")
	}
	tensorOp := func(name string) string {
		return nodes[strings.TrimSuffix(name, ":0")]
	}

	sd := mg.GetSaverDef()
	assert.Equal(t, "save/Const:0", sd.GetFilenameTensorName())
	assert.Equal(t, "PlaceholderWithDefault", tensorOp(sd.GetFilenameTensorName()))
	assert.Equal(t, "save/control_dependency:0", sd.GetSaveTensorName())
	assert.Equal(t, "Identity", tensorOp(sd.GetSaveTensorName()))
	assert.Equal(t, "save/restore_all", sd.GetRestoreOpName())
	assert.Equal(t, "NoOp", nodes[sd.GetRestoreOpName()])
	assert.Equal(t, "SaveV2", nodes["save/SaveV2"])
	assert.Equal(t, "RestoreV2", nodes["save/RestoreV2"])
	assert.Equal(t, corepb.SaverDef_V2, sd.GetVersion())
	assert.False(t, sd.GetSharded())

	for _, key := range []string{"variables", "trainable_variables"} {
		coll := mg.GetCollectionDef()[key].GetBytesList().GetValue()
		require.Len(t, coll, 4, key)
		var names []string
		for _, b := range coll {
			var vd variablepb.VariableDef
			require.NoError(t, proto.Unmarshal(b, &vd))
			names = append(names, vd.GetVariableName())
			assert.True(t, vd.GetIsResource())
			assert.True(t, vd.GetTrainable())
			assert.Equal(t, "VarHandleOp", tensorOp(vd.GetVariableName()))
			assert.Equal(t, "AssignVariableOp", nodes[vd.GetInitializerName()])
			assert.Equal(t, "ReadVariableOp", tensorOp(vd.GetSnapshotName()))
			assert.Equal(t, "Fill", tensorOp(vd.GetInitialValueName()))
			base := strings.TrimSuffix(vd.GetVariableName(), ":0")
			assert.Equal(t, base+"/Assign", vd.GetInitializerName())
			assert.Equal(t, base+"/Read/ReadVariableOp:0", vd.GetSnapshotName())
		}
		assert.Equal(t, []string{"dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"}, names)
	}

	require.Len(t, mg.GetSignatureDef(), 1)
	sig := mg.GetSignatureDef()["serving_default"]
	require.NotNil(t, sig)
	assert.Equal(t, "tensorflow/serving/predict", sig.GetMethodName())
	in, out := sig.GetInputs()["images"], sig.GetOutputs()["probabilities"]
	require.NotNil(t, in)
	require.NotNil(t, out)
	assert.Equal(t, "images:0", in.GetName())
	assert.Equal(t, "DT_FLOAT", in.GetDtype().String())
	assert.Equal(t, []int64{-1, 28, 28}, dims(in))
	assert.Equal(t, "Softmax", tensorOp(out.GetName()))
	assert.Equal(t, "DT_FLOAT", out.GetDtype().String())
	assert.Equal(t, []int64{-1, 10}, dims(out))
}

func dims(ti *corepb.TensorInfo) []int64 {
	var d []int64
	for _, x := range ti.GetTensorShape().GetDim() {
		d = append(d, x.GetSize())
	}
	return d
}

func toF64(a []float32) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = float64(v)
	}
	return out
}

// dirSnapshot maps every file under dir to its contents.
func dirSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		snap[strings.TrimPrefix(p, dir)] = string(b)
		return err
	}))
	return snap
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteIsAtomic: a failed Write leaves the old model as it was and no
// temporary directory; a successful one replaces it.
func TestWriteIsAtomic(t *testing.T) {
	ts := loadTestSet(t, 100)
	oldModel := newTrained(t, fashion, 10)
	newModel := newTrained(t, fashion, 11)

	tests := []struct {
		name           string
		writeVariables func(tr *trained) func(string) error
		wantErr        string
	}{
		{
			name: "WriteVariables fails",
			writeVariables: func(*trained) func(string) error {
				return func(string) error { return errors.New("disk on fire") }
			},
			wantErr: "disk on fire",
		},
		{
			name: "WriteVariables fails after writing part",
			writeVariables: func(tr *trained) func(string) error {
				return func(prefix string) error {
					if err := tr.saver.Save(tr.sess, prefix); err != nil {
						return err
					}
					return errors.New("interrupted")
				}
			},
			wantErr: "interrupted",
		},
		{
			name: "WriteVariables writes nothing",
			writeVariables: func(*trained) func(string) error {
				return func(string) error { return nil }
			},
			wantErr: "WriteVariables wrote no variables/variables.index",
		},
		{
			name: "WriteVariables saves to the wrong place",
			writeVariables: func(tr *trained) func(string) error {
				return func(prefix string) error { return tr.saver.Save(tr.sess, prefix+"-oops") }
			},
			wantErr: "WriteVariables wrote no variables/variables.index",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "model")
			writeModel(t, oldModel, dir, false)
			before := dirSnapshot(t, dir)

			e := exportOf(t, newModel, false)
			e.WriteVariables = tc.writeVariables(newModel)
			err := savedmodel.Write(dir, e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Contains(t, err.Error(), dir, "the error names the target")

			assert.Equal(t, before, dirSnapshot(t, dir), "the old model must be untouched")
			assert.Equal(t, []string{"model"}, entries(t, parent), "no temporary directory may remain")
		})
	}

	t.Run("success replaces the old model", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "model")
		writeModel(t, oldModel, dir, false)
		writeModel(t, newModel, dir, false)
		assert.Equal(t, []string{"model"}, entries(t, parent), "the old copy must be removed")

		m, err := savedmodel.Load(dir)
		require.NoError(t, err)
		defer m.Close()
		got, err := predictImages(m, ts.images, ts.n)
		require.NoError(t, err)
		assertSameFloats(t, newModel.predict(t, ts.images, ts.n), got, "the new model must be loaded")
	})

	t.Run("new directory in place of an empty one", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "model")
		require.NoError(t, os.Mkdir(dir, 0o755))
		writeModel(t, newModel, dir, false)
		assert.FileExists(t, filepath.Join(dir, "saved_model.pb"))
	})
}

// TestWriteRefuses: Write does not destroy what is not a model and rejects
// unusable exports before touching the disk.
func TestWriteRefuses(t *testing.T) {
	tr := newTrained(t, fashion, 4)

	t.Run("directory with other data", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "photos")
		require.NoError(t, os.Mkdir(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "holiday.jpg"), []byte("precious"), 0o644))
		err := savedmodel.Write(dir, exportOf(t, tr, false))
		require.ErrorContains(t, err, "holds something other than a SavedModel")
		assert.Equal(t, []string{"holiday.jpg"}, entries(t, dir))
		assert.Equal(t, []string{"photos"}, entries(t, filepath.Dir(dir)))
	})
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "model")
		require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
		require.ErrorContains(t, savedmodel.Write(path, exportOf(t, tr, false)), "not a directory")
	})
	t.Run("missing parent", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "no", "such", "model")
		require.Error(t, savedmodel.Write(dir, exportOf(t, tr, false)))
	})

	tests := []struct {
		name   string
		modify func(*savedmodel.Export)
		want   string
	}{
		{"no graph", func(e *savedmodel.Export) { e.Graph = nil }, "no graph"},
		{"no variables", func(e *savedmodel.Export) { e.Variables = nil }, "no variables"},
		{"no signatures", func(e *savedmodel.Export) { e.Signatures = nil }, "no signatures"},
		{"no WriteVariables", func(e *savedmodel.Export) { e.WriteVariables = nil }, "no WriteVariables"},
		{"duplicate variable", func(e *savedmodel.Export) { e.Variables = append(e.Variables, e.Variables[0]) }, `"dense/kernel" listed twice`},
		{"wrong dtype", func(e *savedmodel.Export) { e.Variables[1].DType = tf.Double }, `variable "dense/bias": dtype`},
		{"wrong shape", func(e *savedmodel.Export) { e.Variables[1].Shape = tf.MakeShape(5) }, `variable "dense/bias": shape [5] given, but the graph's VarHandleOp has [128]`},
		{"handle of another graph", func(e *savedmodel.Export) {
			other := tf.NewGraph()
			v, err := savedmodel.NewVariable(other, "elsewhere", tf.Float, tf.MakeShape(1))
			require.NoError(t, err)
			e.Variables[0] = v
		}, "not in the export graph"},
		{"signature tensor of another graph", func(e *savedmodel.Export) {
			other := tf.NewGraph()
			v, err := savedmodel.NewVariable(other, "elsewhere", tf.Float, tf.MakeShape(1))
			require.NoError(t, err)
			e.Signatures[0].Outputs["probabilities"] = v.Handle
		}, "not a tensor of the export graph"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			e := exportOf(t, tr, false)
			tc.modify(&e)
			err := savedmodel.Write(filepath.Join(parent, "model"), e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, entries(t, parent), "nothing may be written")
		})
	}
}

// TestSaverRestores: a checkpoint written with Saver.Save restores into a
// fresh session of another graph of the same model.
func TestSaverRestores(t *testing.T) {
	ts := loadTestSet(t, 50)
	src := newTrained(t, fashion, 5)
	dst := newTrained(t, fashion, 6)
	require.NotEqual(t, src.predict(t, ts.images[:pixels], 1), dst.predict(t, ts.images[:pixels], 1))

	prefix := filepath.Join(t.TempDir(), "ckpt")
	require.NoError(t, src.saver.Save(src.sess, prefix))
	require.NoError(t, dst.saver.Restore(dst.sess, prefix))
	assertSameFloats(t, src.predict(t, ts.images, ts.n), dst.predict(t, ts.images, ts.n), "restored weights")

	err := dst.saver.Restore(dst.sess, filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "restore checkpoint")
}

// TestWriteAvoidsNameClashes: the caller's graph may already use the names
// Write would give its ops.
func TestWriteAvoidsNameClashes(t *testing.T) {
	ts := loadTestSet(t, 20)
	tr := newTrained(t, fashion, 13)
	e := exportOf(t, tr, false)
	for _, name := range []string{"save/Const", "dense/kernel/Assign", "dense/kernel/Read/ReadVariableOp"} {
		c, err := tf.NewTensor(float32(1))
		require.NoError(t, err)
		_, err = e.Graph.AddOperation(tf.OpSpec{Type: "Const", Name: name, Attrs: map[string]any{"dtype": tf.Float, "value": c}})
		require.NoError(t, err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	require.NoError(t, savedmodel.Write(dir, e))

	raw, err := os.ReadFile(filepath.Join(dir, "saved_model.pb"))
	require.NoError(t, err)
	var sm corepb.SavedModel
	require.NoError(t, proto.Unmarshal(raw, &sm))
	mg := sm.GetMetaGraphs()[0]
	assert.Equal(t, "save_1/Const:0", mg.GetSaverDef().GetFilenameTensorName())
	var vd variablepb.VariableDef
	require.NoError(t, proto.Unmarshal(mg.GetCollectionDef()["variables"].GetBytesList().GetValue()[0], &vd))
	assert.Equal(t, "dense/kernel/Assign_1", vd.GetInitializerName())
	assert.Equal(t, "dense/kernel/Read/ReadVariableOp_1:0", vd.GetSnapshotName())

	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()
	got, err := predictImages(m, ts.images, ts.n)
	require.NoError(t, err)
	assertSameFloats(t, tr.predict(t, ts.images, ts.n), got, "reloaded model")
}
