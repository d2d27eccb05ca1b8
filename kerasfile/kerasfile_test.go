package kerasfile

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// convnet is a model of other classes than mixed's: Conv2D's 4-D kernel,
// a pooling layer, layers named by the caller.
func convnet(seed uint64) Model {
	r := rand.New(rand.NewPCG(seed, 2))
	head := dense(r, 8, 3, "softmax")
	head.Name = "head"
	return Model{
		Name:       "convnet",
		InputShape: []int{6, 6, 1},
		Layers: []Layer{
			{
				ClassName: "Conv2D", Name: "conv",
				Config: map[string]any{
					"filters": 2.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{1.0, 1.0}, "padding": "valid",
					"data_format": "channels_last", "dilation_rate": []any{1.0, 1.0}, "groups": 1.0, "activation": "relu",
					"use_bias": true, "kernel_initializer": glorot(), "bias_initializer": zerosInit(),
					"kernel_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil,
					"kernel_constraint": nil, "bias_constraint": nil,
				},
				BuildInputShape: []int{6, 6, 1},
				Weights: []Weight{
					{Shape: []int{3, 3, 1, 2}, Values: values(r, 18, false)},
					{Shape: []int{2}, Values: values(r, 2, false)},
				},
			},
			{
				ClassName: "MaxPooling2D",
				Config: map[string]any{"pool_size": []any{2.0, 2.0}, "padding": "valid", "strides": []any{2.0, 2.0},
					"data_format": "channels_last"},
				// Keras writes no build_config for pooling layers.
				Weights: []Weight{},
			},
			flatten(2, 2, 2),
			head,
		},
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	noLoss := adam(mixed(7))
	noLoss.Compile.Loss, noLoss.Compile.Metrics = nil, nil
	// Variables of shape () and (0, 3): a scalar and an empty one.
	odd := mixed(8)
	odd.Layers = append(odd.Layers, Layer{
		ClassName: "Scale", Config: map[string]any{},
		Weights: []Weight{{Shape: []int{}, Values: []float32{2}}, {Shape: []int{0, 3}, Values: []float32{}}},
	})

	xla := adam(mixed(9))
	xla.Compile.StepsPerExecution, xla.Compile.JITCompile = 100, true

	for _, tc := range []struct {
		name  string
		model Model
	}{
		{name: "uncompiled", model: mixed(1)},
		{name: "steps per execution, jit_compile", model: xla},
		{name: "Adam, trained", model: trainedState(t, adam(mixed(2)), 1)},
		// A fresh optimizer is stored as zeros and read back as such.
		{name: "Adam, fresh", model: adam(mixed(3))},
		{name: "AdamW, trained", model: trainedState(t, compiled(mixed(4), "AdamW", adamWConfig, `"mse"`, `["mae"]`), 2)},
		{name: "SGD with momentum, trained", model: trainedState(t, compiled(mixed(5), "SGD", sgdConfig, `"binary_crossentropy"`, `["accuracy","mae"]`), 3)},
		{name: "SGD without momentum", model: trainedState(t, compiled(mixed(5), "SGD", plainSGD, `"binary_crossentropy"`, `["accuracy"]`), 3)},
		{name: "RMSprop centered with momentum, trained", model: trainedState(t, compiled(mixed(6), "RMSprop", rmspropConfig, `"mse"`, `[`+maeMetric+`]`), 4)},
		{name: "loss and metrics objects", model: compiled(mixed(6), "Adam", adamConfig, sccLogits, `["accuracy",`+maeMetric+`]`)},
		{name: "no loss, no metrics", model: noLoss},
		{name: "other classes, named layers", model: trainedState(t, adam(convnet(1)), 5)},
		{name: "scalar and empty variables", model: trainedState(t, adam(odd), 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.keras")
			require.NoError(t, Write(path, tc.model))
			got, err := Read(path)
			require.NoError(t, err)
			want := named(tc.model)
			if want.Compile != nil && want.Compile.Optimizer.Slots == nil {
				want = withZeroSlots(t, want)
			}
			assert.Equal(t, want, got)
		})
	}
}

// keysInOrder returns the keys of the JSON object raw in their order.
func keysInOrder(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var fields []string
	d := json.NewDecoder(bytes.NewReader(raw))
	tok, err := d.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	for d.More() {
		k, err := d.Token()
		require.NoError(t, err)
		fields = append(fields, k.(string))
		var skip json.RawMessage
		require.NoError(t, d.Decode(&skip))
	}
	return fields
}

// TestWriteLayout checks the archive against what Keras 3.15 writes: its
// members in Keras's order, stored, config.json's keys in Keras's order,
// and the groups of model.weights.h5.
func TestWriteLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.keras")
	require.NoError(t, Write(path, trainedState(t, compiled(mixed(1), "SGD", sgdConfig, `"binary_crossentropy"`, `["accuracy","mae"]`), 1)))
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, zip.Store, f.Method, f.Name)
	}
	assert.Equal(t, []string{"metadata.json", "config.json", "model.weights.h5"}, names)

	var md map[string]string
	require.NoError(t, json.Unmarshal(member0(t, zr, "metadata.json"), &md))
	assert.Equal(t, KerasVersion, md["keras_version"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$`, md["date_saved"])

	config := member0(t, zr, "config.json")
	var top struct {
		Config struct {
			Layers []json.RawMessage `json:"layers"`
		} `json:"config"`
		CompileConfig json.RawMessage `json:"compile_config"`
	}
	require.NoError(t, json.Unmarshal(config, &top))
	assert.Equal(t, []string{"module", "class_name", "config", "registered_name", "build_config", "compile_config"}, keysInOrder(t, config))
	var classes, layerNames []string
	for _, raw := range top.Config.Layers {
		var l struct {
			ClassName string          `json:"class_name"`
			Config    json.RawMessage `json:"config"`
		}
		require.NoError(t, json.Unmarshal(raw, &l))
		classes = append(classes, l.ClassName)
		var c struct {
			Name string `json:"name"`
		}
		require.NoError(t, json.Unmarshal(l.Config, &c))
		layerNames = append(layerNames, c.Name)
		if l.ClassName == "InputLayer" {
			assert.JSONEq(t, `{"batch_shape":[null,4,3],"dtype":"float32","sparse":false,"ragged":false,"name":"input_layer","optional":false}`, string(l.Config))
			continue
		}
		// Keras writes a build_config for layers it built with an input
		// shape (Flatten, Dense), none for Dropout and Reshape.
		objectKeys := []string{"module", "class_name", "config", "registered_name", "build_config"}
		if l.ClassName == "Dropout" || l.ClassName == "Reshape" {
			objectKeys = objectKeys[:4]
		}
		assert.Equal(t, objectKeys, keysInOrder(t, raw), l.ClassName)
		assert.Equal(t, append([]string{"name", "trainable", "dtype"}, configKeys[l.ClassName]...), keysInOrder(t, l.Config), l.ClassName)
	}
	assert.Equal(t, []string{"InputLayer", "Flatten", "Dense", "Dropout", "Reshape", "Flatten", "Dense"}, classes)
	assert.Equal(t, []string{"input_layer", "flatten", "dense", "dropout", "reshape", "flatten_1", "dense_1"}, layerNames)
	// Byte for byte what Keras writes for Dense(5, activation="gelu"), but
	// for the shared_object_id Keras gives the dtype policy.
	assert.Contains(t, string(config), `{"module":"keras.layers","class_name":"Dense","config":{"name":"dense","trainable":true,`+
		`"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},`+
		`"units":5,"activation":"gelu","use_bias":true,`+
		`"kernel_initializer":{"module":"keras.initializers","class_name":"GlorotUniform","config":{"input_axes":null,"output_axes":null,"seed":null},"registered_name":null},`+
		`"bias_initializer":{"module":"keras.initializers","class_name":"Zeros","config":{},"registered_name":null},`+
		`"kernel_regularizer":null,"bias_regularizer":null,"kernel_constraint":null,"bias_constraint":null,"quantization_config":null},`+
		`"registered_name":null,"build_config":{"input_shape":[null,12]}}`)
	assert.Equal(t, `{"optimizer":{"module":"keras.optimizers","class_name":"SGD","config":`+sgdConfig+`,"registered_name":null},`+
		`"loss":"binary_crossentropy","loss_weights":null,"metrics":["accuracy","mae"],"weighted_metrics":null,`+
		`"run_eagerly":false,"steps_per_execution":1,"jit_compile":false}`, string(top.CompileConfig))

	// The weights file: a group per layer, named after its class, Dropout's
	// and Reshape's empty; SGD's momentum per trained variable.
	weights := member0(t, zr, weightsMember)
	require.NoError(t, withHDF5(func() error {
		f, err := openH5("layout", weights)
		require.NoError(t, err)
		defer f.close()
		for _, g := range []struct {
			path string
			want []string
		}{
			{"/", []string{"layers", "optimizer", "vars"}},
			{"layers", []string{"dense", "dense_1", "dropout", "flatten", "flatten_1", "reshape"}},
			{"layers/dense/vars", []string{"0", "1"}},
			{"layers/dropout/vars", []string{}},
			{"layers/reshape/vars", []string{}},
			{"optimizer/vars", []string{"0", "1", "2", "3", "4", "5"}},
		} {
			got, err := f.members(g.path)
			require.NoError(t, err)
			assert.Equal(t, g.want, got, g.path)
		}
		return nil
	}))
}

func member0(t *testing.T, zr *zip.ReadCloser, name string) []byte {
	t.Helper()
	f, err := zr.Open(name)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

// TestWriteNames checks the names Write gives layers that have none, as
// Keras does in a fresh session, and the groups of model.weights.h5,
// named after the classes whatever the layers' names.
func TestWriteNames(t *testing.T) {
	for _, tc := range []struct {
		class, want string
	}{
		{"Dense", "dense"},
		{"Conv2D", "conv2d"},
		{"ReLU", "re_lu"},
		{"LeakyReLU", "leaky_re_lu"},
		{"PReLU", "p_re_lu"},
		{"GlobalAveragePooling2D", "global_average_pooling2d"},
		{"BatchNormalization", "batch_normalization"},
		{"Conv2DTranspose", "conv2d_transpose"},
		{"LSTM", "lstm"},
		{"Café", "café"},
	} {
		assert.Equal(t, tc.want, snakeCase(tc.class), tc.class)
	}

	m := mixed(1)
	m.Layers[4].Name = "flat"
	assert.Equal(t, []string{"flatten", "dense", "dropout", "reshape", "flat", "dense_1"}, m.layerNames())
	assert.Equal(t, []string{"flatten", "dense", "dropout", "reshape", "flatten_1", "dense_1"}, m.groupKeys())
	assert.Equal(t, "input_layer", m.inputLayerName())
	m.Layers[0].Name = "input_layer"
	assert.Equal(t, "input_layer_1", m.inputLayerName(), "a layer named as the InputLayer by default")

	// Keras would name the second Dense layer dense_1, which the first has.
	clash := mixed(1)
	clash.Layers[1].Name = "dense_1"
	dir := t.TempDir()
	path := filepath.Join(dir, "clash.keras")
	assert.EqualError(t, Write(path, clash),
		"kerasfile: write "+path+`: layer 5 (dense_1): name "dense_1" is layer 1's too; Keras wants layer names unique`)
}

func TestWriteInvalid(t *testing.T) {
	edit := func(m Model, f func(*Model)) Model {
		m.Layers = append([]Layer(nil), m.Layers...)
		if m.Compile != nil {
			c := *m.Compile
			m.Compile = &c
		}
		f(&m)
		return m
	}
	good := trainedState(t, adam(mixed(1)), 1)
	for _, tc := range []struct {
		name  string
		model Model
		want  string
	}{
		{"empty", Model{}, "no input shape: Model.InputShape is empty"},
		{"zero input dimension", Model{InputShape: []int{28, 0}}, "input shape: (28, 0) has a dimension out of range (1 to 16777216)"},
		{"InputLayer", edit(good, func(m *Model) { m.Layers[0].ClassName = "InputLayer" }),
			"layer 0 (input_layer) is an InputLayer; Write writes the model's InputLayer itself, from Model.InputShape"},
		{"nested model", edit(good, func(m *Model) { m.Layers[2].ClassName = "Sequential" }),
			"layer 2 (sequential) is a nested Sequential model; kerasfile writes a flat Sequential"},
		{"class name", edit(good, func(m *Model) { m.Layers[2].ClassName = "my.Dropout" }),
			`layer 2 (my_dropout): class name "my.Dropout" is not a Keras class name (a Python identifier)`},
		{"duplicate names", edit(good, func(m *Model) { m.Layers[5].Name = "dense" }),
			`layer 5 (dense): name "dense" is layer 1's too; Keras wants layer names unique`},
		{"config sets dtype", edit(good, func(m *Model) {
			m.Layers[3].Config = map[string]any{"target_shape": []any{5.0, 1.0}, "dtype": "float16"}
		}), `layer 3 (reshape): Config sets "dtype"; Write adds name, trainable and dtype itself`},
		{"config not JSON", edit(good, func(m *Model) { m.Layers[2].Config = map[string]any{"rate": math.NaN()} }),
			"layer 2 (dropout): Config: json: unsupported value: NaN"},
		{"short bias", edit(good, func(m *Model) {
			l := m.Layers[5]
			l.Weights = []Weight{l.Weights[0], {Shape: []int{1}, Values: nil}}
			m.Layers[5] = l
		}), "layer 5 (dense_1) weight 1: 0 values, its shape (1,) holds 1"},
		{"build shape", edit(good, func(m *Model) { m.Layers[1].BuildInputShape = []int{-12} }),
			"layer 1 (dense): build input shape: (-12,) has a dimension out of range (1 to 16777216)"},
		{"unknown optimizer", edit(good, func(m *Model) { m.Compile.Optimizer.ClassName = "Nadam" }),
			`compile: optimizer "Nadam" is not one kerasfile knows (Adam, AdamW, RMSprop, SGD)`},
		{"slots for one layer", edit(good, func(m *Model) { m.Compile.Optimizer.Slots = m.Compile.Optimizer.Slots[:4] }),
			"compile: Adam has 4 slots, want 8: Adam keeps momentum and velocity for each of the 4 trained variables"},
		{"slot of another shape", edit(good, func(m *Model) {
			s := cloneWeights(m.Compile.Optimizer.Slots)
			s[3] = Weight{Shape: []int{6}, Values: make([]float32, 6)}
			m.Compile.Optimizer.Slots = s
		}), "compile: Adam slot 3 (velocity of layers/dense/vars/1) has shape (6,), want (5,)"},
		{"NaN learning rate", edit(good, func(m *Model) { m.Compile.Optimizer.LearningRate = float32(math.NaN()) }),
			"compile: Adam LearningRate NaN out of range: want a finite float32 > 0"},
		{"negative iterations", edit(good, func(m *Model) { m.Compile.Optimizer.Iterations = -1 }), "compile: Adam: -1 iterations"},
		{"loss not JSON", edit(good, func(m *Model) { m.Compile.Loss = json.RawMessage("mse") }), `compile: Loss "mse" is not JSON`},
		{"metrics not a list", edit(good, func(m *Model) { m.Compile.Metrics = json.RawMessage(`"accuracy"`) }),
			`compile: Metrics "accuracy" is not a JSON list`},
		{"config without a name", edit(good, func(m *Model) { m.Compile.Optimizer.Config = json.RawMessage(`{"learning_rate":0.1}`) }),
			"compile: Adam config has no name (it names the optimizer's variables in model.weights.h5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.keras")
			err := Write(path, tc.model)
			assert.EqualError(t, err, "kerasfile: write "+path+": "+tc.want)
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "Write left files behind")
		})
	}
}

