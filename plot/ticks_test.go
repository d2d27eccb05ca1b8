package plot

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTicks(t *testing.T) {
	nice := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (niceTicks{}).Ticks(lo, hi) {
			out = append(out, tk.Label)
		}
		return out
	}
	epochs := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (epochTicks{}).Ticks(lo, hi) {
			out = append(out, tk.Label)
		}
		return out
	}
	assert.Equal(t, []string{"0.25", "0.30", "0.35", "0.40", "0.45", "0.50"}, nice(0.23, 0.51))
	assert.Equal(t, []string{"0.825", "0.850", "0.875", "0.900", "0.925", "0.950"}, nice(0.81, 0.96))
	assert.Equal(t, []string{"0", "200", "400", "600", "800"}, nice(0, 873))
	assert.Equal(t, []string{"0", "25", "50", "75", "100", "125", "150"}, nice(0, 150), "a step of 25 has no decimals")
	assert.Equal(t, []string{"0.0", "2.5", "5.0", "7.5", "10.0", "12.5", "15.0"}, nice(0, 15))
	assert.Empty(t, nice(1, 1), "a degenerate range must not loop")
	var whole []string
	for _, tk := range (niceTicks{whole: true}).Ticks(0, 2) {
		whole = append(whole, tk.Label)
	}
	assert.Equal(t, []string{"0", "1", "2"}, whole, "counts have no fractions")
	whole = nil
	for _, tk := range (niceTicks{whole: true}).Ticks(0, 15) {
		whole = append(whole, tk.Label)
	}
	assert.Equal(t, []string{"0", "5", "10", "15"}, whole, "counts have no fractions")
	assert.Equal(t, []string{"1", "2", "3"}, epochs(0.5, 3.5))
	assert.Equal(t, []string{"5", "10", "15", "20", "25", "30"}, epochs(-0.5, 31.5))
}
