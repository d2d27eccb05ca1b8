package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
)

// learningRateVar names a hidden setting for tests: a learning rate that
// -lr refuses (1e30), which makes training diverge to NaN within a few
// steps, so that tests can check what the command does then. -lr cannot:
// its largest value, 1, keeps this model finite.
const learningRateVar = "TRAIN_TEST_LEARNING_RATE"

// learningRateFromEnv returns the learning rate to compile with: -lr's,
// unless the environment sets one.
func learningRateFromEnv(lr float64) (float32, error) {
	v, set := os.LookupEnv(learningRateVar)
	if !set {
		return float32(lr), nil
	}
	x, err := strconv.ParseFloat(v, 32)
	if err != nil || !(x > 0) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%s=%q: want a positive float32", learningRateVar, v)
	}
	return float32(x), nil
}
