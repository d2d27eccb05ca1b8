package loader

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// places is a set of empty directories standing for the places Load
// searches, and a download served locally with the real archives.
type places struct {
	named, keras, system string
	download             *Downloader
	hits                 func() int64
}

func newPlaces(t *testing.T) places {
	root := t.TempDir()
	srv, hits := archiveServer(t, kerasArchives(t))
	p := places{
		named:  filepath.Join(root, "named"),
		keras:  filepath.Join(root, "home", ".keras", "datasets", "fashion-mnist"),
		system: filepath.Join(root, "usr", "share", "datasets", "fashion-mnist"),
		hits:   hits.Load,
	}
	p.download = &Downloader{BaseURL: srv.URL + "/datasets/", Client: srv.Client(), Dir: p.keras}
	return p
}

func (p places) search() Search {
	return Search{Dir: p.named, KerasCache: p.keras, System: p.system, Download: p.download}
}

func TestSearchOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, p places)
		want    SourceKind
		wantDir func(p places) string
	}{
		{
			name: "named directory first",
			setup: func(t *testing.T, p places) {
				linkDebian(t, p.named)
				linkDebian(t, p.keras)
				linkDebian(t, p.system)
			},
			want: FromDir, wantDir: func(p places) string { return p.named },
		},
		{
			name: "Keras cache before Debian's copy",
			setup: func(t *testing.T, p places) {
				linkDebian(t, p.keras)
				linkDebian(t, p.system)
			},
			want: FromKerasCache, wantDir: func(p places) string { return p.keras },
		},
		{
			name: "Debian's copy when the Keras cache is incomplete",
			setup: func(t *testing.T, p places) {
				linkDebian(t, p.keras)
				require.NoError(t, os.Remove(filepath.Join(p.keras, testLabelsName+".gz")))
				linkDebian(t, p.system)
			},
			want: FromSystem, wantDir: func(p places) string { return p.system },
		},
		{
			name:  "download when nothing is found",
			setup: func(t *testing.T, p places) {},
			want:  FromDownload, wantDir: func(p places) string { return p.keras },
		},
		{
			name: "download completes a partial Keras cache",
			setup: func(t *testing.T, p places) {
				linkDebian(t, p.keras)
				require.NoError(t, os.Remove(filepath.Join(p.keras, trainImagesName+".gz")))
				require.NoError(t, os.Remove(filepath.Join(p.keras, testLabelsName+".gz")))
			},
			want: FromDownload, wantDir: func(p places) string { return p.keras },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlaces(t)
			tc.setup(t, p)
			s := p.search()
			if tc.want != FromDir {
				s.Dir = "" // a named directory is the only place searched
			}
			ds, err := s.Load(t.Context())
			require.NoError(t, err)
			assert.Equal(t, Source{Kind: tc.want, Dir: tc.wantDir(p)}, ds.Source)
			assert.Equal(t, 60000, ds.Train.Len())
			assert.Equal(t, 10000, ds.Test.Len())
			if tc.want != FromDownload {
				assert.Zero(t, p.hits(), "no download when a place has the data")
			}
		})
	}
}

func TestSearchPartialDownloadFetchesOnlyWhatIsMissing(t *testing.T) {
	p := newPlaces(t)
	linkDebian(t, p.keras)
	require.NoError(t, os.Remove(filepath.Join(p.keras, testLabelsName+".gz")))
	s := p.search()
	s.Dir = ""
	_, err := s.Load(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(1), p.hits())
}

// A place that has all four files decides: a defect there is reported, not
// papered over with the next place's copy.
func TestSearchDefectIsFinal(t *testing.T) {
	p := newPlaces(t)
	syntheticSet(t, p.named)
	require.NoError(t, os.WriteFile(filepath.Join(p.named, trainLabelsName), labelsIDX(1, 11, 1), 0o644))
	linkDebian(t, p.system)

	_, err := p.search().Load(t.Context())
	require.ErrorIs(t, err, ErrBadLabel)
	assert.ErrorContains(t, err, filepath.Join(p.named, trainLabelsName))
	assert.NotErrorIs(t, err, ErrNotFound)
}

