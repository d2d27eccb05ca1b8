package kerasfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/gokeras/fashion/internal/filekind"
)

// Read reads a .keras file holding a Keras 3 Sequential, whatever its
// layers: their classes and configs are returned as the file has them, for
// the caller to map to implementations. Errors name the file and what is
// wrong with it: not a regular file, not a zip archive, a member bigger
// than its limit (limits.go), a missing member, another kind of model, a
// nested model, a layer that is not float32 or not trainable, an optimizer
// kerasfile does not know or with hyperparameters out of range, a corrupt
// HDF5 file or one that reaches outside itself (confine.go), a weight that
// is missing or not float32, optimizer variables that do not match the
// model's.
func Read(path string) (Model, error) {
	m, err := read(path)
	if err != nil {
		return Model{}, fmt.Errorf("kerasfile: read %s: %w", path, err)
	}
	return m, nil
}

func read(path string) (Model, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return Model{}, err
	}
	defer f.Close()
	a, err := openArchive(f, size)
	if err != nil {
		return Model{}, err
	}
	if err := a.need(configMember, weightsMember); err != nil {
		return Model{}, err
	}
	if a.has(metadataMember) {
		data, err := a.read(metadataMember, maxJSONSize, "for a JSON member")
		if err != nil {
			return Model{}, err
		}
		var meta struct {
			KerasVersion string `json:"keras_version"`
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return Model{}, fmt.Errorf("%s: %w", metadataMember, err)
		}
		// Keras 2's .keras files lay out weights differently.
		if !strings.HasPrefix(meta.KerasVersion, "3.") {
			return Model{}, fmt.Errorf("%s: saved by Keras %q; kerasfile reads files of Keras 3", metadataMember, meta.KerasVersion)
		}
	}
	config, err := a.read(configMember, maxJSONSize, "for a JSON member")
	if err != nil {
		return Model{}, err
	}
	m, err := parseConfig(config)
	if err != nil {
		return Model{}, err
	}
	weights, err := a.read(weightsMember, maxWeightsSize, "for a weights file")
	if err != nil {
		return Model{}, err
	}
	if err := decodeWeights(weights, &m); err != nil {
		return Model{}, fmt.Errorf("%s: %w", weightsMember, err)
	}
	return m, nil
}

// openRegular opens path for reading if it is a regular file (or a
// symbolic link to one), and returns its size. Anything else is refused
// before it is opened (filekind.OpenRegular): opening a FIFO blocks until a
// writer comes, and opening a device can act on it.
func openRegular(path string) (*os.File, int64, error) {
	f, st, err := filekind.OpenRegular(path)
	var nr *filekind.NotRegularError
	if errors.As(err, &nr) {
		return nil, 0, regular(nr.Mode)
	}
	if err != nil {
		return nil, 0, pathless(err)
	}
	return f, st.Size(), nil
}

// pathless drops the path from a file system error: Read names it already.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func regular(mode fs.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	return fmt.Errorf("not a regular file (%s)", filekind.Describe(mode))
}
