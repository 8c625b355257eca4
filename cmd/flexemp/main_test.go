package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const testdata = "../../testdata"

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestIngestExitCodesAndJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	code, out, errOut := runCmd(t, "ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03", "--json",
		filepath.Join(testdata, "registrations_gbk.csv"))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// SPEC's keys, and notice: March 2024 is long past its deadline, so the
	// answer says which version counts (this one, the first sent late).
	want := []string{"accepted", "error", "file", "notice", "reasons", "rejected", "rows", "status", "upload_id", "version"}
	if !reflect.DeepEqual(keys, want) || !strings.Contains(fmt.Sprint(obj["notice"]), "本次上传按逾期报送计入考核") {
		t.Errorf("JSON keys %v, want SPEC's and notice %v: %v", keys, want, obj["notice"])
	}
	if obj["status"] != "accepted" || obj["accepted"] != 4.0 || obj["version"] != 1.0 || obj["file"] != "registrations_gbk.csv" {
		t.Errorf("JSON %v", obj)
	}

	// The same file again: unchanged, exit 0. A refused one: exit 1, with the reason.
	code, out, _ = runCmd(t, "ingest", "--db", db, "--city", "210100", "--kind", "registrations", filepath.Join(testdata, "registrations_gbk.csv"))
	if code != 0 || !strings.Contains(out, "内容与当前版本相同") {
		t.Errorf("again: exit %d %q", code, out)
	}
	code, out, _ = runCmd(t, "ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03",
		filepath.Join(testdata, "missing_column.csv"), filepath.Join(testdata, "registrations_bom.csv"))
	if code != 1 || !strings.Contains(out, "拒收，整个文件未入库") || !strings.Contains(out, "已入库 2024-03 第 2 版") {
		t.Errorf("mixed: exit %d %q", code, out)
	}
	// Usage errors: exit 2.
	for _, args := range [][]string{
		{"ingest", "--db", db, "--city", "110100", "--kind", "registrations", "x.csv"},
		{"ingest", "--db", db, "--city", "210100", "--kind", "payroll", "x.csv"},
		{"ingest", "--db", db, "--city", "210100", "--kind", "registrations"},
		{"ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-3x", "x.csv"},
		{"ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--received-at", "yesterday", "x.csv"},
		{"ingest", "--bogus"},
		{"nosuch"},
		{},
	} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestUploadsAndRejectsExport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	t.Setenv("FLEXEMP_ID_KEY", "")
	os.WriteFile(filepath.Join(dir, "flexemp.toml"), []byte("[ingest]\nreject_ratio = 1.0\n"), 0o644)
	code, out, errOut := runCmd(t, "ingest", "--config", filepath.Join(dir, "flexemp.toml"), "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03",
		"--received-at", "2024-04-10T23:59:59+08:00", filepath.Join(testdata, "registrations_reasons.csv"))
	if code != 0 || !strings.Contains(errOut, "第7行 公民身份号码") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	// The key file was made beside the database, private, and never printed.
	key, err := os.ReadFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(db + ".key"); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode().Perm())
	}
	if strings.Contains(out+errOut, strings.TrimSpace(string(key))) {
		t.Error("the key was printed")
	}

	code, out, _ = runCmd(t, "uploads", "--db", db, "--format", "json")
	var ups []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &ups) != nil || len(ups) != 1 {
		t.Fatalf("uploads: %d %s", code, out)
	}
	if ups[0]["received_at"] != "2024-04-10T23:59:59+08:00" || ups[0]["rejected"] != 15.0 || ups[0]["current"] != true {
		t.Errorf("ledger row %v", ups[0])
	}
	if code, out, _ := runCmd(t, "uploads", "--db", db, "--city", "210200"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("another city's ledger: %q", out)
	}

	csvPath := filepath.Join(dir, "rejects.csv")
	if code, _, e := runCmd(t, "rejects", "--db", db, "--upload", "1", "--out", csvPath); code != 0 {
		t.Fatal(e)
	}
	b, _ := os.ReadFile(csvPath)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 16 || recs[1][0] != "7" || recs[1][2] != "2101**********1231" {
		t.Fatalf("rejects.csv: %v %v", err, recs[:2])
	}
	xlsxPath := filepath.Join(dir, "rejects.xlsx")
	if code, _, e := runCmd(t, "rejects", "--db", db, "--upload", "1", "--out", xlsxPath); code != 0 {
		t.Fatal(e)
	}
	x, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows("被拒行")
	if len(rows) != 16 || strings.Join(rows[0], ",") != "行号,列,值,原因" || rows[1][2] != recs[1][2] || rows[15][3] != recs[15][3] {
		t.Errorf("rejects.xlsx rows %d: %v", len(rows), rows[:2])
	}
	// The second sheet shows each bad row whole, its bad cells in red: one
	// line per rejected row, the file's headers, the reasons at the end.
	bad := map[string]map[string]bool{} // row → its bad columns, from the list
	for _, r := range recs[1:] {
		if bad[r[0]] == nil {
			bad[r[0]] = map[string]bool{}
		}
		bad[r[0]][r[1]] = true
	}
	whole, err := x.GetRows("整行")
	if err != nil || len(whole) != 1+len(bad) {
		t.Fatalf("整行: %d rows for %d rejected rows: %v", len(whole), len(bad), err)
	}
	head := whole[0]
	if head[0] != "行号" || head[1] != "公民身份号码" || head[len(head)-1] != "原因" {
		t.Errorf("整行 headers %v", head)
	}
	for i, row := range whole[1:] {
		for j := 1; j < len(head)-1; j++ {
			name, _ := excelize.CoordinatesToCellName(j+1, i+2)
			id, _ := x.GetCellStyle("整行", name)
			style, _ := x.GetStyle(id)
			red := style != nil && len(style.Fill.Color) > 0
			if red != bad[row[0]][head[j]] {
				t.Errorf("row %s, %s: marked %v, in the list %v", row[0], head[j], red, bad[row[0]][head[j]])
			}
		}
		if regexp.MustCompile(`\d{17}[\dXx]`).MatchString(strings.Join(row, ",")) {
			t.Errorf("row %s keeps a raw ID", row[0])
		}
	}
	if code, _, _ := runCmd(t, "rejects", "--db", db, "--upload", "99", "--out", csvPath); code != 1 {
		t.Errorf("unknown upload: exit %d", code)
	}

	// The same rows refused (the default 5% limit) keep the same rejects,
	// listed under their refusal number.
	again := filepath.Join(dir, "registrations_reasons_again.csv")
	src, _ := os.ReadFile(filepath.Join(testdata, "registrations_reasons.csv"))
	os.WriteFile(again, append(src, '\n'), 0o644)
	code, _, errOut = runCmd(t, "ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03", again)
	if code != 1 || !strings.Contains(errOut, "flexemp rejects --refusal 1 ") {
		t.Fatalf("refused: exit %d, hint: %s", code, errOut)
	}
	if code, out, _ := runCmd(t, "uploads", "--db", db); code != 0 || !strings.Contains(out, "拒收1") || !strings.Contains(out, "超过上限") {
		t.Errorf("the refused attempt in the ledger: %q", out)
	}
	// As JSON a refused attempt has no upload_id (absent, never 0).
	_, out, _ = runCmd(t, "uploads", "--db", db, "--format", "json")
	var ledger []map[string]any
	json.Unmarshal([]byte(out), &ledger)
	refused := 0
	for _, u := range ledger {
		if _, has := u["upload_id"]; u["status"] == "refused" {
			refused++
			if has {
				t.Errorf("a refused attempt with an upload_id: %v", u)
			}
		} else if !has {
			t.Errorf("an accepted upload without its upload_id: %v", u)
		}
	}
	if refused != 1 {
		t.Errorf("%d refused attempts in %s", refused, out)
	}
	refusedPath := filepath.Join(dir, "refused.csv")
	if code, _, e := runCmd(t, "rejects", "--db", db, "--refusal", "1", "--out", refusedPath); code != 0 {
		t.Fatal(e)
	}
	if got, _ := os.ReadFile(refusedPath); !bytes.Equal(got, b) {
		t.Errorf("the refused file's rejects differ from the accepted upload's:\n%s", got)
	}
	if code, _, _ := runCmd(t, "rejects", "--db", db, "--upload", "1", "--refusal", "1", "--out", refusedPath); code != 2 {
		t.Errorf("--upload with --refusal: exit %d", code)
	}
}

