package loader

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseIDX feeds arbitrary bytes to the IDX parser, as images or as
// labels, raw or wrapped in gzip (so the fuzzer explores IDX headers behind
// decompression as well as broken gzip), with the size known or not. The
// parser must never panic, must classify every failure as one of the
// package's defects, and whatever it accepts must be consistent with its
// header. The seed corpus is in testdata/fuzz/FuzzParseIDX.
func FuzzParseIDX(f *testing.F) {
	f.Add(imagesIDX(1, 0x80), false, false, true)
	f.Add(labelsIDX(9, 0, 0, 3, 0, 5), true, false, true)
	f.Add(labelsIDX(9, 2), true, true, false)

	f.Fuzz(func(t *testing.T, input []byte, labels, wrapGzip, sizeKnown bool) {
		kind := imagesKind
		if labels {
			kind = labelsKind
		}
		if wrapGzip {
			input = gzipped(t, input)
		}
		size := int64(-1)
		if sizeKnown {
			size = int64(len(input))
		}

		d, err := decodeIDX(bytes.NewReader(input), size, kind, 0)
		if err != nil {
			assert.True(t, isDefect(err), "unclassified error %q", err)
			return
		}
		unit := 1
		if kind == imagesKind {
			unit = ImageSize
		}
		require.Len(t, d.data, d.n*unit)
		if kind == labelsKind {
			for _, l := range d.data {
				require.Less(t, l, uint8(NumClasses))
			}
		}
		hdr := make([]byte, 16)
		if kind == labelsKind {
			hdr = hdr[:8]
		}
		writeHeader(hdr, kind, uint32(d.n))
		assert.Equal(t, sha256.Sum256(append(hdr, d.data...)), d.sum)
	})
}

func isDefect(err error) bool {
	for _, defect := range []error{
		ErrEmpty, ErrBadMagic, ErrBadDims, ErrTruncated, ErrTrailingData,
		ErrCorruptGzip, ErrBadLabel,
	} {
		if errors.Is(err, defect) {
			return true
		}
	}
	return false
}
