package ingest

import (
	"errors"
	"io"

	"github.com/liaoning-hrss/flexemp"
)

// ForceArrowSink makes every file, however small, go through the Arrow sink
// (in builds with the duckdb_arrow tag), until the returned func is called.
func ForceArrowSink() (restore func()) {
	old := arrowMinBytes
	arrowMinBytes = 0
	return func() { arrowMinBytes = old }
}

// ReadXLSX reads every row of a registrations workbook's sheet: how many
// rows, and how many of them nextWhole read whole.
func ReadXLSX(path string) (rows, whole int, err error) {
	src, err := openXLSX(path, flexemp.Registrations, Limits{})
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	for {
		if _, _, err := src.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return rows, src.whole, err
		}
		rows++
	}
}
