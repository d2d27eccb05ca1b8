package kerasfile

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Write saves m as a .keras file at path, which Python's
// keras.models.load_model opens as a Sequential ready to predict and, when
// m.Compile is set, to fit, its optimizer where m left it. Empty layer
// names are filled in as Keras does in a fresh session. Write refuses a
// model Read would refuse or Keras could not load, naming what is wrong.
// The file is written beside path under a temporary name and renamed over
// it, so a failed Write leaves any old file at path as it was and no
// temporary file behind.
func Write(path string, m Model) error {
	if err := write(path, m, time.Now()); err != nil {
		return fmt.Errorf("kerasfile: write %s: %w", path, err)
	}
	return nil
}

func write(path string, m Model, now time.Time) (err error) {
	if err := m.validate(); err != nil {
		return err
	}
	config, err := configJSON(m)
	if err != nil {
		return err
	}
	meta, err := metadataJSON(now)
	if err != nil {
		return err
	}
	weights, err := encodeWeights(m)
	if err != nil {
		return fmt.Errorf("%s: %w", weightsMember, err)
	}
	// validate bounds the values; this bounds HDF5's structures too, so
	// that Go never writes a file Read refuses.
	if len(weights) > maxWeightsSize {
		return fmt.Errorf("%s would take %d bytes, more than the limit of %d bytes that Read accepts", weightsMember, len(weights), maxWeightsSize)
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	err = writeArchive(w, []member{{metadataMember, meta}, {configMember, config}, {weightsMember, weights}}, now)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// CreateTemp makes the file private; a saved model is an ordinary file.
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	// Sync before rename: otherwise a crash can leave path naming an empty
	// file on file systems that reorder metadata and data.
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable; a directory that cannot be synced
	// (some file systems) leaves the file written all the same.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
