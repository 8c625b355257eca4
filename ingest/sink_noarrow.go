//go:build !duckdb_arrow

package ingest

import (
	"context"
	"database/sql"

	"github.com/apache/arrow-go/v18/arrow/array"
)

func newSink(_ context.Context, conn *sql.Conn, table string, _ []string, rr array.RecordReader, _ int64) (sink, error) {
	return newAppenderSink(conn, table, rr), nil
}