// TestSearchNamedDirIsTheOnlyPlace: a directory the caller names (cmd/train's
// -data) that does not exist, cannot be read or lacks a file is an error
// saying which, even though every other place has the data and the download
// works: never a silent fallback to another copy, never a download.
func TestSearchNamedDirIsTheOnlyPlace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, p places) string // returns the named directory
		want  func(dir string) string
		is    error
	}{
		{
			name:  "does not exist",
			setup: func(t *testing.T, p places) string { return p.named },
			want:  func(dir string) string { return "loader: " + dir + ": no such file or directory" },
			is:    fs.ErrNotExist,
		},
		{
			name: "empty",
			setup: func(t *testing.T, p places) string {
				require.NoError(t, os.MkdirAll(p.named, 0o755))
				return p.named
			},
			want: func(dir string) string {
				return "loader: " + dir + ": file does not exist: no train-images-idx3-ubyte[.gz], no train-labels-idx1-ubyte[.gz], no t10k-images-idx3-ubyte[.gz], no t10k-labels-idx1-ubyte[.gz]"
			},
			is: fs.ErrNotExist,
		},
		{
			name: "one file missing",
			setup: func(t *testing.T, p places) string {
				linkDebian(t, p.named)
				require.NoError(t, os.Remove(filepath.Join(p.named, testLabelsName+".gz")))
				return p.named
			},
			want: func(dir string) string {
				return "loader: " + dir + ": file does not exist: no t10k-labels-idx1-ubyte[.gz]"
			},
			is: fs.ErrNotExist,
		},
		{
			name: "a file, not a directory",
			setup: func(t *testing.T, p places) string {
				paths := syntheticSet(t, p.named)
				return paths[trainImagesName]
			},
			want: func(dir string) string { return "loader: " + dir + ": not a directory" },
		},
		{
			name: "a FIFO in place of a file",
			setup: func(t *testing.T, p places) string {
				linkDebian(t, p.named)
				fifo := filepath.Join(p.named, testLabelsName+".gz")
				require.NoError(t, os.Remove(fifo))
				require.NoError(t, syscall.Mkfifo(fifo, 0o644))
				return p.named
			},
			// Only regular files count as present, so the FIFO is never
			// opened (which would wait for a writer forever).
			want: func(dir string) string {
				return "loader: " + dir + ": file does not exist: no t10k-labels-idx1-ubyte[.gz]"
			},
			is: fs.ErrNotExist,
		},
		{
			name: "not searchable",
			setup: func(t *testing.T, p places) string {
				if os.Geteuid() == 0 {
					t.Skip("root reads any directory")
				}
				linkDebian(t, p.named)
				require.NoError(t, os.Chmod(p.named, 0o600))
				t.Cleanup(func() { os.Chmod(p.named, 0o755) })
				return p.named
			},
			want: func(dir string) string { return "loader: " + dir + ": permission denied" },
			is:   fs.ErrPermission,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlaces(t)
			linkDebian(t, p.keras)
			linkDebian(t, p.system)
			s := p.search()
			s.Dir = tc.setup(t, p)
			ds, err := s.Load(t.Context())
			require.Error(t, err, "no fallback to another copy")
			assert.Nil(t, ds)
			assert.EqualError(t, err, tc.want(s.Dir))
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.NotContains(t, err.Error(), p.keras, "no other place is mentioned, none was searched")
			assert.Zero(t, p.hits(), "no download")
		})
	}
}

// Load(dir) with a directory reads that directory only (the cache and
// Debian's copy are both there to be wrongly picked).
func TestLoadNamedDirDoesNotFallBack(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KERAS_HOME", "")
	linkDebian(t, filepath.Join(home, ".keras", "datasets", "fashion-mnist"))
	debianDir(t)

	named := filepath.Join(t.TempDir(), "data")
	_, err := Load(named)
	assert.EqualError(t, err, "loader: "+named+": no such file or directory")

	linkDebian(t, named)
	ds, err := Load(named)
	require.NoError(t, err)
	assert.Equal(t, Source{Kind: FromDir, Dir: named}, ds.Source)
}

func TestSearchNotFound(t *testing.T) {
	p := newPlaces(t)
	require.NoError(t, os.MkdirAll(p.keras, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p.keras, trainImagesName+".gz"), []byte("x"), 0o644))
	require.NoError(t, os.MkdirAll(p.system, 0o755))
	s := p.search()
	s.Dir, s.Download = "", nil

	_, err := s.Load(t.Context())
	require.ErrorIs(t, err, ErrNotFound)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Len(t, nf.Tried, 4)

	msg := err.Error()
	for _, want := range []string{
		"named directory: not given",
		"Keras cache " + p.keras + ": missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]",
		"Debian package dataset-fashion-mnist " + p.system + ": none of the four files",
		"download: not allowed",
		"-data DIR",
		"keras.datasets.fashion_mnist.load_data()",
		"apt-get install dataset-fashion-mnist",
		KerasBaseURL,
	} {
		assert.Contains(t, msg, want)
	}
	// In search order.
	assert.Less(t, strings.Index(msg, "named directory"), strings.Index(msg, p.keras))
	assert.Less(t, strings.Index(msg, p.keras), strings.Index(msg, p.system))
}

func TestSearchNotFoundAfterFailedDownload(t *testing.T) {
	p := newPlaces(t)
	s := p.search()
	s.Dir, s.System = "", ""
	s.Download.BaseURL += "missing/"

	_, err := s.Load(t.Context())
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, err, ErrDownload)
	assert.Contains(t, err.Error(), "named directory: not given")
	assert.Contains(t, err.Error(), "404 Not Found")
}

// Load's defaults follow HOME and KERAS_HOME as Keras does; the test points
// both at temporary directories, so the real home is never read.
func TestDefaultSearch(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KERAS_HOME", "")

	s := DefaultSearch("/some/dir")
	wantCache := filepath.Join(home, ".keras", "datasets", "fashion-mnist")
	assert.Equal(t, "/some/dir", s.Dir)
	assert.Equal(t, wantCache, s.KerasCache)
	assert.Equal(t, SystemDir, s.System)
	require.NotNil(t, s.Download)
	assert.Equal(t, wantCache, s.Download.Dir)
	assert.Equal(t, KerasBaseURL, s.Download.baseURL())
	assert.Equal(t, os.Stderr, s.Download.Progress)

	kerasHome := t.TempDir()
	t.Setenv("KERAS_HOME", kerasHome)
	assert.Equal(t, filepath.Join(kerasHome, "datasets", "fashion-mnist"), DefaultSearch("").KerasCache)
}

func TestLoadFindsDebianCopy(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KERAS_HOME", "")
	debianDir(t)

	ds, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, Source{Kind: FromSystem, Dir: SystemDir}, ds.Source)
	assert.Equal(t, "Debian package dataset-fashion-mnist /usr/share/datasets/fashion-mnist", ds.Source.String())
}

func TestLoadFindsKerasCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KERAS_HOME", "")
	cache := filepath.Join(home, ".keras", "datasets", "fashion-mnist")
	linkDebian(t, cache)

	ds, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, Source{Kind: FromKerasCache, Dir: cache}, ds.Source)
}
