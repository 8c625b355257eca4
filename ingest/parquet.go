package ingest

import (
	"context"
	"io"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/liaoning-hrss/flexemp"
)

// parquetBatch is how many rows are decoded at a time: memory stays flat.
const parquetBatch = 8192

type parquetSource struct {
	f      *os.File
	pf     *file.Reader
	rr     pqarrow.RecordReader
	rec    arrow.RecordBatch
	i      int   // next row in rec
	n      int64 // rows returned
	header bool
	cells  []string
}

// openParquet streams a Parquet file batch by batch. Its column names are the
// header; every value is read as its text (dates as 2024-03-05, decimals
// exactly), so one validator serves every format.
func openParquet(f *os.File) (*parquetSource, error) {
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, &flexemp.Error{Code: flexemp.EINVALID, Message: "Parquet 文件已损坏或不完整，无法读取", Err: err}
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: parquetBatch}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, &flexemp.Error{Code: flexemp.EINVALID, Message: "Parquet 文件结构无法识别", Err: err}
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		pf.Close()
		return nil, &flexemp.Error{Code: flexemp.EINVALID, Message: "Parquet 文件无法读取", Err: err}
	}
	return &parquetSource{f: f, pf: pf, rr: rr}, nil
}

// Next returns the column names first (as row 1), then each data row
// numbered as it would be in a spreadsheet with that header.
func (s *parquetSource) Next() (int, []string, error) {
	if !s.header {
		s.header = true
		fields := s.rr.Schema().Fields()
		s.cells = make([]string, len(fields))
		for i, fd := range fields {
			s.cells[i] = fd.Name
		}
		return 1, s.cells, nil
	}
	for s.rec == nil || s.i >= int(s.rec.NumRows()) {
		if !s.rr.Next() {
			if err := s.rr.Err(); err != nil && err != io.EOF {
				return 0, nil, &flexemp.Error{Code: flexemp.EINVALID, Message: "Parquet 文件数据损坏，无法读取", Err: err}
			}
			return 0, nil, io.EOF
		}
		s.rec, s.i = s.rr.RecordBatch(), 0
	}
	for c, col := range s.rec.Columns() {
		switch a := col.(type) {
		case *array.Float64:
			// ValueStr would write 1.234567e+06.
			s.cells[c] = strconv.FormatFloat(a.Value(s.i), 'f', -1, 64)
		case *array.Float32:
			s.cells[c] = strconv.FormatFloat(float64(a.Value(s.i)), 'f', -1, 32)
		default:
			s.cells[c] = col.ValueStr(s.i)
		}
		if col.IsNull(s.i) {
			s.cells[c] = ""
		}
	}
	s.i++
	s.n++
	return int(s.n) + 1, s.cells, nil
}

func (s *parquetSource) Done() float64 {
	if total := s.pf.NumRows(); total > 0 {
		return float64(s.n) / float64(total)
	}
	return 0
}

func (s *parquetSource) Close() error {
	s.rr.Release()
	return s.pf.Close()
}
