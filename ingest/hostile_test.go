package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"golang.org/x/text/encoding/simplifiedchinese"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
)

const regHeader = "公民身份号码,行政区划代码,登记类型,就业形式,人员类别,申请日期,办结日期,办理渠道\n"

func regLine(i int) string {
	id := gen.ID("210102", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), i%100, i%2 == 0)
	return fmt.Sprintf("%s,210102,灵活就业登记,新就业形态,其他,2024-03-05,2024-03-05,线上\n", id)
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func ingestFile(t *testing.T, g *ingest.Ingester, path string) *ingest.Result {
	t.Helper()
	res, err := g.Ingest(context.Background(), ingest.Request{Path: path, City: "210100", Kind: flexemp.Registrations, Month: march2024})
	if err != nil {
		t.Fatalf("%v (a failure that is the file's fault must be a refusal or a reject)", err)
	}
	return res
}

// Byte 0xFF in a cell of a UTF-8 CSV, past the 64 KiB that decide the
// encoding, is a row reject with a Chinese reason, never an error.
func TestInvalidBytesAreRejects(t *testing.T) {
	g := newIngester(t)
	g.RejectRatio = 1
	var b bytes.Buffer
	b.WriteString(regHeader)
	for i := 0; b.Len() < 70<<10; i++ {
		b.WriteString(regLine(i))
	}
	bad := strings.Replace(regLine(5), "线上", "线\xff上", 1)
	b.WriteString(bad)
	res := ingestFile(t, g, writeFile(t, "bad.csv", b.Bytes()))
	if res.Status != ingest.StatusAccepted || res.Rejected != 1 || res.Reasons[flexemp.Reasons[flexemp.ReasonEncoding]] != 1 {
		t.Fatalf("%+v", res)
	}
	rs, err := ingest.Rejects(context.Background(), g.DB, res.UploadID)
	if err != nil || len(rs) != 1 || rs[0].Code != flexemp.ReasonEncoding || rs[0].Column != "办理渠道" {
		t.Errorf("rejects %+v %v", rs, err)
	}
}

// An ID typed in full-width digits is read as the ID it is: checked,
// pseudonymised and, wherever a cell, header or file name carries one,
// masked. Nothing stored or shown holds it.
func TestFullWidthIDsAreMasked(t *testing.T) {
	g := newIngester(t)
	g.RejectRatio = 1
	id := strings.TrimSuffix(strings.Split(regLine(7), ",")[0], "")
	full := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, id)
	var b bytes.Buffer
	// A valid raw ID as an extra column's header, a full-width ID in the ID
	// column (accepted) and in a non-ID column (rejected).
	b.WriteString(strings.TrimSuffix(regHeader, "\n") + "," + id + "\n")
	b.WriteString(strings.Replace(regLine(1), "\n", ",x\n", 1))
	b.WriteString(strings.Replace(strings.Replace(regLine(2), "\n", ",x\n", 1), strings.Split(regLine(2), ",")[0], full, 1))
	b.WriteString(strings.Replace(strings.Replace(regLine(3), "\n", ",x\n", 1), "线上", full, 1))
	res, err := g.Ingest(context.Background(), ingest.Request{Path: writeFile(t, "x.csv", b.Bytes()), FileName: "沈阳" + full + ".csv",
		City: "210100", Kind: flexemp.Registrations, Month: march2024})
	if err != nil || res.Status != ingest.StatusAccepted || res.Accepted != 2 || res.Rejected != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	shown := fmt.Sprintf("%+v", res)
	rs, _ := ingest.Rejects(context.Background(), g.DB, res.UploadID)
	shown += fmt.Sprintf("%+v", rs)
	ups, _, _ := ingest.FindUploads(context.Background(), g.DB, flexemp.UploadFilter{})
	shown += fmt.Sprintf("%+v", ups)
	var extra string
	g.DB.QueryRow(`SELECT extra_columns FROM uploads`).Scan(&extra)
	shown += extra
	for _, raw := range []string{id, full, id[6:14]} {
		if strings.Contains(shown, raw) {
			t.Errorf("%q is stored or shown: %s", raw, shown)
		}
	}
	if !strings.Contains(extra, flexemp.MaskID(id)) || !strings.Contains(res.File, flexemp.MaskID(id)) {
		t.Errorf("extra column %q, file %q: not masked", extra, res.File)
	}
}

