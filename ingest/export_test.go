package ingest

// ForceArrowSink makes every file, however small, go through the Arrow sink
// (in builds with the duckdb_arrow tag), until the returned func is called.
func ForceArrowSink() (restore func()) {
	old := arrowMinBytes
	arrowMinBytes = 0
	return func() { arrowMinBytes = old }
}
