package main

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/gokeras/fashion/graph"
)

// learningRateVar names a hidden setting for tests: a learning rate that
// -lr refuses (1e30), which makes training diverge to NaN within a few
// steps, so that tests can check what the command does then. -lr cannot:
// its largest value, 1, keeps this model finite.
const learningRateVar = "TRAIN_TEST_LEARNING_RATE"

// learningRateFromEnv returns the optimizer to compile with: o, with -lr's
// learning rate, unless the environment sets another one.
func learningRateFromEnv(o graph.Optimizer) (graph.Optimizer, error) {
	v, set := os.LookupEnv(learningRateVar)
	if !set {
		return o, nil
	}
	x, err := strconv.ParseFloat(v, 32)
	if err != nil || !(x > 0) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("%s=%q: want a positive float32", learningRateVar, v)
	}
	return o.WithLearningRate(float64(float32(x))), nil
}
