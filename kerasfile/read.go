package kerasfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Read reads a .keras file holding a Sequential of a Flatten layer and Dense
// layers, whatever their sizes. Errors name the file and what is wrong with
// it: not a zip archive, a missing member, another kind of model or layer,
// a corrupt HDF5 file, a weight that is missing or of the wrong shape.
func Read(path string) (Model, error) {
	m, err := read(path)
	if err != nil {
		return Model{}, fmt.Errorf("kerasfile: read %s: %w", path, err)
	}
	return m, nil
}

// ReadArch reads a .keras file like Read and checks that the model has
// architecture want, for example Fashion().
func ReadArch(path string, want Arch) (Model, error) {
	m, err := Read(path)
	if err != nil {
		return Model{}, err
	}
	if err := m.Match(want); err != nil {
		return Model{}, fmt.Errorf("kerasfile: read %s: %w", path, err)
	}
	return m, nil
}

func read(path string) (Model, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return Model{}, pe.Err // the caller names the path already
		}
		return Model{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Model{}, err
	}
	a, err := readArchive(f, st.Size())
	if err != nil {
		return Model{}, err
	}
	if a.metadata != nil {
		var meta struct {
			KerasVersion string `json:"keras_version"`
		}
		if err := json.Unmarshal(a.metadata, &meta); err != nil {
			return Model{}, fmt.Errorf("%s: %w", metadataMember, err)
		}
		// Keras 2's .keras files lay out weights differently.
		if !strings.HasPrefix(meta.KerasVersion, "3.") {
			return Model{}, fmt.Errorf("%s: saved by Keras %q; kerasfile reads files of Keras 3", metadataMember, meta.KerasVersion)
		}
	}
	m, err := parseConfig(a.config)
	if err != nil {
		return Model{}, err
	}
	if err := decodeWeights(a.weights, &m); err != nil {
		return Model{}, fmt.Errorf("%s: %w", weightsMember, err)
	}
	if err := m.Validate(); err != nil {
		return Model{}, err
	}
	return m, nil
}
