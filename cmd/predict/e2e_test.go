package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tflog"
	"github.com/gokeras/fashion/loader"
)

// The end-to-end tests build cmd/predict and cmd/train, train a model for
// one epoch (about 0.83 accuracy), and run predict on it as a user would.
// They assert classes only for images a one-epoch model gets right with a
// wide margin (over 95% for Keras's and for cmd/train's): test images 2
// (trousers), 9 (a sneaker) and 30 (a bag). Test image 0, the tutorial's
// ankle boot, is not one: cmd/train's one-epoch model calls it a sandal.
//
// PREDICT_TEST_MODEL=DIR uses an existing SavedModel instead of training
// one, to make repeated runs quicker.

var (
	predictOnce sync.Once
	predictPath string
	predictErr  error

	modelOnce sync.Once
	modelPath string
	modelErr  error
)

func goBuild(out, pkg string) error {
	output, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build -o %s %s: %v\n%s", out, pkg, err, output)
	}
	return nil
}

// predictBinary returns the path of cmd/predict built from this package.
func predictBinary(t *testing.T) string {
	t.Helper()
	predictOnce.Do(func() {
		predictPath = filepath.Join(scratch, "predict")
		predictErr = goBuild(predictPath, ".")
	})
	require.NoError(t, predictErr, "building cmd/predict")
	return predictPath
}

// trainedModel returns a SavedModel that cmd/train trained for one epoch.
func trainedModel(t *testing.T) string {
	t.Helper()
	modelOnce.Do(func() {
		if dir := os.Getenv("PREDICT_TEST_MODEL"); dir != "" {
			modelPath = dir
			return
		}
		train := filepath.Join(scratch, "train")
		if err := goBuild(train, "../train"); err != nil {
			modelErr = fmt.Errorf("the end-to-end tests need cmd/train to build: %w", err)
			return
		}
		modelPath = filepath.Join(scratch, "model")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, train, "-epochs", "1", "-quiet", "-out", modelPath, "-plots", "").CombinedOutput()
		if err != nil {
			modelErr = fmt.Errorf("training the test model with cmd/train: %v\n%s", err, out)
		}
	})
	require.NoError(t, modelErr)
	return modelPath
}

// runBinary runs cmd/predict with args, without TF_CPP_MIN_LOG_LEVEL in its
// environment, so that its own quieting of TensorFlow is tested too. It
// returns predict's own stderr: the lines libtensorflow prints before main
// on CPUs where oneDNN is on by default are TensorFlow's (see tflog), and
// the only ones allowed; TensorFlow's chatter about loading the model, which
// names the model's directory, must be silenced.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd, ctx := predictCommand(t, args...)
	return runPredict(t, cmd, ctx, args)
}

// binaryDeadline bounds every run of the binary, as a failure guard only: a
// run blocked on a FIFO or a hung model fails its test instead of hanging
// the suite.
const binaryDeadline = 5 * time.Minute

// predictCommand is cmd/predict with args, without TF_CPP_MIN_LOG_LEVEL in
// its environment, killed when ctx's binaryDeadline passes.
func predictCommand(t *testing.T, args ...string) (cmd *exec.Cmd, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), binaryDeadline)
	t.Cleanup(cancel)
	cmd = exec.CommandContext(ctx, predictBinary(t), args...)
	cmd.WaitDelay = time.Second
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, tfLogLevelVar+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd, ctx
}

// runPredict runs cmd, a predict command given args, as runBinary does.
func runPredict(t *testing.T, cmd *exec.Cmd, ctx context.Context, args []string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		require.NoError(t, err, "running predict")
	}
	require.NoError(t, ctx.Err(), "predict %q ran past the deadline of %v", args, binaryDeadline)
	own, tfLines := tflog.Split(errOut.String())
	for _, line := range tfLines {
		for _, arg := range args {
			if strings.Contains(arg, string(filepath.Separator)) {
				assert.NotContains(t, line, arg, "TensorFlow's logging about the model is silenced")
			}
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), joinLines(own)
}

