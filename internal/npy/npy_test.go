package npy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/internal/pyenv"
)

func roundTrip[T npy.Elem](t *testing.T, data []T, shape ...int) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, npy.Write(&buf, data, shape...))
	// numpy aligns the data to 64 bytes; other readers rely on it.
	hlen := int(buf.Bytes()[8]) | int(buf.Bytes()[9])<<8
	assert.Zero(t, (10+hlen)%64, "data offset must be 64-byte aligned")
	got, gotShape, err := npy.Read[T](&buf)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	if shape == nil {
		shape = []int{}
	}
	assert.Equal(t, shape, gotShape)
}

func TestRoundTrip(t *testing.T) {
	t.Run("float32 3-d", func(t *testing.T) { roundTrip(t, []float32{0, 0.5, -1, 3.25, 1e-7, 7}, 1, 2, 3) })
	t.Run("float64 1-d", func(t *testing.T) { roundTrip(t, []float64{1.5, -2}, 2) })
	t.Run("uint8 2-d", func(t *testing.T) { roundTrip(t, []uint8{0, 255, 7, 9}, 2, 2) })
	t.Run("int64 scalar", func(t *testing.T) { roundTrip(t, []int64{-42}) })
	t.Run("int32 empty", func(t *testing.T) { roundTrip(t, []int32{}, 0, 5) })
}

func TestErrors(t *testing.T) {
	var f32 bytes.Buffer
	require.NoError(t, npy.Write(&f32, []float32{1, 2}, 2))
	whole := f32.Bytes()

	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty", nil, "reading magic"},
		{"bad magic", []byte("PK\x03\x04zipfile..."), "bad magic"},
		{"truncated data", whole[:len(whole)-3], "reading 2 elements"},
		{"wrong dtype", whole, `dtype "<f4", want "<i8"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.name == "wrong dtype" {
				_, _, err = npy.Read[int64](bytes.NewReader(tc.input))
			} else {
				_, _, err = npy.Read[float32](bytes.NewReader(tc.input))
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	err := npy.Write(&bytes.Buffer{}, []float32{1, 2, 3}, 2, 2)
	require.ErrorContains(t, err, "shape [2 2] holds 4 elements, data has 3")
}

// TestNumpyInterop checks the files against numpy itself, both ways.
func TestNumpyInterop(t *testing.T) {
	dir := t.TempDir()
	f32 := []float32{0.1, -2, 3.5, 1e-30, 0, 6}
	u8 := []uint8{0, 1, 128, 255}
	i64 := []int64{-1, 1 << 40, 3}
	require.NoError(t, npy.WriteFile(filepath.Join(dir, "f32.npy"), f32, 2, 3))
	require.NoError(t, npy.WriteFile(filepath.Join(dir, "u8.npy"), u8, 4))
	require.NoError(t, npy.WriteFile(filepath.Join(dir, "i64.npy"), i64, 3, 1))

	script := `
import json, sys
import numpy as np
d = sys.argv[1]
out = {}
for name in ("f32", "u8", "i64"):
    a = np.load(f"{d}/{name}.npy")
    out[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.ravel().tolist()}
np.save(f"{d}/py_f32.npy", np.arange(6, dtype=np.float32).reshape(3, 2) / 4)
np.save(f"{d}/py_u8.npy", np.array([[3, 200]], dtype=np.uint8))
np.save(f"{d}/py_i64.npy", np.array([7, -8], dtype=np.int64))
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := pyenv.Run(ctx, "-c", script, dir)
	require.NoError(t, err, "the .venv Python with numpy is required; see scripts/libtensorflow-install.sh")

	var got map[string]struct {
		DType  string    `json:"dtype"`
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "python printed %s", out)
	assert.Equal(t, "float32", got["f32"].DType)
	assert.Equal(t, []int{2, 3}, got["f32"].Shape)
	for i, v := range f32 {
		assert.Equal(t, v, float32(got["f32"].Values[i]))
	}
	assert.Equal(t, "uint8", got["u8"].DType)
	assert.Equal(t, []float64{0, 1, 128, 255}, got["u8"].Values)
	assert.Equal(t, "int64", got["i64"].DType)
	assert.Equal(t, []int{3, 1}, got["i64"].Shape)
	assert.Equal(t, []float64{-1, 1 << 40, 3}, got["i64"].Values)

	pf, shape, err := npy.ReadFile[float32](filepath.Join(dir, "py_f32.npy"))
	require.NoError(t, err)
	assert.Equal(t, []int{3, 2}, shape)
	assert.Equal(t, []float32{0, 0.25, 0.5, 0.75, 1, 1.25}, pf)
	pu, shape, err := npy.ReadFile[uint8](filepath.Join(dir, "py_u8.npy"))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, shape)
	assert.Equal(t, []uint8{3, 200}, pu)
	pi, shape, err := npy.ReadFile[int64](filepath.Join(dir, "py_i64.npy"))
	require.NoError(t, err)
	assert.Equal(t, []int{2}, shape)
	assert.Equal(t, []int64{7, -8}, pi)

	_, _, err = npy.ReadFile[float32](filepath.Join(dir, "missing.npy"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
