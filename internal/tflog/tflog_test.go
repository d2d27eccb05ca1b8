package tflog

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// What libtensorflow printed before main on an Intel Xeon, and a restore
// error with its indented node line.
const (
	absl   = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
	onednn = "I0000 00:00:1796157252.407555    8299 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
	failed = "W1201 20:30:29.730527    9426 local_rendezvous.cc:412] Local rendezvous is aborting with status: NOT_FOUND: missing"
	node   = "\t [[{{node save/RestoreV2}}]]"
	cpu1   = "I0000 00:00:1796160000.000001   9426 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations."
	cpu2   = "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags."
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name      string
		output    string
		own, tf   []string
		ownOutput string
	}{
		{"nothing", "", nil, nil, ""},
		{"own lines only", "a\n  b\n", []string{"a", "  b"}, nil, "a\n  b\n"},
		{"TensorFlow's load-time lines first", absl + onednn + "predict: x.png: empty file\n",
			[]string{"predict: x.png: empty file"}, []string{absl[:len(absl)-1], onednn[:len(onednn)-1]}, "predict: x.png: empty file\n"},
		{"twice, as a re-executed command prints them", absl + onednn + absl + onednn + "done\n",
			[]string{"done"}, []string{absl[:len(absl)-1], onednn[:len(onednn)-1], absl[:len(absl)-1], onednn[:len(onednn)-1]}, "done\n"},
		{"an indented continuation is TensorFlow's", "x\n" + failed + "\n" + node + "\n" + "y\n",
			[]string{"x", "y"}, []string{failed, node}, "x\ny\n"},
		{"the CPU-feature notice's unprefixed second line is TensorFlow's", "a\n" + cpu1 + "\n" + cpu2 + "\nb\n",
			[]string{"a", "b"}, []string{cpu1, cpu2}, "a\nb\n"},
		{"that line alone is the program's", cpu2 + "\n", []string{cpu2}, nil, cpu2 + "\n"},
		{"no newline at the end", "a\nb", []string{"a", "b"}, nil, "a\nb"},
		{"look-alikes stay the program's", "I0000 not a log line\nWARNING: something\n",
			[]string{"I0000 not a log line", "WARNING: something"}, nil, "I0000 not a log line\nWARNING: something\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, tf := Split(tt.output)
			assert.Equal(t, tt.own, own)
			assert.Equal(t, tt.tf, tf)
			assert.Equal(t, tt.ownOutput, Own(tt.output))
		})
	}
}
