//go:build duckdb_arrow

package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/liaoning-hrss/flexemp/internal/sqltext"
)

// scratch is an in-memory catalog for the Arrow view: a view registered in
// the database file would outlive the process and break the next one.
const scratch = "flexemp_scratch"

// views numbers the Arrow views of the process.
var views atomic.Int64

// attaching serialises the scratch catalog's ATTACH IF NOT EXISTS: two
// uploads prepared at once may both find it missing, and DuckDB refuses the
// second ("database with name … already exists"), which refused a file of
// an inbox backfill.
var attaching sync.Mutex

// arrowSink lets DuckDB scan the validated Arrow batches as a view and
// insert them with one INSERT … SELECT.
type arrowSink struct {
	conn    *sql.Conn
	table   string
	cols    []string
	view    string
	release func()
}

// newSink registers the batches as a view. It must run outside the upload's
// transaction: a transaction may write to one attached database only.
func newSink(ctx context.Context, conn *sql.Conn, table string, cols []string, rr array.RecordReader, size int64) (sink, error) {
	if size < arrowMinBytes {
		return newAppenderSink(conn, table, rr), nil
	}
	var mainCatalog string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&mainCatalog); err != nil {
		return nil, err
	}
	attaching.Lock()
	_, err := conn.ExecContext(ctx, `ATTACH IF NOT EXISTS ':memory:' AS `+scratch)
	attaching.Unlock()
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `USE `+scratch); err != nil {
		return nil, err
	}
	// Views are named apart: uploads prepared at once share the catalog.
	s := &arrowSink{conn: conn, table: table, cols: cols, view: fmt.Sprintf("batches_%s_%d", table, views.Add(1))}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		s.release, err = a.RegisterView(rr, s.view)
		return err
	})
	if _, useErr := conn.ExecContext(ctx, `USE `+sqltext.Ident(mainCatalog)); err == nil {
		err = useErr
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("register arrow view: %w", err)
	}
	return s, nil
}

func (s *arrowSink) insert(ctx context.Context) error {
	cols := strings.Join(s.cols, ", ")
	_, err := s.conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s.%s`, s.table, cols, cols, scratch, s.view))
	return err
}

func (s *arrowSink) close() {
	s.conn.ExecContext(context.Background(), fmt.Sprintf(`DROP VIEW IF EXISTS %s.%s`, scratch, s.view))
	if s.release != nil {
		s.release()
		s.release = nil
	}
}
