package kerasfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// An optimizer's hyperparameters must keep a training step finite. Adam's
// step is learning_rate · m̂ / (√v̂ + epsilon), with m̂ and v̂ divided by
// 1 − beta^t: an infinite or zero rate, a beta of 1 or more, or an epsilon
// of 0 turns the weights into NaN or infinities at the first step (or
// freezes them), so Read and Write refuse them, naming the field and its
// value. Each check takes label, the field's name where it is reported,
// and text, the value as the file or the model spells it.

// checkLearningRate accepts a positive rate that stays finite as the
// float32 Keras keeps it in: 1e39 is a finite JSON number but +Inf once
// Keras (or Go) holds it.
func checkLearningRate(label, text string, v float64) error {
	if f := float64(float32(v)); f > 0 && !math.IsInf(f, 0) {
		return nil
	}
	return fmt.Errorf("%s %s out of range: want a finite float32 > 0", label, text)
}

// checkBeta accepts an exponential decay rate in [0, 1).
func checkBeta(label, text string, v float64) error {
	if v >= 0 && v < 1 {
		return nil
	}
	return fmt.Errorf("%s %s out of range: want 0 <= %s < 1", label, text, label)
}

// checkEpsilon accepts a finite, positive epsilon.
func checkEpsilon(label, text string, v float64) error {
	if v > 0 && !math.IsInf(v, 0) {
		return nil
	}
	return fmt.Errorf("%s %s out of range: want a finite number > 0", label, text)
}

// parseHyper reads the number raw of the config field key of an optimizer
// of class, nil if the config leaves it out, and checks it. The text of
// the number is kept for the error: 1e400, which no float64 holds, is
// reported as written.
func parseHyper(class, key string, raw json.RawMessage, check func(label, text string, v float64) error) (*float64, error) {
	if isNull(raw) {
		return nil, nil
	}
	var n json.Number
	if t := bytes.TrimSpace(raw); t[0] == '"' || json.Unmarshal(t, &n) != nil {
		return nil, fmt.Errorf("%s %s %s is not a number", class, key, raw)
	}
	// ParseFloat returns ±Inf for a number out of float64's range, which
	// the check refuses.
	v, _ := strconv.ParseFloat(string(n), 64)
	if err := check(key, string(n), v); err != nil {
		return nil, fmt.Errorf("%s %w", class, err)
	}
	return &v, nil
}
