package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tfmodel"
)

// train follows the tutorial's order: data, model, training, evaluation,
// predictions, then what the tutorial leaves out: saving, and the figures.
func train(ctx context.Context, cfg config, stdout, stderr io.Writer, p *phases) error {
	say := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	verbose := func(format string, args ...any) {
		if !cfg.quiet {
			say(format, args...)
		}
	}
	start := time.Now()
	pause, err := pauseFromEnv(ctx, stderr)
	if err != nil {
		return err
	}

	// The checkpoint directory is this run's from now on: a second run
	// with the same -checkpoint-dir fails here, before it loads anything,
	// instead of resuming from and deleting this one's checkpoints.
	var backup *tfmodel.BackupAndRestore
	var lastSaved string
	if cfg.checkpointDir != "" {
		backup = &tfmodel.BackupAndRestore{
			Dir:     cfg.checkpointDir,
			Restart: cfg.restart,
			Saved:   func(prefix string, _ tfmodel.Position) { lastSaved = prefix },
			Restored: func(prefix string, pos tfmodel.Position) {
				say("Resuming from checkpoint %s at epoch %d, step %d", prefix, pos.Epoch+1, pos.Step)
			},
		}
		if err := backup.Lock(); err != nil {
			return err
		}
		defer backup.Unlock()
	}
	say("TensorFlow version: %s", tf.Version())

	p.enter("loading the data", false)
	pause.beforeLoad()
	// A directory named by -data is the only one read (see loader.Search).
	data, err := loader.DefaultSearch(cfg.dataDir).Load(ctx)
	if err != nil {
		return err
	}
	classNames := loader.ClassNames()
	verbose("Fashion-MNIST from %s", data.Source)
	verbose("train_images.shape: (%d, %d, %d)", data.Train.Len(), loader.Rows, loader.Cols)
	verbose("len(train_labels): %d", data.Train.Len())
	verbose("train_labels: %s", elided(data.Train.Labels))
	verbose("test_images.shape: (%d, %d, %d)", data.Test.Len(), loader.Rows, loader.Cols)
	verbose("len(test_labels): %d", data.Test.Len())
	trainX, testX := data.Train.ScaledTensor(), data.Test.ScaledTensor()

	p.enter("building the model", false)
	model, err := buildModel(cfg)
	if err != nil {
		return err
	}
	defer model.Close()
	trainY, err := targets(model, data.Train.Labels)
	if err != nil {
		return err
	}
	testY, err := targets(model, data.Test.Labels)
	if err != nil {
		return err
	}
	if !cfg.quiet {
		if err := model.Summary(stdout); err != nil {
			return err
		}
	}

	say("%s", describe(model.Compiled()))
	say("%s", inferenceLine(model.Compiled()))

	fit := tfmodel.DefaultFitOptions()
	fit.Epochs, fit.BatchSize, fit.Seed, fit.Shuffle = cfg.epochs, cfg.batchSize, uint64(cfg.seed), cfg.shuffle
	if !cfg.quiet {
		fit.Progress = stdout
	}
	fit.ValidationSplit = cfg.validationSplit
	// TerminateOnNaN comes first: a diverged step stops training before
	// any other callback sees it (and before a checkpoint is written).
	if cfg.terminateOnNaN {
		fit.Callbacks = append(fit.Callbacks, tfmodel.TerminateOnNaN{})
	}
	if backup != nil {
		fit.Callbacks = append(fit.Callbacks, backup)
	}
	if cfg.logDir != "" {
		fit.Callbacks = append(fit.Callbacks, &tfmodel.TensorBoard{LogDir: cfg.logDir})
	}
	if pause != nil {
		pause.chunk = max(model.Compiled().StepsPerExecution, 1)
		fit.Callbacks = append(fit.Callbacks, pause)
	}
	var stopper *tfmodel.EarlyStopping
	if cfg.patience > 0 {
		stopper = tfmodel.NewEarlyStopping(cfg.patience)
		fit.Callbacks = append(fit.Callbacks, stopper)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted before training: %w", err)
	}
	p.enter("training", true)
	history, err := model.Fit(ctx, trainX, trainY, fit)
	// An interrupted Fit has saved its checkpoint; saying where to resume
	// and closing the session are part of that stop, which main waits for
	// as it waits for Fit (cut there, the run would end without the line
	// that says where it saved).
	p.enter("finishing", errors.Is(err, context.Canceled))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			pos := model.Position()
			if lastSaved == "" {
				return fmt.Errorf("interrupted at epoch %d, step %d; nothing saved (-checkpoint-dir keeps the training state): %w", pos.Epoch+1, pos.Step, err)
			}
			return fmt.Errorf("interrupted at epoch %d, step %d; saved the training state to %s: rerun the same command to resume: %w", pos.Epoch+1, pos.Step, lastSaved, err)
		}
		if errors.Is(err, tfmodel.ErrCheckpointSettings) {
			return checkpointSettingsError(err)
		}
		return fmt.Errorf("training stopped: %w", err)
	}
	if stopper != nil && stopper.StoppedEpoch >= 0 {
		say("Stopped early after epoch %d: val_loss last improved at epoch %d, whose weights are restored", stopper.StoppedEpoch+1, stopper.BestEpoch+1)
	}
	if last := len(history.Epochs) - 1; last >= 0 {
		say("Trained %s: %s", plural(len(history.Epochs), "epoch"), lastLogs(history, last))
	} else {
		say("Training was already complete in %s", cfg.checkpointDir)
	}

	p.enter("evaluating the model", false)
	evaluate := tfmodel.EvaluateOptions{}
	if !cfg.quiet {
		evaluate.Progress = stdout
	}
	testLogs, err := model.Evaluate(testX, testY, evaluate)
	if err != nil {
		return err
	}
	if acc, ok := testLogs["accuracy"]; ok {
		say("\nTest accuracy: %.4f", acc)
	}
	say("Test: %s", logsLine(testLogs))
	if !classifies(model) {
		// The tutorial's predictions and figures are a classifier's.
		return saveModel(ctx, cfg, model, say, p, start)
	}

	predictionsT, err := model.Predict(testX, tfmodel.PredictOptions{})
	if err != nil {
		return err
	}
	predictions := predictionsT.Data // the tutorial prints rows of it
	classes := loader.NumClasses
	verbose("predictions[0]: %s", floats(predictions[:classes]))
	verbose("np.argmax(predictions[0]): %d (%s)", argmax(predictions[:classes]), classNames[argmax(predictions[:classes])])
	verbose("test_labels[0]: %d (%s)", data.Test.Labels[0], classNames[data.Test.Labels[0]])

	// The tutorial's single-image flow: one image is a batch of one.
	img := testX.Slice(1, 2)
	verbose("img.shape: (%d, %d)", loader.Rows, loader.Cols)
	verbose("np.expand_dims(img, 0).shape: (1, %d, %d)", loader.Rows, loader.Cols)
	singleT, err := model.Predict(img, tfmodel.PredictOptions{})
	if err != nil {
		return err
	}
	single := singleT.Data
	verbose("predictions_single: [%s]", floats(single))
	say("np.argmax(predictions_single[0]): %d (%s), true label %d (%s)",
		argmax(single), classNames[argmax(single)], data.Test.Labels[1], classNames[data.Test.Labels[1]])

	if err := saveModel(ctx, cfg, model, say, p, start); err != nil {
		return err
	}
	if cfg.plotsDir != "" {
		p.enter("drawing the plots", false)
		files, err := drawPlots(ctx, cfg.plotsDir, data, predictionsT, singleT, history)
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted while drawing the plots, %d written: %w", len(files), err)
		}
		if err != nil {
			return err
		}
		say("Wrote %d plots to %s: %s", len(files), cfg.plotsDir, joinNames(files))
	}
	say("Done in %s", time.Since(start).Round(time.Second))
	return nil
}