// joinLines is lines as output: each ends in a newline.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// userImages writes the pictures a user might pass, and returns their paths
// by name.
func userImages(t *testing.T) map[string]string {
	t.Helper()
	data, err := loader.Load("")
	require.NoError(t, err, "the Fashion-MNIST test set is needed (Debian's dataset-fashion-mnist or the Keras cache)")
	for i, label := range map[int]int{2: 1, 9: 7, 30: 8} {
		require.Equal(t, loader.ClassName(label), loader.ClassName(int(data.Test.Labels[i])), "test image %d", i)
	}

	dir := t.TempDir()
	paths := map[string]string{}
	write := func(name string, content []byte) {
		paths[name] = filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(paths[name], content, 0o644))
	}
	// The sneaker as a photo would show it: dark on a white background,
	// four times larger, off-centre in a frame of another shape.
	sneaker := image.NewGray(image.Rect(0, 0, 160, 150))
	draw.Draw(sneaker, sneaker.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	paste(sneaker, data.Test.Image(9), image.Pt(10, 30), 4, true)
	write("sneaker.png", encodePNG(t, sneaker))
	// The bag in black on a transparent background (whose hidden colour
	// is black too), its Fashion-MNIST brightness as opacity.
	bag := image.NewNRGBA(image.Rect(0, 0, 56, 70))
	for i, v := range data.Test.Image(30) {
		r := image.Rect(0, 0, 2, 2).Add(image.Pt(i%loader.Cols, 7+i/loader.Cols).Mul(2))
		draw.Draw(bag, r, image.NewUniform(color.NRGBA{A: v}), image.Point{}, draw.Src)
	}
	write("bag.png", encodePNG(t, bag))
	// The trousers light on dark, three times larger, as a colour JPEG.
	trousers := image.NewRGBA(image.Rect(0, 0, 84, 84))
	draw.Draw(trousers, trousers.Rect, image.NewUniform(color.Black), image.Point{}, draw.Src)
	paste(trousers, data.Test.Image(2), image.Point{}, 3, false)
	write("trousers.jpg", encodeJPEG(t, trousers))

	write("notes.txt", []byte("a shirt, two pairs of trousers\n"))
	write("empty.png", nil)
	write("huge.png", pngHeader(20000, 20000))
	paths["missing.png"] = filepath.Join(dir, "missing.png") // never written
	return paths
}

// paste draws a Fashion-MNIST image into dst at at, each pixel as a
// scale×scale block, inverted if asked.
func paste(dst draw.Image, pixels []uint8, at image.Point, scale int, invert bool) {
	for i, v := range pixels {
		if invert {
			v = 255 - v
		}
		r := image.Rect(0, 0, scale, scale).Add(at).Add(image.Pt(i%loader.Cols, i/loader.Cols).Mul(scale))
		draw.Draw(dst, r, image.NewUniform(color.Gray{v}), image.Point{}, draw.Src)
	}
}

// topLine matches a text result: name, n classes with their
// probabilities, the first one first if it is not "".
func topLine(name, first string, n int) *regexp.Regexp {
	class := `[A-Z][A-Za-z/ -]+`
	if first != "" {
		class = regexp.QuoteMeta(first)
	}
	const guess = `[A-Z][A-Za-z/ -]+ \d{1,3}\.\d%`
	return regexp.MustCompile(fmt.Sprintf(`^%s: %s \d{1,3}\.\d%%(, %s){%d}$`, regexp.QuoteMeta(name), class, guess, n-1))
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestEndToEndFiles(t *testing.T) {
	model := trainedModel(t)
	img := userImages(t)

	code, stdout, stderr := runBinary(t, "-model", model,
		img["sneaker.png"], img["notes.txt"], img["trousers.jpg"], img["empty.png"], img["huge.png"], img["bag.png"], img["missing.png"])
	assert.Equal(t, 1, code, "some files failed")
	out := lines(stdout)
	require.Len(t, out, 3, "one line per good file:\n%s", stdout)
	assert.Regexp(t, topLine(img["sneaker.png"], "Sneaker", 3), out[0])
	assert.Regexp(t, topLine(img["trousers.jpg"], "Trouser", 3), out[1])
	assert.Regexp(t, topLine(img["bag.png"], "Bag", 3), out[2])
	assert.Equal(t, []string{
		"predict: " + img["notes.txt"] + ": not a PNG or JPEG image",
		"predict: " + img["empty.png"] + ": empty file",
		"predict: " + img["huge.png"] + ": image of 20000×20000 pixels is larger than the 50 megapixel limit",
		"predict: " + img["missing.png"] + ": no such file or directory",
	}, lines(stderr), "one line per bad file")
}

func TestEndToEndTestIndex(t *testing.T) {
	model := trainedModel(t)

	code, stdout, stderr := runBinary(t, "-model", model, "-test-index", "0")
	assert.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr, "nothing of predict's own on stderr")
	assert.Regexp(t, topLine("test image 0 (Ankle boot)", "", 3), strings.TrimSuffix(stdout, "\n"))

	img := userImages(t)
	code, stdout, stderr = runBinary(t, "-model", model, img["sneaker.png"], "-top", "1", "-test-index", "2")
	assert.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	out := lines(stdout)
	require.Len(t, out, 2, stdout)
	assert.Regexp(t, topLine("test image 2 (Trouser)", "Trouser", 1), out[0], "the test image comes first")
	assert.Regexp(t, topLine(img["sneaker.png"], "Sneaker", 1), out[1])
}

