package ingest

import (
	"errors"
	"io"

	"github.com/liaoning-hrss/flexemp"
)

// Extract is a file's rows as ingest reads them, before any check: the
// contract columns the file has, in contract order, and each non-blank row
// under the header with its number as the user sees it (the number its
// stored row or reject carries) and its cells, trimmed, in that order.
type Extract struct {
	Columns []string // contract column names
	Rows    []ExtractRow
}

// ExtractRow is one row of an Extract.
type ExtractRow struct {
	Row   int
	Cells []string
}

// ReadExtract reads a file as Ingest would — its format from its bytes, the
// kind's sheet of a workbook, the header wherever it stands — for a tool
// that sends a city's extract again changed, as a city would (the gaming
// test plays its manipulations this way). month is the upload's month, or
// zero.
func ReadExtract(path string, kind flexemp.Kind, month flexemp.Month) (*Extract, error) {
	src, _, err := openSource(path, kind, Limits{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	hdr, err := findHeader(src, kind, month)
	if err != nil {
		return nil, err
	}
	c := flexemp.ContractOf(kind)
	x := &Extract{}
	var cols []int
	for i, j := range hdr.index {
		if j >= 0 {
			x.Columns = append(x.Columns, c.Columns[i].Name)
			cols = append(cols, j)
		}
	}
	for {
		row, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			return x, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.blank(cells) {
			continue
		}
		out := make([]string, len(cols))
		for k, j := range cols {
			if j < len(cells) {
				out[k] = trimCell(cells[j])
			}
		}
		x.Rows = append(x.Rows, ExtractRow{Row: row, Cells: out})
	}
}
