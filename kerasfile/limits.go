package kerasfile

// Read bounds what each member of a .keras file makes it allocate, and
// checks before it allocates:
//
//   - a zip member's size, as its header declares it, against the member's
//     limit, before reading a byte of it; the member is then read into a
//     buffer of exactly that size, and one whose data goes on past it is
//     refused (readMember). A 2 MB archive whose weights inflate to 2 GiB
//     is refused from its zip header.
//   - each dataset's shape, which the HDF5 file declares, against the bytes
//     of the file not yet accounted for by the datasets read before it
//     (h5.readFloat32). Keras's datasets are contiguous and uncompressed,
//     so together they hold no more bytes than the file: a header that
//     claims more, through a compressed or never-written dataset, is
//     caught before its values are allocated. The values of a whole file
//     thus take no more memory than the file itself.
//
// config.json does not bound the weights: how many variables a layer has,
// and their shapes, only model.weights.h5 says.
const (
	// maxJSONSize bounds config.json and metadata.json. Keras writes about
	// 800 bytes of config per Dense layer, so 1 MiB holds a thousand
	// layers; decoding JSON can take tens of times its size in memory,
	// hence no more.
	maxJSONSize = 1 << 20
	// maxWeightsSize bounds model.weights.h5: 1 GiB holds the weights and
	// Adam's two moments of 89 million parameters. Reading a member of
	// that size takes it three times over at most: the zip member, the
	// copy libhdf5 keeps of it, and the values read from it.
	maxWeightsSize = 1 << 30
)
