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
	lastDraw time.Time
	width    int // of the last line drawn, to blank leftovers
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
	p.start = time.Now()
}

// wants reports whether update would draw at this step, so that callers can
// skip computing what it would show.
func (p *progbar) wants(step int) bool {
	return p.w != nil && p.terminal && (step == p.target || time.Since(p.lastDraw) >= drawInterval)
}

// update redraws the line after step steps; only on a terminal.
func (p *progbar) update(step int, logs Logs) {
	if !p.wants(step) {
		return
	}
	p.lastDraw = time.Now()
	elapsed := time.Since(p.start)
	perStep := elapsed / time.Duration(step)
	eta := perStep * time.Duration(p.target-step)
	p.draw(p.line(step, eta, perStep, logs, true))
}

// finish prints the epoch's final line.
func (p *progbar) finish(logs Logs) {
	if p.w == nil {
		return
	}
	elapsed := time.Since(p.start)
	line := p.line(p.target, elapsed, elapsed/time.Duration(max(p.target, 1)), logs, p.terminal)
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

func (p *progbar) line(step int, t, perStep time.Duration, logs Logs, color bool) string {
	digits := len(fmt.Sprint(p.target))
	done := barWidth * step / max(p.target, 1)
	var b strings.Builder
	count := fmt.Sprintf("%*d/%d", digits, step, p.target)
	if color {
		fmt.Fprintf(&b, "\x1b[1m%s\x1b[0m \x1b[32m%s\x1b[0m\x1b[37m%s\x1b[0m \x1b[1m%s\x1b[0m",
			count, strings.Repeat("━", done), strings.Repeat("━", barWidth-done), formatDuration(t))
	} else {
		fmt.Fprintf(&b, "%s %s %s", count, strings.Repeat("━", barWidth), formatDuration(t))
	}
	fmt.Fprintf(&b, " %s", formatPerStep(perStep))
	for _, k := range logs.Keys() {
		fmt.Fprintf(&b, " - %s: %s", k, formatMetric(logs[k]))
	}
	return b.String()
}

// formatDuration is Keras's: 3s, 1:05, 1:02:03.
func formatDuration(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s >= 3600:
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
	case s >= 60:
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}

func formatPerStep(d time.Duration) string {
	switch {
	case d >= time.Second:
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
