package kerasfile

// This file keeps libhdf5 inside the weights file it was handed. HDF5 can
// point outside a file in three ways: a link to an object in another file
// (external link) or a path (soft link, resolved at each use), a dataset
// whose values live in other files (external storage), and a virtual
// dataset assembled from datasets in other files. A hostile .keras file
// could use any of them to make Read load weights from any file on the
// machine (a secret, /dev/zero, another model), or to block forever on a
// FIFO while holding hdf5Lock, which would stall every other read and write
// of a .keras file in the process. Keras 3 refuses them all ("Not allowed:
// H5 file with ..."; keras/src/saving/saving_lib.py, safe_get_h5_group and
// safe_get_h5_dataset), and so does this, with Keras's words, before
// libhdf5 follows a link or reads a value: checkPath before a path is used,
// checkStorage before a dataset is read.
//
// Nothing else in libhdf5 touches the file system on Read's behalf: the
// file is an image in memory (openH5), and filter plugins, shared objects a
// dataset could ask libhdf5 to load from disk, are turned off. So no call
// made under hdf5Lock can block on anything but memory.

/*
#cgo pkg-config: hdf5
#include <stdlib.h>
#include <hdf5.h>

// kf_confine turns off libhdf5's loading of filter plugins: a dataset
// naming an unknown filter would otherwise make libhdf5 search
// HDF5_PLUGIN_PATH and load shared objects from it. Keras writes no
// filtered dataset, and the built-in filters (deflate, shuffle, ...) stay.
static herr_t kf_confine(void) { return H5PLset_loading_state(0); }

// kf_link_type reports the type of the link at path (H5L_TYPE_HARD, ...),
// -2 if there is no link there, -1 on error. H5Lexists and H5Lget_info
// follow every component of path but the last, so the caller must have
// checked those already.
static int kf_link_type(hid_t f, const char *path) {
	htri_t ok = H5Lexists(f, path, H5P_DEFAULT);
	if (ok < 0) return -1;
	if (ok == 0) return -2;
	H5L_info_t info;
	if (H5Lget_info(f, path, &info, H5P_DEFAULT) < 0) return -1;
	return (int)info.type;
}

// kf_storage reports a dataset's layout (H5D_layout_t) and its number of
// external files, from its creation properties: reading them reads the
// dataset's object header in the file image, nothing else.
static herr_t kf_storage(hid_t d, int *layout, int *nexternal) {
	hid_t p = H5Dget_create_plist(d);
	if (p < 0) return -1;
	*layout = (int)H5Pget_layout(p);
	*nexternal = H5Pget_external_count(p);
	herr_t rc = *layout < 0 || *nexternal < 0 ? -1 : 0;
	hid_t es = rc < 0 ? H5Eget_current_stack() : -1;
	H5Pclose(p);
	if (es >= 0) H5Eset_current_stack(es);
	return rc;
}

// kf_external describes the external file i of the dataset at path: its
// name (truncated to n-1 bytes), offset and size.
static herr_t kf_external(hid_t f, const char *path, unsigned i, char *name, size_t n, long long *offset, unsigned long long *size) {
	hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
	if (d < 0) return -1;
	herr_t rc = -1;
	hid_t p = H5Dget_create_plist(d);
	if (p >= 0) {
		off_t off = 0;
		hsize_t sz = 0;
		name[0] = 0;
		rc = H5Pget_external(p, i, n, name, &off, &sz);
		name[n - 1] = 0;
		*offset = (long long)off;
		*size = (unsigned long long)sz;
		H5Pclose(p);
	}
	H5Dclose(d);
	return rc;
}

static int kf_link_hard(void) { return H5L_TYPE_HARD; }
static int kf_link_soft(void) { return H5L_TYPE_SOFT; }
static int kf_link_external(void) { return H5L_TYPE_EXTERNAL; }
static int kf_layout_virtual(void) { return H5D_VIRTUAL; }
*/
import "C"

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

var confineOnce sync.Once

// confineHDF5 turns off libhdf5's plugin loading, once per process; it runs
// under hdf5Lock, from withHDF5.
func confineHDF5() {
	confineOnce.Do(func() { C.kf_confine() })
}

// checkPath refuses a path of f that goes through anything but hard links,
// checking each component before libhdf5 follows it: "layers", then
// "layers/dense", ... It returns errNotExist if a component is missing.
func (f *h5) checkPath(path string) error {
	if strings.Trim(path, "/") == "" {
		return nil // the root group, where every path starts
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		cp := C.CString(prefix)
		t := C.kf_link_type(f.id, cp)
		C.free(unsafe.Pointer(cp))
		switch {
		case t == -2:
			return errNotExist
		case t < 0:
			return h5err("look up " + prefix)
		case t == C.kf_link_hard():
			continue
		case t == C.kf_link_soft():
			return fmt.Errorf("%s: Not allowed: H5 file with SoftLink", prefix)
		case t == C.kf_link_external():
			return fmt.Errorf("%s: Not allowed: H5 file with ExternalLink", prefix)
		default:
			// Keras's h5py cannot even name these; libhdf5 would call
			// whatever code the type is registered to.
			return fmt.Errorf("%s: Not allowed: H5 file with user-defined link (type %d)", prefix, int(t))
		}
	}
	return nil
}

// checkStorage refuses a dataset, open as d, whose values are not in the
// file: virtual, or in external files. It must run before anything reads the
// dataset's values or, for a virtual dataset, its extent, which libhdf5 may
// take from the source files.
func (f *h5) checkStorage(d C.hid_t, path string) error {
	var layout, nexternal C.int
	if C.kf_storage(d, &layout, &nexternal) < 0 {
		return h5err("dataset " + path + ": read storage properties")
	}
	if layout == C.kf_layout_virtual() {
		return fmt.Errorf("%s: Not allowed: H5 file with virtual Dataset", path)
	}
	if nexternal > 0 {
		return fmt.Errorf("%s: Not allowed: H5 file with external Dataset: %s", path, f.externalFiles(path, int(nexternal)))
	}
	return nil
}

// externalFiles lists a dataset's external files as Keras prints h5py's
// Dataset.external: [('/etc/passwd', 0, 18446744073709551615)], the size
// H5F_UNLIMITED meaning "to the end of the file". The list stops after a few
// files; names are quoted so that a hostile one cannot forge the message.
func (f *h5) externalFiles(path string, n int) string {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	const shown = 4
	var items []string
	buf := make([]byte, 512)
	for i := range min(n, shown) {
		var off C.longlong
		var size C.ulonglong
		if C.kf_external(f.id, cpath, C.uint(i), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &off, &size) < 0 {
			C.H5Eclear2(C.H5E_DEFAULT)
			items = append(items, "(?)")
			continue
		}
		name := C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
		items = append(items, fmt.Sprintf("(%s, %d, %d)", pyQuote(name), int64(off), uint64(size)))
	}
	if n > shown {
		items = append(items, fmt.Sprintf("... %d more", n-shown))
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// pyQuote quotes s as Python's repr does for a plain string, 'like this',
// and falls back to Go's escaping for anything else.
func pyQuote(s string) string {
	for _, r := range s {
		if r == '\'' || r == '\\' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return "'" + s + "'"
}
