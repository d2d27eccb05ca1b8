package kerasfile

// This file is the package's only contact with the HDF5 C library
// (libhdf5, Debian package libhdf5-dev). It binds the dozen calls that the
// Keras weights layout needs rather than going through gonum.org/v1/hdf5:
// that binding is unmaintained since 2021, reads datasets with the file's
// datatype as the memory type (a float64 dataset would overrun a []float32),
// cannot set the UTF-8 character set Keras uses for its "name" attributes,
// cannot silence libhdf5's error printing or report its error messages,
// and only opens files by name. Here files live in memory (the core driver
// with no backing store), so a weights file goes from and to the zip
// archive without a temporary file.

/*
#cgo pkg-config: hdf5
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>

enum { KF_FLOAT32 = 0, KF_INT64 = 1 };

// libhdf5 prints its error stack to stderr by default. The setting belongs
// to the calling thread in a thread-safe build, so the Go side calls this
// after locking its goroutine to the thread.
static void kf_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct { char *buf; size_t len; } kf_msgs;

// kf_walk joins the error stack's descriptions, from what the library was
// asked to do down to what went wrong: "unable to open file: unable to read
// superblock: truncated file: eof = ...".
static herr_t kf_walk(unsigned n, const H5E_error2_t *e, void *data) {
	kf_msgs *m = (kf_msgs *)data;
	size_t used = strlen(m->buf);
	if (e->desc == NULL || e->desc[0] == 0 || used + 3 >= m->len) return 0;
	if (used > 0) strncat(m->buf, ": ", m->len - used - 1);
	strncat(m->buf, e->desc, m->len - strlen(m->buf) - 1);
	return 0;
}

static void kf_errmsg(char *buf, size_t len) {
	kf_msgs m = {buf, len};
	buf[0] = 0;
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, kf_walk, &m);
	H5Eclear2(H5E_DEFAULT);
}

// Every HDF5 call clears the error stack on entry, so a helper that cleans
// up after a failure saves the stack first and puts it back last.
static void kf_restore(hid_t es) {
	if (es >= 0) H5Eset_current_stack(es);
}

static hid_t kf_create_image(const char *name) {
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) return -1;
	hid_t f = -1, es = -1;
	if (H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0)
		f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
	if (f < 0) es = H5Eget_current_stack();
	H5Pclose(fapl);
	kf_restore(es);
	return f;
}

static hid_t kf_open_image(const char *name, void *buf, size_t n) {
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) return -1;
	hid_t f = -1, es = -1;
	// H5Pset_file_image copies buf, so Go memory is not kept past the call.
	if (H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 && H5Pset_file_image(fapl, buf, n) >= 0)
		f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
	if (f < 0) es = H5Eget_current_stack();
	H5Pclose(fapl);
	kf_restore(es);
	return f;
}

static herr_t kf_group(hid_t f, const char *path, const char *nameattr) {
	hid_t g = H5Gcreate2(f, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (g < 0) return -1;
	herr_t rc = 0;
	hid_t es = -1;
	if (nameattr != NULL) {
		// h5py writes Python str attributes as scalar variable-length
		// UTF-8 strings; do the same so h5py reads back a str.
		hid_t t = H5Tcopy(H5T_C_S1);
		hid_t s = H5Screate(H5S_SCALAR);
		hid_t a = -1;
		rc = -1;
		if (t >= 0 && s >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0) {
			a = H5Acreate2(g, "name", t, s, H5P_DEFAULT, H5P_DEFAULT);
			if (a >= 0) rc = H5Awrite(a, t, &nameattr);
		}
		if (rc < 0) es = H5Eget_current_stack();
		if (a >= 0) H5Aclose(a);
		if (s >= 0) H5Sclose(s);
		if (t >= 0) H5Tclose(t);
	}
	H5Gclose(g);
	kf_restore(es);
	return rc;
}

static herr_t kf_write(hid_t f, const char *path, int kind, int rank, const hsize_t *dims, const void *data) {
	hid_t ft = kind == KF_FLOAT32 ? H5T_IEEE_F32LE : H5T_STD_I64LE;
	hid_t mt = kind == KF_FLOAT32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64;
	hid_t s = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
	if (s < 0) return -1;
	herr_t rc = -1;
	hid_t es = -1;
	hid_t d = H5Dcreate2(f, path, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (d >= 0) {
		rc = H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
		if (rc < 0) es = H5Eget_current_stack();
		H5Dclose(d);
	} else {
		es = H5Eget_current_stack();
	}
	H5Sclose(s);
	kf_restore(es);
	return rc;
}

// kf_kind reports the type of the object at path: 1 group, 2 dataset,
// 0 anything else, -1 on error.
static int kf_kind(hid_t f, const char *path) {
	hid_t o = H5Oopen(f, path, H5P_DEFAULT);
	if (o < 0) return -1;
	H5I_type_t t = H5Iget_type(o);
	// An unknown object type is not an error the caller reports.
	H5Oclose(o);
	return t == H5I_GROUP ? 1 : t == H5I_DATASET ? 2 : 0;
}

static long long kf_nlinks(hid_t f, const char *path) {
	H5G_info_t info;
	if (H5Gget_info_by_name(f, path, &info, H5P_DEFAULT) < 0) return -1;
	return (long long)info.nlinks;
}

static long long kf_link_name(hid_t f, const char *path, hsize_t i, char *buf, size_t n) {
	return (long long)H5Lget_name_by_idx(f, path, H5_INDEX_NAME, H5_ITER_INC, i, buf, n, H5P_DEFAULT);
}

// kf_info describes an open dataset: its type class (H5T_class_t),
// element size, rank and up to 8 dimensions.
static herr_t kf_info(hid_t d, int *cls, size_t *size, int *rank, hsize_t *dims) {
	herr_t rc = -1;
	hid_t es = -1;
	hid_t t = H5Dget_type(d);
	hid_t s = H5Dget_space(d);
	if (t >= 0 && s >= 0) {
		*cls = (int)H5Tget_class(t);
		*size = H5Tget_size(t);
		*rank = H5Sget_simple_extent_ndims(s);
		if (*rank >= 0 && *rank <= 8 && H5Sget_simple_extent_dims(s, dims, NULL) >= 0) rc = 0;
	}
	if (rc < 0) es = H5Eget_current_stack();
	if (s >= 0) H5Sclose(s);
	if (t >= 0) H5Tclose(t);
	kf_restore(es);
	return rc;
}

static herr_t kf_read(hid_t d, int kind, void *out) {
	return H5Dread(d, kind == KF_FLOAT32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
}

static hid_t kf_dopen(hid_t f, const char *path) { return H5Dopen2(f, path, H5P_DEFAULT); }

static int kf_class_float(void) { return H5T_FLOAT; }
static int kf_class_integer(void) { return H5T_INTEGER; }
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// h5 is an HDF5 file held in memory by libhdf5. Its methods must run inside
// withHDF5, on the goroutine that opened it.
type h5 struct {
	id C.hid_t
	// size is the length of the image a file was opened from, and budget
	// what is left of it for the values still to read (limits.go): the
	// datasets of a Keras file, contiguous and uncompressed, hold no more
	// bytes than the file together.
	size, budget int
}

// h5Class is the type class of a dataset's elements.
type h5Class int

var errNotExist = errors.New("does not exist")

// hdf5Lock serializes the package's use of libhdf5. Debian builds it
// thread-safe, but other builds are not, and a weights file takes
// milliseconds: one at a time costs nothing. That holds only because
// nothing done under the lock waits on the file system: files are images in
// memory whose names cannot exist on disk (imageName), and confine.go
// refuses whatever would make libhdf5 open another file.
var hdf5Lock sync.Mutex

// withHDF5 runs fn on one OS thread with libhdf5's error printing turned off,
// so that the error stack read by h5err belongs to the failed call.
func withHDF5(fn func() error) error {
	hdf5Lock.Lock()
	defer hdf5Lock.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.kf_quiet()
	confineHDF5()
	return fn()
}

// imageName returns a name for an in-memory file that names nothing on
// disk. libhdf5 uses it to tell open files apart, and also calls open(2) on
// it when it opens or creates the image (strace shows it; to check that no
// such file exists): a FIFO of that name in the working directory would
// block that call under hdf5Lock. No path under /dev/null can be opened
// (it is not a directory), so that open fails at once. A counter
// keeps the names of files open at once unique, which libhdf5 requires.
func imageName(kind string) string {
	return fmt.Sprintf("/dev/null/kerasfile-%s-%d.h5", kind, imageCount.Add(1))
}

var imageCount atomic.Uint64

// h5err turns the calling thread's HDF5 error stack into an error.
func h5err(what string) error {
	buf := make([]byte, 1024)
	C.kf_errmsg((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	msg := C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
	if msg == "" {
		return fmt.Errorf("%s: HDF5 call failed", what)
	}
	return fmt.Errorf("%s: %s", what, msg)
}

// createH5 starts an empty HDF5 file in memory, named by imageName;
// nothing is written to disk.
func createH5(name string) (*h5, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	id := C.kf_create_image(cname)
	if id < 0 {
		return nil, h5err("create HDF5 file in memory")
	}
	return &h5{id: id}, nil
}

// openH5 opens an HDF5 file image read-only, named by imageName. libhdf5
// keeps its own copy of data and reads nothing else: see confine.go.
func openH5(name string, data []byte) (*h5, error) {
	if len(data) == 0 {
		return nil, errors.New("not an HDF5 file: empty")
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	id := C.kf_open_image(cname, unsafe.Pointer(&data[0]), C.size_t(len(data)))
	if id < 0 {
		return nil, h5err("not a readable HDF5 file")
	}
	return &h5{id: id, size: len(data), budget: len(data)}, nil
}

func (f *h5) close() error {
	if C.H5Fclose(f.id) < 0 {
		return h5err("close HDF5 file")
	}
	return nil
}

// image returns the bytes of the whole file, as they would be on disk.
func (f *h5) image() ([]byte, error) {
	// Until a flush, the superblock still records the file's end as it was
	// when created, and a reader would take the image as truncated.
	if C.H5Fflush(f.id, C.H5F_SCOPE_GLOBAL) < 0 {
		return nil, h5err("flush HDF5 file")
	}
	n := C.H5Fget_file_image(f.id, nil, 0)
	if n < 0 {
		return nil, h5err("get HDF5 file image")
	}
	buf := make([]byte, int(n))
	if C.H5Fget_file_image(f.id, unsafe.Pointer(&buf[0]), C.size_t(len(buf))) < 0 {
		return nil, h5err("get HDF5 file image")
	}
	return buf, nil
}

// group creates the group at path (its parent must exist) and, unless
// nameAttr is empty, gives it a string attribute "name".
func (f *h5) group(path, nameAttr string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cname *C.char
	if nameAttr != "" {
		cname = C.CString(nameAttr)
		defer C.free(unsafe.Pointer(cname))
	}
	if C.kf_group(f.id, cpath, cname) < 0 {
		return h5err("create group " + path)
	}
	return nil
}

// writeFloat32 writes a little-endian float32 dataset of shape dims (no
// dims: a scalar), contiguous and uncompressed as h5py writes it.
func (f *h5) writeFloat32(path string, dims []int, data []float32) error {
	if n := product(dims); n != len(data) {
		return fmt.Errorf("dataset %s: %d values for shape %v", path, len(data), dims)
	}
	if len(data) == 0 {
		// A shape with a 0 in it: libhdf5 reads nothing from the buffer,
		// but it must be a valid pointer.
		data = make([]float32, 1)
	}
	return f.write(path, C.KF_FLOAT32, dims, unsafe.Pointer(&data[0]))
}

// writeInt64 writes a scalar little-endian int64 dataset.
func (f *h5) writeInt64(path string, v int64) error {
	return f.write(path, C.KF_INT64, nil, unsafe.Pointer(&v))
}

func (f *h5) write(path string, kind C.int, dims []int, data unsafe.Pointer) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	cdims := make([]C.hsize_t, len(dims)+1) // +1: never empty, so &cdims[0] is valid
	for i, d := range dims {
		cdims[i] = C.hsize_t(d)
	}
	if C.kf_write(f.id, cpath, kind, C.int(len(dims)), &cdims[0], data) < 0 {
		return h5err("write dataset " + path)
	}
	return nil
}

// kind reports whether path names a group or a dataset, and errNotExist if
// nothing is there. checkPath walks the path a component at a time, which
// also spares H5Lexists a missing parent (it fails rather than answer false).
func (f *h5) kind(path string) (string, error) {
	if err := f.checkPath(path); err != nil {
		return "", err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	switch C.kf_kind(f.id, cpath) {
	case 1:
		return "group", nil
	case 2:
		return "dataset", nil
	case 0:
		return "other object", nil
	}
	return "", h5err("open " + path)
}

// members lists the names of the links in the group at path, sorted.
func (f *h5) members(path string) ([]string, error) {
	if err := f.checkPath(path); errors.Is(err, errNotExist) {
		return nil, fmt.Errorf("group %s %w", path, err)
	} else if err != nil {
		return nil, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	n := C.kf_nlinks(f.id, cpath)
	if n < 0 {
		return nil, h5err("list group " + path)
	}
	names := make([]string, 0, int(n))
	buf := make([]byte, 256)
	for i := C.hsize_t(0); i < C.hsize_t(n); i++ {
		l := C.kf_link_name(f.id, cpath, i, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		if l < 0 {
			return nil, h5err("list group " + path)
		}
		names = append(names, C.GoString((*C.char)(unsafe.Pointer(&buf[0]))))
	}
	return names, nil
}

// datasetInfo is what a reader checks before it reads: element class and
// size, and shape.
type datasetInfo struct {
	float, integer bool
	size           int
	dims           []int
}

func (d datasetInfo) String() string {
	kind := "non-numeric"
	switch {
	case d.float:
		kind = fmt.Sprintf("float%d", 8*d.size)
	case d.integer:
		kind = fmt.Sprintf("int%d", 8*d.size)
	}
	return fmt.Sprintf("%s %s", kind, shapeString(d.dims))
}

// dataset opens the dataset at path for info and read, once checkPath and
// checkStorage have found it inside the file. The caller closes it.
func (f *h5) dataset(path string) (C.hid_t, error) {
	if err := f.checkPath(path); errors.Is(err, errNotExist) {
		return -1, fmt.Errorf("dataset %s %w", path, err)
	} else if err != nil {
		return -1, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	d := C.kf_dopen(f.id, cpath)
	if d < 0 {
		return -1, h5err("open dataset " + path)
	}
	if err := f.checkStorage(d, path); err != nil {
		C.H5Dclose(d)
		return -1, err
	}
	return d, nil
}

func (f *h5) info(path string) (datasetInfo, error) {
	d, err := f.dataset(path)
	if err != nil {
		return datasetInfo{}, err
	}
	defer C.H5Dclose(d)
	var cls, rank C.int
	var size C.size_t
	var dims [8]C.hsize_t
	if C.kf_info(d, &cls, &size, &rank, &dims[0]) < 0 {
		return datasetInfo{}, h5err("dataset " + path)
	}
	info := datasetInfo{
		float:   cls == C.kf_class_float(),
		integer: cls == C.kf_class_integer(),
		size:    int(size),
		dims:    make([]int, int(rank)),
	}
	for i := range info.dims {
		info.dims[i] = int(dims[i])
	}
	return info, nil
}

// readFloat32 reads a float32 dataset of shape dims, which the caller has
// checked. The shape comes from the file: a corrupt or hostile one could
// claim more than memory holds, so it is checked against the bytes left in
// the file's budget before anything is allocated (limits.go).
func (f *h5) readFloat32(path string, dims []int) ([]float32, error) {
	n := 1
	for _, d := range dims {
		// Checked one dimension at a time, so that the product cannot
		// overflow; a negative d is a dimension beyond int64's range.
		if d < 0 || d > 0 && n > f.budget/4/d {
			return nil, fmt.Errorf("%s claims shape %s, more values than the %d bytes left of the %d-byte %s hold",
				path, shapeString(dims), f.budget, f.size, weightsMember)
		}
		n *= d
	}
	f.budget -= 4 * n
	out := make([]float32, max(n, 1))
	if err := f.read(path, C.KF_FLOAT32, unsafe.Pointer(&out[0])); err != nil {
		return nil, err
	}
	return out[:n], nil
}

// readInt64 reads a scalar integer dataset.
func (f *h5) readInt64(path string) (int64, error) {
	var v int64
	err := f.read(path, C.KF_INT64, unsafe.Pointer(&v))
	return v, err
}

func (f *h5) read(path string, kind C.int, out unsafe.Pointer) error {
	d, err := f.dataset(path)
	if err != nil {
		return err
	}
	defer C.H5Dclose(d)
	if C.kf_read(d, kind, out) < 0 {
		return h5err("read dataset " + path)
	}
	return nil
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// shapeString prints a shape the way Python prints a tuple: (784, 128),
// (10,), ().
func shapeString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	if len(dims) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}
