// Package columns aligns tab-separated text by display width, as terminals
// show it: a Chinese character takes two columns, where text/tabwriter
// counts one and misaligns every table with city names in it.
package columns

import (
	"bytes"
	"io"
	"strings"

	"github.com/rivo/uniseg"
)

// Writer buffers tab-separated lines and writes them aligned at Flush: each
// cell padded to its column's widest, columns two spaces apart, the last
// cell of a line as it is. It stands in for a tabwriter.Writer.
type Writer struct {
	out io.Writer
	buf bytes.Buffer
}

// NewWriter aligns into out.
func NewWriter(out io.Writer) *Writer { return &Writer{out: out} }

func (w *Writer) Write(p []byte) (int, error) { return w.buf.Write(p) }

// Flush writes what was written, aligned, and empties the buffer.
func (w *Writer) Flush() error {
	text := w.buf.String()
	w.buf.Reset()
	lines := strings.SplitAfter(text, "\n")
	var widths []int
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = strings.Split(strings.TrimSuffix(l, "\n"), "\t")
		for c, cell := range rows[i][:len(rows[i])-1] {
			if c == len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], uniseg.StringWidth(cell))
		}
	}
	var b strings.Builder
	for i, cells := range rows {
		var line strings.Builder
		for c, cell := range cells {
			line.WriteString(cell)
			if c < len(cells)-1 {
				line.WriteString(strings.Repeat(" ", widths[c]-uniseg.StringWidth(cell)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ")) // no padding after an empty last cell
		if strings.HasSuffix(lines[i], "\n") {
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w.out, b.String())
	return err
}
