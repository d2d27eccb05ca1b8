package tfmodel

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progbar prints training progress the way Keras 3's progress bar does:
//
//	Epoch 1/10
//	1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8251 - loss: 0.4992
//
// On a terminal the line is redrawn in place, with Keras's colours, at
// most every 50ms; anywhere else (a file, a pipe, CI's log) only the final
// line of each epoch is printed, with no control characters.
type progbar struct {
	w        io.Writer // nil: print nothing
	terminal bool
	target   int
	start    time.Time
	// afterFirst is when step 1 ended (zero if no update said so): as
	// Keras, the time per step leaves the first step out, which pays for
	// warming up.
	afterFirst time.Time
	lastDraw   time.Time
	width      int // of the last line drawn, to blank leftovers
}

const (
	barWidth     = 20
	drawInterval = 50 * time.Millisecond
)

func newProgbar(w io.Writer, steps int) *progbar {
	return &progbar{w: w, terminal: isTerminal(w), target: steps, start: time.Now()}
}

func (p *progbar) epoch(epoch, epochs int) {
	if p.w != nil {
		fmt.Fprintf(p.w, "Epoch %d/%d\n", epoch+1, epochs)
	}
	p.start, p.afterFirst = time.Now(), time.Time{}
}

// wants reports whether update would draw at this step, so that callers can
// skip computing what it would show.
func (p *progbar) wants(step int) bool {
	return p.w != nil && p.terminal && (step == p.target || time.Since(p.lastDraw) >= drawInterval)
}

// update redraws the line after step steps, with the time left; only on a
// terminal.
func (p *progbar) update(step int, logs Logs) {
	if step == 1 && p.w != nil {
		p.afterFirst = time.Now()
	}
	if !p.wants(step) {
		return
	}
	now := time.Now()
	p.lastDraw = now
	perStep := p.perStep(step, now)
	p.draw(p.line(step, formatETA(perStep*time.Duration(p.target-step)), perStep, logs, true))
}

// perStep is Keras's estimate of a step's time after step steps: since
// the end of the first step if an update heard of it (with
// steps_per_execution Keras hears of chunks, and so does this bar),
// otherwise since the start.
func (p *progbar) perStep(step int, now time.Time) time.Duration {
	if step > 1 && !p.afterFirst.IsZero() {
		return now.Sub(p.afterFirst) / time.Duration(step-1)
	}
	return now.Sub(p.start) / time.Duration(max(step, 1))
}

// finish prints the epoch's final line, with the time it took.
func (p *progbar) finish(logs Logs) {
	if p.w == nil {
		return
	}
	now := time.Now()
	line := p.line(p.target, formatElapsed(now.Sub(p.start)), p.perStep(p.target, now), logs, p.terminal)
	if p.terminal {
		p.draw(line)
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progbar) draw(line string) {
	visible := len([]rune(stripANSI(line)))
	pad := ""
	if p.width > visible {
		pad = strings.Repeat(" ", p.width-visible)
	}
	p.width = visible
	fmt.Fprint(p.w, "\r"+line+pad)
}

// line is the bar after step steps; t is the time left, or at the end the
// time taken.
func (p *progbar) line(step int, t string, perStep time.Duration, logs Logs, color bool) string {
	digits := len(fmt.Sprint(p.target))
	done := barWidth * step / max(p.target, 1)
	var b strings.Builder
	count := fmt.Sprintf("%*d/%d", digits, step, p.target)
	if color {
		fmt.Fprintf(&b, "\x1b[1m%s\x1b[0m \x1b[32m%s\x1b[0m\x1b[37m%s\x1b[0m \x1b[1m%s\x1b[0m",
			count, strings.Repeat("━", done), strings.Repeat("━", barWidth-done), t)
	} else {
		fmt.Fprintf(&b, "%s %s %s", count, strings.Repeat("━", barWidth), t)
	}
	fmt.Fprintf(&b, " %s", formatPerStep(perStep))
	for _, k := range logs.Keys() {
		fmt.Fprintf(&b, " - %s: %s", k, formatMetric(logs[k]))
	}
	return b.String()
}

// formatETA is Keras's time left: whole seconds, cut not rounded, as
// 59s, 1:05 above a minute, 1:02:03 above an hour.
func formatETA(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s > 3600:
		return fmt.Sprintf("%d:%02d:%02d", int(s)/3600, int(s)%3600/60, int(s)%60)
	case s > 60:
		return fmt.Sprintf("%d:%02d", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%ds", int(s))
}

// formatElapsed is Keras's time an epoch took: rounded seconds, however
// many (0.9 s is 1s, 75 s is 75s).
func formatElapsed(d time.Duration) string {
	return fmt.Sprintf("%.0fs", d.Seconds())
}

// formatPerStep is Keras's time per step: whole s, ms or us, rounded;
// 0s before any step.
func formatPerStep(d time.Duration) string {
	switch {
	case d >= time.Second || d == 0:
		return fmt.Sprintf("%.0fs/step", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.0fms/step", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0fus/step", float64(d)/float64(time.Microsecond))
}

// formatMetric is Keras's: four decimals, or scientific notation for tiny
// values.
func formatMetric(v float64) string {
	if v != 0 && v < 1e-3 && v > -1e-3 {
		return fmt.Sprintf("%.4e", v)
	}
	return fmt.Sprintf("%.4f", v)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