// The template has the contract's headers with notes, drop-downs on enum
// columns and text format on ID and date columns.
func TestTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.xlsx")
	if code, _, e := runCmd(t, "template", "--kind", "registrations", "--out", path); code != 0 {
		t.Fatal(e)
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	const sheet = "就业失业登记"
	rows, _ := x.GetRows(sheet)
	if strings.Join(rows[0], ",") != "公民身份号码,行政区划代码,登记类型,就业形式,人员类别,申请日期,办结日期,办理渠道" {
		t.Errorf("header %v", rows[0])
	}
	comments, err := x.GetComments(sheet)
	if err != nil || len(comments) != 8 || !strings.Contains(comments[0].Text, "校验位") {
		t.Errorf("comments %v %v", err, comments)
	}
	dvs, err := x.GetDataValidations(sheet)
	if err != nil || len(dvs) != 4 { // reg_type, employment_form, person_group, channel
		t.Fatalf("drop-downs %v %d", err, len(dvs))
	}
	if !strings.Contains(dvs[0].Formula1, "灵活就业登记") {
		t.Errorf("drop-down %q", dvs[0].Formula1)
	}
	if w, _ := x.GetColWidth(sheet, "A"); w < 20 {
		t.Errorf("the ID column is %v wide: 18 digits do not show whole", w)
	}
	for _, cell := range []string{"A2", "F2", "G500"} {
		style, _ := x.GetCellStyle(sheet, cell)
		st, _ := x.GetStyle(style)
		if st == nil || st.NumFmt != 49 {
			t.Errorf("%s is not text-formatted", cell)
		}
	}
	// The notes name what registrations are assessed by, from the one
	// declaration: I1–I5 (registrations alone) and I8 (with subsidies).
	uses, _ := x.GetRows("填报说明")
	var ids []string
	for _, r := range uses[3:] {
		ids = append(ids, r[0])
	}
	if strings.Join(ids, ",") != "I1,I2,I3,I4,I5,I8" || uses[3][2] != "灵活就业登记人数/万人" {
		t.Errorf("uses %v", uses)
	}
}

