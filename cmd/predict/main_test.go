package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// scratch holds what the end-to-end tests build once for all: the two
// binaries and the trained model.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "predict-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runInProcess calls run as main would and returns its results.
func runInProcess(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Bad command lines fail with one line on stderr and status 2 before
// loading anything, so these need no model; a model that does not load is a
// failure, status 1.
func TestRunBadCommandLine(t *testing.T) {
	dir := t.TempDir()
	notModel := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(notModel, 0o755))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	corrupt := filepath.Join(dir, "corrupt")
	require.NoError(t, os.Mkdir(corrupt, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(corrupt, "saved_model.pb"), []byte("not a protobuf"), 0o644))
	missing := filepath.Join(dir, "missing")

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // the whole of it
	}{
		{"nothing to classify", nil, 2,
			"predict: nothing to classify: name image files or use -test-index (see -h)\n"},
		{"only -model", []string{"-model", notModel}, 2,
			"predict: nothing to classify: name image files or use -test-index (see -h)\n"},
		{"test index -1 is none", []string{"-test-index", "-1"}, 2,
			"predict: nothing to classify: name image files or use -test-index (see -h)\n"},
		{"negative test index", []string{"-test-index", "-2"}, 2,
			"predict: -test-index -2: the test set's images are numbered 0 to 9999\n"},
		{"test index too large", []string{"-test-index", "10000", "x.png"}, 2,
			"predict: -test-index 10000: the test set's images are numbered 0 to 9999\n"},
		{"test index not a number", []string{"-test-index", "first"}, 2,
			"predict: invalid value \"first\" for flag -test-index: parse error (see -h)\n"},
		{"unknown flag", []string{"-verbose", "x.png"}, 2,
			"predict: flag provided but not defined: -verbose (see -h)\n"},
		{"top 0", []string{"-top", "0", "x.png"}, 2, "predict: -top 0: must be 1 to 10\n"},
		{"top 11", []string{"-top", "11", "x.png"}, 2, "predict: -top 11: must be 1 to 10\n"},
		{"bad flag after a file", []string{"x.png", "-top", "0"}, 2, "predict: -top 0: must be 1 to 10\n"},
		{"model missing", []string{"-model", missing, "x.png"}, 2,
			"predict: -model " + missing + ": no such directory (train a model with: go run ./cmd/train -out DIR)\n"},
		{"model empty", []string{"-model", "", "x.png"}, 2,
			"predict: -model : needs a SavedModel directory\n"},
		{"model not a directory", []string{"-model", file, "x.png"}, 2,
			"predict: -model " + file + ": not a directory\n"},
		{"model not a SavedModel", []string{"-model", notModel, "x.png"}, 2,
			"predict: -model " + notModel + ": not a SavedModel: it has no saved_model.pb\n"},
		{"model corrupt", []string{"-model", corrupt, "x.png"}, 1,
			"predict: savedmodel: load " + corrupt + ": saved_model.pb is corrupt: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runInProcess(tc.args...)
			assert.Equal(t, tc.code, code, "exit status; stderr: %s", stderr)
			assert.Empty(t, stdout)
			if strings.HasSuffix(tc.stderr, "\n") {
				assert.Equal(t, tc.stderr, stderr)
			} else {
				assert.True(t, strings.HasPrefix(stderr, tc.stderr), "stderr %q should start with %q", stderr, tc.stderr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	code, stdout, stderr := runInProcess("-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, stdout)
	assert.True(t, strings.HasPrefix(stderr, "usage: predict [flags] FILE...\n"), stderr)
	for _, flag := range []string{"-model", "-json", "-top", "-test-index", "-data", "-trust-model"} {
		assert.Regexp(t, `\n  `+flag+`[ \n]`, stderr, "-h documents %s", flag)
	}
}

func TestParseFlagsOrder(t *testing.T) {
	model := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(model, "saved_model.pb"), nil, 0o644))
	for _, tc := range []struct {
		name      string
		args      []string
		files     []string
		testIndex int
		json      bool
	}{
		{"flags first", []string{"-json", "-test-index", "3", "a.png", "b.jpg"}, []string{"a.png", "b.jpg"}, 3, true},
		{"flags after files", []string{"a.png", "-json", "b.jpg", "-test-index=4"}, []string{"a.png", "b.jpg"}, 4, true},
		{"files after --", []string{"a.png", "--", "-json", "--"}, []string{"a.png", "-json", "--"}, -1, false},
		{"test index alone", []string{"-test-index", "0"}, nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseFlags(append([]string{"-model", model}, tc.args...), io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tc.files, cfg.files)
			assert.Equal(t, tc.testIndex, cfg.testIndex)
			assert.Equal(t, tc.json, cfg.json)
			assert.Equal(t, model, cfg.modelDir)
			assert.Equal(t, 3, cfg.top)
		})
	}
}

// -h says what the issue found undocumented: that a model is a program,
// and what -json writes for what JSON cannot hold.
func TestRunHelpDocumentsHostileInput(t *testing.T) {
	_, _, stderr := runInProcess("-h")
	help := strings.Join(strings.Fields(stderr), " ") // as one paragraph, line breaks aside
	for _, want := range []string{
		"a SavedModel is a program",
		"run a model you do not trust only in a sandbox",
		"-trust-model runs it anyway",
		`"non_finite": "NaN", "Infinity" or "-Infinity"`,
		`"score" instead of "probability"`,
		`"not_probabilities": true`,
		`"file_bytes" (base64)`,
		"a FIFO, device or directory is refused",
		"at most 256 MiB of memory",
		"SIGINT or SIGTERM stops predict within a second, with status 130",
	} {
		assert.Contains(t, help, want)
	}
}

// The refusal of a model with ops that reach outside names the op, where it
// is and the flag, not savedmodel's Go API.
func TestLoadErrorAdvisesTrustModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"op in the graph", fmt.Errorf("savedmodel: load m: %w", &savedmodel.OpError{Op: "WriteFile", Node: "w", Root: `the "serving_default" signature`}),
			`-model m: not run: op WriteFile (node "w", reached from the "serving_default" signature) is not on the allow-list of pure computation ops, ` +
				"and could act outside the model (files, network, processes); a SavedModel is a program: rerun with -trust-model only if you trust the model's author as you would trust a program from them"},
		{"op in a function, with a reason", fmt.Errorf("savedmodel: load m: %w", &savedmodel.OpError{Op: "PrintV2", Node: "p", Function: "f", Root: `the init op "init"`, Reason: `prints to "file:///tmp/x" rather than stderr, stdout or the log`}),
			`-model m: not run: op PrintV2 (node "p" of function "f", reached from the init op "init") prints to "file:///tmp/x" rather than stderr, stdout or the log, ` +
				"and could act outside the model (files, network, processes); a SavedModel is a program: rerun with -trust-model only if you trust the model's author as you would trust a program from them"},
		{"other errors unchanged", errors.New("savedmodel: load m: saved_model.pb is corrupt"), "savedmodel: load m: saved_model.pb is corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := loadError("m", tc.err)
			assert.EqualError(t, got, tc.want)
			assert.NotContains(t, got.Error(), "LoadTrusted")
		})
	}
}
