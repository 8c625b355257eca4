package ingest

import "context"

// sink loads the pipeline's Arrow batches into a table inside the upload's
// transaction: through DuckDB's Arrow scan when built with the duckdb_arrow
// tag, else through its appender.
type sink interface {
	insert(ctx context.Context) error
	close()
}

// arrowMinBytes is the file size from which the Arrow view (three
// statements) pays for itself: below it, a few dozen rows, the appender's
// conversion of each value costs less. From 16 KiB rather than 1 MiB, a
// province's backfill took 29.5 s of CPU instead of 30.8–33.9 (BENCHMARKS).
var arrowMinBytes int64 = 16 << 10
