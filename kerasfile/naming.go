package kerasfile

import (
	"fmt"
	"regexp"
	"strings"
)

// Keras names things after their class in snake_case, twice over: a layer
// created without a name gets one (dense, dense_1, ... in a fresh session,
// a counter per prefix), and model.weights.h5 keeps each layer's variables
// in a group named after its class with a counter per class within the
// model (layers/dense, layers/dense_1, ...), whatever the layer is called:
// a model loaded in a session that already made a Dense layer names its
// first one dense_2, and its group is still layers/dense
// (keras/src/saving/saving_lib.py, _save_container_state).

// classPattern is what Write accepts as a class name: a Python identifier
// (ASCII), which snake_case turns into a valid group name.
var classPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var (
	// Python's \W on str is every character but letters, digits and _,
	// Unicode ones included; Go's \W is ASCII only.
	nonWord    = regexp.MustCompile(`[^\p{L}\p{N}_]+`)
	upperWord  = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	lowerUpper = regexp.MustCompile(`([a-z])([A-Z])`)
)

// snakeCase is Keras's naming.to_snake_case: Dense -> dense, Conv2D ->
// conv2d, GlobalAveragePooling2D -> global_average_pooling2d, ReLU ->
// re_lu.
func snakeCase(class string) string {
	s := nonWord.ReplaceAllString(class, "")
	s = upperWord.ReplaceAllString(s, "${1}_${2}")
	s = lowerUpper.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(s)
}

// groupKeys returns, for layers of the given classes in order, their group
// names under layers/: the class in snake_case, then _1, _2, ... for later
// layers of the same snake_case name.
func groupKeys(classes []string) []string {
	used := map[string]int{}
	keys := make([]string, len(classes))
	for i, c := range classes {
		k := snakeCase(c)
		if n, ok := used[k]; ok {
			used[k] = n + 1
			keys[i] = fmt.Sprintf("%s_%d", k, n+1)
		} else {
			used[k] = 0
			keys[i] = k
		}
	}
	return keys
}
