package transform

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/sqltext"
)

// The models read the extracts and the ledger through the source views
// scratch.src_<table>: the database's own tables, or a Parquet lake that
// flexemp export wrote (Params.Lake), so the same SQL runs over either.
// A lake holds every accepted version's rows of its months and every
// version's ledger row, so the versions that count as of a date and the
// results are the database's; only the masked IDs stay in the database,
// and a lake's integrity evidence names the upload and row.

// lakeFormat is the oldest export layout the models can read: 3, with
// every version's rows.
const lakeFormat = 3

// loadSources creates the source views over the database or a lake, and
// the copy of its ledger that the run reads.
func loadSources(ctx context.Context, conn *sql.Conn, lake string) error {
	var ledger string     // the query of the upload ledger
	var views [][2]string // each extract's view: name, query
	if lake == "" {
		var db string
		if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&db); err != nil {
			return err
		}
		ledger = fmt.Sprintf(`SELECT * FROM %s.main.uploads`, sqltext.Ident(db))
		for _, k := range flexemp.Kinds {
			views = append(views, [2]string{"src_" + string(k), fmt.Sprintf(`SELECT * FROM %s.main.%s`, sqltext.Ident(db), k)})
		}
	} else {
		file := filepath.Join(lake, "_ledger", "uploads.parquet")
		if _, err := os.Stat(file); err != nil {
			return flexemp.Errorf(flexemp.EINVALID, "%s 不是 flexemp export 写出的目录（缺少 _ledger/uploads.parquet）", lake)
		}
		var schema struct {
			Format int `json:"format"`
		}
		if b, err := os.ReadFile(filepath.Join(lake, "_schema.json")); err != nil || json.Unmarshal(b, &schema) != nil || schema.Format < lakeFormat {
			return flexemp.Errorf(flexemp.EINVALID, "%s 是旧版 flexemp export 写出的（只含当时的最新版本），请用当前版本重新导出", lake)
		}
		ledger = fmt.Sprintf(`SELECT * FROM read_parquet(%s)`, sqltext.String(file))
		for _, k := range flexemp.Kinds {
			files := filepath.Join(lake, "kind="+string(k), "*", "*", "*", "*.parquet")
			if m, _ := filepath.Glob(files); len(m) == 0 {
				// No month of this kind in the lake: its table's columns, no rows.
				views = append(views, [2]string{"src_" + string(k), fmt.Sprintf(`SELECT * FROM %s WHERE false`, string(k))})
				continue
			}
			// The partition columns go: every row keeps its city_code, and
			// services get back their month from the month partition. The
			// masked ID is not exported.
			q := fmt.Sprintf(`SELECT * EXCLUDE (kind, year, month, city), NULL::VARCHAR AS id_masked FROM read_parquet(%s, hive_partitioning = true)`, sqltext.String(files))
			if k == flexemp.Services {
				q = fmt.Sprintf(`SELECT * EXCLUDE (kind, year, month, city), make_date(year::INTEGER, month::INTEGER, 1) AS month FROM read_parquet(%s, hive_partitioning = true)`, sqltext.String(files))
			}
			views = append(views, [2]string{"src_" + string(k), q})
		}
	}
	// The ledger is copied, the extracts are viewed: the models commit one
	// by one (Build), and every extract row they read is that of an upload
	// in this copy, so an upload committed while they run is read by none of
	// them. Rows of an upload never change.
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TABLE scratch.src_uploads AS "+ledger); err != nil {
		return fmt.Errorf("source src_uploads: %w", err)
	}
	for _, v := range views {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE VIEW scratch.%s AS %s", v[0], v[1])); err != nil {
			return fmt.Errorf("source %s: %w", v[0], err)
		}
	}
	return nil
}
