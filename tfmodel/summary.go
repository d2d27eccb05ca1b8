package tfmodel

import (
	"fmt"
	"io"
	"strings"

	"github.com/gokeras/fashion/graph"
)

// Summary writes Keras's model.summary() table:
//
//	Model: "sequential"
//	┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
//	┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
//	...
//	 Total params: 101,770 (397.54 KB)
func (m *Sequential) Summary(w io.Writer) error {
	cols := [3]int{33, 24, 15} // Keras's widths on an 80+ column layout
	rule := func(left, mid, right, fill string) string {
		return left + strings.Repeat(fill, cols[0]) + mid + strings.Repeat(fill, cols[1]) + mid + strings.Repeat(fill, cols[2]) + right + "\n"
	}
	row := func(sep, a, b, c string) string {
		return fmt.Sprintf("%s %-*s%s %-*s%s %*s %s\n", sep, cols[0]-1, a, sep, cols[1]-1, b, sep, cols[2]-2, c, sep)
	}
	var b strings.Builder
	b.WriteString("Model: \"sequential\"\n")
	b.WriteString(rule("┏", "┳", "┓", "━"))
	b.WriteString(row("┃", "Layer (type)", "Output Shape", "Param #"))
	b.WriteString(rule("┡", "╇", "┩", "━"))
	var total, frozen int64
	in := m.inputShape
	for i, l := range m.layers {
		params := l.Params(in)
		total += params
		if nt, ok := l.(graph.NonTrainableParams); ok {
			params += nt.NonTrainableParams(in)
			frozen += nt.NonTrainableParams(in)
		}
		b.WriteString(row("│", fmt.Sprintf("%s (%s)", l.Name(), l.ClassName()), shapeString(m.shapes[i]), thousands(params)))
		if i < len(m.layers)-1 {
			b.WriteString(rule("├", "┼", "┤", "─"))
		}
		in = m.shapes[i]
	}
	b.WriteString(rule("└", "┴", "┘", "─"))
	fmt.Fprintf(&b, " Total params: %s (%s)\n", thousands(total+frozen), byteSize((total+frozen)*4))
	fmt.Fprintf(&b, " Trainable params: %s (%s)\n", thousands(total), byteSize(total*4))
	fmt.Fprintf(&b, " Non-trainable params: %s (%s)\n", thousands(frozen), byteSize(frozen*4))
	_, err := io.WriteString(w, b.String())
	return err
}

// Params is the number of trainable parameters.
func (m *Sequential) Params() int64 {
	var total int64
	in := m.inputShape
	for i, l := range m.layers {
		total += l.Params(in)
		in = m.shapes[i]
	}
	return total
}

// thousands formats 101770 as "101,770".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// byteSize formats a size the way Keras's summary does: 397.54 KB, 0.00 B.
func byteSize(n int64) string {
	units := []string{"B", "KB", "MB", "GB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", v, units[i])
}
