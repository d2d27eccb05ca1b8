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
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seeded returns a model of architecture a with reproducible weights of a
// trained model's scale (Glorot-uniform kernels, small biases).
func seeded(a Arch, seed uint64) Model {
	r := rand.New(rand.NewPCG(seed, 0x6b657261))
	m := NewModel(a)
	in := product(a.InputShape)
	for i := range m.Layers {
		l := &m.Layers[i]
		limit := math.Sqrt(6 / float64(in+l.Units))
		for j := range l.Kernel {
			l.Kernel[j] = float32((2*r.Float64() - 1) * limit)
		}
		for j := range l.Bias {
			l.Bias[j] = float32(0.1 * r.NormFloat64())
		}
		in = l.Units
	}
	return m
}

// withState gives m's optimizer the state of some training: iterations and
// moment estimates (velocities are non-negative, as Adam's are).
func withState(m Model, seed uint64) Model {
	r := rand.New(rand.NewPCG(seed, 1))
	vals := func(n int, pos bool) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(1e-3 * r.NormFloat64())
			if pos {
				v[i] = float32(math.Abs(float64(v[i])) * 1e-3)
			}
		}
		return v
	}
	m.Optimizer.Iterations = 1875
	m.Optimizer.Slots = nil
	for _, l := range m.Layers {
		m.Optimizer.Slots = append(m.Optimizer.Slots, AdamSlots{
			KernelMomentum: vals(len(l.Kernel), false), KernelVelocity: vals(len(l.Kernel), true),
			BiasMomentum: vals(len(l.Bias), false), BiasVelocity: vals(len(l.Bias), true),
		})
	}
	return m
}

func TestWriteReadRoundTrip(t *testing.T) {
	uncompiled := seeded(Fashion(), 3)
	uncompiled.Optimizer = nil
	fresh := seeded(Fashion(), 4)
	freshRead := fresh
	// A fresh optimizer is stored as zeros and read back as such.
	freshRead.Optimizer = &Adam{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
	for _, l := range fresh.Layers {
		freshRead.Optimizer.Slots = append(freshRead.Optimizer.Slots, AdamSlots{
			KernelMomentum: make([]float32, len(l.Kernel)), KernelVelocity: make([]float32, len(l.Kernel)),
			BiasMomentum: make([]float32, len(l.Bias)), BiasVelocity: make([]float32, len(l.Bias)),
		})
	}
	deep := seeded(Arch{InputShape: []int{4, 5, 2}, Layers: []DenseArch{{7, "tanh"}, {6, "relu"}, {3, "linear"}}}, 5)
	deep.Name, deep.Layers[1].Name = "deep", "hidden"
	deep.Optimizer.LearningRate, deep.Optimizer.Beta1 = 0.01, 0.8
	deep = withState(deep, 6)

	for _, tc := range []struct {
		name      string
		model     Model
		want      Model
		wantArch  Arch
		tutorial  bool
		wantError string
	}{
		{name: "trained tutorial model", model: withState(seeded(Fashion(), 1), 2), tutorial: true},
		{name: "uncompiled", model: uncompiled, tutorial: true},
		{name: "fresh optimizer", model: fresh, want: freshRead, tutorial: true},
		{name: "other architecture", model: deep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.keras")
			require.NoError(t, Write(path, tc.model))
			got, err := Read(path)
			require.NoError(t, err)
			want := tc.model
			if tc.want.Layers != nil {
				want = tc.want
			}
			assert.Equal(t, want, got)
			_, err = ReadArch(path, Fashion())
			if tc.tutorial {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "input shape is (4, 5, 2), want (28, 28)")
			}
		})
	}
}

