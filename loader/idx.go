package loader

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"

	"github.com/gokeras/fashion/internal/filekind"
)

// IDX magic numbers: two zero bytes, the element type (0x08, unsigned byte)
// and the number of dimensions.
const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
)

const (
	// maxDeflateRatio bounds how much data a deflate stream can expand to
	// (a 258-byte match coded in two bits at best: 1032:1), so a header
	// that declares more than its gzip file could hold is rejected before
	// anything is allocated for it.
	maxDeflateRatio = 1032
	// maxPrealloc caps the buffer allocated on the word of an unverified
	// header checked against the file's size. The real training images
	// (47 MB) fit, so they are decompressed straight into their final
	// slice; a larger claim has to be backed by data as it arrives.
	maxPrealloc = 64 << 20
	// chunkSize is the unit in which data is read and handed to the hasher.
	chunkSize = 1 << 20
	// pipelineMin is the size above which hashing runs beside decompression
	// rather than after it; below it a goroutine costs more than it saves.
	pipelineMin = 4 * chunkSize
)

// idxData is the payload of one IDX file with its header stripped.
type idxData struct {
	n    int      // number of images or labels
	data []byte   // n×Rows×Cols pixels, or n labels
	sum  [32]byte // SHA-256 of the whole decompressed file, header included
}

// readIDXFile parses the file at path, gzipped or not, as kind, holding at
// most limit images or labels.
// A FIFO or a device is refused before it is opened: opening a FIFO would
// wait for a writer, and a device could be read forever.
func readIDXFile(path string, kind fileKind, limit uint32) (idxData, error) {
	f, st, err := filekind.OpenRegular(path)
	if err != nil {
		return idxData{}, &FileError{Path: path, Err: err}
	}
	defer f.Close()
	d, err := decodeIDX(f, st.Size(), kind, limit)
	if err != nil {
		return idxData{}, &FileError{Path: path, Err: err}
	}
	return d, nil
}

// decodeIDX parses one IDX file of the given kind from r, decompressing it
// first if it starts with the gzip magic bytes (the file name is not
// trusted for that). size is the length of r in bytes, or -1 if unknown; it
// lets impossible headers be rejected before any allocation. limit, if not 0,
// is the most images or labels accepted: no file with more can be the
// published one, and refusing it up front keeps a small gzip file that
// inflates to gigabytes of zeros from being read into memory.
//
// Defects are reported as errors wrapping the package's sentinels; errors
// from r itself are returned as they are, since they say nothing about the
// file's content.
func decodeIDX(r io.Reader, size int64, kind fileKind, limit uint32) (idxData, error) {
	if size == 0 {
		return idxData{}, ErrEmpty
	}
	src := &ioErrReader{r: r}
	bufSize := 1 << 16
	if size > 0 && size < int64(bufSize) {
		bufSize = int(size) // small files, and fuzzing, need no 64 KiB
	}
	br := bufio.NewReaderSize(src, bufSize)
	magic, _ := br.Peek(2) // fewer than 2 bytes: not gzip, and the header read says what is wrong
	if len(magic) == 0 {
		if src.err != nil {
			return idxData{}, src.err
		}
		return idxData{}, ErrEmpty
	}
	compressed := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	var in io.Reader = br
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return idxData{}, streamError(src, err, compressed, "in the gzip header")
		}
		defer zr.Close()
		in = zr
	}

	hdrLen, n, err := readHeader(in, src, compressed, kind)
	if err != nil {
		return idxData{}, err
	}
	unit := int64(1)
	if kind == imagesKind {
		unit = ImageSize
	}
	want := int64(n) * unit
	if err := checkDeclaredSize(size, compressed, hdrLen, n, want, kind); err != nil {
		return idxData{}, err
	}
	if limit != 0 && n > limit {
		return idxData{}, fmt.Errorf("%w: the header declares %d %s, more than the %d of the published file", ErrBadDims, n, kind.noun(), limit)
	}

	h := sha256.New()
	var hdr [16]byte
	writeHeader(hdr[:hdrLen], kind, n)
	h.Write(hdr[:hdrLen])
	data, err := readPayload(in, src, compressed, size >= 0, want, h, kind, n)
	if err != nil {
		return idxData{}, err
	}
	if kind == labelsKind {
		for i, l := range data {
			if l >= NumClasses {
				return idxData{}, fmt.Errorf("%w: label %d at index %d; Fashion-MNIST has classes 0 to %d", ErrBadLabel, l, i, NumClasses-1)
			}
		}
	}
	d := idxData{n: int(n), data: data}
	h.Sum(d.sum[:0])
	return d, nil
}

