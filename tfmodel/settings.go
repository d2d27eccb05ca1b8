package tfmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gokeras/fashion/graph"
)

// TrainingSettings are what decides, beside the model's state, what a step
// of Fit does: which examples it sees, in which order, and how far Adam
// moves, and how. A checkpoint records them (SaveCheckpoint), and BackupAndRestore
// resumes only a run whose settings are the checkpoint's: with another
// batch size the saved step would point at other examples, with another
// seed the epoch would be reshuffled halfway, and another learning rate
// would be silently overridden by the restored one.
type TrainingSettings struct {
	BatchSize       int
	Shuffle         bool
	Seed            uint64 // of the shuffling
	ValidationSplit float64
	Examples        int     // given to Fit, before the validation split
	LearningRate    float32 // the optimizer's, as its variable holds it
	// Optimizer is the optimizer's Keras class and config, as
	// graph.SerializeOptimizer writes them (JSON); "" for a checkpoint of
	// format 2, which was always Adam's. Its learning_rate is the initial
	// one: LearningRate is the one that counts.
	Optimizer string
}

// Names of the settings, as a SettingsMismatchError gives them.
const (
	SettingBatchSize       = "batch size"
	SettingShuffle         = "shuffle"
	SettingSeed            = "shuffling seed"
	SettingValidationSplit = "validation split"
	SettingExamples        = "examples"
	SettingLearningRate    = "learning rate"
	// SettingOptimizer is the optimizer's class; a hyper-parameter of the
	// same class differs as "optimizer <Keras config key>" ("optimizer
	// momentum").
	SettingOptimizer = "optimizer"
)

// trainExamples is how many of the examples the validation split leaves
// for training: Fit's split, computed the same way.
func (s TrainingSettings) trainExamples() int {
	return int(float64(s.Examples) * (1 - s.ValidationSplit))
}

// stepsPerEpoch is how many steps an epoch of these settings has.
func (s TrainingSettings) stepsPerEpoch() int { return ceilDiv(s.trainExamples(), s.BatchSize) }

// ceilDiv is n/d rounded up, for n >= 0 and d > 0, without the overflow of
// (n+d-1)/d when d is huge (a batch size of math.MaxInt is one step).
func ceilDiv(n, d int) int {
	q := n / d
	if n%d != 0 {
		q++
	}
	return q
}

// runState is what a Fit in progress, or the last one, records in its
// checkpoints beyond the Position.
type runState struct {
	settings TrainingSettings
	epochs   int // of the Fit; not recorded, a resumed run may train longer
	// Where the run began: its first epoch, and Adam's step count then.
	// The count at any Position follows: baseIteration plus the steps taken
	// since initialEpoch (EarlyStopping's restore of the best weights can
	// only lower it).
	initialEpoch  int
	baseIteration int64
}

// ErrCheckpointSettings is matched by the errors of BackupAndRestore that
// refuse to resume a checkpoint because it cannot continue this run: it was
// written with other TrainingSettings (a *SettingsMismatchError), or
// records none, or is past this run's last epoch. Discarding it
// (BackupAndRestore.Restart) or running with its settings resumes.
var ErrCheckpointSettings = errors.New("the checkpoint does not belong to this run")

// SettingsMismatchError reports the settings in which a checkpoint and the
// run that would resume it differ.
type SettingsMismatchError struct {
	Prefix string
	Diffs  []SettingDiff
}

// SettingDiff is one setting that differs: its name (SettingBatchSize...)
// and both values, formatted.
type SettingDiff struct {
	Setting, Checkpoint, Run string
}

func (e *SettingsMismatchError) Error() string {
	parts := make([]string, len(e.Diffs))
	for i, d := range e.Diffs {
		parts[i] = fmt.Sprintf("%s %s (this run: %s)", d.Setting, d.Checkpoint, d.Run)
	}
	return fmt.Sprintf("checkpoint %s was written with other settings than this run's: %s", e.Prefix, strings.Join(parts, ", "))
}

func (e *SettingsMismatchError) Is(target error) bool { return target == ErrCheckpointSettings }

