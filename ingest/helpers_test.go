package ingest_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

var testKey = []byte("test-key-0123456789abcdef")

// newIngester opens a fresh DuckDB file in a temporary folder.
func newIngester(t testing.TB) *ingest.Ingester {
	t.Helper()
	db, err := transform.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &ingest.Ingester{DB: db, Key: testKey}
}

func count(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
