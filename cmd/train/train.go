package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tfmodel"
)

// train follows the tutorial's order: data, model, training, evaluation,
// predictions, then what the tutorial leaves out: saving, and the figures.
func train(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	verbose := func(format string, args ...any) {
		if !cfg.quiet {
			say(format, args...)
		}
	}
	start := time.Now()
	say("TensorFlow version: %s", tf.Version())

	data, err := loader.Load(cfg.dataDir)
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
	trainX, testX := data.Train.Scaled(), data.Test.Scaled()

	model, err := tfmodel.NewSequential(
		tfmodel.Flatten(loader.Rows, loader.Cols),
		tfmodel.Dense(128, "relu"),
		tfmodel.Dense(loader.NumClasses, "softmax"),
	)
	if err != nil {
		return err
	}
	compile := tfmodel.DefaultCompileOptions()
	compile.Optimizer = graph.DefaultAdam()
	compile.Optimizer.LearningRate = float32(cfg.lr)
	compile.Seed = cfg.seed
	if err := model.Compile(compile); err != nil {
		return err
	}
	defer model.Close()
	if !cfg.quiet {
		if err := model.Summary(stdout); err != nil {
			return err
		}
	}

	fit := tfmodel.DefaultFitOptions()
	fit.Epochs, fit.BatchSize, fit.Seed = cfg.epochs, cfg.batchSize, uint64(cfg.seed)
	if !cfg.quiet {
		fit.Progress = stdout
	}
	fit.ValidationSplit = cfg.validationSplit
	var lastSaved string
	if cfg.checkpointDir != "" {
		fit.Callbacks = append(fit.Callbacks, &tfmodel.BackupAndRestore{
			Dir:   cfg.checkpointDir,
			Saved: func(prefix string, _ tfmodel.Position) { lastSaved = prefix },
			Restored: func(prefix string, pos tfmodel.Position) {
				say("Resuming from checkpoint %s at epoch %d, step %d", prefix, pos.Epoch+1, pos.Step)
			},
		})
	}
	if cfg.logDir != "" {
		fit.Callbacks = append(fit.Callbacks, &tfmodel.TensorBoard{LogDir: cfg.logDir})
	}
	pause, err := pauseFromEnv(ctx, stderr)
	if err != nil {
		return err
	}
	if pause != nil {
		fit.Callbacks = append(fit.Callbacks, pause)
	}
	var stopper *tfmodel.EarlyStopping
	if cfg.patience > 0 {
		stopper = tfmodel.NewEarlyStopping(cfg.patience)
		fit.Callbacks = append(fit.Callbacks, stopper)
	}
	history, err := model.Fit(ctx, trainX, data.Train.Labels, fit)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			pos := model.Position()
			if lastSaved == "" {
				return fmt.Errorf("interrupted at epoch %d, step %d; nothing saved (-checkpoint-dir keeps the training state): %w", pos.Epoch+1, pos.Step, err)
			}
			return fmt.Errorf("interrupted at epoch %d, step %d; saved the training state to %s: rerun the same command to resume: %w", pos.Epoch+1, pos.Step, lastSaved, err)
		}
		return fmt.Errorf("training stopped: %w", err)
	}
	if stopper != nil && stopper.StoppedEpoch >= 0 {
		say("Stopped early after epoch %d: val_loss last improved at epoch %d, whose weights are restored", stopper.StoppedEpoch+1, stopper.BestEpoch+1)
	}
	if last := len(history.Loss) - 1; last >= 0 {
		say("Trained %s: loss %.4f, accuracy %.4f", plural(len(history.Loss), "epoch"), history.Loss[last], history.Accuracy[last])
	} else {
		say("Training was already complete in %s", cfg.checkpointDir)
	}

	evaluate := tfmodel.EvaluateOptions{}
	if !cfg.quiet {
		evaluate.Progress = stdout
	}
	_, testAcc, err := model.Evaluate(testX, data.Test.Labels, evaluate)
	if err != nil {
		return err
	}
	say("\nTest accuracy: %.4f", testAcc)

	predictions, err := model.Predict(testX, tfmodel.PredictOptions{})
	if err != nil {
		return err
	}
	classes := loader.NumClasses
	verbose("predictions[0]: %s", floats(predictions[:classes]))
	verbose("np.argmax(predictions[0]): %d (%s)", argmax(predictions[:classes]), classNames[argmax(predictions[:classes])])
	verbose("test_labels[0]: %d (%s)", data.Test.Labels[0], classNames[data.Test.Labels[0]])

	// The tutorial's single-image flow: one image is a batch of one.
	img := testX[1*loader.ImageSize : 2*loader.ImageSize]
	verbose("img.shape: (%d, %d)", loader.Rows, loader.Cols)
	verbose("np.expand_dims(img, 0).shape: (1, %d, %d)", loader.Rows, loader.Cols)
	single, err := model.Predict(img, tfmodel.PredictOptions{})
	if err != nil {
		return err
	}
	verbose("predictions_single: [%s]", floats(single))
	say("np.argmax(predictions_single[0]): %d (%s), true label %d (%s)",
		argmax(single), classNames[argmax(single)], data.Test.Labels[1], classNames[data.Test.Labels[1]])

	if err := model.Save(cfg.outDir); err != nil {
		return err
	}
	say("Saved the model to %s (SavedModel: serving_default takes images float32 [-1, 28, 28] in [0, 1])", cfg.outDir)

	if cfg.kerasFile != "" {
		if err := model.SaveKeras(cfg.kerasFile); err != nil {
			return err
		}
		say("Saved the model to %s (Keras 3: keras.models.load_model reads it)", cfg.kerasFile)
	}

	if cfg.plotsDir != "" {
		files, err := drawPlots(cfg.plotsDir, data, predictions, single, history)
		if err != nil {
			return err
		}
		say("Wrote %d plots to %s: %s", len(files), cfg.plotsDir, joinNames(files))
	}
	say("Done in %s", time.Since(start).Round(time.Second))
	return nil
}
