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
//	/layers/dense/vars/0               kernel, float32 (784, 128)
//	/layers/dense/vars/1               bias,   float32 (128,)
//	/layers/dense_1/vars/{0,1}         the next Dense layer
//	/optimizer/vars/0                  Adam iterations, int64 scalar
//	/optimizer/vars/1                  learning rate, float32 scalar
//	/optimizer/vars/2, 3, 4, 5         momentum, velocity of dense's kernel,
//	                                   then of its bias
//	/optimizer/vars/6 ...              the same for dense_1, and so on
//	/vars                              attribute name = the model's name
//
// Another optimizer (Model.OtherOptimizer) has the same vars/0 and vars/1,
// then its slots in the order of its build: AdamW's as Adam's; SGD's
// momentum per variable, if any; RMSprop's velocity per variable, then its
// momentum per variable, if any, then its average_gradient per variable,
// if centered.
//
// Each vars group carries the owner's name as a variable-length UTF-8
// string attribute. The layer groups are named after the class (dense,
// dense_1, ...) whatever the layers are called, and datasets are
// contiguous and uncompressed. The optimizer group exists only for a
// compiled model. Files are HDF5 with the earliest file format libhdf5
// offers, which is h5py's default too.

// weightsMember is the name of the HDF5 file inside the zip archive.
const weightsMember = "model.weights.h5"

// adamSlotsPerLayer counts Adam's variables per Dense layer: momentum and
// velocity for the kernel and for the bias.
const adamSlotsPerLayer = 4

// encodeWeights returns model.weights.h5 for m, which Validate has accepted.
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
	for _, g := range []struct{ path, name string }{
		{"layers", ""}, {"layers/flatten", ""}, {"layers/flatten/vars", "flatten"},
	} {
		if err := f.group(g.path, g.name); err != nil {
			return err
		}
	}
	in, names := product(m.InputShape), m.layerNames()
	for i, l := range m.Layers {
		vars := "layers/" + denseKey(i) + "/vars"
		if err := f.group("layers/"+denseKey(i), ""); err != nil {
			return err
		}
		if err := f.group(vars, names[i]); err != nil {
			return err
		}
		if err := f.writeFloat32(vars+"/0", []int{in, l.Units}, l.Kernel); err != nil {
			return err
		}
		if err := f.writeFloat32(vars+"/1", []int{l.Units}, l.Bias); err != nil {
			return err
		}
		in = l.Units
	}
	if o := m.Optimizer; o != nil {
		// Writing the state even for a fresh optimizer (zeros) keeps
		// load_model quiet: with compile_config but no optimizer variables it
		// warns that it skipped loading them.
		if err := f.group("optimizer", ""); err != nil {
			return err
		}
		if err := f.group("optimizer/vars", "adam"); err != nil {
			return err
		}
		if err := f.writeInt64("optimizer/vars/0", o.Iterations); err != nil {
			return err
		}
		if err := f.writeFloat32("optimizer/vars/1", nil, []float32{o.LearningRate}); err != nil {
			return err
		}
		for i, l := range m.Layers {
			s := AdamSlots{
				KernelMomentum: make([]float32, len(l.Kernel)), KernelVelocity: make([]float32, len(l.Kernel)),
				BiasMomentum: make([]float32, len(l.Bias)), BiasVelocity: make([]float32, len(l.Bias)),
			}
			if o.Slots != nil {
				s = o.Slots[i]
			}
			kshape, bshape := []int{len(l.Kernel) / l.Units, l.Units}, []int{l.Units}
			for j, v := range []struct {
				dims []int
				data []float32
			}{{kshape, s.KernelMomentum}, {kshape, s.KernelVelocity}, {bshape, s.BiasMomentum}, {bshape, s.BiasVelocity}} {
				path := "optimizer/vars/" + strconv.Itoa(2+adamSlotsPerLayer*i+j)
				if err := f.writeFloat32(path, v.dims, v.data); err != nil {
					return err
				}
			}
		}
	}
	if o := m.OtherOptimizer; o != nil {
		if err := writeOptimizerVars(f, o); err != nil {
			return err
		}
	}
	return f.group("vars", m.name())
}

