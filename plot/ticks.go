package plot

import (
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
)

// niceTicks puts five to ten round ticks on an axis; gonum's default aims
// for three, too few to read a slowly falling loss off. Counts set whole,
// so that a scale of a few images does not show fractions of one.
type niceTicks struct{ whole bool }

func (nt niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	raw := (hi - lo) / 6
	exp := int(math.Floor(math.Log10(raw)))
	mag := math.Pow10(exp)
	mant := 10.0
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			mant = m
			break
		}
	}
	if nt.whole && exp < 0 {
		exp, mag, mant = 0, 1, 1
	}
	if nt.whole && exp == 0 && mant == 2.5 {
		mant = 5
	}
	step := mant * mag
	// As many decimals as the step has, so 0.025 steps read 0.825, 0.850
	// and 20 or 25 steps read 20, 40 or 25, 50.
	prec := max(0, -exp)
	if mant == 2.5 && exp <= 0 {
		prec++
	}
	var ticks []gplot.Tick
	for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
		v := k * step
		ticks = append(ticks, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
	}
	return ticks
}

// epochTicks labels whole epochs only: every epoch when there are at most
// a dozen, else multiples of a round step.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []gplot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		step = s
		if (last-first)/s <= 12 {
			break
		}
	}
	var ticks []gplot.Tick
	for e := max(first, 1); e <= last; e++ {
		if e%step == 0 {
			ticks = append(ticks, gplot.Tick{Value: float64(e), Label: strconv.Itoa(e)})
		}
	}
	return ticks
}
