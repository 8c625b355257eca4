package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/sqltext"
)

// ExportSchema is an export's manifest, _schema.json at the top of the
// lake: what each kind's files hold and which upload versions they are.
type ExportSchema struct {
	Format    int                   `json:"format"` // this layout's version
	Exported  time.Time             `json:"exported_at"`
	Period    string                `json:"period,omitempty"` // empty: all months
	Partition []string              `json:"partitioning"`     // the Hive keys under kind=…
	Kinds     map[string]ExportKind `json:"kinds"`
	UploadIDs []int64               `json:"upload_ids"` // the versions exported (every accepted one), ascending
	// Ledger is the upload ledger of the exported months, every version,
	// with when each was received: which version counts for an assessment
	// as of a date (以截止时报送数据为准) is decided from it, as
	// transform/models/int_counting_versions.sql does. A folder starting
	// with "_" is not a partition to Hive-style readers.
	Ledger     string `json:"ledger"`
	LedgerRows int64  `json:"ledger_rows"`
	KeyPrint   string `json:"key_fingerprint"`
	Unchanged  bool   `json:"-"` // the lake already held exactly this
	// Removed are the folders an interrupted export had left beside the
	// lake, removed first.
	Removed []string `json:"-"`
}

// ExportKind is one kind's part of a lake.
type ExportKind struct {
	Title   string         `json:"title"`
	Rows    int64          `json:"rows"`
	Columns []ExportColumn `json:"columns"`
}

// ExportColumn is a stored column and its DuckDB type.
type ExportColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// exportFormat is the layout's version. 3: every accepted version's rows,
// since the version that counts depends on the as-of date (2 held the
// newest versions and the replaced services versions).
const exportFormat = 3

// exportPartition are the Hive keys, from the upload's month and city.
var exportPartition = []string{"year", "month", "city"}

// Export writes every accepted version's pseudonymised rows (of the period,
// or all; each row keeps its upload_id, and the ledger says which version
// counts as of a date) as Hive-partitioned Parquet under dir:
// kind=…/year=…/month=…/city=…/*.parquet, ZSTD, with _schema.json. Every
// kind is read in one transaction, so the lake is one consistent state. It
// is atomic (written beside dir, then renamed into place) and idempotent (a
// lake of the same upload versions is left as it is). The masked IDs kept
// for the integrity evidence stay in the database.
func (s *Store) Export(ctx context.Context, dir string, period *flexemp.Period) (sc *ExportSchema, err error) {
	defer func() { err = errors.Join(err, s.Audit(ctx, "export", dir, err)) }()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	from, to := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	sc = &ExportSchema{Format: exportFormat, Exported: time.Now().In(flexemp.Shanghai), Partition: exportPartition, Kinds: map[string]ExportKind{}}
	if period != nil {
		sc.Period, from, to = period.String(), period.Start(), period.End()
	}
	rows, err := conn.QueryContext(ctx, `SELECT upload_id FROM uploads WHERE month BETWEEN ? AND ? ORDER BY 1`, from, to)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		sc.UploadIDs = append(sc.UploadIDs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	conn.QueryRowContext(ctx, `SELECT coalesce(max(fingerprint), '') FROM key_fingerprint`).Scan(&sc.KeyPrint)
	removed, err := removeLeftovers(dir)
	if err != nil {
		return nil, err
	}
	sc.Removed = removed
	old, err := readExportSchema(dir)
	switch {
	case err == nil && old.Format == exportFormat && old.Period == sc.Period && slices.Equal(old.UploadIDs, sc.UploadIDs):
		old.Unchanged, old.Removed = true, removed
		return old, nil
	case err != nil: // not a lake: only an empty or new folder is written
		if err := emptyDir(dir); err != nil {
			return nil, err
		}
	}
	tmp, err := besideTemp(dir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // gone once renamed; left by a failure
	// copyTo writes a query's rows as Parquet and counts them, in one scan.
	copyTo := func(q, to, partition string) (int64, error) {
		res, err := conn.ExecContext(ctx, fmt.Sprintf(`COPY (%s) TO %s (FORMAT PARQUET, COMPRESSION ZSTD%s)`, q, sqltext.String(to), partition))
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	between := fmt.Sprintf(`BETWEEN '%s' AND '%s'`, from.Format("2006-01-02"), to.Format("2006-01-02"))
	for _, k := range flexemp.Kinds {
		// The storage columns but the masked ID and the services' own month
		// (the month partition is the same month), ordered as ingested.
		drop := "id_masked"
		if k == flexemp.Services {
			drop = "month"
		}
		q := fmt.Sprintf(`SELECT t.* EXCLUDE (%s), year(u.month) AS year, month(u.month) AS month, u.city_code AS city
			FROM %s t JOIN uploads u USING (upload_id) WHERE u.month %s ORDER BY t.upload_id, t.row_no`, drop, string(k), between)
		ek := ExportKind{Title: k.Title()}
		cols, err := conn.QueryContext(ctx, `SELECT column_name, column_type FROM (DESCRIBE `+q+`)`)
		if err != nil {
			return nil, err
		}
		for cols.Next() {
			var c ExportColumn
			if err := cols.Scan(&c.Name, &c.Type); err != nil {
				cols.Close()
				return nil, err
			}
			if !slices.Contains(exportPartition, c.Name) {
				ek.Columns = append(ek.Columns, c)
			}
		}
		cols.Close()
		if ek.Rows, err = copyTo(q, filepath.Join(tmp, "kind="+string(k)), ", PARTITION_BY (year, month, city)"); err != nil {
			return nil, err
		}
		sc.Kinds[string(k)] = ek
	}
	if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(exportLedger)), 0o700); err != nil {
		return nil, err
	}
	sc.Ledger = exportLedger
	if sc.LedgerRows, err = copyTo(`SELECT upload_id, city_code, kind, month, version, sha256, received_at, received_zone, rows, accepted, rejected
		FROM uploads WHERE month `+between+` ORDER BY upload_id`, filepath.Join(tmp, exportLedger), ""); err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(sc, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, exportManifest), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	// Into place: the old lake (or empty folder) aside, the new one in, the
	// old one removed.
	aside := ""
	if _, err := os.Stat(dir); err == nil {
		aside = tmp + ".old"
		if err := os.Rename(dir, aside); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if aside != "" {
			os.Rename(aside, dir)
		}
		return nil, err
	}
	if aside != "" {
		os.RemoveAll(aside)
	}
	return sc, nil
}

const (
	exportManifest = "_schema.json"
	exportLedger   = "_ledger/uploads.parquet"
)

func readExportSchema(dir string) (*ExportSchema, error) {
	b, err := os.ReadFile(filepath.Join(dir, exportManifest))
	if err != nil {
		return nil, err
	}
	var sc ExportSchema
	return &sc, json.Unmarshal(b, &sc)
}