// Hostile sizes are refused at once with a reason that says what was too
// large: 25,000 columns, a 10 MB header line, a 2 MiB cell.
func TestHostileSizesRefused(t *testing.T) {
	g := newIngester(t)
	many := strings.Repeat("x,", 25000) + "\n"
	cases := map[string]struct {
		file []byte
		want string
	}{
		"columns":     {[]byte(many), "超过上限 512 列"},
		"header line": {[]byte(strings.Repeat("公", 10<<20/3) + "\n"), "第1行超过"},
		"cell":        {[]byte(regHeader + strings.Replace(regLine(1), "线上", strings.Repeat("线", 2<<20/3), 1)), "第2行超过"},
	}
	for name, c := range cases {
		start := time.Now()
		res := ingestFile(t, g, writeFile(t, name+".csv", c.file))
		if res.Status != ingest.StatusRefused || !strings.Contains(res.Error, c.want) {
			t.Errorf("%s: %s %q", name, res.Status, res.Error)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: refused after %v", name, took)
		}
	}
}

// A header-only file may not silently replace a month that has rows: it is
// refused unless confirmed; an empty month takes it as it is.
func TestEmptyReplacementNeedsConfirmation(t *testing.T) {
	g := newIngester(t)
	ctx := context.Background()
	full := writeFile(t, "full.csv", []byte(regHeader+regLine(1)+regLine(2)))
	empty := writeFile(t, "empty.csv", []byte(regHeader))
	req := func(path string, confirm bool, month flexemp.Month) ingest.Request {
		return ingest.Request{Path: path, City: "210100", Kind: flexemp.Registrations, Month: month, ConfirmEmpty: confirm}
	}
	if res, err := g.Ingest(ctx, req(empty, false, flexemp.Month{Year: 2024, Month: 4})); err != nil || res.Status != ingest.StatusAccepted {
		t.Fatalf("an empty extract for an empty month: %v %+v", err, res)
	}
	if res, _ := g.Ingest(ctx, req(full, false, march2024)); res.Status != ingest.StatusAccepted {
		t.Fatalf("%+v", res)
	}
	res, err := g.Ingest(ctx, req(empty, false, march2024))
	if err != nil || res.Status != ingest.StatusRefused || res.Code != flexemp.ECONFLICT || !strings.Contains(res.Error, "有 2 行数据") {
		t.Fatalf("unconfirmed: %v %+v", err, res)
	}
	var current int
	g.DB.QueryRow(`SELECT accepted FROM current_uploads WHERE month = '2024-03-01'`).Scan(&current)
	if current != 2 {
		t.Fatalf("the month holds %d rows after a refused empty file", current)
	}
	if res, err := g.Ingest(ctx, req(empty, true, march2024)); err != nil || res.Status != ingest.StatusAccepted || res.Version != 2 {
		t.Fatalf("confirmed: %v %+v", err, res)
	}
}

// The key's fingerprint is stored at the first ingest; an ingest under
// another key is refused, with a message for the operator, and stores
// nothing: a changed key would make the same people new ones.
func TestAnotherKeyRefused(t *testing.T) {
	g := newIngester(t)
	ctx := context.Background()
	if res, err := g.Ingest(ctx, ingest.Request{Path: writeFile(t, "a.csv", []byte(regHeader+regLine(1))), City: "210100",
		Kind: flexemp.Registrations, Month: march2024}); err != nil || res.Status != ingest.StatusAccepted {
		t.Fatalf("%v %+v", err, res)
	}
	// A second file under the key: the stored fingerprint is now known to
	// this process, which must not let another key through.
	if res, err := g.Ingest(ctx, ingest.Request{Path: writeFile(t, "a2.csv", []byte(regHeader+regLine(3))), City: "210100",
		Kind: flexemp.Registrations, Month: march2024}); err != nil || res.Status != ingest.StatusAccepted {
		t.Fatalf("%v %+v", err, res)
	}
	stored := count(t, g.DB, `SELECT count(*) FROM registrations`)
	other := &ingest.Ingester{DB: g.DB, Key: []byte("another-key-0123456789")}
	res, err := other.Ingest(ctx, ingest.Request{Path: writeFile(t, "b.csv", []byte(regHeader+regLine(2))), City: "210100",
		Kind: flexemp.Registrations, Month: march2024})
	if err == nil || res.Status != ingest.StatusRefused || !strings.Contains(res.Error, "假名密钥") {
		t.Fatalf("another key: %v %+v", err, res)
	}
	if n := count(t, g.DB, `SELECT count(*) FROM registrations`); n != stored {
		t.Errorf("%d rows stored, %d before", n, stored)
	}
	if ingest.KeyFingerprint(g.Key) == ingest.KeyFingerprint(other.Key) || strings.Contains(ingest.KeyFingerprint(g.Key), string(g.Key)) {
		t.Error("fingerprints")
	}
}

