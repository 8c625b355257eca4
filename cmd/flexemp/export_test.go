package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/transform"
)

// The lake holds exactly every accepted version's rows: each kind's rows read
// back through read_parquet with Hive partitioning equal the database's,
// row for row, with no masked ID; _schema.json names the upload versions. A
// second export of the same data leaves the lake as it is, --period keeps to
// its months, and a folder that is not a lake is refused.
func TestExportRoundTrip(t *testing.T) {
	db := filepath.Join(sharedDemo(t), "flexemp.db")
	lake := filepath.Join(t.TempDir(), "lake")
	if code, out, e := runCmd(t, "export", "--db", db, "--out", lake); code != 0 || !strings.Contains(out, "已导出") {
		t.Fatalf("export: exit %d %s %s", code, out, e)
	}
	var sc struct {
		UploadIDs []int64 `json:"upload_ids"`
		Kinds     map[string]struct {
			Rows    int64
			Columns []struct{ Name string }
		}
	}
	b, err := os.ReadFile(filepath.Join(lake, "_schema.json"))
	if err != nil || json.Unmarshal(b, &sc) != nil {
		t.Fatalf("_schema.json: %v %s", err, b)
	}
	ctx := context.Background()
	sqlDB, err := transform.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var current []int64
	rows, _ := sqlDB.Query(`SELECT upload_id FROM uploads ORDER BY 1`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		current = append(current, id)
	}
	rows.Close()
	if len(current) == 0 || !slices.Equal(current, sc.UploadIDs) {
		t.Errorf("_schema.json names %d uploads, the database has %d versions", len(sc.UploadIDs), len(current))
	}
	for _, k := range flexemp.Kinds {
		files := fmt.Sprintf("read_parquet('%s/kind=%s/*/*/*/*.parquet', hive_partitioning = true)", lake, k)
		var cols []string
		for _, c := range sc.Kinds[string(k)].Columns {
			cols = append(cols, c.Name)
		}
		if slices.Contains(cols, "id_masked") || !slices.Contains(cols, "upload_id") {
			t.Errorf("%s columns %v", k, cols)
		}
		list := strings.Join(cols, ", ")
		// Both ways, as multisets: nothing missing, nothing extra.
		var missing, extra, n int64
		inDB := fmt.Sprintf(`SELECT %s FROM %s`, "t."+strings.Join(cols, ", t."), string(k)+" t")
		inLake := fmt.Sprintf(`SELECT %s FROM %s`, list, files)
		if err := sqlDB.QueryRow(`SELECT (SELECT count(*) FROM (`+inDB+` EXCEPT ALL `+inLake+`)),
			(SELECT count(*) FROM (`+inLake+` EXCEPT ALL `+inDB+`)), (SELECT count(*) FROM (`+inLake+`))`).Scan(&missing, &extra, &n); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if missing != 0 || extra != 0 || n != sc.Kinds[string(k)].Rows || n == 0 {
			t.Errorf("%s: %d rows missing from the lake, %d extra, %d in it, %d in _schema.json", k, missing, extra, n, sc.Kinds[string(k)].Rows)
		}
		// The partition is the upload's month and city.
		var wrong int64
		if err := sqlDB.QueryRow(`SELECT count(*) FROM ` + files + ` f JOIN uploads u USING (upload_id)
			WHERE f.year <> year(u.month) OR f.month <> month(u.month) OR f.city::VARCHAR <> u.city_code`).Scan(&wrong); err != nil || wrong != 0 {
			t.Errorf("%s: %d rows in the wrong partition: %v", k, wrong, err)
		}
	}
	// The ledger rides along: every version of the exported months, with
	// when it was received.
	var ledger, versions, received int64
	sqlDB.QueryRow(`SELECT count(*) FROM uploads`).Scan(&versions)
	sqlDB.QueryRow(fmt.Sprintf(`SELECT count(*), count(received_at) FROM read_parquet('%s/_ledger/uploads.parquet')`, lake)).Scan(&ledger, &received)
	if ledger == 0 || ledger != versions || received != ledger {
		t.Errorf("the lake's ledger has %d versions (%d received), the database %d", ledger, received, versions)
	}
	var ids int64
	sqlDB.QueryRow(fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s/kind=registrations/*/*/*/*.parquet') WHERE regexp_matches(person_id, '^\d{17}[\dXx]$')`, lake)).Scan(&ids)
	if ids != 0 {
		t.Errorf("%d raw IDs in the lake", ids)
	}

	// Again: unchanged, the files untouched.
	st, _ := os.Stat(filepath.Join(lake, "_schema.json"))
	time.Sleep(10 * time.Millisecond)
	if code, out, _ := runCmd(t, "export", "--db", db, "--out", lake); code != 0 || !strings.Contains(out, "未改动") {
		t.Errorf("a second export: exit %d %s", code, out)
	}
	if st2, _ := os.Stat(filepath.Join(lake, "_schema.json")); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("a second export of the same data rewrote the lake")
	}
	// A period: its months only, the lake replaced whole.
	if code, _, e := runCmd(t, "export", "--db", db, "--out", lake, "--period", "2025Q1"); code != 0 {
		t.Fatal(e)
	}
	months, _ := filepath.Glob(filepath.Join(lake, "kind=*", "year=*", "month=*"))
	for _, m := range months {
		if !strings.Contains(m, "year=2025") || !slices.Contains([]string{"month=1", "month=2", "month=3"}, filepath.Base(m)) {
			t.Errorf("--period 2025Q1 exported %s", m)
		}
	}
	if len(months) == 0 {
		t.Error("--period 2025Q1 exported nothing")
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	if code, _, e := runCmd(t, "export", "--db", db, "--out", other); code != 1 || !strings.Contains(e, "不是空的") {
		t.Errorf("export into a folder that is not a lake: exit %d %s", code, e)
	}
	if _, err := os.Stat(filepath.Join(other, "notes.txt")); err != nil {
		t.Error("the folder's file was lost")
	}
}

// The same models run over the lake (assess --source parquet:DIR) give the
// same ranking, every indicator's numerator, denominator and value, and the
// same integrity findings, K7's on a replaced services extract included. A
// database that holds uploads is refused as the results' home.
func TestAssessFromLake(t *testing.T) {
	t.Parallel()
	dir, db := demoCopy(t)
	lake := filepath.Join(dir, "lake")
	if code, _, e := runCmd(t, "export", "--db", db, "--out", lake); code != 0 {
		t.Fatalf("export: %s", e)
	}
	results := filepath.Join(dir, "results.db")
	config := filepath.Join(sharedDemo(t), "flexemp.toml") // the province's funds table
	const asOf = "2026-01-11"
	for _, p := range []string{"2025", "2025Q2"} {
		if code, _, e := runCmd(t, "assess", "--config", config, "--db", db, "--period", p, "--as-of", asOf); code != 0 {
			t.Fatalf("assess %s: %s", p, e)
		}
		if code, _, e := runCmd(t, "assess", "--config", config, "--db", results, "--source", "parquet:"+lake, "--period", p, "--as-of", asOf); code != 0 {
			t.Fatalf("assess %s from the lake: %s", p, e)
		}
		_, fromDB, _ := runCmd(t, "rank", "--db", db, "--period", p, "--format", "json")
		_, fromLake, _ := runCmd(t, "rank", "--db", results, "--period", p, "--format", "json")
		if fromDB != fromLake || !strings.Contains(fromDB, `"rank": 14`) {
			t.Errorf("%s: the lake's ranking differs:\n%s\nthe database's:\n%s", p, fromLake, fromDB)
		}
	}
	if code, _, e := runCmd(t, "assess", "--db", db, "--source", "parquet:"+lake, "--period", "2025"); code != 1 || !strings.Contains(e, "单独的数据库") {
		t.Errorf("a lake assessed into a database with uploads: exit %d %s", code, e)
	}
	if code, _, e := runCmd(t, "assess", "--db", results, "--source", "parquet:"+dir, "--period", "2025"); code != 1 || !strings.Contains(e, "不是 flexemp export 写出的目录") {
		t.Errorf("a folder that is not a lake: exit %d %s", code, e)
	}
	sqlDB, err := transform.Open(context.Background(), results)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if _, err := sqlDB.Exec(fmt.Sprintf(`ATTACH '%s' AS source (READ_ONLY)`, db)); err != nil {
		t.Fatal(err)
	}
	// differ counts the rows of a query over one database missing from the
	// other's, both ways.
	differ := func(q string) (int, int) {
		var a, b int
		q += ` AND period IN ('2025', '2025Q2')` // the copy holds the demo's other periods too
		lakeQ, dbQ := strings.ReplaceAll(q, "{db}", "main"), strings.ReplaceAll(q, "{db}", "source.main")
		if err := sqlDB.QueryRow(`SELECT (SELECT count(*) FROM (`+lakeQ+` EXCEPT ALL `+dbQ+`)),
			(SELECT count(*) FROM (`+dbQ+` EXCEPT ALL `+lakeQ+`))`).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		return a, b
	}
	var n int
	sqlDB.QueryRow(`SELECT count(*) FROM indicator_values`).Scan(&n)
	if a, b := differ(`SELECT period, city_code, indicator, numerator, denominator, value FROM {db}.indicator_values WHERE true`); a != 0 || b != 0 || n != 2*14*len(flexemp.Indicators) {
		t.Errorf("indicator values: %d only from the lake, %d only from the database, of %d", a, b, n)
	}
	var k7 int
	sqlDB.QueryRow(`SELECT count(*) FROM integrity_findings WHERE check_id = 'K7' AND subject = 'services'`).Scan(&k7)
	if a, b := differ(`SELECT period, city_code, check_id, subject, finding_key, figure, cases FROM {db}.integrity_findings WHERE true`); a != 0 || b != 0 || k7 == 0 {
		t.Errorf("integrity findings: %d only from the lake, %d only from the database; %d K7 on services (the demo plants one)", a, b, k7)
	}
}
