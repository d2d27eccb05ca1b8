package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// testSetSize is the number of Fashion-MNIST test images, the bound of
// -test-index checked before the data set is loaded.
const testSetSize = 10000

// config is the command line, validated.
type config struct {
	modelDir  string
	dataDir   string
	json      bool
	top       int
	testIndex int // -1: none
	files     []string
	// trustModel loads the model with savedmodel.LoadTrusted, which runs
	// whatever its graph holds, instead of savedmodel.Load, which refuses
	// ops off an allow-list of pure computation.
	trustModel bool
}

var errHelp = errors.New("help requested")

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{testIndex: -1}
	flags := flag.NewFlagSet("predict", flag.ContinueOnError)
	// The flag package would print the whole usage after a parse error; a
	// bad command line gets one line, and the usage is for -h.
	flags.SetOutput(io.Discard)
	flags.StringVar(&c.modelDir, "model", "out/model", "SavedModel directory to classify with: cmd/train's -out, or a Keras model.export")
	flags.BoolVar(&c.json, "json", false, "print one JSON object per line per image instead of text; failed files become {\"file\", \"error\"} objects (see Output above)")
	flags.IntVar(&c.top, "top", 3, "number of most probable classes to print, 1 to 10")
	flags.IntVar(&c.testIndex, "test-index", -1, "also classify Fashion-MNIST test image `N` (0 to 9999) and show its true class; -1: none")
	flags.BoolVar(&c.trustModel, "trust-model", false, "run the model's graph even if it has ops that reach outside the process (files, network, processes): a SavedModel is a program (see Models above)")
	flags.StringVar(&c.dataDir, "data", "", "directory holding the Fashion-MNIST IDX files, for -test-index; empty: search the Keras cache, then Debian's /usr/share/datasets/fashion-mnist, then download")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), `usage: predict [flags] FILE...

Classifies PNG and JPEG pictures of clothing with a Fashion-MNIST model and
prints the most probable classes of each. A picture is converted to grey,
trimmed to the garment, fitted into 28×28 pixels keeping its aspect ratio,
and inverted if its background is light, to look like Fashion-MNIST.

Flags may come before or after the files; after "--" all are files. Files
that cannot be read are reported and the others still classified; the exit
status is then 1. A bad command line exits with status 2; SIGINT or SIGTERM
stops predict within a second, with status 130.

Files: only regular files are read (a FIFO, device or directory is refused
before it is opened), of at most %d MiB, and images of at most %d
megapixels whose decoding and preparation take at most %d MiB of memory
(a 50-megapixel camera JPEG takes about 170 MiB; a narrow strip of
pixels can take gigabytes to shrink, and is refused).

Output: percentages when the model's outputs for an image are
probabilities (each in [0, 1], summing to 1 within 0.001). Otherwise, as
for a model that ends in logits or sigmoids, they are shown as scores
("Shirt score 3.2"), and -json writes "score" instead of "probability"
and "not_probabilities": true. A score that is NaN or infinite is null in
JSON, with "non_finite": "NaN", "Infinity" or "-Infinity" beside it. A
file name that is not valid UTF-8, or has control characters, is quoted
in Go syntax in text; in JSON, "file" has U+FFFD for bytes that are not
UTF-8, and "file_bytes" (base64) then holds the name's exact bytes.

Models: a SavedModel is a program, not data. Its graph can read and write
files, reach the network or start processes with your rights, and
TensorFlow's security policy says as much: run a model you do not trust
only in a sandbox. predict refuses a model whose serving function, or
what loading it runs, has ops beyond an allow-list of pure computation;
-trust-model runs it anyway. The check does not make a hostile model
safe (TensorFlow's kernels themselves have had exploitable bugs), it
only keeps a model from doing openly what no classifier needs.

Flags:
`, maxFileBytes>>20, maxPixels/1_000_000, maxImageBytes>>20)
		flags.PrintDefaults()
	}
	// The flag package stops at the first file name; users also write
	// flags after the files (predict shirt.png -json), so parse on after
	// each file, up to a "--" after which all are files.
	for rest := args; ; {
		if err := flags.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				flags.SetOutput(stderr)
				flags.Usage()
				return c, errHelp
			}
			return c, fmt.Errorf("%w (see -h)", err)
		}
		left := flags.Args()
		used := len(rest) - len(left)
		if len(left) == 0 || used > 0 && rest[used-1] == "--" {
			c.files = append(c.files, left...)
			break
		}
		c.files = append(c.files, left[0])
		rest = left[1:]
	}
	switch {
	case len(c.files) == 0 && c.testIndex == -1:
		return c, errors.New("nothing to classify: name image files or use -test-index (see -h)")
	case c.testIndex < -1 || c.testIndex >= testSetSize:
		return c, fmt.Errorf("-test-index %d: the test set's images are numbered 0 to %d", c.testIndex, testSetSize-1)
	case c.top < 1 || c.top > 10:
		return c, fmt.Errorf("-top %d: must be 1 to 10", c.top)
	}
	if err := checkModelDir(c.modelDir); err != nil {
		return c, fmt.Errorf("-model %s: %w", c.modelDir, err)
	}
	return c, nil
}

// checkModelDir catches the usual mistakes with -model (no model trained
// yet, a wrong path) as usage errors; savedmodel.Load checks the rest.
func checkModelDir(dir string) error {
	if dir == "" {
		return errors.New("needs a SavedModel directory")
	}
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("no such directory (train a model with: go run ./cmd/train -out DIR)")
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return errors.New("not a directory")
	}
	for _, name := range []string{"saved_model.pb", "saved_model.pbtxt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil
		}
	}
	return errors.New("not a SavedModel: it has no saved_model.pb")
}
