package ingest

import "context"

// sink loads the pipeline's Arrow batches into a table inside the upload's
// transaction: through DuckDB's Arrow scan when built with the duckdb_arrow
// tag, else through its appender.
type sink interface {
	insert(ctx context.Context) error
	close()
}

// arrowMinBytes is the file size from which the Arrow view pays for its
// setup; smaller files go through the appender.
var arrowMinBytes int64 = 16 << 10
