package ingest

import "context"

// sink loads the pipeline's Arrow batches into a table inside the upload's
// transaction: through DuckDB's Arrow scan when built with the duckdb_arrow
// tag, else through its appender.
type sink interface {
	insert(ctx context.Context) error
	close()
}
