package main

import (
	"context"
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
func train(ctx context.Context, cfg config, stdout io.Writer) error {
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
	history, err := model.Fit(ctx, trainX, data.Train.Labels, fit)
	if err != nil {
		return fmt.Errorf("training stopped: %w", err)
	}
	last := len(history.Loss) - 1
	say("Trained %d epochs: loss %.4f, accuracy %.4f", len(history.Loss), history.Loss[last], history.Accuracy[last])

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
