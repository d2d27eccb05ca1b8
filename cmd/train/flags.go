package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/tutorial"
)

// config is the command line, validated.
type config struct {
	dataDir   string
	epochs    int
	batchSize int
	lr        float64 // -lr, or 0 when not given
	// optimizer is -optimizer's, with -lr's learning rate when given, else
	// the optimizer's Keras default.
	optimizer graph.Optimizer
	seed      int64
	outDir    string
	plotsDir  string
	kerasFile string
	// kerasTarget is where the .keras file is written: kerasFile, or the
	// file it is a symbolic link to, so that the link is kept.
	kerasTarget string
	// Training that survives and reports.
	checkpointDir   string
	restart         bool
	logDir          string
	validationSplit float64
	patience        int
	terminateOnNaN  bool
	quiet           bool
	// initFile is -init: a .keras file whose model is trained instead of
	// the tutorial's.
	initFile string
	shuffle  bool
	// model is -model: the tutorial's MLP or the CNN (tutorial.Models).
	model string
	// execution is -steps-per-execution and -jit-compile, Keras's compile
	// arguments of those names; executionSet says either was given (with
	// -init, the file's compile config decides otherwise).
	execution    execution
	executionSet bool
	// exactInference is -exact-inference: evaluation and prediction in the
	// training session (tfmodel.InferenceShared).
	exactInference bool
}

