package main

import (
	"context"
	"database/sql"
	"os"

	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/store"
)

// file is the configured database with its key's custody (store.File).
func (c Config) file() store.File {
	return store.File{Path: c.DB, KeyFile: c.IDKeyFile, KeyEnv: os.Getenv("FLEXEMP_ID_KEY"), DuckDB: c.DuckDB, Notices: notices}
}

// open opens (creating and migrating) the configured database, its key held
// to its fingerprint.
func (c Config) open(ctx context.Context) (*sql.DB, error) {
	db, _, err := c.file().Open(ctx, false)
	return db, err
}

// openExisting opens the configured database, refusing one that does not
// exist.
func (c Config) openExisting(ctx context.Context) (*sql.DB, error) { return c.file().OpenExisting(ctx) }

// openIngest opens the configured database with an ingester over it,
// making a key for a database that has never had one.
func (c Config) openIngest(ctx context.Context) (*sql.DB, *ingest.Ingester, error) {
	db, key, err := c.file().Open(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	return db, &ingest.Ingester{DB: db, Key: key, Options: c.Ingest}, nil
}