// gen writes the same bytes for the same seed.
func TestGenSameSeedSameBytes(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if code, _, e := runCmd(t, "gen", "--out", d, "--seed", "3", "--scale", "0.002"); code != 0 {
			t.Fatal(e)
		}
	}
	n := 0
	filepath.Walk(a, func(p string, info os.FileInfo, walkErr error) error {
		if walkErr != nil {
			return walkErr
		}
		if info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs", rel)
		}
		n++
		return nil
	})
	if n < 1000 {
		t.Errorf("only %d files", n)
	}
}

// Mail settings are checked when the config loads: a bad tls, a missing
// from, a city name where a code belongs.
func TestMailConfigCheckedAtLoad(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"[mail]\nhost = \"smtp.x\"\ntls = \"ssl\"\nfrom = \"a@x.cn\"\n":                        "tls",
		"[mail]\nhost = \"smtp.x\"\n":                                                          "from",
		"[mail]\nhost = \"smtp.x\"\nfrom = \"a@x.cn\"\n[mail.cities]\n\"沈阳\" = [\"b@x.cn\"]\n": "210100",
	} {
		config := filepath.Join(dir, "flexemp.toml")
		os.WriteFile(config, []byte(body), 0o644)
		code, _, e := runCmd(t, "jobs", "--config", config, "--db", filepath.Join(dir, "x.db"))
		if code == 0 || !strings.Contains(e, want) {
			t.Errorf("%q: exit %d %s", body, code, e)
		}
	}
}

// A command that reads refuses a missing database instead of making an
// empty one.
func TestReadOnlyCommandsRefuseAMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "missing.db")
	for _, args := range [][]string{
		{"rank", "--db", db, "--period", "2024"},
		{"explain", "--db", db, "--period", "2024", "--city", "沈阳"},
		{"integrity", "--db", db, "--period", "2024"},
		{"report", "--db", db, "--period", "2024", "--out", dir},
		{"uploads", "--db", db},
		{"jobs", "--db", db},
		{"assess", "--db", db, "--period", "2024"},
	} {
		code, _, e := runCmd(t, args...)
		if code == 0 || !strings.Contains(e, "不存在") {
			t.Errorf("%s: exit %d %s", args[0], code, e)
		}
		if _, err := os.Stat(db); err == nil {
			t.Fatalf("%s made %s", args[0], db)
		}
	}
}