// jsonLine is what -json prints for one input.
type jsonLine struct {
	File      *string `json:"file"`
	TestIndex *int    `json:"test_index"`
	TrueLabel *int    `json:"true_label"`
	TrueClass string  `json:"true_class"`
	Top       []struct {
		Class       string  `json:"class"`
		Label       int     `json:"label"`
		Probability float64 `json:"probability"`
	} `json:"top"`
	Error *string `json:"error"`
}

func TestEndToEndJSON(t *testing.T) {
	model := trainedModel(t)
	img := userImages(t)

	code, stdout, stderr := runBinary(t, "-model", model, "-json", "-test-index", "0", img["trousers.jpg"], img["empty.png"])
	assert.Equal(t, 1, code, "a file failed")
	assert.Empty(t, stderr, "JSON mode reports file errors on stdout")
	out := lines(stdout)
	require.Len(t, out, 3, "one object per input:\n%s", stdout)
	var got [3]jsonLine
	for i, line := range out {
		require.NoError(t, json.Unmarshal([]byte(line), &got[i]), "line %d: %s", i+1, line)
	}

	test, trousers := got[0], got[1]
	assert.Nil(t, test.File)
	require.NotNil(t, test.TestIndex, out[0])
	assert.Equal(t, 0, *test.TestIndex)
	require.NotNil(t, test.TrueLabel, out[0])
	assert.Equal(t, 9, *test.TrueLabel)
	assert.Equal(t, "Ankle boot", test.TrueClass)
	assert.Nil(t, test.Error)

	require.NotNil(t, trousers.File, out[1])
	assert.Equal(t, img["trousers.jpg"], *trousers.File)
	assert.Nil(t, trousers.TestIndex)
	assert.Nil(t, trousers.Error)

	for _, r := range []jsonLine{test, trousers} {
		require.Len(t, r.Top, 3)
		sum := 0.0
		for i, g := range r.Top {
			assert.Equal(t, loader.ClassName(g.Label), g.Class)
			assert.True(t, g.Probability >= 0 && g.Probability <= 1, "probability %v", g.Probability)
			if i > 0 {
				assert.LessOrEqual(t, g.Probability, r.Top[i-1].Probability, "most probable first")
			}
			sum += g.Probability
		}
		assert.LessOrEqual(t, sum, 1+1e-5)
	}
	assert.Equal(t, "Trouser", trousers.Top[0].Class)
	assert.Equal(t, 1, trousers.Top[0].Label)

	assert.Equal(t, fmt.Sprintf(`{"file":%q,"error":"empty file"}`, img["empty.png"]), out[2])
}

// The binary exits with the statuses run returns; the full table of bad
// command lines is TestRunBadCommandLine.
func TestEndToEndBadCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "predict: nothing to classify: name image files or use -test-index (see -h)\n"},
		{[]string{"-test-index", "10000"}, 2, "predict: -test-index 10000: the test set's images are numbered 0 to 9999\n"},
		{[]string{"-model", filepath.Join(scratch, "nope"), "x.png"}, 2,
			"predict: -model " + filepath.Join(scratch, "nope") + ": no such directory (train a model with: go run ./cmd/train -out DIR)\n"},
	} {
		code, stdout, stderr := runBinary(t, tc.args...)
		assert.Equal(t, tc.code, code, "%q", tc.args)
		assert.Empty(t, stdout, "%q", tc.args)
		assert.Equal(t, tc.stderr, stderr, "%q", tc.args)
	}
}

// run works in-process too, as tests and other callers may use it.
func TestRunWithModel(t *testing.T) {
	model := trainedModel(t)
	code, stdout, stderr := runInProcess("-model", model, "-top", "1", "-test-index", "2")
	assert.Equal(t, 0, code, stderr)
	assert.Regexp(t, topLine("test image 2 (Trouser)", "Trouser", 1), strings.TrimSuffix(stdout, "\n"))
}
