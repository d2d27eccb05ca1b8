package kerasfile

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Keras 3 keeps a model's variables in model.weights.h5, one group per
// object that owns variables, each variable a dataset named by its index:
//
//	/layers/flatten/vars               attribute name = "flatten" (no datasets)
//	/layers/dense/vars/0               Dense's kernel, float32 (12, 5)
//	/layers/dense/vars/1               Dense's bias,   float32 (5,)
//	/layers/dropout/vars               no datasets: Keras does not save
//	                                   Dropout's seed generator
//	/layers/dense_1/vars/{0,1}         the next Dense layer
//	/optimizer/vars/0                  iterations, int64 scalar
//	/optimizer/vars/1                  learning rate, float32 scalar
//	/optimizer/vars/2 ...              the slots, in the order of the
//	                                   optimizer's build (slotLayout)
//	/vars                              attribute name = the model's name
//
// Each vars group carries its owner's name as a variable-length UTF-8
// string attribute. The layer groups are named after the class
// (naming.go), whatever the layers are called, and datasets are contiguous
// and uncompressed. The optimizer group exists only for a compiled model,
// and holds only vars/0 and vars/1 for an optimizer that was never built.
// Files are HDF5 with the earliest file format libhdf5 offers, which is
// h5py's default too.
//
// config.json says which layers there are, not how many variables each
// has: that count, and each variable's shape, come from this file. So a
// reader checks the file against itself: each layer's group holds its
// vars group only, vars holds the datasets 0 to n-1 and nothing else,
// each float32, and the optimizer's slots have the shapes of the
// variables they belong to.

// weightsMember is the name of the HDF5 file inside the zip archive.
const weightsMember = "model.weights.h5"

// encodeWeights returns model.weights.h5 for m, which validate has
// accepted.
func encodeWeights(m Model) ([]byte, error) {
	var image []byte
	err := withHDF5(func() error {
		f, err := createH5(imageName("write"))
		if err != nil {
			return err
		}
		defer f.close()
		if err := writeVars(f, m); err != nil {
			return err
		}
		image, err = f.image()
		return err
	})
	return image, err
}

func writeVars(f *h5, m Model) error {
	if err := f.group("layers", ""); err != nil {
		return err
	}
	keys, names := m.groupKeys(), m.layerNames()
	for i, l := range m.Layers {
		vars := "layers/" + keys[i] + "/vars"
		if err := f.group("layers/"+keys[i], ""); err != nil {
			return err
		}
		if err := f.group(vars, names[i]); err != nil {
			return err
		}
		for j, w := range l.Weights {
			if err := f.writeFloat32(vars+"/"+strconv.Itoa(j), w.Shape, w.Values); err != nil {
				return err
			}
		}
	}
	if c := m.Compile; c != nil {
		if err := writeOptimizerVars(f, m, &c.Optimizer); err != nil {
			return err
		}
	}
	return f.group("vars", m.name())
}

// writeOptimizerVars writes o's variables as Keras 3 lays them out, zeros
// for the slots of an optimizer without any: that keeps load_model quiet,
// which otherwise warns that it skipped loading the optimizer's variables
// of a compiled model.
func writeOptimizerVars(f *h5, m Model, o *Optimizer) error {
	cfg, _, err := parseOptimizer(o.ClassName, o.Config)
	if err != nil {
		return err
	}
	if err := f.group("optimizer", ""); err != nil {
		return err
	}
	if err := f.group("optimizer/vars", o.name()); err != nil {
		return err
	}
	if err := f.writeInt64("optimizer/vars/0", o.Iterations); err != nil {
		return err
	}
	if err := f.writeFloat32("optimizer/vars/1", nil, []float32{o.LearningRate}); err != nil {
		return err
	}
	want := slots(slotLayout(o.ClassName, cfg), m.trainedVariables())
	for i, s := range want {
		w := Weight{Shape: s.of.shape, Values: make([]float32, product(s.of.shape))}
		if o.Slots != nil {
			// validate has checked the slots; a caller that has not gets
			// an error, not a panic.
			if i >= len(o.Slots) {
				return fmt.Errorf("%s has %d slots, want %d", o.ClassName, len(o.Slots), len(want))
			}
			w = o.Slots[i]
		}
		if err := f.writeFloat32("optimizer/vars/"+strconv.Itoa(2+i), w.Shape, w.Values); err != nil {
			return err
		}
	}
	return nil
}

