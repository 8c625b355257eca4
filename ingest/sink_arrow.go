//go:build duckdb_arrow

package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// views numbers the Arrow views of the process: uploads prepared at once
// each register their own.
var views atomic.Int64

// arrowSink lets DuckDB scan the validated Arrow batches as a view and
// insert them with one INSERT … SELECT.
type arrowSink struct {
	conn    *sql.Conn
	table   string
	cols    []string
	rr      array.RecordReader
	release func()
}

func newSink(_ context.Context, conn *sql.Conn, table string, cols []string, rr array.RecordReader, size int64) (sink, error) {
	if size < arrowMinBytes {
		return newAppenderSink(conn, table, rr), nil
	}
	return &arrowSink{conn: conn, table: table, cols: cols, rr: rr}, nil
}

// insert registers the batches as a view, inserts from it and drops it, all
// inside the upload's transaction: the view never outlives it, committed or
// not, and costs three statements.
func (s *arrowSink) insert(ctx context.Context) error {
	view := fmt.Sprintf("flexemp_batches_%d", views.Add(1))
	err := s.conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		s.release, err = a.RegisterView(s.rr, view)
		return err
	})
	if err != nil {
		return fmt.Errorf("register arrow view: %w", err)
	}
	cols := strings.Join(s.cols, ", ")
	if _, err := s.conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s`, s.table, cols, cols, view)); err != nil {
		return err
	}
	_, err = s.conn.ExecContext(ctx, `DROP VIEW `+view)
	return err
}

func (s *arrowSink) close() {
	if s.release != nil {
		s.release()
		s.release = nil
	}
}