// readHeader reads and checks the magic number and dimensions, returning the
// header length and the declared count.
func readHeader(in io.Reader, src *ioErrReader, compressed bool, kind fileKind) (int, uint32, error) {
	wantMagic, hdrLen := uint32(imagesMagic), 16
	if kind == labelsKind {
		wantMagic, hdrLen = labelsMagic, 8
	}
	var hdr [16]byte
	// The magic number comes first and alone, so that a label file offered
	// as images is called what it is rather than "truncated".
	if k, err := io.ReadFull(in, hdr[:4]); err != nil {
		if k == 0 && err == io.EOF && src.err == nil {
			if compressed {
				return 0, 0, fmt.Errorf("%w: nothing inside the gzip stream", ErrEmpty)
			}
			return 0, 0, ErrEmpty
		}
		return 0, 0, streamError(src, err, compressed, fmt.Sprintf("inside the %d-byte IDX header, after %d bytes", hdrLen, k))
	}
	if got := binary.BigEndian.Uint32(hdr[:4]); got != wantMagic {
		return 0, 0, fmt.Errorf("%w 0x%08x (%s), want 0x%08x (%s)", ErrBadMagic, got, describeMagic(got), wantMagic, describeMagic(wantMagic))
	}
	if k, err := io.ReadFull(in, hdr[4:hdrLen]); err != nil {
		return 0, 0, streamError(src, err, compressed, fmt.Sprintf("inside the %d-byte IDX header, after %d bytes", hdrLen, 4+k))
	}
	n := binary.BigEndian.Uint32(hdr[4:8])
	if kind == imagesKind {
		rows, cols := binary.BigEndian.Uint32(hdr[8:12]), binary.BigEndian.Uint32(hdr[12:16])
		if rows != Rows || cols != Cols {
			return 0, 0, fmt.Errorf("%w: images are %d×%d, want %d×%d", ErrBadDims, rows, cols, Rows, Cols)
		}
	}
	return hdrLen, n, nil
}

// writeHeader rebuilds the header that readHeader accepted, for hashing.
func writeHeader(hdr []byte, kind fileKind, n uint32) {
	if kind == labelsKind {
		binary.BigEndian.PutUint32(hdr[0:], labelsMagic)
		binary.BigEndian.PutUint32(hdr[4:], n)
		return
	}
	binary.BigEndian.PutUint32(hdr[0:], imagesMagic)
	binary.BigEndian.PutUint32(hdr[4:], n)
	binary.BigEndian.PutUint32(hdr[8:], Rows)
	binary.BigEndian.PutUint32(hdr[12:], Cols)
}

// checkDeclaredSize rejects a header whose declared payload cannot be in a
// file of the given size, before anything is allocated for it.
func checkDeclaredSize(size int64, compressed bool, hdrLen int, n uint32, want int64, kind fileKind) error {
	if size < 0 {
		return nil
	}
	what := fmt.Sprintf("%d %s (%d bytes)", n, kind.noun(), want)
	if compressed {
		if want > size*maxDeflateRatio {
			return fmt.Errorf("%w: the header declares %s, more than a %d-byte gzip file can hold", ErrTruncated, what, size)
		}
		return nil
	}
	switch rest := size - int64(hdrLen); {
	case rest < want:
		return fmt.Errorf("%w: the header declares %s but only %d bytes follow it", ErrTruncated, what, rest)
	case rest > want:
		return fmt.Errorf("%w: %d bytes follow the %s that the header declares", ErrTrailingData, rest-want, what)
	}
	return nil
}