// decodeWeights fills in m's weights, and its optimizer state when m is
// compiled and the file has one, from model.weights.h5. m comes from
// config.json, which says which variables to expect and their shapes.
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
	keys := []string{"flatten"}
	for i := range m.Layers {
		keys = append(keys, denseKey(i))
	}
	if err := expectGroup(f, "layers"); err != nil {
		return err
	}
	got, err := f.members("layers")
	if err != nil {
		return err
	}
	slices.Sort(keys) // HDF5 lists names in byte order
	if !slices.Equal(got, keys) {
		return fmt.Errorf("group layers holds %q, config.json implies %q", got, keys)
	}
	in := product(m.InputShape)
	for i := range m.Layers {
		l := &m.Layers[i]
		vars := "layers/" + denseKey(i) + "/vars"
		if err := expectVars(f, vars, 2); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
		if l.Kernel, err = readFloat32(f, vars+"/0", in, l.Units); err != nil {
			return fmt.Errorf("layer %d (%s) kernel: %w", i+1, l.Name, err)
		}
		if l.Bias, err = readFloat32(f, vars+"/1", l.Units); err != nil {
			return fmt.Errorf("layer %d (%s) bias: %w", i+1, l.Name, err)
		}
		in = l.Units
	}
	if o := m.OtherOptimizer; o != nil {
		return readOtherOptimizerVars(f, m, o)
	}
	if m.Optimizer == nil {
		// An uncompiled model has no optimizer; Keras ignores optimizer
		// variables it has nowhere to load, and so does this.
		return nil
	}
	// A compiled model saved without optimizer variables loads in Keras
	// with a fresh optimizer; so here: no slots, zero iterations.
	if _, err := f.kind("optimizer/vars"); errors.Is(err, errNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	n, err := f.members("optimizer/vars")
	if err != nil {
		return err
	}
	if len(n) == 0 {
		return nil
	}
	// A model compiled but never fit has an optimizer that was never built:
	// Keras saves its iteration count and learning rate, no slots.
	nvars := 2 + adamSlotsPerLayer*len(m.Layers)
	if len(n) == 2 {
		nvars = 2
	}
	if err := expectVars(f, "optimizer/vars", nvars); err != nil {
		return fmt.Errorf("Adam: %w", err)
	}
	o := m.Optimizer
	if o.Iterations, err = readInt64(f, "optimizer/vars/0"); err != nil {
		return fmt.Errorf("Adam iterations: %w", err)
	}
	lr, err := readFloat32(f, "optimizer/vars/1")
	if err != nil {
		return fmt.Errorf("Adam learning rate: %w", err)
	}
	// The variable, not compile_config, is what Keras trains with after
	// loading, so it is checked as compile_config's rate is.
	if err := checkLearningRate("Adam learning rate (optimizer/vars/1)", strconv.FormatFloat(float64(lr[0]), 'g', -1, 32), float64(lr[0])); err != nil {
		return err
	}
	o.LearningRate = lr[0]
	if nvars == 2 {
		return nil
	}
	in = product(m.InputShape)
	for i, l := range m.Layers {
		var s AdamSlots
		for j, dst := range []*[]float32{&s.KernelMomentum, &s.KernelVelocity, &s.BiasMomentum, &s.BiasVelocity} {
			dims := []int{in, l.Units}
			if j >= 2 {
				dims = []int{l.Units}
			}
			path := "optimizer/vars/" + strconv.Itoa(2+adamSlotsPerLayer*i+j)
			if *dst, err = readFloat32(f, path, dims...); err != nil {
				return fmt.Errorf("Adam slots of layer %d (%s): %w", i+1, l.Name, err)
			}
		}
		o.Slots = append(o.Slots, s)
		in = l.Units
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
	if err := expectGroup(f, path); err != nil {
		return err
	}
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
		return fmt.Errorf("group %s holds variables %q, want %d (0 to %d): %d missing %q",
			path, got, n, n-1, len(missing), missing)
	}
	return nil
}

// readFloat32 reads a float32 dataset of shape dims (none: a scalar).
// Other element types are refused rather than converted, so that weights
// stay bit for bit what was saved.
func readFloat32(f *h5, path string, dims ...int) ([]float32, error) {
	info, err := f.info(path)
	if err != nil {
		return nil, err
	}
	if !info.float || info.size != 4 || !slices.Equal(info.dims, dims) {
		return nil, fmt.Errorf("%s is %s, want float32 %s", path, info, shapeString(dims))
	}
	// The shape comes from the file; a corrupt or hostile one could claim
	// more than memory holds.
	if n := product(dims); f.size > 0 && n > f.size/4 {
		return nil, fmt.Errorf("%s claims %d values, more than the %d-byte file holds", path, n, f.size)
	}
	return f.readFloat32(path, product(dims))
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
