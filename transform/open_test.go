package transform

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkOpen: opening a new database (every migration and the closed
// columns' ENUMs) and one already migrated, which every command does.
func BenchmarkOpen(b *testing.B) {
	open := func(b *testing.B, path string) {
		db, err := Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	b.Run("new", func(b *testing.B) {
		for b.Loop() {
			open(b, filepath.Join(b.TempDir(), "flexemp.db"))
		}
	})
	b.Run("migrated", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "flexemp.db")
		open(b, path)
		for b.Loop() {
			open(b, path)
		}
	})
}
