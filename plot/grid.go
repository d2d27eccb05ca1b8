package plot

import (
	"fmt"

	"gonum.org/v1/plot/vg/draw"

	"github.com/gokeras/fashion/tensor"
)

// gridSide is the tutorial's 5×5 sample of the training set.
const gridSide = 5

// Grid writes the tutorial's second figure to path: the first 25 images of
// imgs, [N H W] with pixels scaled to [0, 1] as the model takes them, in a
// 5×5 grid, dark on white (matplotlib's binary colormap), each with its
// class name under it, 1000×1000 pixels. labels must have one class index
// per image, N ≥ 25; the rest are ignored, so whole data sets can be
// passed.
func Grid(path string, imgs tensor.Float32, labels []uint8, classNames []string) error {
	pics, err := checkGrid(imgs, labels, classNames)
	if err == nil {
		err = render(path, 1000, 1000, func(c draw.Canvas) {
			tiles := draw.Tiles{
				Rows: gridSide, Cols: gridSide,
				PadTop: px(30), PadBottom: px(30), PadLeft: px(40), PadRight: px(40),
				PadX: px(30), PadY: px(15),
			}
			for i, p := range pics {
				cell := tiles.At(c, i%gridSide, i/gridSide)
				room := cell.Size().X + tiles.PadX
				captionedImage(c, cell.Rectangle, binaryImage(p), classNames[labels[i]], labelSize, room, black)
			}
		})
	}
	if err != nil {
		return fmt.Errorf("plot.Grid: %w", err)
	}
	return nil
}

// checkGrid returns the 25 pictures Grid draws after checking its input.
func checkGrid(imgs tensor.Float32, labels []uint8, classNames []string) ([]picture, error) {
	const n = gridSide * gridSide
	pics, err := pictures("imgs", imgs, n)
	if err != nil {
		return nil, err
	}
	if len(labels) != imgs.Len() {
		return nil, fmt.Errorf("labels has %d entries, want %d (one per image)", len(labels), imgs.Len())
	}
	if err := checkClassNames(classNames); err != nil {
		return nil, err
	}
	for i, p := range pics {
		if err := checkScaled(fmt.Sprintf("imgs[%d]", i), p); err != nil {
			return nil, err
		}
		if err := checkLabel(fmt.Sprintf("labels[%d]", i), int(labels[i]), len(classNames)); err != nil {
			return nil, err
		}
	}
	return pics, nil
}
