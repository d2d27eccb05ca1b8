package loader

import (
	"fmt"
	"io"
	"os"
	"path"
)

// progress shows one download. A terminal gets a line rewritten in place as
// the bytes arrive; any other writer, such as a CI log, one plain line per
// file, since carriage returns would only clutter it.
type progress interface {
	update(done int64)
	done()
}

func newProgress(w io.Writer, url string, total int64) progress {
	switch {
	case w == nil:
		return silent{}
	case isTerminal(w):
		p := &liveProgress{w: w, name: path.Base(url), total: total, last: -1}
		p.update(0)
		return p
	}
	fmt.Fprintf(w, "loader: downloading %s (%s)\n", url, megabytes(total))
	return silent{}
}

// isTerminal reports whether w is a character device. It needs no
// dependency and errs only towards /dev/null, where the output is lost
// anyway.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type silent struct{}

func (silent) update(int64) {}
func (silent) done()        {}

type liveProgress struct {
	w     io.Writer
	name  string
	total int64
	last  int64 // the percentage drawn last, so the line is redrawn at most 100 times
}

func (p *liveProgress) update(done int64) {
	pct := int64(100)
	if p.total > 0 {
		pct = min(100, done*100/p.total)
	}
	if pct == p.last {
		return
	}
	p.last = pct
	fmt.Fprintf(p.w, "\rloader: downloading %s %s of %s %3d%%", p.name, megabytes(done), megabytes(p.total), pct)
}

func (p *liveProgress) done() { fmt.Fprintln(p.w) }

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