// decodeWeights fills in m's weights, and its optimizer's state when m is
// compiled and the file has one, from model.weights.h5. m comes from
// config.json, which says which layers to expect.
func decodeWeights(data []byte, m *Model) error {
	return withHDF5(func() error {
		f, err := openH5(imageName("read"), data)
		if err != nil {
			return err
		}
		defer f.close()
		return readVars(f, m)
	})
}

func readVars(f *h5, m *Model) error {
	if err := expectGroup(f, "layers"); err != nil {
		return err
	}
	got, err := f.members("layers")
	if err != nil {
		return err
	}
	keys := m.groupKeys()
	sorted := slices.Sorted(slices.Values(keys)) // HDF5 lists names in byte order
	if !slices.Equal(got, sorted) {
		return fmt.Errorf("group layers holds %q, the layers of %s need %q", got, configMember, sorted)
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		if l.Weights, err = readLayerVars(f, "layers/"+keys[i]); err != nil {
			return fmt.Errorf("%s: %w", layerLabel(i, l.Name), err)
		}
		l.NonTrainable = min(nonTrainableVars[l.ClassName], len(l.Weights))
	}
	if m.Compile == nil {
		// An uncompiled model has no optimizer; Keras ignores optimizer
		// variables it has nowhere to load, and so does this.
		return nil
	}
	return readOptimizerVars(f, m)
}

// readLayerVars reads the variables of the layer whose group is at path.
func readLayerVars(f *h5, path string) ([]Weight, error) {
	if err := expectGroup(f, path); err != nil {
		return nil, err
	}
	inside, err := f.members(path)
	if err != nil {
		return nil, err
	}
	// Layers made of layers (LSTM's cell, Bidirectional, ...) keep their
	// parts' variables in groups beside vars, which a Layer has no place
	// for.
	if !slices.Equal(inside, []string{"vars"}) {
		return nil, fmt.Errorf("group %s holds %q, want only vars: kerasfile reads layers whose variables are all their own", path, inside)
	}
	vars := path + "/vars"
	if err := expectGroup(f, vars); err != nil {
		return nil, err
	}
	names, err := f.members(vars)
	if err != nil {
		return nil, err
	}
	if err := expectVars(f, vars, len(names)); err != nil {
		return nil, err
	}
	weights := make([]Weight, len(names))
	for j := range weights {
		if weights[j], err = readWeight(f, vars+"/"+strconv.Itoa(j)); err != nil {
			return nil, err
		}
	}
	return weights, nil
}

