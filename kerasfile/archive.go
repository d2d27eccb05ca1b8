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

// archive is an opened .keras file: its members by name, read one at a
// time, each with its own limit.
type archive struct {
	files map[string]*zip.File
	names []string
}

func openArchive(r io.ReaderAt, size int64) (*archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, errors.New("not a .keras file: not a zip archive")
		}
		return nil, fmt.Errorf("not a .keras file: %w", err)
	}
	a := &archive{files: map[string]*zip.File{}}
	for _, f := range zr.File {
		a.files[f.Name] = f
		a.names = append(a.names, f.Name)
	}
	return a, nil
}

func (a *archive) has(name string) bool { return a.files[name] != nil }

// need reports the first of the members Read cannot do without that is
// missing, before Read spends time on the others.
func (a *archive) need(names ...string) error {
	for _, name := range names {
		if a.has(name) {
			continue
		}
		if name == weightsMember && a.has("model.weights.npz") {
			return errors.New("weights are in model.weights.npz; kerasfile reads the default model.weights.h5")
		}
		return fmt.Errorf("no %s in the archive (it holds %s)", name, strings.Join(a.names, ", "))
	}
	return nil
}

// read returns the member name, which must exist, refusing it if it holds
// more than limit bytes; what says where the limit comes from.
func (a *archive) read(name string, limit int64, what string) ([]byte, error) {
	if err := a.need(name); err != nil {
		return nil, err
	}
	return readMember(a.files[name], limit, what)
}

// readMember reads f. Its header's size is the archive's claim, not a fact:
// it is checked against limit before anything is allocated, the data is
// read into a buffer of exactly that size, and data that goes on past it is
// refused rather than read.
func readMember(f *zip.File, limit int64, what string) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: declares %d bytes uncompressed, more than the limit of %d bytes %s",
			f.Name, f.UncompressedSize64, limit, what)
	}
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer r.Close()
	data := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(r, data); err != nil {
		// zip reports a truncated or altered member here, as an
		// unexpected EOF or a decompression error.
		return nil, fmt.Errorf("%s: corrupt zip member: %w", f.Name, err)
	}
	// One more byte: end of data where the header said, at which zip also
	// verifies the checksum, or more data than declared, which zip reports
	// as ErrFormat (or a reader that checks less would return).
	var more [1]byte
	switch _, err := io.ReadFull(r, more[:]); {
	case err == io.EOF:
		return data, nil
	case err == nil || errors.Is(err, zip.ErrFormat):
		return nil, fmt.Errorf("%s: holds more than the %d bytes its zip header declares", f.Name, f.UncompressedSize64)
	default:
		return nil, fmt.Errorf("%s: corrupt zip member: %w", f.Name, err)
	}
}