// TestWriteLayout checks the archive against what Keras writes: its members
// in Keras's order, stored, and the JSON Keras writes for the tutorial.
func TestWriteLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.keras")
	require.NoError(t, Write(path, seeded(Fashion(), 1)))
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, zip.Store, f.Method, f.Name)
	}
	assert.Equal(t, []string{"metadata.json", "config.json", "model.weights.h5"}, names)

	meta := member0(t, zr, "metadata.json")
	var md map[string]string
	require.NoError(t, json.Unmarshal(meta, &md))
	assert.Equal(t, KerasVersion, md["keras_version"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$`, md["date_saved"])

	var cfg map[string]any
	require.NoError(t, json.Unmarshal(member0(t, zr, "config.json"), &cfg))
	layers := cfg["config"].(map[string]any)["layers"].([]any)
	classes := []string{}
	for _, l := range layers {
		classes = append(classes, l.(map[string]any)["class_name"].(string))
	}
	assert.Equal(t, []string{"InputLayer", "Flatten", "Dense", "Dense"}, classes)
	compile := cfg["compile_config"].(map[string]any)
	assert.Equal(t, "sparse_categorical_crossentropy", compile["loss"])
	assert.Equal(t, []any{"accuracy"}, compile["metrics"])
	adam := compile["optimizer"].(map[string]any)["config"].(map[string]any)
	// What Keras writes for Adam()'s float32 learning rate.
	assert.Equal(t, 0.0010000000474974513, adam["learning_rate"])
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

func TestWriteInvalid(t *testing.T) {
	short := seeded(Fashion(), 1)
	short.Layers[1].Bias = short.Layers[1].Bias[:9]
	act := seeded(Fashion(), 1)
	act.Layers[0].Activation = "Relu"
	slots := withState(seeded(Fashion(), 1), 2)
	slots.Optimizer.Slots = slots.Optimizer.Slots[:1]
	dup := seeded(Fashion(), 1)
	dup.Layers[1].Name = "dense"
	lr := seeded(Fashion(), 1)
	lr.Optimizer.LearningRate = float32(math.NaN())
	for _, tc := range []struct {
		name  string
		model Model
		want  string
	}{
		{"empty", Model{}, "no input shape"},
		{"no layers", Model{InputShape: []int{28, 28}}, "no Dense layer"},
		{"short bias", short, "layer 2 (dense_1): bias has 9 values, want 10"},
		{"unknown activation", act, `layer 1 (dense): activation "Relu" is not one kerasfile supports`},
		{"slots for one layer", slots, "Adam: slots for 1 layers, model has 2"},
		{"duplicate names", dup, `layer 2: name "dense" is used twice`},
		{"NaN learning rate", lr, "Adam: learning rate NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.keras")
			err := Write(path, tc.model)
			assert.ErrorContains(t, err, "kerasfile: write "+path+": "+tc.want)
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "Write left files behind")
		})
	}
}

// TestWriteAtomic checks that a Write that fails leaves the old file as it
// was and no temporary file, and that one that succeeds replaces it.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.keras")
	old := seeded(Fashion(), 1)
	require.NoError(t, Write(path, old))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	bad := seeded(Fashion(), 2)
	bad.Layers[0].Kernel = nil
	require.Error(t, Write(path, bad))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	// A directory that cannot take the temporary file (as non-root) or the
	// rename (for root, who may write anywhere): path is a directory.
	require.Error(t, Write(dir, old))

	next := seeded(Fashion(), 3)
	require.NoError(t, Write(path, next))
	got, err := Read(path)
	require.NoError(t, err)
	assert.Equal(t, next.Layers, got.Layers)

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

func TestReadBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.keras")
	require.NoError(t, Write(good, withState(seeded(Fashion(), 1), 2)))
	goodBytes, err := os.ReadFile(good)
	require.NoError(t, err)
	weights := memberOf(t, good, "model.weights.h5")

	// Weights of Dense(64) under a config that says Dense(10).
	wide := filepath.Join(dir, "wide.keras")
	require.NoError(t, Write(wide, seeded(Arch{[]int{28, 28}, []DenseArch{{128, "relu"}, {64, "softmax"}}}, 1)))
	wideWeights := memberOf(t, wide, "model.weights.h5")
	// A kernel of the wrong type: Read does not convert, so that weights
	// come back bit for bit or not at all.
	intKernel := h5File(t, func(f *h5) error {
		m := seeded(Fashion(), 1)
		for _, g := range []string{"layers", "layers/flatten", "layers/flatten/vars", "layers/dense", "layers/dense/vars", "layers/dense_1", "layers/dense_1/vars"} {
			if err := f.group(g, ""); err != nil {
				return err
			}
		}
		return errors.Join(
			f.writeInt64("layers/dense/vars/0", 7),
			f.writeFloat32("layers/dense/vars/1", []int{128}, m.Layers[0].Bias),
			f.writeFloat32("layers/dense_1/vars/0", []int{128, 10}, m.Layers[1].Kernel),
			f.writeFloat32("layers/dense_1/vars/1", []int{10}, m.Layers[1].Bias),
		)
	})
	missingKernel := h5File(t, func(f *h5) error {
		m := seeded(Fashion(), 1)
		for _, g := range []string{"layers", "layers/flatten", "layers/flatten/vars", "layers/dense", "layers/dense/vars", "layers/dense_1", "layers/dense_1/vars"} {
			if err := f.group(g, ""); err != nil {
				return err
			}
		}
		return errors.Join(
			f.writeFloat32("layers/dense/vars/1", []int{128}, m.Layers[0].Bias),
			f.writeFloat32("layers/dense_1/vars/0", []int{128, 10}, m.Layers[1].Kernel),
			f.writeFloat32("layers/dense_1/vars/1", []int{10}, m.Layers[1].Bias),
		)
	})
	// Adam's variables for a model with one variable fewer: writeVars stops
	// at the slot that does not fit, after writing the ones before it.
	shortAdam := h5File(t, func(f *h5) error {
		m := withState(seeded(Fashion(), 1), 2)
		m.Optimizer.Slots[1].BiasVelocity = nil
		err := writeVars(f, m)
		if err == nil || !strings.Contains(err.Error(), "optimizer/vars/9: 0 values") {
			return fmt.Errorf("writeVars: got %v, want an error at optimizer/vars/9", err)
		}
		return f.group("vars", "sequential")
	})

	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	replace := func(member string, data []byte) func(string, []byte) []byte {
		return func(name string, old []byte) []byte {
			if name == member {
				return data
			}
			return old
		}
	}
	drop := func(member string) func(string, []byte) []byte {
		return func(name string, old []byte) []byte {
			if name == member {
				return nil
			}
			return old
		}
	}
	both := func(a, b func(string, []byte) []byte) func(string, []byte) []byte {
		return func(name string, data []byte) []byte { return b(name, a(name, data)) }
	}
	editConfig := func(from, to string) func(string, []byte) []byte {
		return func(name string, old []byte) []byte {
			if name == "config.json" {
				require.Contains(t, string(old), from)
				return []byte(strings.Replace(string(old), from, to, 1))
			}
			return old
		}
	}

	for _, tc := range []struct {
		name string
		path string
		want string
	}{
		{"missing file", filepath.Join(dir, "nothing.keras"), "nothing.keras: no such file or directory"},
		{"not a zip", file("text.keras", []byte("just some text, not a model")), "not a .keras file: not a zip archive"},
		{"empty file", file("empty.keras", nil), "not a .keras file: not a zip archive"},
		{"truncated zip", file("cut.keras", goodBytes[:len(goodBytes)/2]), "not a .keras file: not a zip archive"},
		{"corrupt zip member", file("flipped.keras", flip(goodBytes, bytes.Index(goodBytes, []byte("HDF"))+5000)),
			"model.weights.h5: corrupt zip member: zip: checksum error"},
		{"no config.json", rewrite(t, good, drop("config.json")),
			"no config.json in the archive (it holds metadata.json, model.weights.h5)"},
		{"no weights", rewrite(t, good, drop("model.weights.h5")), "no model.weights.h5 in the archive"},
		{"config not JSON", rewrite(t, good, replace("config.json", []byte("{"))), "config.json: unexpected end of JSON input"},
		{"Keras 2", rewrite(t, good, replace("metadata.json", []byte(`{"keras_version": "2.15.0"}`))),
			`metadata.json: saved by Keras "2.15.0"; kerasfile reads files of Keras 3`},
		{"weights not HDF5", rewrite(t, good, replace("model.weights.h5", []byte("not hdf5 at all"))),
			"model.weights.h5: not a readable HDF5 file: "},
		{"truncated HDF5", rewrite(t, good, replace("model.weights.h5", weights[:len(weights)/2])),
			"model.weights.h5: not a readable HDF5 file: unable to open file: unable to read superblock: truncated file: eof = "},
		{"HDF5 without layers", rewrite(t, good, replace("model.weights.h5", h5File(t, func(f *h5) error { return f.group("vars", "x") }))),
			"model.weights.h5: group layers is missing"},
		{"kernel of another shape", rewrite(t, good, replace("model.weights.h5", wideWeights)),
			"model.weights.h5: layer 2 (dense_1) kernel: layers/dense_1/vars/0 is float32 (128, 64), want float32 (128, 10)"},
		{"missing kernel", rewrite(t, good, replace("model.weights.h5", missingKernel)),
			`model.weights.h5: layer 1 (dense): group layers/dense/vars holds variables ["1"], want 2 (0 to 1): 1 missing ["0"]`},
		{"integer kernel", rewrite(t, good, replace("model.weights.h5", intKernel)),
			"model.weights.h5: layer 1 (dense) kernel: layers/dense/vars/0 is int64 (), want float32 (784, 128)"},
		{"Functional model", rewrite(t, good, editConfig(`"class_name":"Sequential"`, `"class_name":"Functional"`)),
			`config.json: model is a "Functional", want a Sequential of Flatten and Dense layers`},
		{"Conv2D layer", rewrite(t, good, editConfig(`"class_name":"Dense"`, `"class_name":"Conv2D"`)),
			"config.json: layer 1 is Conv2D, want Dense"},
		{"custom activation", rewrite(t, good, editConfig(`"activation":"relu"`, `"activation":{"class_name":"MyAct"}`)),
			`config.json: layer 1 (dense): activation {"class_name":"MyAct"} is not a built-in activation name`},
		{"mixed precision", rewrite(t, good, editConfig(`"units":128`, `"dtype":"mixed_float16","units":128`)),
			`config.json: layer 1 (dense): dtype policy is "mixed_float16", want float32`},
		{"Nadam", rewrite(t, good, editConfig(`"class_name":"Adam"`, `"class_name":"Nadam"`)),
			`config.json: compile_config: optimizer is "Nadam", want Adam or AdamW, RMSprop, SGD`},
		{"SGD with Adam's state", rewrite(t, good, editConfig(`"class_name":"Adam"`, `"class_name":"SGD"`)),
			`model.weights.h5: SGD: group optimizer/vars holds variables ["0" "1" "2" "3" "4" "5" "6" "7" "8" "9"], want 2 (0 to 1)`},
		{"RMSprop with a schedule", rewrite(t, good, both(editConfig(`"class_name":"Adam"`, `"class_name":"RMSprop"`), editConfig(`"learning_rate":0.0010000000474974513`, `"learning_rate":{"class_name":"ExponentialDecay"}`))),
			`config.json: compile_config: RMSprop learning_rate {"class_name":"ExponentialDecay"} is not a number (a schedule?)`},
		{"SGD with clipnorm", rewrite(t, good, both(editConfig(`"class_name":"Adam"`, `"class_name":"SGD"`), editConfig(`"clipnorm":null`, `"clipnorm":1.0`))),
			`config.json: compile_config: SGD has clipnorm 1.0; kerasfile supports none`},
		{"other loss", rewrite(t, good, editConfig(`"loss":"sparse_categorical_crossentropy"`, `"loss":"mse"`)),
			`config.json: compile_config: loss is "mse", want sparse_categorical_crossentropy`},
		{"frozen layer", rewrite(t, good, editConfig(`"name":"dense_1","trainable":true`, `"name":"dense_1","trainable":false`)),
			"config.json: layer 2 (dense_1): the layer is frozen (trainable false)"},
		{"Adam state of another model", rewrite(t, good, replace("model.weights.h5", shortAdam)),
			`model.weights.h5: Adam: group optimizer/vars holds variables ["0" "1" "2" "3" "4" "5" "6" "7" "8"], want 10 (0 to 9): 1 missing ["9"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path)
			require.Error(t, err)
			t.Log(err)
			assert.ErrorContains(t, err, "kerasfile: read "+tc.path+": ")
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func flip(b []byte, at int) []byte {
	c := bytes.Clone(b)
	c[at] ^= 0xff
	return c
}

func TestMatch(t *testing.T) {
	m := seeded(Fashion(), 1)
	three := seeded(Arch{[]int{28, 28}, []DenseArch{{128, "relu"}, {64, "relu"}, {10, "softmax"}}}, 1)
	for _, tc := range []struct {
		name string
		arch Arch
		want string
	}{
		{"tutorial", Fashion(), ""},
		{"wider output", Arch{[]int{28, 28}, []DenseArch{{128, "relu"}, {64, "softmax"}}}, "layer 2 (dense_1) is Dense(10, softmax), want Dense(64, softmax)"},
		{"other activation", Arch{[]int{28, 28}, []DenseArch{{128, "tanh"}, {10, "softmax"}}}, "layer 1 (dense) is Dense(128, relu), want Dense(128, tanh)"},
		{"input", Arch{[]int{784}, Fashion().Layers}, "input shape is (28, 28), want (784,)"},
		{"more layers", three.Arch(), "model has 2 Dense layers, want 3 (Flatten((28, 28)) -> Dense(128, relu) -> Dense(64, relu) -> Dense(10, softmax))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Match(tc.arch)
			if tc.want == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tc.want)
			}
		})
	}
	assert.EqualError(t, three.Match(Fashion()), "model has 3 Dense layers, want 2 (Flatten((28, 28)) -> Dense(128, relu) -> Dense(10, softmax))")
	assert.Equal(t, 101770, m.Params())
}

// TestConcurrent checks that Write and Read may run from several goroutines
// at once (libhdf5 is called one at a time).
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			path := filepath.Join(dir, fmt.Sprintf("m%d.keras", i))
			m := withState(seeded(Fashion(), uint64(i)), 1)
			if err := Write(path, m); err != nil {
				errs <- err
				return
			}
			got, err := Read(path)
			if err == nil && !assert.ObjectsAreEqual(m, got) {
				err = fmt.Errorf("%s: read back a different model", path)
			}
			errs <- err
		}()
	}
	for range 4 {
		assert.NoError(t, <-errs)
	}
}

// TestReadClaimedSize checks that a dataset's shape, which comes from the
// file, cannot make Read allocate more than the file could hold.
func TestReadClaimedSize(t *testing.T) {
	image := h5File(t, func(f *h5) error {
		return f.writeFloat32("big", []int{100, 100}, make([]float32, 100*100))
	})
	err := withHDF5(func() error {
		f, err := openH5("claimed", image)
		require.NoError(t, err)
		defer f.close()
		f.size = 1000 // as if the file were that short
		_, err = readFloat32(f, "big", 100, 100)
		return err
	})
	assert.EqualError(t, err, "big claims 10000 values, more than the 1000-byte file holds")
}
