// Package loader reads Fashion-MNIST, the Go counterpart of the tutorial's
// keras.datasets.fashion_mnist.load_data().
//
// cmd/train calls [Load] with its -data flag and hands the [Dataset] to
// tfmodel, which feeds [Split.Scaled] images and the labels to the network;
// the plotting code uses [Split.Image] and [ClassNames]. Nothing here needs
// TensorFlow, so the package builds and tests without cgo.
//
// Load reads the directory the caller names, and nothing else: a directory
// that is missing, unreadable or incomplete is an error naming what is
// wrong, never a reason to train on another copy. Given no directory, it
// looks in a fixed order — the Keras cache
// (~/.keras/datasets/fashion-mnist, or $KERAS_HOME/datasets/...), Debian's
// /usr/share/datasets/fashion-mnist — and only then downloads from the URLs
// Keras uses, into the Keras cache, so that a machine that ran the Python
// tutorial or has the Debian package never fetches a second copy.
//
// It is stricter than Keras, which trusts whatever bytes sit in its cache and
// reshapes them blindly. Every file is parsed as IDX with its header checked
// against the data that follows; then the decompressed content of all four
// files is compared with the SHA-256 of the published data set. The check is
// made on the decompressed bytes because that is what survives repacking:
// Debian's .gz files are the originals recompressed without the stored file
// name, so their archive digests differ from those Keras pins, while their
// content is identical. Archive digests are still checked on download,
// where the bytes must be exactly what Keras would have fetched.
package loader