// saveModel writes the SavedModel and, with -keras, the .keras file; a
// model that is not a classifier of images (-init) ends the run here.
func saveModel(ctx context.Context, cfg config, model *tfmodel.Sequential, say func(string, ...any), p *phases, start time.Time) error {
	// Save refuses a model that is not finite (ErrNotFinite): with
	// -terminate-on-nan=false training goes on past a NaN loss, but what
	// it ends with is not written where a good model is expected.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted before saving the model: %w", err)
	}
	p.enter("saving the model to "+cfg.outDir, false)
	if err := model.Save(cfg.outDir); err != nil {
		return err
	}
	in, out := model.SignatureKeys()
	say("Saved the model to %s (SavedModel: serving_default takes %s float32 %v, gives %s)", cfg.outDir, in, append([]int{-1}, model.InputShape()...), out)

	if cfg.kerasFile != "" {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted before saving %s: %w", cfg.kerasFile, err)
		}
		p.enter("saving the model to "+cfg.kerasFile, false)
		if err := model.SaveKeras(cfg.kerasTarget); err != nil {
			return err
		}
		say("Saved the model to %s (Keras 3: keras.models.load_model reads it)", cfg.kerasFile)
	}

	if !classifies(model) {
		say("Done in %s", time.Since(start).Round(time.Second))
	}
	return nil
}
