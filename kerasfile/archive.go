package kerasfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// A .keras file is a zip archive of three members, stored uncompressed in
// this order by Keras: metadata.json, config.json, model.weights.h5.
const (
	metadataMember = "metadata.json"
	configMember   = "config.json"
)

// Limits on what Read takes out of an archive, far above what a Flatten and
// Dense model needs, so that a hostile archive cannot make it allocate
// without bound (the sizes in a zip's directory are the archive's claim,
// not a fact).
const (
	maxJSONSize    = 16 << 20
	maxWeightsSize = 2 << 30
)

type member struct {
	name string
	data []byte
}

// writeArchive writes members as a zip archive, uncompressed as Keras
// writes them: weights do not compress, and a stored member can be read
// without inflating.
func writeArchive(w io.Writer, members []member, now time.Time) error {
	zw := zip.NewWriter(w)
	for _, m := range members {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store, Modified: now})
		if err != nil {
			return err
		}
		if _, err := fw.Write(m.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// archive is an opened .keras file's members.
type archive struct {
	metadata, config, weights []byte
}

// readArchive reads the members Read needs from the zip archive in r.
func readArchive(r io.ReaderAt, size int64) (archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return archive{}, errors.New("not a .keras file: not a zip archive")
		}
		return archive{}, fmt.Errorf("not a .keras file: %w", err)
	}
	files := map[string]*zip.File{}
	var names []string
	for _, f := range zr.File {
		files[f.Name] = f
		names = append(names, f.Name)
	}
	var a archive
	for _, m := range []struct {
		name     string
		dst      *[]byte
		limit    int64
		optional bool
	}{
		{metadataMember, &a.metadata, maxJSONSize, true},
		{configMember, &a.config, maxJSONSize, false},
		{weightsMember, &a.weights, maxWeightsSize, false},
	} {
		f := files[m.name]
		if f == nil {
			if m.optional {
				continue
			}
			if m.name == weightsMember && files["model.weights.npz"] != nil {
				return archive{}, errors.New("weights are in model.weights.npz; kerasfile reads the default model.weights.h5")
			}
			return archive{}, fmt.Errorf("no %s in the archive (it holds %s)", m.name, strings.Join(names, ", "))
		}
		if *m.dst, err = readMember(f, m.limit); err != nil {
			return archive{}, err
		}
	}
	return a, nil
}

func readMember(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d this reader accepts", f.Name, f.UncompressedSize64, limit)
	}
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		// zip reports a truncated or altered member here, as a checksum
		// error or an unexpected EOF.
		return nil, fmt.Errorf("%s: corrupt zip member: %w", f.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes", f.Name, limit)
	}
	return data, nil
}
