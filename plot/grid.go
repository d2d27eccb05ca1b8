package plot

import (
	"fmt"

	"gonum.org/v1/plot/vg/draw"
)

// gridSide is the tutorial's 5×5 sample of the training set.
const gridSide = 5

// Grid writes the tutorial's second figure to path: the first 25 images
// in a 5×5 grid, dark on white (matplotlib's binary colormap), each with
// its class name under it, 1000×1000 pixels. imgs and labels must have the
// same length, at least 25; the rest are ignored, so whole data sets can be
// passed.
func Grid(path string, imgs [][]uint8, labels []uint8, classNames []string) error {
	if err := checkGrid(imgs, labels, classNames); err != nil {
		return fmt.Errorf("plot.Grid: %w", err)
	}
	err := render(path, 1000, 1000, func(c draw.Canvas) {
		tiles := draw.Tiles{
			Rows: gridSide, Cols: gridSide,
			PadTop: px(30), PadBottom: px(30), PadLeft: px(40), PadRight: px(40),
			PadX: px(30), PadY: px(15),
		}
		for i := range gridSide * gridSide {
			cell := tiles.At(c, i%gridSide, i/gridSide)
			room := cell.Size().X + tiles.PadX
			captionedImage(c, cell.Rectangle, binaryImage(imgs[i]), classNames[labels[i]], labelSize, room, black)
		}
	})
	if err != nil {
		return fmt.Errorf("plot.Grid: %w", err)
	}
	return nil
}

func checkGrid(imgs [][]uint8, labels []uint8, classNames []string) error {
	const n = gridSide * gridSide
	if len(imgs) < n {
		return fmt.Errorf("imgs has %d images, want at least %d for the %d×%d grid", len(imgs), n, gridSide, gridSide)
	}
	if len(labels) != len(imgs) {
		return fmt.Errorf("labels has %d entries, want %d (one per image)", len(labels), len(imgs))
	}
	if err := checkClassNames(classNames); err != nil {
		return err
	}
	for i := range n {
		if err := checkImage(fmt.Sprintf("imgs[%d]", i), imgs[i]); err != nil {
			return err
		}
		if err := checkLabel(fmt.Sprintf("labels[%d]", i), int(labels[i]), len(classNames)); err != nil {
			return err
		}
	}
	return nil
}
