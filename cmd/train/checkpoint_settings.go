package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gokeras/fashion/tfmodel"
)

// settingFlags are the flags that set each of tfmodel's TrainingSettings;
// the others (the data set's size, shuffling) no flag changes.
var settingFlags = map[string]string{
	tfmodel.SettingBatchSize:       "-batch-size",
	tfmodel.SettingSeed:            "-seed",
	tfmodel.SettingLearningRate:    "-lr",
	tfmodel.SettingOptimizer:       "-optimizer",
	tfmodel.SettingValidationSplit: "-validation-split",
}

// checkpointSettingsError rewrites tfmodel's refusal to resume a checkpoint
// of another run in the command's terms: the flags that differ, with the
// checkpoint's values and this run's, and the two ways on.
func checkpointSettingsError(err error) error {
	const restart = "add -restart to discard it and train from scratch"
	var mismatch *tfmodel.SettingsMismatchError
	if !errors.As(err, &mismatch) {
		return fmt.Errorf("%w; %s", err, restart)
	}
	var theirs, ours []string
	for _, d := range mismatch.Diffs {
		if d.Setting == tfmodel.SettingOptimizer {
			// Keras's class names, as -optimizer takes them.
			d.Checkpoint, d.Run = strings.ToLower(d.Checkpoint), strings.ToLower(d.Run)
		}
		if flag, ok := settingFlags[d.Setting]; ok {
			theirs, ours = append(theirs, flag+" "+d.Checkpoint), append(ours, flag+" "+d.Run)
		} else {
			theirs, ours = append(theirs, d.Setting+" "+d.Checkpoint), append(ours, d.Setting+" "+d.Run)
		}
	}
	return &settingsError{
		msg: fmt.Sprintf("checkpoint %s was written with %s, this run has %s: rerun with the checkpoint's settings to resume it, or %s",
			mismatch.Prefix, strings.Join(theirs, " "), strings.Join(ours, " "), restart),
		err: err,
	}
}

// settingsError is tfmodel's error, told in the command's terms.
type settingsError struct {
	msg string
	err error
}

func (e *settingsError) Error() string { return e.msg }
func (e *settingsError) Unwrap() error { return e.err }
