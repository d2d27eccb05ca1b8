package tfmodel

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The bar's times read as Keras 3's Progbar writes them (keras/src/utils/
// progbar.py): the time left cut to whole seconds, minutes above 60 s;
// the time an epoch took rounded, in seconds however long; the time per
// step rounded in the largest unit that is at least one.
func TestProgbarTimesReadAsKeras(t *testing.T) {
	for _, c := range []struct {
		d                     time.Duration
		eta, elapsed, perStep string
	}{
		{0, "0s", "0s", "0s/step"},
		{489 * time.Microsecond, "0s", "0s", "489us/step"},
		{1499 * time.Microsecond, "0s", "0s", "1ms/step"},
		{917 * time.Millisecond, "0s", "1s", "917ms/step"},
		{2500 * time.Millisecond, "2s", "2s", "2s/step"}, // rounded half to even, as Python's
		{60 * time.Second, "60s", "60s", "60s/step"},
		{75*time.Second + 900*time.Millisecond, "1:15", "76s", "76s/step"},
		{3600 * time.Second, "60:00", "3600s", "3600s/step"},
		{3723 * time.Second, "1:02:03", "3723s", "3723s/step"},
	} {
		assert.Equal(t, c.eta, formatETA(c.d), "time left %v", c.d)
		assert.Equal(t, c.elapsed, formatElapsed(c.d), "time taken %v", c.d)
		assert.Equal(t, c.perStep, formatPerStep(c.d), "per step %v", c.d)
	}
}

// The time per step leaves out the first step when the bar heard of it,
// as Keras's estimate does, and is the mean since the start otherwise
// (chunks of steps, where step 1 is never reported).
func TestProgbarPerStepLeavesOutTheFirst(t *testing.T) {
	start := time.Now()
	p := &progbar{target: 100, start: start}
	assert.Equal(t, 30*time.Millisecond, p.perStep(10, start.Add(300*time.Millisecond)))
	p.afterFirst = start.Add(120 * time.Millisecond)
	assert.Equal(t, 20*time.Millisecond, p.perStep(10, start.Add(300*time.Millisecond)))
	assert.Equal(t, 120*time.Millisecond, p.perStep(1, start.Add(120*time.Millisecond)))
}

// The final line, off a terminal: the count, a full bar, the time taken,
// the time per step and the logs, no control characters.
func TestProgbarFinalLine(t *testing.T) {
	var out bytes.Buffer
	p := newProgbar(&out, 1875)
	p.start = time.Now().Add(-917 * time.Millisecond)
	p.finish(Logs{"loss": 0.50049, "accuracy": 0.82371})
	assert.Regexp(t, `^1875/1875 ━{20} 1s 4[89]\dus/step - accuracy: 0\.8237 - loss: 0\.5005\n$`, out.String())
}
