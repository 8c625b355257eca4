package ingest_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/testfiles"
)

// checksum fingerprints every table of the database but the refusals log
// (the refusals and their rejected rows):
// row count and a hash over every row's every column.
func checksum(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name NOT IN ('refusals', 'refusal_rejects') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 6 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var b strings.Builder
	for _, tbl := range tables {
		var n int64
		var h string
		if err := db.QueryRow(fmt.Sprintf(`SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM %q AS t`, tbl)).Scan(&n, &h); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%d:%s ", tbl, n, h)
	}
	return b.String()
}

// zipBomb writes a workbook whose one sheet unpacks to size bytes.
func zipBomb(t *testing.T, size int) string {
	path, err := testfiles.ZipBomb(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// A refused file leaves every table exactly as it was, whatever the way it
// is refused.
func TestRefusedFileChangesNothing(t *testing.T) {
	defer ingest.ForceArrowSink()()
	g := newIngester(t)
	g.UnzipLimitMiB = 4
	ctx := context.Background()
	// Earlier data that must stand.
	if res := ingestFixture(t, g, "registrations_gbk.csv", flexemp.Registrations); res.Status != ingest.StatusAccepted {
		t.Fatal(res.Error)
	}
	bomb := zipBomb(t, 64<<20)
	if st, _ := os.Stat(bomb); st.Size() > 1<<20 {
		t.Fatalf("bomb is %d bytes on disk", st.Size())
	}
	spanning := filepath.Join(t.TempDir(), "spanning.csv")
	os.WriteFile(spanning, []byte("公民身份号码,行政区划代码,登记类型,就业形式,人员类别,申请日期,办结日期,办理渠道\n"+
		"210102199005121230,210102,灵活就业登记,新就业形态,高校毕业生,2024-03-05,,线上\n"+
		"210103198511304525,210102,灵活就业登记,新就业形态,高校毕业生,2024-04-05,,线上\n"), 0o644)

	cases := []struct {
		name, path string
		kind       flexemp.Kind
		month      flexemp.Month
		want       string // in the user's message
	}{
		{"too many rejects", filepath.Join(testdata, "registrations_reasons.csv"), flexemp.Registrations, march2024, "超过上限"},
		{"wrong kind", filepath.Join(testdata, "wrong_kind_subsidies.csv"), flexemp.Registrations, march2024, "不是“就业失业登记”"},
		{"missing column", filepath.Join(testdata, "missing_column.csv"), flexemp.Registrations, march2024, "缺少必需列：就业形式(employment_form)"},
		{"no header", filepath.Join(testdata, "no_header.csv"), flexemp.Registrations, march2024, "找不到"},
		{"not a spreadsheet", filepath.Join(testdata, "not_a_spreadsheet.png"), flexemp.Registrations, march2024, "无法识别的文件格式"},
		{"truncated workbook", filepath.Join(testdata, "truncated.xlsx"), flexemp.Registrations, march2024, "损坏或不完整"},
		{"zip bomb", bomb, flexemp.Registrations, march2024, "解压后超过"},
		{"rows span months", spanning, flexemp.Registrations, flexemp.Month{}, "跨多个月份"},
		{"missing file", filepath.Join(testdata, "no-such-file.csv"), flexemp.Registrations, march2024, "无法读取文件"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := checksum(t, g.DB)
			res, err := g.Ingest(ctx, ingest.Request{Path: tc.path, City: "210100", Kind: tc.kind, Month: tc.month})
			if err != nil {
				t.Fatalf("internal error: %v", err)
			}
			if res.Status != ingest.StatusRefused || !strings.Contains(res.Error, tc.want) {
				t.Errorf("got %s %q, want refused with %q", res.Status, res.Error, tc.want)
			}
			if after := checksum(t, g.DB); after != before {
				t.Errorf("database changed:\nbefore %s\nafter  %s", before, after)
			}
			// Only the refusal itself is noted, with its reason and no data.
			var city, kind, reason string
			if err := g.DB.QueryRow(`SELECT city_code, kind, reason FROM refusals ORDER BY refusal_id DESC LIMIT 1`).Scan(&city, &kind, &reason); err != nil {
				t.Fatal(err)
			}
			if city != "210100" || kind != string(tc.kind) || reason != res.Error {
				t.Errorf("refusal noted as %s %s %q", city, kind, reason)
			}
			// Its rejected rows are all kept, for the city to fix the file
			// in one go: the same list an accepted upload of it would store.
			u, rs, err := ingest.RefusalRejects(ctx, g.DB, res.RefusalID)
			if err != nil || u.City != "210100" || u.Kind != tc.kind || len(rs) != res.Problems() {
				t.Errorf("refusal %d: %+v, %d rejects, want %d: %v", res.RefusalID, u, len(rs), res.Problems(), err)
			}
			if tc.name == "too many rejects" {
				if len(rs) == 0 {
					t.Error("no rejects kept")
				}
				lenient := newIngester(t)
				lenient.RejectRatio = 1
				acc, err := lenient.Ingest(ctx, ingest.Request{Path: tc.path, City: "210100", Kind: tc.kind, Month: tc.month})
				if err != nil || acc.Status != ingest.StatusAccepted {
					t.Fatalf("%v %+v", err, acc)
				}
				stored, _ := ingest.Rejects(ctx, lenient.DB, acc.UploadID)
				if fmt.Sprint(stored) != fmt.Sprint(rs) {
					t.Errorf("refused file's rejects differ from the accepted upload's:\n%v\n%v", rs, stored)
				}
				for _, r := range rs {
					if idLike.MatchString(r.Value) {
						t.Errorf("row %d keeps a raw ID: %q", r.Row, r.Value)
					}
				}
				if !strings.Contains(res.RejectsCommand(), fmt.Sprintf("--refusal %d", res.RefusalID)) {
					t.Errorf("hint %q", res.RejectsCommand())
				}
			}
		})
	}
}

var idLike = regexp.MustCompile(`\d{17}[\dXx]`)

// Uploading the same bytes again is a no-op; a new file for the same city,
// kind and month becomes the current version and the old one stays in the
// ledger with its counts.
func TestVersionsAndUnchanged(t *testing.T) {
	g := newIngester(t)
	ctx := context.Background()
	first := ingestFixture(t, g, "registrations_gbk.csv", flexemp.Registrations)
	again := ingestFixture(t, g, "registrations_gbk.csv", flexemp.Registrations)
	if again.Status != ingest.StatusUnchanged || again.UploadID != first.UploadID || again.Version != 1 {
		t.Fatalf("again: %+v", again)
	}
	before := checksum(t, g.DB)
	ingestFixture(t, g, "registrations_gbk.csv", flexemp.Registrations)
	if checksum(t, g.DB) != before {
		t.Fatal("an unchanged upload changed the database")
	}
	g.Now = func() time.Time { return time.Date(2024, 4, 9, 2, 0, 0, 0, time.UTC) }
	second := ingestFixture(t, g, "registrations_bom.csv", flexemp.Registrations)
	if second.Status != ingest.StatusAccepted || second.Version != 2 {
		t.Fatalf("second: %+v", second)
	}
	ups, _, err := ingest.FindUploads(ctx, g.DB, flexemp.UploadFilter{City: "210100"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || !ups[0].Current || ups[1].Current || ups[1].Accepted != 4 || ups[0].Version != 2 {
		t.Fatalf("ledger: %+v", ups)
	}
	if got := ups[0].ReceivedAt.Format(time.RFC3339); got != "2024-04-09T10:00:00+08:00" {
		t.Errorf("received at %s, want the clock's instant in Asia/Shanghai", got)
	}
	current := count(t, g.DB, `SELECT count(*) FROM registrations r JOIN current_uploads c USING (upload_id)`)
	if current != 4 {
		t.Errorf("current rows %d, want 4 (the newest version only)", current)
	}
	// Uploading the first version's bytes again makes them current anew.
	third := ingestFixture(t, g, "registrations_gbk.csv", flexemp.Registrations)
	if third.Status != ingest.StatusAccepted || third.Version != 3 {
		t.Errorf("re-upload of an older version: %+v", third)
	}
	if n := count(t, g.DB, `SELECT count(*) FROM uploads`); n != 3 {
		t.Errorf("ledger rows %d, want 3", n)
	}
}

// A stated receipt time is kept with its zone.
func TestReceivedAtKeepsZone(t *testing.T) {
	g := newIngester(t)
	at := time.Date(2024, 4, 11, 0, 30, 0, 0, time.FixedZone("", 8*3600))
	res, err := g.Ingest(context.Background(), ingest.Request{Path: filepath.Join(testdata, "registrations_bom.csv"), City: "210100", Kind: flexemp.Registrations, ReceivedAt: at})
	if err != nil || res.Status != ingest.StatusAccepted {
		t.Fatal(err, res.Error)
	}
	if res.Month != march2024 {
		t.Errorf("month read from rows: %s", res.Month)
	}
	ups, _, _ := ingest.FindUploads(context.Background(), g.DB, flexemp.UploadFilter{})
	if got := ups[0].ReceivedAt.Format(time.RFC3339); got != "2024-04-11T00:30:00+08:00" {
		t.Errorf("received at %s", got)
	}
	if late := !ups[0].ReceivedAt.Before(march2024.Deadline()); !late {
		t.Error("00:30 on the 11th in Shanghai is after the deadline")
	}
}

// Another city's rows are rejected, never loaded under the uploader.
func TestUploaderCityMustMatch(t *testing.T) {
	g := newIngester(t)
	res, err := g.Ingest(context.Background(), ingest.Request{Path: filepath.Join(testdata, "registrations_gbk.csv"), City: "210200", Kind: flexemp.Registrations, Month: march2024})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != ingest.StatusRefused || res.Rejected != 4 || res.Reasons[flexemp.Reasons[flexemp.ReasonCityMismatch]] != 4 {
		t.Errorf("got %+v", res)
	}
}
