package kerasfile

import "fmt"

// Read bounds what each member of a .keras file makes it allocate, and
// checks before it allocates: a zip member's size as its header declares
// it, against the member's limit, before reading a byte of it (the member
// is then read into a buffer of exactly that size, and a member whose data
// goes on past it is refused: readMember); and each weight's shape, which
// the HDF5 file declares, against the shape config.json implies, before
// reading it (readFloat32). A 2 MB archive whose weights inflate to 2 GiB
// is refused from its zip header, as is a config.json that claims a model
// bigger than maxWeightsSize.
const (
	// maxJSONSize bounds config.json and metadata.json. Keras writes 3 KB
	// of config for the tutorial's model and about 800 bytes for each more
	// Dense layer, so 1 MiB holds a thousand layers; decoding JSON can take
	// tens of times its size in memory, hence no more.
	maxJSONSize = 1 << 20
	// maxWeightsSize bounds model.weights.h5 whatever config.json says:
	// 1 GiB holds the weights and Adam's two moments of 89 million
	// parameters, far beyond the Flatten and Dense models this package is
	// for.
	maxWeightsSize = 1 << 30
	// h5Room and h5RoomPerLayer leave room for HDF5's own structures
	// (superblock, groups, object headers, name attributes): Keras writes
	// about 12 KB of them plus 4 KB per Dense layer.
	h5Room         = 1 << 20
	h5RoomPerLayer = 16 << 10
	// bytesPerWeight counts a weight and Adam's momentum and velocity of
	// it, float32 each (another optimizer's: a weight and its slots).
	bytesPerWeight = 4 * 3
)

// weightsLimit returns the most bytes model.weights.h5 may hold for m as
// config.json describes it: 4 bytes for each weight and for each of Adam's
// two moments of it, 16 for Adam's iteration count and learning rate, and
// room for HDF5's structures. A compiled model's file from Keras or Go
// comes within 20 KB of the variables' bytes, an uncompiled one's (no Adam
// state) far below; a bigger member holds something Read would not use.
func weightsLimit(m Model) (int64, error) {
	// float64 cannot overflow for any config parseConfig accepts, and is
	// exact below 2^53, far above the limit.
	values, in := 0.0, float64(product(m.InputShape))
	for _, l := range m.Layers {
		values += in*float64(l.Units) + float64(l.Units)
		in = float64(l.Units)
	}
	perWeight := float64(bytesPerWeight)
	if o := m.OtherOptimizer; o != nil {
		perWeight = float64(4 * (1 + o.slotsPerWeight()))
	}
	need := perWeight*values + 16 + h5Room + h5RoomPerLayer*float64(len(m.Layers))
	if need > maxWeightsSize {
		return 0, fmt.Errorf("%s: the model's %.0f weights, with Adam's state, need %.0f bytes of %s, more than the limit of %d bytes",
			configMember, values, need, weightsMember, maxWeightsSize)
	}
	return int64(need), nil
}
