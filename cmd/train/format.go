package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// elided prints labels as NumPy prints a long array: [9 0 0 ... 3 0 5].
func elided(labels []uint8) string {
	if len(labels) <= 6 {
		return fmt.Sprint(labels)
	}
	n := len(labels)
	return fmt.Sprintf("[%d %d %d ... %d %d %d]", labels[0], labels[1], labels[2], labels[n-3], labels[n-2], labels[n-1])
}

// floats prints probabilities the way NumPy prints a float32 array.
func floats(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.8e", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func joinNames(paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return strings.Join(names, ", ")
}

// plural is "1 epoch", "10 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
