// Package tflog tells TensorFlow's own log lines from a program's output.
//
// libtensorflow logs through Abseil to stderr, and some of it comes before
// main runs: on CPUs where TensorFlow turns oneDNN on by default (Intel
// Xeons with AVX-512 or AMX), its static initializer prints
//
//	WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
//	I0000 00:00:1796157252.407555    8299 port.cc:153] oneDNN custom operations are on. ...
//
// which no setting of TF_CPP_MIN_LOG_LEVEL silences (only
// TF_ENABLE_ONEDNN_OPTS=0 does). Those lines are TensorFlow's, not the
// commands': tests split them off and check the commands' own lines
// exactly.
package tflog

import (
	"regexp"
	"strings"
)

// logLine is Abseil's prefix: severity and date, time, thread id, file:line].
// Before Abseil is initialised the date is 0000 and the time 00:00 and the
// seconds since 1970.
var logLine = regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^ \]]+:\d+\] `)

// preInit is the line Abseil prints once before its first early message.
const preInit = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"

// IsTensorFlowLine reports whether line is one of TensorFlow's log lines.
func IsTensorFlowLine(line string) bool {
	return line == preInit || logLine.MatchString(line)
}

// line is one line of output as written (with its newline, if any) and
// whose it is.
type line struct {
	text       string
	tensorflow bool
}

// cpuFeatureTail is the second line of the message TensorFlow logs when a
// binary built for older CPUs opens its first session ("This TensorFlow
// binary is optimized to use available CPU instructions ..."): it comes
// without a prefix or an indent.
var cpuFeatureTail = regexp.MustCompile(`^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$`)

// classify cuts output into lines and tells whose each is. A line that
// starts with white space right after a TensorFlow line belongs to that
// message (TensorFlow indents a failing node's name under its error), and
// so does the unprefixed tail of its CPU-feature notice.
func classify(output string) []line {
	var lines []line
	inTF := false
	for _, text := range strings.SplitAfter(output, "\n") {
		if text == "" {
			continue
		}
		bare := strings.TrimSuffix(text, "\n")
		continued := inTF && (strings.HasPrefix(bare, "\t") || strings.HasPrefix(bare, " ") || cpuFeatureTail.MatchString(bare))
		inTF = IsTensorFlowLine(bare) || continued
		lines = append(lines, line{text, inTF})
	}
	return lines
}

// Split separates output into the program's own lines and TensorFlow's,
// each without its newline, in their order.
func Split(output string) (own, tensorflow []string) {
	for _, l := range classify(output) {
		bare := strings.TrimSuffix(l.text, "\n")
		if l.tensorflow {
			tensorflow = append(tensorflow, bare)
		} else {
			own = append(own, bare)
		}
	}
	return own, tensorflow
}

// Own is output without TensorFlow's lines, byte for byte otherwise.
func Own(output string) string {
	var b strings.Builder
	for _, l := range classify(output) {
		if !l.tensorflow {
			b.WriteString(l.text)
		}
	}
	return b.String()
}