// readPayload reads exactly want bytes into a new slice, feeding h as it
// goes, and then makes sure the stream ends there (which, for gzip, is also
// when its CRC-32 is verified).
func readPayload(in io.Reader, src *ioErrReader, compressed, sizeKnown bool, want int64, h hash.Hash, kind fileKind, n uint32) ([]byte, error) {
	feed, wait := hashFeeder(h, want)
	defer wait()
	if want > int64(maxInt) {
		return nil, fmt.Errorf("%w: %d %s do not fit in memory on this platform", ErrBadDims, n, kind.noun())
	}
	// Without a file size to hold the header to, the buffer starts small and
	// grows only as data actually arrives.
	prealloc := min(want, maxPrealloc)
	if !sizeKnown {
		prealloc = min(want, chunkSize)
	}
	data := make([]byte, 0, prealloc)
	for int64(len(data)) < want {
		if len(data) == cap(data) {
			grown := make([]byte, len(data), min(2*int64(cap(data)), want))
			copy(grown, data)
			data = grown
		}
		end := min(len(data)+chunkSize, cap(data))
		k, err := io.ReadFull(in, data[len(data):end])
		if k > 0 {
			feed(data[len(data) : len(data)+k])
			data = data[:len(data)+k]
		}
		if err != nil {
			return nil, streamError(src, err, compressed, fmt.Sprintf("after %d of the %d bytes of %d %s the header declares", len(data), want, n, kind.noun()))
		}
	}
	var one [1]byte
	switch k, err := io.ReadFull(in, one[:]); {
	case k > 0:
		return nil, fmt.Errorf("%w: more bytes follow the %d %s the header declares", ErrTrailingData, n, kind.noun())
	case err != io.EOF:
		return nil, streamError(src, err, compressed, "at the end of the data")
	}
	return data, nil
}

// hashFeeder returns a function that adds chunks to h and one that waits
// until all of them are in. For large files the hashing runs in its own
// goroutine, on the other core, while the next chunk is decompressed; the
// chunks are never written again once fed, so sharing them is safe.
func hashFeeder(h hash.Hash, total int64) (feed func([]byte), wait func()) {
	if total < pipelineMin {
		return func(b []byte) { h.Write(b) }, func() {}
	}
	// Room for the real training images, so decompression never waits for
	// the hasher; not sized by total, which comes from an unverified header.
	chunks := make(chan []byte, maxPrealloc/chunkSize)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range chunks {
			h.Write(b)
		}
	}()
	closed := false
	return func(b []byte) { chunks <- b }, func() {
		if !closed {
			closed = true
			close(chunks)
			<-done
		}
	}
}

// streamError classifies an error met while reading the (decompressed)
// stream: a failure of the underlying reader is passed on as is; running out
// of data is truncation; anything else the gzip reader says is corruption.
func streamError(src *ioErrReader, err error, compressed bool, where string) error {
	if src.err != nil {
		return src.err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if compressed {
			return fmt.Errorf("%w: the gzip stream ends %s", ErrTruncated, where)
		}
		return fmt.Errorf("%w: the file ends %s", ErrTruncated, where)
	}
	if compressed {
		return fmt.Errorf("%w %s: %w", ErrCorruptGzip, where, err)
	}
	return err
}

// describeMagic names what a magic number announces, so that a swapped or
// foreign file is recognisable from the error alone.
func describeMagic(m uint32) string {
	switch {
	case m == imagesMagic:
		return "IDX unsigned-byte images"
	case m == labelsMagic:
		return "IDX unsigned-byte labels"
	case m>>16 == 0x1f8b:
		return "gzip inside gzip"
	case m>>16 != 0:
		return "not an IDX file"
	}
	return fmt.Sprintf("IDX type 0x%02x, %d dimensions", (m>>8)&0xff, m&0xff)
}

func (k fileKind) noun() string {
	if k == labelsKind {
		return "labels"
	}
	return "images"
}

const maxInt = int(^uint(0) >> 1)

// ioErrReader remembers the first error of the underlying reader other than
// io.EOF, which the gzip and bufio layers would otherwise blur into their own.
type ioErrReader struct {
	r   io.Reader
	err error
}

func (e *ioErrReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
