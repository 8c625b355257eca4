package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// appenderSink loads batches row by row through DuckDB's appender: the path
// for builds without the duckdb_arrow tag, and for small files, where the
// Arrow view's setup costs more than it saves.
type appenderSink struct {
	conn  *sql.Conn
	table string
	rr    array.RecordReader
}

func newAppenderSink(conn *sql.Conn, table string, rr array.RecordReader) *appenderSink {
	return &appenderSink{conn: conn, table: table, rr: rr}
}

func (s *appenderSink) insert(ctx context.Context) error {
	return s.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", s.table)
		if err != nil {
			return err
		}
		defer a.Close()
		var vals []driver.Value
		for s.rr.Next() {
			rec := s.rr.RecordBatch()
			for i := range int(rec.NumRows()) {
				vals = vals[:0]
				for _, col := range rec.Columns() {
					vals = append(vals, arrowValue(col, i))
				}
				if err := a.AppendRow(vals...); err != nil {
					return fmt.Errorf("append: %w", err)
				}
			}
		}
		if err := s.rr.Err(); err != nil {
			return err
		}
		return a.Close()
	})
}

func (s *appenderSink) close() {}

func arrowValue(col arrow.Array, i int) driver.Value {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime()
	case *array.Boolean:
		return a.Value(i)
	}
	panic(fmt.Sprintf("ingest: no appender value for %T", col))
}