// compareSettings lists how a checkpoint's settings differ from a run's.
func compareSettings(prefix string, ckpt, run TrainingSettings) error {
	var diffs []SettingDiff
	add := func(name string, differ bool, c, r string) {
		if differ {
			diffs = append(diffs, SettingDiff{name, c, r})
		}
	}
	add(SettingBatchSize, ckpt.BatchSize != run.BatchSize, strconv.Itoa(ckpt.BatchSize), strconv.Itoa(run.BatchSize))
	add(SettingShuffle, ckpt.Shuffle != run.Shuffle, strconv.FormatBool(ckpt.Shuffle), strconv.FormatBool(run.Shuffle))
	add(SettingSeed, ckpt.Seed != run.Seed, strconv.FormatUint(ckpt.Seed, 10), strconv.FormatUint(run.Seed, 10))
	add(SettingValidationSplit, ckpt.ValidationSplit != run.ValidationSplit, formatFloat(ckpt.ValidationSplit, 64), formatFloat(run.ValidationSplit, 64))
	add(SettingExamples, ckpt.Examples != run.Examples, strconv.Itoa(ckpt.Examples), strconv.Itoa(run.Examples))
	add(SettingLearningRate, ckpt.LearningRate != run.LearningRate, formatFloat(float64(ckpt.LearningRate), 32), formatFloat(float64(run.LearningRate), 32))
	diffs = append(diffs, optimizerDiffs(ckpt.Optimizer, run.Optimizer)...)
	if len(diffs) > 0 {
		return &SettingsMismatchError{Prefix: prefix, Diffs: diffs}
	}
	return nil
}

// formatFloat prints the shortest decimal that reads back as the value at
// its precision: a float32 learning rate 0.001 prints as 0.001.
func formatFloat(v float64, bits int) string { return strconv.FormatFloat(v, 'g', -1, bits) }

// optimizerSetting is TrainingSettings.Optimizer for o.
func optimizerSetting(o graph.Optimizer) (string, error) {
	b, err := graph.SerializeOptimizer(o)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// serializedOptimizer is what optimizerSetting records, as read back.
type serializedOptimizer struct {
	ClassName string         `json:"class_name"`
	Config    map[string]any `json:"config"`
}

// parseOptimizerSetting reads TrainingSettings.Optimizer; "" is format 2's
// Adam, whose config was not recorded (nil).
func parseOptimizerSetting(s string) (serializedOptimizer, error) {
	if s == "" {
		return serializedOptimizer{ClassName: "Adam"}, nil
	}
	var o serializedOptimizer
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return o, fmt.Errorf("training/optimizer %q: %w", s, err)
	}
	if o.ClassName == "" || o.Config == nil {
		return o, fmt.Errorf("training/optimizer %q: want a class_name and a config", s)
	}
	return o, nil
}

// optimizerDiffs lists how two optimizers differ: their classes, or the
// keys of their configs, but for the learning rate (compared as the
// variable holds it) and the name. A checkpoint of format 2 ("") matches
// any Adam: its config was not recorded.
func optimizerDiffs(ckpt, run string) []SettingDiff {
	c, errC := parseOptimizerSetting(ckpt)
	r, errR := parseOptimizerSetting(run)
	if errC != nil || errR != nil {
		if ckpt != run {
			return []SettingDiff{{SettingOptimizer, ckpt, run}}
		}
		return nil
	}
	if c.ClassName != r.ClassName {
		cs := c.ClassName
		if ckpt == "" {
			cs += " (format 2, before the optimizer was recorded)"
		}
		return []SettingDiff{{SettingOptimizer, cs, r.ClassName}}
	}
	if c.Config == nil || r.Config == nil {
		return nil
	}
	keys := map[string]bool{}
	for k := range c.Config {
		keys[k] = true
	}
	for k := range r.Config {
		keys[k] = true
	}
	var diffs []SettingDiff
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if k == "learning_rate" || k == "name" {
			continue
		}
		cv, rv := c.Config[k], r.Config[k]
		if !reflect.DeepEqual(cv, rv) {
			diffs = append(diffs, SettingDiff{SettingOptimizer + " " + k, configValue(cv), configValue(rv)})
		}
	}
	return diffs
}

// configValue formats a config value as Python would print it.
func configValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case float64:
		return formatFloat(v, 64)
	}
	return fmt.Sprint(v)
}