// demo empties only a folder it made: a folder with someone's files in it
// is refused and left as it was.
func TestDemoRefusesSomeoneElsesFolder(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	os.WriteFile(precious, []byte("keep me"), 0o644)
	code, _, e := runCmd(t, "demo", "--dir", dir)
	if code == 0 || !strings.Contains(e, "不是空的") {
		t.Errorf("exit %d %s", code, e)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "keep me" {
		t.Error("the demo deleted someone's file")
	}
}

// --version and -h answer on stdout and exit 0; run-job -h names the jobs;
// --city takes a name as well as a code, and an unknown one is a usage error.
func TestVersionHelpAndCityNames(t *testing.T) {
	if code, out, _ := runCmd(t, "--version"); code != 0 || !strings.HasPrefix(out, "flexemp ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "-h"); code != 0 || !strings.Contains(out, "用法：flexemp 命令") || !strings.Contains(out, "数据核查") {
		t.Errorf("-h: exit %d %q", code, out)
	}
	if code, _, e := runCmd(t, "run-job", "-h"); code != 0 || !strings.Contains(e, "inbox（收件目录入库）") || !strings.Contains(e, "-period") {
		t.Errorf("run-job -h: exit %d %q", code, e)
	}
	if code, _, e := runCmd(t, "rank", "-h"); code != 0 || !strings.Contains(e, "考核期") {
		t.Errorf("rank -h: exit %d %q", code, e)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	t.Setenv("FLEXEMP_ID_KEY", "city-names-test-key-0123")
	if code, _, e := runCmd(t, "ingest", "--db", db, "--city", "沈阳", "--kind", "registrations", "--month", "2024-03", filepath.Join(testdata, "registrations_gbk.csv")); code != 0 {
		t.Fatal(e)
	}
	if code, out, _ := runCmd(t, "uploads", "--db", db, "--city", "沈阳市"); code != 0 || !strings.Contains(out, "registrations_gbk.csv") {
		t.Errorf("uploads --city 沈阳市: exit %d %q", code, out)
	}
	if code, _, e := runCmd(t, "uploads", "--db", db, "--city", "北京"); code != 2 || !strings.Contains(e, "不是辽宁省的城市") {
		t.Errorf("an unknown city: exit %d %q", code, e)
	}
}

// Every command's help is Chinese, flag by flag (the flags' names stay
// English), and asking for it is no error.
func TestHelpInChinese(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	for name := range commands {
		code, out, e := runCmd(t, name, "-h")
		if code != 0 {
			t.Errorf("%s -h: exit %d", name, code)
		}
		for _, line := range strings.Split(out+e, "\n") {
			if strings.HasPrefix(line, "    \t") && (!han.MatchString(line) || strings.Contains(line, "(default")) {
				t.Errorf("%s: a flag's help is not Chinese: %q", name, strings.TrimSpace(line))
			}
		}
	}
	if code, _, e := runCmd(t, "ingest", "--db", filepath.Join(t.TempDir(), "missing", "x.db"), "--city", "210100", "--kind", "registrations", "x.csv"); code != 1 ||
		!strings.Contains(e, "数据库所在目录") || strings.Contains(e, "IO Error") {
		t.Errorf("a database in a missing folder: exit %d %s", code, e)
	}
	if code, out, _ := runCmd(t, "--version"); code != 0 || !strings.HasPrefix(out, "flexemp ") {
		t.Errorf("--version: %d %q", code, out)
	}
}

// cmd/flexemp only wires: its non-test lines, comments aside, stay at
// 1,400 or fewer; what grows beyond belongs beside what it serves (app,
// internal/cli, the stages).
func TestCommandOnlyWires(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "//") {
				lines++
			}
		}
	}
	if lines > 1400 {
		t.Errorf("cmd/flexemp holds %d non-test lines, more than 1,400", lines)
	}
}