// A file's month may come from its name; a month that disagrees with the
// rows is said as such, not as a share of rejected rows.
func TestMonthFromTheFileName(t *testing.T) {
	g := newIngester(t)
	ctx := context.Background()
	path := writeFile(t, "沈阳_登记_2024-03.csv", []byte(regHeader+regLine(1)+regLine(2)))
	res, err := g.Ingest(ctx, ingest.Request{Path: path, City: "210100", Kind: flexemp.Registrations})
	if err != nil || res.Status != ingest.StatusAccepted || res.Month != march2024 || !res.MonthFromName || !strings.Contains(res.Line(), "月份取自文件名") {
		t.Fatalf("%v %+v", err, res)
	}
	wrong := writeFile(t, "沈阳_登记_202411.csv", []byte(regHeader+regLine(3)+regLine(4)))
	res, err = g.Ingest(ctx, ingest.Request{Path: wrong, City: "210100", Kind: flexemp.Registrations})
	if err != nil || res.Status != ingest.StatusRefused || !strings.Contains(res.Error, "文件中的行属于 2024-03") || !strings.Contains(res.Error, "文件名所示的月份是 2024-11") {
		t.Fatalf("%v %+v", err, res)
	}
}

// One bad cell in a 300-row UTF-8 file is that row's reject with its true
// reason, and every other row is read: a stray 0xFF, a UTF-16 BOM's bytes or
// a NUL in a cell, and a row saved in GBK, are 含有无法识别的字符 (the file
// is not turned to mojibake, nor refused for a header it no longer finds);
// a cell opening a quote it never closes is 引号未闭合 and swallows no line
// after it.
func TestStrayBytesAndQuotes(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(regLine(99))
	for _, c := range []struct {
		name   string
		spoil  func(line string) string
		reason string
	}{
		{"0xFF at the end of a row", func(l string) string { return strings.TrimSuffix(l, "\n") + "\xff\n" }, flexemp.ReasonEncoding},
		{"FF FE in a cell", func(l string) string { return strings.Replace(l, "线上", "线\xff\xfe上", 1) }, flexemp.ReasonEncoding},
		{"a NUL in a cell", func(l string) string { return strings.Replace(l, "线上", "线\x00上", 1) }, flexemp.ReasonEncoding},
		{"a row saved in GBK", func(string) string { return gbk }, flexemp.ReasonEncoding},
		{"an unclosed quote", func(l string) string { return strings.Replace(l, "其他", `"其他`, 1) }, flexemp.ReasonQuote},
	} {
		g := newIngester(t)
		g.RejectRatio = 1
		var b strings.Builder
		b.WriteString(regHeader)
		for i := 0; i < 300; i++ {
			line := regLine(i)
			if i == 99 {
				line = c.spoil(line)
			}
			b.WriteString(line)
		}
		res := ingestFile(t, g, writeFile(t, "one-bad-row.csv", []byte(b.String())))
		if res.Status != ingest.StatusAccepted || res.Rows != 300 || res.Accepted != 299 || res.Rejected != 1 || res.Reasons[flexemp.Reasons[c.reason]] < 1 {
			t.Errorf("%s: %s, %d rows, %d accepted, reasons %v %s", c.name, res.Status, res.Rows, res.Accepted, res.Reasons, res.Error)
			continue
		}
		rs, err := ingest.Rejects(context.Background(), g.DB, res.UploadID)
		if err != nil || len(rs) == 0 {
			t.Errorf("%s: rejects %+v %v", c.name, rs, err)
		}
		for _, r := range rs { // a GBK row: each of its Chinese cells
			if r.Row != 101 || r.Code != c.reason {
				t.Errorf("%s: reject %+v", c.name, r)
			}
		}
	}
}
