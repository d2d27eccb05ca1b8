// Command onednn prints "on" or "off": whether TensorFlow runs its oneDNN
// kernels in a process started with this environment. .ci/run uses it to
// learn the machine's default and run the tests a second time with the
// other setting:
//
//	env -u TF_ENABLE_ONEDNN_OPTS go run ./internal/cmd/onednn
package main

import (
	"fmt"

	"github.com/gokeras/fashion/internal/onednn"
)

func main() {
	if onednn.Enabled() {
		fmt.Println("on")
	} else {
		fmt.Println("off")
	}
}
