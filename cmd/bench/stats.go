package main

import (
	"math"
	"slices"
)

// median is the middle value of xs (the mean of the two middle ones for an
// even count); NaN for none.
func median(xs []float64) float64 { return percentile(xs, 50) }

// percentile is the p-th percentile of xs (0 ≤ p ≤ 100) by linear
// interpolation between the closest ranks, NumPy's default method, so
// figures agree with what np.percentile would print. NaN for no values.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	p = min(max(p, 0), 100)
	rank := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (rank-float64(lo))*(s[hi]-s[lo])
}

// meanStd is the mean and the sample standard deviation (n-1 in the
// denominator; 0 for a single value) of xs; NaN, NaN for none.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) == 1 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// steadyEpochs pools, over runs, the epoch times from the second epoch on:
// the first epoch pays one-off costs (Keras traces its train function, Go
// uploads the data set into the session) that say nothing about the steady
// speed. With a single epoch there is nothing else to report, so it is
// used.
func steadyEpochs(runs [][]float64) []float64 {
	var out []float64
	for _, r := range runs {
		if len(r) > 1 {
			out = append(out, r[1:]...)
		}
	}
	if len(out) == 0 {
		for _, r := range runs {
			out = append(out, r...)
		}
	}
	return out
}
