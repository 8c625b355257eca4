// Package transform owns the DuckDB database: its schema migrations and the
// SQL models that turn uploaded extracts into assessment tables.
package transform

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Settings are DuckDB settings for the process that owns the file. Zero
// values keep DuckDB's defaults.
type Settings struct {
	MemoryLimit string `toml:"memory_limit"` // e.g. "1GB": DuckDB's buffer pool; a lower limit keeps a large upload's memory flat at some cost in speed; default DuckDB's (80% of RAM)
	Threads     int    `toml:"threads"`      // default all cores
	// CheckpointThreshold is the WAL size at which a commit folds the WAL
	// into the file; default DuckDB's, 16MB. The inbox job raises it for
	// its run (store.Bulk).
	CheckpointThreshold string `toml:"checkpoint_threshold"`
}

func (s Settings) dsn() string {
	v := url.Values{}
	if s.CheckpointThreshold != "" {
		v.Set("checkpoint_threshold", s.CheckpointThreshold)
	}
	if s.MemoryLimit != "" {
		v.Set("memory_limit", s.MemoryLimit)
	}
	if s.Threads > 0 {
		v.Set("threads", strconv.Itoa(s.Threads))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Open opens (creating if needed) the DuckDB file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, settings ...Settings) (*sql.DB, error) {
	var s Settings
	if len(settings) > 0 {
		s = settings[0]
	}
	dsn := path + s.dsn()
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	// Only its owner may read the file and its WAL (one made by an older
	// build, or under a loose umask, is tightened here).
	for _, f := range []string{path, path + ".wal"} {
		if st, err := os.Lstat(f); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(f, 0o600); err != nil {
				db.Close()
				return nil, fmt.Errorf("open %s: %w", path, err)
			}
		}
	}
	return db, nil
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, all in one transaction together with their records, so
// a half-applied schema cannot exist (a new database's 21 took 79 ms one
// transaction each, and commit by commit), then gives the closed columns
// their ENUMs.
func Migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := applyMigrations(ctx, db); err != nil {
		return err
	}
	if err := storeClosedColumnsAsEnums(ctx, db, closedColumns()); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func applyMigrations(ctx context.Context, db *sql.DB) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending := false
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: name must start with its number", base)
		}
		if applied[version] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, version, base); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		pending = true
	}
	if !pending {
		return nil
	}
	return tx.Commit()
}