var errHelp = errors.New("help requested")

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data", "", "directory holding the four Fashion-MNIST IDX files (.gz or not), the only place read when given; empty: search the Keras cache, Debian's /usr/share/datasets/fashion-mnist, then download")
	fs.IntVar(&c.epochs, "epochs", 10, "number of epochs to train (the tutorial's 10)")
	fs.IntVar(&c.batchSize, "batch-size", 32, "examples per training step (Keras's default 32)")
	optimizer := fs.String("optimizer", "adam", "the optimizer, by Keras's name: "+strings.Join(graph.KnownOptimizers(), ", ")+" (with Keras's defaults but for -lr)")
	fs.Var((*learningRate)(&c.lr), "lr", "the optimizer's learning `rate` (default: Keras's for the optimizer, 0.001 for adam, adamw and rmsprop, 0.01 for sgd)")
	fs.Int64Var(&c.seed, "seed", 1, "seed of the initial weights and of the shuffling; the same seed gives the same run")
	fs.StringVar(&c.outDir, "out", "out/model", "directory to save the trained model in, as a SavedModel")
	fs.StringVar(&c.plotsDir, "plots", "out/plots", "directory for the tutorial's figures as PNG files; empty: no plots")
	fs.StringVar(&c.kerasFile, "keras", "", "also save the model as a Keras 3 .keras file here (keras.models.load_model reads it); empty: none")
	fs.StringVar(&c.checkpointDir, "checkpoint-dir", "", "checkpoint the training state here after every epoch and on SIGINT/SIGTERM, and resume from it when rerun with the same settings; empty: no checkpoints")
	fs.BoolVar(&c.restart, "restart", false, "discard the checkpoint in -checkpoint-dir and train from scratch (needed to change -batch-size, -seed, -optimizer, -lr or -validation-split of a checkpointed run)")
	fs.StringVar(&c.logDir, "logdir", "", "write TensorBoard event files here (train/ and validation/); empty: none")
	fs.Float64Var(&c.validationSplit, "validation-split", 0, "hold out this last fraction of the training data for validation, as Keras's validation_split")
	fs.IntVar(&c.patience, "early-stopping-patience", 0, "stop when val_loss has not improved for this many epochs and restore the best weights (needs -validation-split); 0: never stop early")
	fs.BoolVar(&c.terminateOnNaN, "terminate-on-nan", true, "stop with an error at the first step whose loss is NaN or infinite (Keras's TerminateOnNaN); false: train on (a model that is not finite is still never saved)")
	fs.StringVar(&c.model, "model", "mlp", "the model to train: mlp (the tutorial's Flatten → Dense(128, relu) → Dense(10, softmax)), cnn (two Conv2D(same) and MaxPooling2D blocks, Dense(128, relu), Dropout(0.5), Dense(10, softmax): 92 %) or convnet (Keras's \"Simple MNIST convnet\", 34,826 parameters: 90 %)")
	fs.StringVar(&c.initFile, "init", "", "train the model this Keras 3 .keras file describes (architecture, compile config, weights, optimizer state) instead of the tutorial's; targets follow from its loss (see README); empty: the tutorial's model")
	fs.BoolVar(&c.shuffle, "shuffle", true, "reshuffle the training data every epoch, as fit(shuffle=True); false: train in data order")
	fs.IntVar(&c.execution.steps, "steps-per-execution", 1, "train this many steps per TensorFlow session run, as a graph loop over the resident data (Keras's compile(steps_per_execution=...)): the same arithmetic, bit for bit, with less overhead; the progress bar, checkpoints and interrupts then act every this many steps")
	fs.BoolVar(&c.execution.jit, "jit-compile", false, "compile each -steps-per-execution chunk of steps with XLA (Keras's compile(jit_compile=True)): faster, but XLA reorders sums, so the weights differ from Keras's in the last bits and Dropout draws other masks")
	fs.BoolVar(&c.exactInference, "exact-inference", false, "evaluate and predict in the training session, as Keras does, for Keras's bits with TensorFlow's oneDNN kernels off too; by default they run in a session of their own with one-thread kernels, faster on small batches, whose last bits differ from Keras's (within 1e-6) where oneDNN is off")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the summary lines: no model table, no progress bars")
	// Errors are reported by run in one line; the usage is printed for -h only.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "usage: train [flags]\n\nTrains the Keras tutorial's Fashion-MNIST classifier on TensorFlow's kernels\nand saves it as a SavedModel.\n\nFlags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: train takes only flags (see -h)", fs.Arg(0))
	}
	o, err := graph.GetOptimizer(*optimizer)
	if err != nil {
		return c, fmt.Errorf("-optimizer %s: %w", *optimizer, err)
	}
	lrSet, optimizerSet := false, false
	fs.Visit(func(f *flag.Flag) {
		lrSet = lrSet || f.Name == "lr"
		optimizerSet = optimizerSet || f.Name == "optimizer"
	})
	modelSet := false
	fs.Visit(func(f *flag.Flag) {
		modelSet = modelSet || f.Name == "model"
		c.executionSet = c.executionSet || f.Name == "steps-per-execution" || f.Name == "jit-compile"
	})
	if !tutorial.Known(c.model) {
		return c, fmt.Errorf("-model %s: want one of %s", c.model, strings.Join(tutorial.Models, ", "))
	}
	if c.initFile != "" {
		if modelSet {
			return c, fmt.Errorf("-init %s: the model comes from the file: drop -model", c.initFile)
		}
		if lrSet || optimizerSet {
			return c, fmt.Errorf("-init %s: the optimizer and its learning rate come from the file: drop -optimizer and -lr", c.initFile)
		}
		if _, err := os.Stat(c.initFile); err != nil {
			return c, fmt.Errorf("-init %s: %w", c.initFile, err)
		}
	}
	if !lrSet {
		c.lr = o.InitialLearningRate()
	}
	switch {
	case c.epochs <= 0:
		return c, fmt.Errorf("-epochs %d: must be at least 1", c.epochs)
	case c.batchSize <= 0:
		return c, fmt.Errorf("-batch-size %d: must be at least 1", c.batchSize)
	case c.execution.steps <= 0:
		return c, fmt.Errorf("-steps-per-execution %d: must be at least 1", c.execution.steps)
	case !(c.lr > 0) || c.lr > 1:
		return c, fmt.Errorf("-lr %g: must be in (0, 1]", c.lr)
	case float32(c.lr) == 0:
		// The learning rate is a float32 variable: this one would be 0.
		return c, fmt.Errorf("-lr %g: rounds to 0 in float32, the optimizer's precision: must be at least %g", c.lr, math.SmallestNonzeroFloat32)
	case c.outDir == "":
		return c, fmt.Errorf("-out: needs a directory")
	case !(c.validationSplit >= 0 && c.validationSplit < 1):
		return c, fmt.Errorf("-validation-split %g: must be in [0, 1)", c.validationSplit)
	case c.patience < 0:
		return c, fmt.Errorf("-early-stopping-patience %d: must not be negative", c.patience)
	case c.patience > 0 && c.validationSplit == 0:
		return c, fmt.Errorf("-early-stopping-patience %d: needs -validation-split, early stopping watches val_loss", c.patience)
	case c.restart && c.checkpointDir == "":
		return c, fmt.Errorf("-restart: needs -checkpoint-dir, the checkpoint to discard")
	}
	// Every output is checked now, not after training: a path that cannot
	// be written, or that holds something we must not replace, would
	// otherwise throw the trained model away.
	if err := checkModelDir(c.outDir); err != nil {
		return c, fmt.Errorf("-out %s: %w", c.outDir, err)
	}
	if c.plotsDir != "" {
		if err := checkPlotsDir(c.plotsDir); err != nil {
			return c, fmt.Errorf("-plots %s: %w", c.plotsDir, err)
		}
	}
	for _, d := range []struct{ flag, dir string }{{"-checkpoint-dir", c.checkpointDir}, {"-logdir", c.logDir}} {
		if d.dir == "" {
			continue
		}
		if err := checkWritable(d.dir); err != nil {
			return c, fmt.Errorf("%s %s: %w", d.flag, d.dir, err)
		}
	}
	c.optimizer = o.WithLearningRate(c.lr)
	if err := c.optimizer.Validate(); err != nil {
		return c, fmt.Errorf("-optimizer %s: %w", *optimizer, err)
	}
	if c.kerasFile != "" {
		target, err := checkKerasFile(c.kerasFile)
		if err != nil {
			return c, fmt.Errorf("-keras %s: %w", c.kerasFile, err)
		}
		c.kerasTarget = target
	}
	return c, nil
}

// learningRate is -lr: a float64 that prints no default, since the default
// depends on -optimizer.
type learningRate float64

func (l *learningRate) String() string {
	if l == nil || *l == 0 {
		return ""
	}
	return strconv.FormatFloat(float64(*l), 'g', -1, 64)
}

func (l *learningRate) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("parse error")
	}
	*l = learningRate(v)
	return nil
}
