package kerasfile

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSlotOrder checks the order of each optimizer's slots for a model of
// two Dense layers, (12, 5) and (5, 1) kernels: the order Keras 3's builds
// create them in, which python_test.go checks against Keras itself by the
// variables' names.
func TestSlotOrder(t *testing.T) {
	m := mixed(1)
	k0, b0, k1, b1 := "layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0", "layers/dense_1/vars/1"
	each := func(kind string) []string {
		return []string{kind + " of " + k0, kind + " of " + b0, kind + " of " + k1, kind + " of " + b1}
	}
	cat := func(lists ...[]string) []string {
		var all []string
		for _, l := range lists {
			all = append(all, l...)
		}
		return all
	}
	interleaved := []string{
		"momentum of " + k0, "velocity of " + k0, "momentum of " + b0, "velocity of " + b0,
		"momentum of " + k1, "velocity of " + k1, "momentum of " + b1, "velocity of " + b1,
	}
	for _, tc := range []struct {
		name, class, config string
		want                []string
	}{
		{"Adam", "Adam", adamConfig, interleaved},
		{"AdamW", "AdamW", adamWConfig, interleaved},
		{"SGD with momentum", "SGD", sgdConfig, each("momentum")},
		{"SGD without momentum", "SGD", plainSGD, nil},
		{"RMSprop", "RMSprop", `{"name":"rmsprop","learning_rate":0.001,"momentum":0.0,"centered":false}`, each("velocity")},
		{"RMSprop with momentum", "RMSprop", `{"name":"rmsprop","learning_rate":0.001,"momentum":0.5,"centered":false}`,
			cat(each("velocity"), each("momentum"))},
		{"RMSprop centered", "RMSprop", `{"name":"rmsprop","learning_rate":0.001,"momentum":0.0,"centered":true}`,
			cat(each("velocity"), each("average_gradient"))},
		{"RMSprop centered with momentum", "RMSprop", rmspropConfig,
			cat(each("velocity"), each("momentum"), each("average_gradient"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := parseOptimizer(tc.class, json.RawMessage(tc.config))
			require.NoError(t, err)
			var got []string
			for _, s := range slots(slotLayout(tc.class, cfg), m.trainedVariables()) {
				got = append(got, s.kind+" of "+s.of.path)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
