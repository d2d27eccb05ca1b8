package loader

// The four file names, without ".gz", as Zalando published them and as
// Keras caches them.
const (
	trainImagesName = "train-images-idx3-ubyte"
	trainLabelsName = "train-labels-idx1-ubyte"
	testImagesName  = "t10k-images-idx3-ubyte"
	testLabelsName  = "t10k-labels-idx1-ubyte"
)

// fileKind says which of the two IDX layouts a file must have.
type fileKind uint8

const (
	imagesKind fileKind = iota
	labelsKind
)

// fileSpec describes one of the four published files.
type fileSpec struct {
	name       string // without ".gz"
	kind       fileKind
	count      int    // images or labels in the published file
	gzSize     int64  // size of the archive Keras downloads
	gzSHA256   string // of that archive
	dataSHA256 string // of the decompressed IDX file, header included
}

// gzName is the name under which Keras downloads and caches the file.
func (s fileSpec) gzName() string { return s.name + ".gz" }

// specs returns the four files in a fixed order: train images, train labels,
// test images, test labels. It is a function so the table cannot be altered
// by any caller.
//
// The archive digests and sizes are those Keras and TensorFlow Datasets pin
// for the files served at [KerasBaseURL] (and Zalando's own repository
// holds). The content digests are sha256sum of the zcat output, which is the
// same for those originals and for Debian's dataset-fashion-mnist
// 0.0~git20200523.55506a9-1: Debian only dropped the file name and time from
// the gzip header, leaving the deflate stream byte for byte.
func specs() [4]fileSpec {
	return [4]fileSpec{
		{
			name: trainImagesName, kind: imagesKind, count: 60000,
			gzSize:     26421880,
			gzSHA256:   "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
			dataSHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
		},
		{
			name: trainLabelsName, kind: labelsKind, count: 60000,
			gzSize:     29515,
			gzSHA256:   "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
			dataSHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
		},
		{
			name: testImagesName, kind: imagesKind, count: 10000,
			gzSize:     4422102,
			gzSHA256:   "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
			dataSHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
		},
		{
			name: testLabelsName, kind: labelsKind, count: 10000,
			gzSize:     5148,
			gzSHA256:   "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
			dataSHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
		},
	}
}