// readOptimizerVars reads the variables of m's optimizer, if the file has
// them: a compiled model saved without them loads in Keras with a fresh
// optimizer, and so here (no slots, zero iterations).
func readOptimizerVars(f *h5, m *Model) error {
	o := &m.Compile.Optimizer
	if _, err := f.kind("optimizer/vars"); errors.Is(err, errNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if err := expectGroup(f, "optimizer/vars"); err != nil {
		return fmt.Errorf("%s: %w", o.ClassName, err)
	}
	got, err := f.members("optimizer/vars")
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return nil
	}
	cfg, _, err := parseOptimizer(o.ClassName, o.Config)
	if err != nil {
		return err
	}
	layout, vars := slotLayout(o.ClassName, cfg), m.trainedVariables()
	want := slots(layout, vars)
	// A model compiled but never fit has an optimizer that was never
	// built: Keras saves its iteration count and learning rate, no slots.
	n := 2 + len(want)
	if len(got) == 2 {
		n = 2
	}
	if len(got) != n {
		return fmt.Errorf("%s: group optimizer/vars holds %d variables, want %d (iterations, learning rate and %d slots: %s)",
			o.ClassName, len(got), n, len(want), describeSlots(o.ClassName, layout, len(vars)))
	}
	if err := expectVars(f, "optimizer/vars", n); err != nil {
		return fmt.Errorf("%s: %w", o.ClassName, err)
	}
	if o.Iterations, err = readInt64(f, "optimizer/vars/0"); err != nil {
		return fmt.Errorf("%s iterations: %w", o.ClassName, err)
	}
	if o.Iterations < 0 {
		return fmt.Errorf("%s iterations (optimizer/vars/0) is %d, want >= 0", o.ClassName, o.Iterations)
	}
	lr, err := readFloat32(f, "optimizer/vars/1")
	if err != nil {
		return fmt.Errorf("%s learning rate: %w", o.ClassName, err)
	}
	// The variable, not compile_config, is what Keras trains with after
	// loading, so it is checked as compile_config's rate is.
	if err := checkLearningRate(o.ClassName+" learning rate (optimizer/vars/1)", strconv.FormatFloat(float64(lr[0]), 'g', -1, 32), float64(lr[0])); err != nil {
		return err
	}
	o.LearningRate = lr[0]
	if n == 2 {
		return nil
	}
	o.Slots = make([]Weight, len(want))
	for i, s := range want {
		path := "optimizer/vars/" + strconv.Itoa(2+i)
		values, err := readFloat32(f, path, s.of.shape...)
		if err != nil {
			return fmt.Errorf("%s slot %d (%s of %s): %w", o.ClassName, i, s.kind, s.of.path, err)
		}
		o.Slots[i] = Weight{Shape: slices.Clone(s.of.shape), Values: values}
	}
	return nil
}

func expectGroup(f *h5, path string) error {
	k, err := f.kind(path)
	if errors.Is(err, errNotExist) {
		return fmt.Errorf("group %s is missing", path)
	}
	if err != nil {
		return err
	}
	if k != "group" {
		return fmt.Errorf("%s is a %s, want a group", path, k)
	}
	return nil
}

// expectVars checks that the group at path holds exactly the datasets
// "0" ... "n-1", as Keras writes them.
func expectVars(f *h5, path string, n int) error {
	got, err := f.members(path)
	if err != nil {
		return err
	}
	var missing []string
	for i := range n {
		if !slices.Contains(got, strconv.Itoa(i)) {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 || len(got) != n {
		return fmt.Errorf("group %s holds %q; Keras numbers %d variables 0 to %d: missing %q", path, got, n, n-1, missing)
	}
	return nil
}

// readWeight reads a float32 dataset of any shape: a layer's variable,
// whose shape only the file knows.
func readWeight(f *h5, path string) (Weight, error) {
	info, err := f.info(path)
	if err != nil {
		return Weight{}, err
	}
	if !info.float || info.size != 4 {
		return Weight{}, fmt.Errorf("%s is %s, want float32", path, info)
	}
	values, err := f.readFloat32(path, info.dims)
	if err != nil {
		return Weight{}, err
	}
	return Weight{Shape: info.dims, Values: values}, nil
}

// readFloat32 reads a float32 dataset of shape dims (none: a scalar).
// Other element types are refused rather than converted, so that values
// stay bit for bit what was saved.
func readFloat32(f *h5, path string, dims ...int) ([]float32, error) {
	info, err := f.info(path)
	if err != nil {
		return nil, err
	}
	if !info.float || info.size != 4 || !slices.Equal(info.dims, dims) {
		return nil, fmt.Errorf("%s is %s, want float32 %s", path, info, shapeString(dims))
	}
	return f.readFloat32(path, dims)
}

func readInt64(f *h5, path string) (int64, error) {
	info, err := f.info(path)
	if err != nil {
		return 0, err
	}
	if !info.integer || len(info.dims) != 0 {
		return 0, fmt.Errorf("%s is %s, want an integer scalar", path, info)
	}
	return f.readInt64(path)
}
