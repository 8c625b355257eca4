package ingest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/xuri/excelize/v2"
)

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
}

// openXLSX opens a workbook with the unpack limit (a zip bomb is refused
// from its directory, before anything is unpacked) and picks the sheet named
// like the kind, else the first. Cells are read raw: a formatted read would
// round IDs stored as numbers and hide Excel date serials.
func openXLSX(path string, kind flexemp.Kind, lim Limits) (*xlsxSource, error) {
	limit := lim.UnzipSize
	if limit <= 0 {
		limit = defaultUnzipSize
	}
	opts := excelize.Options{RawCellValue: true, UnzipSizeLimit: limit, UnzipXMLSizeLimit: min(limit, 16<<20)}
	f, err := excelize.OpenFile(path, opts)
	if err != nil {
		return nil, xlsxOpenError(err, limit)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, flexemp.Errorf(flexemp.EINVALID, "工作簿中没有工作表")
	}
	sheet := sheets[0]
	for _, s := range sheets {
		n := strings.ToLower(strings.TrimSpace(s))
		if n == string(kind) || strings.Contains(n, kind.Title()) {
			sheet = s
			break
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, xlsxOpenError(err, limit)
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func xlsxOpenError(err error, limit int64) error {
	switch {
	case strings.Contains(err.Error(), "unzip size exceeds"):
		return &flexemp.Error{Code: flexemp.ETOOLARGE, Message: "工作簿解压后超过 " + mib(limit) + " 上限，已拒收", Err: err}
	case errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, zip.ErrChecksum), errors.Is(err, excelize.ErrWorkbookFileFormat):
		return &flexemp.Error{Code: flexemp.EINVALID, Message: "Excel 文件已损坏或不完整，无法读取", Err: err}
	}
	return &flexemp.Error{Code: flexemp.EINVALID, Message: "无法读取 Excel 文件", Err: err}
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

func (s *xlsxSource) Next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, xlsxOpenError(err, 0)
		}
		return 0, nil, io.EOF
	}
	s.n++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, nil, &flexemp.Error{Code: flexemp.EINVALID, Message: "Excel 工作表内容损坏，无法读取", Err: err}
	}
	return s.n, cells, nil
}

// Offset counts rows: a workbook is unpacked, so bytes say little.
func (s *xlsxSource) Offset() int64 { return int64(s.n) }

func (s *xlsxSource) Close() error {
	s.rows.Close()
	return s.f.Close()
}