// cloneWeights copies s, so that a test case edits its own.
func cloneWeights(s []Weight) []Weight { return append([]Weight(nil), s...) }

// TestWriteAtomic checks that a Write that fails leaves the old file as it
// was and no temporary file, and that one that succeeds replaces it.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.keras")
	old := mixed(1)
	require.NoError(t, Write(path, old))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	bad := mixed(2)
	bad.Layers[1].Weights = []Weight{{Shape: []int{12, 5}}}
	require.Error(t, Write(path, bad))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	// A directory that cannot take the temporary file (as non-root) or the
	// rename (for root, who may write anywhere): path is a directory.
	require.Error(t, Write(dir, old))

	next := mixed(3)
	require.NoError(t, Write(path, next))
	got, err := Read(path)
	require.NoError(t, err)
	assert.Equal(t, named(next).Layers, got.Layers)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary files left behind")
	assert.Equal(t, "model.keras", entries[0].Name())
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

// rewrite copies the .keras archive src to a new file, passing each member
// through edit, which returns the new contents or nil to drop the member.
func rewrite(t *testing.T, src string, edit func(name string, data []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	require.NoError(t, err)
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		r, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		r.Close()
		if data = edit(f.Name, data); data == nil {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	dst := filepath.Join(t.TempDir(), "edited.keras")
	require.NoError(t, os.WriteFile(dst, buf.Bytes(), 0o644))
	return dst
}

// memberOf returns one member of the archive at path.
func memberOf(t *testing.T, path, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	return member0(t, zr, name)
}

// h5File builds a model.weights.h5 with the package's own HDF5 calls.
func h5File(t *testing.T, build func(f *h5) error) []byte {
	t.Helper()
	var image []byte
	require.NoError(t, withHDF5(func() error {
		f, err := createH5("test-" + t.Name())
		if err != nil {
			return err
		}
		defer f.close()
		if err := build(f); err != nil {
			return err
		}
		image, err = f.image()
		return err
	}))
	return image
}

// h5Of returns the weights file Write would write for m, unchecked, with
// extra applied to it afterwards (nil: nothing).
func h5Of(t *testing.T, m Model, extra func(f *h5) error) []byte {
	t.Helper()
	return h5File(t, func(f *h5) error {
		if err := writeVars(f, m); err != nil {
			return err
		}
		if extra != nil {
			return extra(f)
		}
		return nil
	})
}

// editors of a .keras archive's members, for rewrite.
func replaceMember(member string, data []byte) func(string, []byte) []byte {
	return func(name string, old []byte) []byte {
		if name == member {
			return data
		}
		return old
	}
}

func dropMember(member string) func(string, []byte) []byte {
	return func(name string, old []byte) []byte {
		if name == member {
			return nil
		}
		return old
	}
}

func both(a, b func(string, []byte) []byte) func(string, []byte) []byte {
	return func(name string, data []byte) []byte { return b(name, a(name, data)) }
}

// editConfig replaces the first from in config.json by to.
func editConfig(t *testing.T, from, to string) func(string, []byte) []byte {
	return func(name string, old []byte) []byte {
		if name == configMember {
			require.Contains(t, string(old), from)
			return []byte(strings.Replace(string(old), from, to, 1))
		}
		return old
	}
}

func TestReadBadInput(t *testing.T) {
	dir := t.TempDir()
	model := trainedState(t, adam(mixed(1)), 2)
	good := filepath.Join(dir, "good.keras")
	require.NoError(t, Write(good, model))
	goodBytes, err := os.ReadFile(good)
	require.NoError(t, err)
	weights := memberOf(t, good, weightsMember)
	at := bytes.Index(goodBytes, []byte("\x89HDF")) + len(weights)/2

	// Weights files that do not hold together, written without validate.
	layers := func(f func(ls []Layer)) Model {
		m := model
		m.Layers = append([]Layer(nil), m.Layers...)
		f(m.Layers)
		return m
	}
	missingKernel := h5File(t, func(f *h5) error {
		// writeVars with dense's kernel left out: its bias alone, at 1.
		for _, g := range []string{"layers", "layers/flatten", "layers/flatten/vars", "layers/dense", "layers/dense/vars",
			"layers/dropout", "layers/dropout/vars", "layers/reshape", "layers/reshape/vars", "layers/flatten_1", "layers/flatten_1/vars",
			"layers/dense_1", "layers/dense_1/vars"} {
			if err := f.group(g, ""); err != nil {
				return err
			}
		}
		d, d1 := model.Layers[1].Weights, model.Layers[5].Weights
		return errors.Join(
			f.writeFloat32("layers/dense/vars/1", d[1].Shape, d[1].Values),
			f.writeFloat32("layers/dense_1/vars/0", d1[0].Shape, d1[0].Values),
			f.writeFloat32("layers/dense_1/vars/1", d1[1].Shape, d1[1].Values),
		)
	})
	intKernel := h5Of(t, layers(func(ls []Layer) { ls[1].Weights = nil }), func(f *h5) error {
		return errors.Join(
			f.writeInt64("layers/dense/vars/0", 7),
			f.writeFloat32("layers/dense/vars/1", []int{5}, model.Layers[1].Weights[1].Values),
		)
	})
	// A kernel of (12, 6) beside Adam's slots for (12, 5).
	wideKernel := h5Of(t, layers(func(ls []Layer) {
		ls[1].Weights = []Weight{{Shape: []int{12, 6}, Values: make([]float32, 72)}, ls[1].Weights[1]}
	}), nil)
	extraLayer := h5Of(t, model, func(f *h5) error { return f.group("layers/dense_2", "") })
	sublayer := h5Of(t, model, func(f *h5) error { return f.group("layers/dense_1/cell", "") })
	// Adam's variables for a model with one variable fewer: writeVars stops
	// at the slot that is missing, after writing the ones before it.
	shortAdam := h5File(t, func(f *h5) error {
		m := model
		c := *m.Compile
		c.Optimizer.Slots = c.Optimizer.Slots[:7]
		m.Compile = &c
		err := writeVars(f, m)
		if err == nil || err.Error() != "Adam has 7 slots, want 8" {
			return fmt.Errorf("writeVars: got %v, want an error at the 8th slot", err)
		}
		return f.group("vars", "sequential")
	})
	negative := model
	c := *negative.Compile
	c.Optimizer.Iterations = -1
	negative.Compile = &c

	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	withH5 := func(data []byte) string { return rewrite(t, good, replaceMember(weightsMember, data)) }
	config := func(from, to string) string { return rewrite(t, good, editConfig(t, from, to)) }
	const policy = `"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null}`

	for _, tc := range []struct {
		name string
		path string
		want string
	}{
		{"missing file", filepath.Join(dir, "nothing.keras"), "no such file or directory"},
		{"not a zip", file("text.keras", []byte("just some text, not a model")), "not a .keras file: not a zip archive"},
		{"empty file", file("empty.keras", nil), "not a .keras file: not a zip archive"},
		{"truncated zip", file("cut.keras", goodBytes[:len(goodBytes)/2]), "not a .keras file: not a zip archive"},
		{"corrupt zip member", file("flipped.keras", flip(goodBytes, at)), "model.weights.h5: corrupt zip member: zip: checksum error"},
		{"no config.json", rewrite(t, good, dropMember(configMember)),
			"no config.json in the archive (it holds metadata.json, model.weights.h5)"},
		{"no weights", rewrite(t, good, dropMember(weightsMember)), "no model.weights.h5 in the archive (it holds metadata.json, config.json)"},
		{"config not JSON", rewrite(t, good, replaceMember(configMember, []byte("{"))), "config.json: unexpected end of JSON input"},
		{"Keras 2", rewrite(t, good, replaceMember(metadataMember, []byte(`{"keras_version": "2.15.0"}`))),
			`metadata.json: saved by Keras "2.15.0"; kerasfile reads files of Keras 3`},
		{"weights not HDF5", withH5([]byte("not hdf5 at all")), "model.weights.h5: not a readable HDF5 file: "},
		{"truncated HDF5", withH5(weights[:len(weights)/2]),
			"model.weights.h5: not a readable HDF5 file: unable to open file: unable to read superblock: truncated file: eof = "},
		{"HDF5 without layers", withH5(h5File(t, func(f *h5) error { return f.group("vars", "x") })), "model.weights.h5: group layers is missing"},
		{"missing weight", withH5(missingKernel),
			`model.weights.h5: layer 1 (dense): group layers/dense/vars holds ["1"]; Keras numbers 1 variables 0 to 0: missing ["0"]`},
		{"integer kernel", withH5(intKernel), "model.weights.h5: layer 1 (dense): layers/dense/vars/0 is int64 (), want float32"},
		{"kernel of another shape", withH5(wideKernel),
			"model.weights.h5: Adam slot 0 (momentum of layers/dense/vars/0): optimizer/vars/2 is float32 (12, 5), want float32 (12, 6)"},
		{"a layer config.json does not have", withH5(extraLayer),
			`model.weights.h5: group layers holds ["dense" "dense_1" "dense_2" "dropout" "flatten" "flatten_1" "reshape"], ` +
				`the layers of config.json need ["dense" "dense_1" "dropout" "flatten" "flatten_1" "reshape"]`},
		{"a layer of layers", withH5(sublayer),
			`model.weights.h5: layer 5 (dense_1): group layers/dense_1 holds ["cell" "vars"], want only vars: kerasfile reads layers whose variables are all their own`},
		{"wrong optimizer slot count", withH5(shortAdam),
			"model.weights.h5: Adam: group optimizer/vars holds 9 variables, want 10 (iterations, learning rate and 8 slots: " +
				"Adam keeps momentum and velocity for each of the 4 trained variables)"},
		{"SGD with Adam's state", config(`"class_name":"Adam"`, `"class_name":"SGD"`),
			"model.weights.h5: SGD: group optimizer/vars holds 10 variables, want 2 (iterations, learning rate and 0 slots: SGD keeps no slots)"},
		{"negative iterations", withH5(h5Of(t, negative, nil)), "model.weights.h5: Adam iterations (optimizer/vars/0) is -1, want >= 0"},
		{"Functional model", config(`"class_name":"Sequential"`, `"class_name":"Functional"`),
			`config.json: the model is a "Functional"; kerasfile reads Keras's Sequential models`},
		{"Sequential subclass", config(`"registered_name":null,"build_config":{"input_shape":[null,4,3]},"compile_config"`, `"registered_name":"my>Seq","build_config":{"input_shape":[null,4,3]},"compile_config"`),
			`config.json: the model is a Sequential of module "keras", registered_name "my>Seq": custom code; kerasfile reads Keras's Sequential models`},
		{"nested model", config(`"class_name":"Dropout"`, `"class_name":"Sequential"`),
			"config.json: layer 2 (dropout) is a nested Sequential model; kerasfile reads a flat Sequential"},
		{"custom layer", config(`"module":"keras.layers","class_name":"Reshape"`, `"module":"my_layers","class_name":"Reshape"`),
			`config.json: layer 3 (reshape) is a Reshape of module "my_layers", registered_name null; kerasfile reads Keras's built-in layers (module keras.layers)`},
		{"registered layer", config(`"class_name":"Reshape","config":{"name":"reshape","trainable":true,`+policy+`,"target_shape":[5,1]},"registered_name":null`,
			`"class_name":"Reshape","config":{"name":"reshape","trainable":true,`+policy+`,"target_shape":[5,1]},"registered_name":"Custom>Reshape"`),
			`config.json: layer 3 (reshape) is a Reshape of module "keras.layers", registered_name "Custom>Reshape"; kerasfile reads Keras's built-in layers`},
		{"second InputLayer", config(`"class_name":"Flatten"`, `"class_name":"InputLayer"`),
			"config.json: layer 0 (flatten) is a second InputLayer; kerasfile reads a Sequential with one input"},
		{"mixed precision", config(`"name":"dense","trainable":true,`+policy, `"name":"dense","trainable":true,"dtype":"mixed_float16"`),
			`config.json: layer 1 (dense): dtype policy is "mixed_float16", want float32`},
		{"frozen layer", config(`"name":"dense_1","trainable":true`, `"name":"dense_1","trainable":false`),
			"config.json: layer 5 (dense_1): trainable is false; kerasfile reads trainable layers"},
		{"frozen model", config(`"name":"sequential","trainable":true`, `"name":"sequential","trainable":false`),
			"config.json: the model is frozen (trainable false); kerasfile reads trainable models"},
		{"no InputLayer", config(`"class_name":"InputLayer"`, `"class_name":"Input"`),
			`config.json: the model has no InputLayer (its first layer is a "Input"): was it saved before it was built?`},
		{"fixed batch size", config(`"batch_shape":[null,4,3]`, `"batch_shape":[32,4,3]`),
			"config.json: InputLayer batch_shape: [32,4,3] does not start with the batch dimension, null"},
		{"unknown input dimension", config(`"batch_shape":[null,4,3]`, `"batch_shape":[null,null,3]`),
			"config.json: InputLayer batch_shape: [null,null,3] has an unknown or impossible dimension"},
		{"sparse input", config(`"sparse":false`, `"sparse":true`),
			"config.json: InputLayer is sparse true, ragged false; kerasfile reads dense inputs"},
		{"bad build shape", config(`"build_config":{"input_shape":[null,12]}`, `"build_config":{"input_shape":[null,-12]}`),
			"config.json: layer 1 (dense): build_config input_shape: [null,-12] has an unknown or impossible dimension"},
		{"duplicate layer names", config(`"name":"dense_1"`, `"name":"dense"`),
			`config.json: layers 1 and 5 are both named "dense"`},
		{"Nadam", config(`"class_name":"Adam"`, `"class_name":"Nadam"`),
			`config.json: compile_config: optimizer "Nadam" is not one kerasfile knows (Adam, AdamW, RMSprop, SGD)`},
		{"custom optimizer", config(`"module":"keras.optimizers"`, `"module":"my_optimizers"`),
			`config.json: compile_config: optimizer "Adam" is of module "my_optimizers", registered_name null: custom code; kerasfile reads Keras's optimizers (Adam, AdamW, RMSprop, SGD)`},
		{"RMSprop with a schedule", rewrite(t, good, both(editConfig(t, `"class_name":"Adam"`, `"class_name":"RMSprop"`),
			editConfig(t, `"learning_rate":0.0010000000474974513`, `"learning_rate":{"class_name":"ExponentialDecay"}`))),
			`config.json: compile_config: RMSprop learning_rate {"class_name":"ExponentialDecay"} is not a number (a schedule?); kerasfile supports a constant rate`},
		{"SGD with clipnorm", rewrite(t, good, both(editConfig(t, `"class_name":"Adam"`, `"class_name":"SGD"`), editConfig(t, `"clipnorm":null`, `"clipnorm":1.0`))),
			"config.json: compile_config: SGD has clipnorm 1.0; kerasfile supports none"},
		{"Adam with weight decay", config(`"weight_decay":null`, `"weight_decay":0.01`),
			"config.json: compile_config: Adam has weight_decay 0.01; kerasfile supports none"},
		{"AMSGrad", config(`"amsgrad":false`, `"amsgrad":true`), "config.json: compile_config: Adam has amsgrad on; kerasfile supports it off"},
		{"loss weights", config(`"loss_weights":null`, `"loss_weights":[2.0]`),
			"config.json: compile_config: loss_weights is [2.0]; kerasfile reads a compile of optimizer, loss and metrics"},
		{"steps_per_execution 0", config(`"steps_per_execution":1`, `"steps_per_execution":0`),
			"config.json: compile_config: steps_per_execution is 0, want an integer in [1, 16777216]"},
		{"steps_per_execution not a number", config(`"steps_per_execution":1`, `"steps_per_execution":"auto"`),
			`config.json: compile_config: steps_per_execution is "auto", want a positive integer`},
		{"jit_compile not a bool", config(`"jit_compile":false`, `"jit_compile":"yes"`),
			`config.json: compile_config: jit_compile is "yes", want true, false or "auto"`},
		{"metrics not a list", config(`"metrics":["accuracy"]`, `"metrics":{"dense_1":"accuracy"}`),
			`config.json: compile_config: metrics is {"dense_1":"accuracy"}, want a list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path)
			require.Error(t, err)
			assert.ErrorContains(t, err, "kerasfile: read "+tc.path+": "+tc.want)
		})
	}
}

func flip(b []byte, at int) []byte {
	c := bytes.Clone(b)
	c[at] ^= 0xff
	return c
}

// TestConcurrent checks that Write and Read may run from several goroutines
// at once (libhdf5 is called one at a time).
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	errs := make(chan error, 4)
	models := make([]Model, 4)
	for i := range models {
		models[i] = trainedState(t, adam(mixed(uint64(i))), 1)
	}
	for i, m := range models {
		go func() {
			path := filepath.Join(dir, "m"+strconv.Itoa(i)+".keras")
			if err := Write(path, m); err != nil {
				errs <- err
				return
			}
			got, err := Read(path)
			if err == nil && !assert.ObjectsAreEqual(named(m), got) {
				err = fmt.Errorf("%s: read back a different model", path)
			}
			errs <- err
		}()
	}
	for range models {
		assert.NoError(t, <-errs)
	}
}

// TestReadClaimedSize checks that a dataset's shape, which comes from the
// file, cannot make Read allocate more than the file could hold, alone or
// with the datasets read before it.
func TestReadClaimedSize(t *testing.T) {
	image := h5File(t, func(f *h5) error {
		return errors.Join(
			f.writeFloat32("a", []int{100, 100}, make([]float32, 100*100)),
			f.writeFloat32("b", []int{100, 100}, make([]float32, 100*100)),
		)
	})
	for _, tc := range []struct {
		name string
		size int
		want string
	}{
		{"one dataset over the file", 1000, "a claims shape (100, 100), more values than the 1000 bytes left of the 1000-byte model.weights.h5 hold"},
		{"two datasets over the file", 60000, "b claims shape (100, 100), more values than the 20000 bytes left of the 60000-byte model.weights.h5 hold"},
		{"a dimension over the file", 1000, "c claims shape (4611686018427387904, 2), more values than the 1000 bytes left of the 1000-byte model.weights.h5 hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := withHDF5(func() error {
				f, err := openH5("claimed", image)
				require.NoError(t, err)
				defer f.close()
				f.size, f.budget = tc.size, tc.size // as if the file were that short
				if strings.HasPrefix(tc.want, "c ") {
					_, err = f.readFloat32("c", []int{1 << 62, 2})
					return err
				}
				for _, p := range []string{"a", "b"} {
					if _, err := readFloat32(f, p, 100, 100); err != nil {
						return err
					}
				}
				return nil
			})
			assert.EqualError(t, err, tc.want)
		})
	}
}
