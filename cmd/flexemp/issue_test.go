package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/transform"
	"github.com/xuri/excelize/v2"
)

// shownRank is what `rank --format json` prints, in part.
type shownRank struct {
	State  string      `json:"state"`
	SHA256 string      `json:"sha256"`
	Cities []shownCity `json:"cities"`
}

type shownCity struct {
	Code         string              `json:"code"`
	Name         string              `json:"name"`
	Index        *float64            `json:"index"`
	RankInterval *[2]int             `json:"rank_interval"`
	Indicators   map[string]*float64 `json:"indicators"`
}

// i1 is a city's I1 in the ranking.
func (r shownRank) i1(t *testing.T, code string) float64 {
	for _, c := range r.Cities {
		if c.Code == code && c.Indicators["I1"] != nil {
			return *c.Indicators["I1"]
		}
	}
	t.Fatalf("no I1 for %s", code)
	return 0
}

// minimalPDF is the smallest document laid out as a PDF: header, an
// object, the cross-reference and the end-of-file marker.
const minimalPDF = "%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer <</Size 2 /Root 1 0 R>>\nstartxref\n42\n%%EOF\n"

// rankOf is `rank --format json` of a period in a state ("" for the
// default), with the exit code.
func rankOf(t *testing.T, db, period, state string) (r shownRank, raw string, code int) {
	t.Helper()
	args := []string{"rank", "--db", db, "--period", period, "--format", "json"}
	if state != "" {
		args = append(args, "--state", state)
	}
	code, raw, _ = runCmd(t, args...)
	if code == 0 {
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatal(err)
		}
	}
	return r, raw, code
}

// The issuing workflow on the command line, as an operator records steps
// taken on paper (--at): publish, a refused second publication, an
// objection with a corrected extract and a PDF, one after the window,
// finalising refused inside the window and with the objection undecided,
// the decision, the final; the final's I1 for the city is the corrected
// extract's, the publication's is not; verify recomputes both; a later
// upload and reassessment change neither's bytes; the audit trail keeps
// the stated times.
func TestIssuingOnTheCommandLine(t *testing.T) {
	t.Parallel()
	dir, db := demoCopy(t)
	config := filepath.Join(sharedDemo(t), "flexemp.toml")
	step := func(want int, args ...string) string {
		t.Helper()
		code, out, e := runCmd(t, args...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d: %s%s", args, code, want, out, e)
		}
		return out + e
	}
	step(0, "assess", "--config", config, "--db", db, "--period", "2025Q2", "--as-of", "2025-06-30", "--draws", "200")
	if out := step(1, "publish", "--db", db, "--period", "2025Q2"); !strings.Contains(out, "尚未结束") {
		t.Errorf("a running period published: %s", out)
	}
	step(0, "assess", "--config", config, "--db", db, "--period", "2025Q2", "--as-of", "2025-07-20", "--draws", "200")
	// A backfill received before the as-of date, recorded after the draft:
	// the draft is stale until reassessed.
	src := filepath.Join(sharedDemo(t), "data", "210200", "registrations", "210200_registrations_2025-04.csv")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	backfill := filepath.Join(dir, "backfill.csv")
	os.WriteFile(backfill, []byte(strings.Join(lines[:len(lines)-2], "")), 0o600)
	step(0, "ingest", "--db", db, "--city", "210200", "--kind", "registrations", "--month", "2025-04", "--received-at", "2025-07-15T10:00:00+08:00", backfill)
	if out := step(1, "publish", "--db", db, "--period", "2025Q2"); !strings.Contains(out, "已过期") {
		t.Errorf("a stale draft published: %s", out)
	}
	step(0, "assess", "--config", config, "--db", db, "--period", "2025Q2", "--as-of", "2025-07-20", "--draws", "200")
	draft, _, _ := rankOf(t, db, "2025Q2", "")
	if draft.State != "draft" || draft.SHA256 != "" {
		t.Errorf("before publication rank shows %q %q", draft.State, draft.SHA256)
	}
	// Monday 21 July 2025: five working days end on Monday the 28th.
	out := step(0, "publish", "--db", db, "--period", "2025Q2", "--at", "2025-07-21T10:00:00+08:00")
	if !strings.Contains(out, "异议期至 2025年7月28日 24:00 截止") {
		t.Errorf("publish: %s", out)
	}
	if out := step(1, "publish", "--db", db, "--period", "2025Q2"); !strings.Contains(out, "请先撤回") {
		t.Errorf("a second publication: %s", out)
	}
	published, publishedJSON, _ := rankOf(t, db, "2025Q2", "")
	if published.State != "published" || len(published.SHA256) != 64 {
		t.Fatalf("after publication rank shows %q %q", published.State, published.SHA256)
	}

	// 大连's April registrations corrected: 30 rows fewer.
	fix := filepath.Join(dir, "fix.csv")
	os.WriteFile(fix, []byte(strings.Join(lines[:len(lines)-31], "")), 0o600)
	pdf := filepath.Join(dir, "evidence.pdf")
	os.WriteFile(pdf, []byte(minimalPDF), 0o600)
	fake := filepath.Join(dir, "evidence.png")
	os.WriteFile(fake, []byte("MZ not a picture"), 0o600)
	if out := step(1, "object", "--db", db, "--period", "2025Q2", "--city", "210200", "--subject", "I1", "--statement", "附件不是图片",
		"--doc", fake, "--at", "2025-07-22T09:00:00+08:00"); !strings.Contains(out, "不是 PDF、JPG、PNG 或 XLSX") {
		t.Errorf("a document that is no picture: %s", out)
	}
	// The version in force sent again is no correction.
	if out := step(1, "object", "--db", db, "--period", "2025Q2", "--city", "大连", "--subject", "I1", "--statement", "更正",
		"--upload", backfill, "--kind", "registrations", "--month", "2025-04", "--at", "2025-07-22T08:00:00+08:00"); !strings.Contains(out, "与现行版本相同") {
		t.Errorf("a correction the same as the version in force: %s", out)
	}
	step(0, "object", "--db", db, "--period", "2025Q2", "--city", "大连", "--subject", "I1", "--subject", "其他",
		"--statement", "4月登记数据含重复行（如 210202199001011234），现报送更正数据", "--upload", fix, "--kind", "registrations", "--month", "2025-04",
		"--doc", pdf, "--at", "2025-07-22T09:00:00+08:00")
	out = step(0, "objections", "--db", db, "--period", "2025Q2", "--format", "json")
	if strings.Contains(out, "210202199001011234") || !strings.Contains(out, "现报送更正数据") {
		t.Errorf("an ID number in a statement is kept: %s", out)
	}
	// The undecided objection carries its preview: the rows it removes, and
	// 大连's I1 as published without it, lower with it.
	var listed []issuing.ObjectionPreview
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 1 || listed[0].Preview == nil {
		t.Fatalf("objections --format json: %v %s", err, out)
	}
	if pv := listed[0].Preview; pv.Rows == nil || pv.Rows.Added != 0 || pv.Rows.Changed != 0 || pv.Rows.Removed == 0 ||
		pv.Rows.Before-pv.Rows.After != pv.Rows.Removed || *pv.Without.Indicators["I1"] != published.i1(t, "210200") ||
		!(*pv.With.Indicators["I1"] < *pv.Without.Indicators["I1"]) {
		t.Errorf("the preview: %+v %+v", pv.Rows, pv.With.Indicators["I1"])
	}
	if out := step(1, "object", "--db", db, "--period", "2025Q2", "--city", "210300", "--subject", "I2", "--statement", "逾期",
		"--at", "2025-07-29T00:00:01+08:00"); !strings.Contains(out, "异议期已于 2025年7月28日 24:00 截止") {
		t.Errorf("an objection after the window: %s", out)
	}
	if out := step(1, "finalise", "--db", db, "--period", "2025Q2", "--at", "2025-07-25T10:00:00+08:00"); !strings.Contains(out, "尚未结束") {
		t.Errorf("finalised inside the window: %s", out)
	}
	if out := step(1, "finalise", "--db", db, "--period", "2025Q2", "--at", "2025-07-30T10:00:00+08:00"); !strings.Contains(out, "1 件异议未处理") {
		t.Errorf("finalised with an objection undecided: %s", out)
	}
	// A step cannot be dated ahead of the clock, nor an assessment.
	ahead := time.Now().Add(6 * 24 * time.Hour).Format(time.RFC3339)
	if out := step(1, "finalise", "--db", db, "--period", "2025Q2", "--at", ahead); !strings.Contains(out, "晚于当前时间") {
		t.Errorf("finalise dated ahead: %s", out)
	}
	if out := step(1, "assess", "--config", config, "--db", db, "--period", "2025Q2", "--as-of", time.Now().AddDate(0, 0, 3).Format("2006-01-02")); !strings.Contains(out, "晚于今天") {
		t.Errorf("assess as of a day to come: %s", out)
	}
	step(2, "decide", "--db", db, "--objection", "1", "--accept", "--reject", "--reason", "x")
	if out := step(1, "decide", "--db", db, "--objection", "1", "--accept", "--reason", " "); !strings.Contains(out, "须说明理由") {
		t.Errorf("a decision without a reason: %s", out)
	}
	step(0, "decide", "--db", db, "--objection", "1", "--accept", "--reason", "经核实，原数据含重复登记", "--at", "2025-07-30T09:00:00+08:00")

	// kill -9 while finalise prints its PDF: nothing of the final is kept —
	// no run, no results, no files, no record — the draft and the
	// publication read as before, the trail verifies, and finalise runs again.
	draftBefore, _, _ := rankOf(t, db, "2025Q2", "draft")
	env, printing := hangingBrowser(t, dir)
	killed(t, env, printing, "finalise", "--db", db, "--period", "2025Q2", "--at", "2025-07-30T10:00:00+08:00")
	if after, _, _ := rankOf(t, db, "2025Q2", "draft"); after.i1(t, "210200") != draftBefore.i1(t, "210200") {
		t.Errorf("after a killed finalise the draft's I1 of 大连 is %v, was %v", after.i1(t, "210200"), draftBefore.i1(t, "210200"))
	}
	if still, stillJSON, _ := rankOf(t, db, "2025Q2", ""); still.State != "published" || stillJSON != publishedJSON {
		t.Errorf("after a killed finalise rank shows %q", still.State)
	}
	if code, out, e := runCmd(t, "audit", "verify", "--db", db); code != 0 {
		t.Errorf("audit verify after a killed finalise: exit %d %s%s", code, out, e)
	}
	if n := count(t, db, `SELECT (SELECT count(*) FROM finals) + (SELECT count(*) FROM assessment_runs WHERE publication_id IS NOT NULL)
		+ (SELECT count(*) FROM issued_files WHERE stage = 'final') + (SELECT count(*) FROM audit_log WHERE action = 'finalise' AND outcome = 'ok')`); n != 0 {
		t.Errorf("a killed finalise left %d rows of a final", n)
	}
	step(0, "finalise", "--db", db, "--period", "2025Q2", "--at", "2025-07-30T10:00:00+08:00")

	final, finalJSON, _ := rankOf(t, db, "2025Q2", "")
	again, againJSON, _ := rankOf(t, db, "2025Q2", "published")
	if final.State != "final" || again.SHA256 != published.SHA256 || againJSON != publishedJSON {
		t.Fatalf("after 定稿: %q, the publication %q (was %q)", final.State, again.SHA256, published.SHA256)
	}
	if final.i1(t, "210200") >= published.i1(t, "210200") || final.i1(t, "210100") != published.i1(t, "210100") {
		t.Errorf("I1: 大连 %v → %v, 沈阳 %v → %v: the correction should lower 大连's alone",
			published.i1(t, "210200"), final.i1(t, "210200"), published.i1(t, "210100"), final.i1(t, "210100"))
	}

	// What is stored is what the hashes say, and stays so after a later
	// upload and reassessment.
	var finalReport string
	stored := func() map[string]string {
		sqlDB, err := transform.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer sqlDB.Close()
		rows, err := sqlDB.Query(`SELECT stage || '/' || name, sha256, content FROM issued_files`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, h string
			var content []byte
			rows.Scan(&name, &h, &content)
			sum := sha256.Sum256(content)
			if hex.EncodeToString(sum[:]) != h {
				t.Errorf("%s: stored hash %s is not its bytes'", name, h)
			}
			if name == "final/report.html" {
				finalReport = string(content)
			}
			if name == "final/report.html" && (!strings.Contains(string(content), "异议处理情况") || !strings.Contains(string(content), "经核实，原数据含重复登记") ||
				!strings.Contains(string(content), "I1 ")) {
				t.Error("the final report has no appendix with the decision and the changed I1")
			}
			if name == "published/report.html" && !strings.Contains(string(content), "公示稿（第1版）") {
				t.Error("the published report does not say 公示稿")
			}
			if name == "published/notice.html" && (!strings.Contains(string(content), "2025年7月28日 24:00") || !strings.Contains(string(content), "辽宁省人力资源和社会保障厅") ||
				strings.Count(string(content), "<tr>") != 15) {
				t.Error("the 公示通知 lacks the window's end, the office or the table of 14 cities")
			}
			if name == "published/notice.pdf" && len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(content, -1)) != 1 {
				t.Error("the 公示通知 prints on more than one page")
			}
			out[name] = h
		}
		return out
	}
	before := stored()
	if len(before) != 10 || before["published/rank.json"] != published.SHA256 || before["final/rank.json"] != final.SHA256 {
		t.Fatalf("stored files %v", before)
	}
	// The final's appendix explains every other city whose rank interval
	// the correction moved, in the report and in the workbook's sheet.
	finalFiles := filepath.Join(dir, "issued-final")
	for _, c := range published.Cities {
		j := slices.IndexFunc(final.Cities, func(f shownCity) bool { return f.Code == c.Code })
		a, b := c.RankInterval, final.Cities[j].RankInterval
		if c.Code == "210200" || a == nil || b == nil || *a == *b {
			continue
		}
		if want := fmt.Sprintf("名次区间 %d–%d → %d–%d", a[0], a[1], b[0], b[1]); !strings.Contains(finalReport, want) {
			t.Errorf("the final's appendix does not say %s moved: %s", c.Name, want)
		}
	}
	// The issued files are written as stored, each with the hash a reader
	// checks it against with sha256sum.
	for stage, flags := range map[string][]string{"final": {"--final"}, "published": nil} {
		out := filepath.Join(dir, "issued-"+stage)
		listed := step(0, append([]string{"publication", "--db", db, "--period", "2025Q2", "--out", out}, flags...)...)
		for _, name := range []string{"rank.json", "report.html", "ranking.xlsx", "report.pdf"} {
			b, err := os.ReadFile(filepath.Join(out, name))
			sum := sha256.Sum256(b)
			if err != nil || hex.EncodeToString(sum[:]) != before[stage+"/"+name] || !strings.Contains(listed, before[stage+"/"+name]+"  ") {
				t.Errorf("publication %s: %s: %v, listed %s", stage, name, err, listed)
			}
		}
	}
	x, err := excelize.OpenFile(filepath.Join(finalFiles, "ranking.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := x.GetRows("异议处理情况"); err != nil || len(rows) < 2 || !slices.Contains(rows[1], "经核实，原数据含重复登记") {
		t.Errorf("the final's workbook has no appendix sheet: %v %v", err, rows)
	}
	x.Close()
	step(0, "ingest", "--db", db, "--city", "210200", "--kind", "registrations", "--month", "2025-04", src)
	step(0, "assess", "--config", config, "--db", db, "--period", "2025Q2", "--draws", "300")
	after := stored()
	for name, h := range before {
		if after[name] != h {
			t.Errorf("%s changed after a later upload and assessment", name)
		}
	}
	if r, raw, _ := rankOf(t, db, "2025Q2", ""); r.SHA256 != final.SHA256 || raw != finalJSON {
		t.Error("rank shows another final after a later assessment")
	}
	if r, _, _ := rankOf(t, db, "2025Q2", "draft"); r.State != "draft" || r.i1(t, "210200") != final.i1(t, "210200") {
		// The admitted correction counts in a later draft as in the final;
		// the city's later upload of the old extract does not.
		t.Errorf("rank --state draft: %q, 大连 I1 %v against the final's %v", r.State, r.i1(t, "210200"), final.i1(t, "210200"))
	}

	// A revision after 定稿 needs a reason; while it stands the final is
	// 已修订; withdrawn, the final stands again.
	if out := step(1, "publish", "--db", db, "--period", "2025Q2"); !strings.Contains(out, "修订") {
		t.Errorf("a revision without a reason: %s", out)
	}
	if out := step(0, "publish", "--db", db, "--period", "2025Q2", "--reason", "大连4月数据再次更正"); !strings.Contains(out, "第2版") {
		t.Errorf("the revision: %s", out)
	}
	if r, _, _ := rankOf(t, db, "2025Q2", ""); r.State != "published" || r.SHA256 == final.SHA256 {
		t.Errorf("while the revision is open rank shows %q", r.State)
	}
	if _, _, code := rankOf(t, db, "2025Q2", "final"); code != 1 {
		t.Errorf("rank --state final while the final is revised: exit %d", code)
	}
	step(1, "withdraw", "--db", db, "--period", "2025Q2")
	step(0, "object", "--db", db, "--period", "2025Q2", "--city", "鞍山", "--subject", "I2", "--statement", "对修订稿有异议")
	step(0, "withdraw", "--db", db, "--period", "2025Q2", "--reason", "修订稿有误，撤回")
	// The objection left undecided closed with the withdrawal, its time and reason stated.
	var closed []issuing.ObjectionPreview
	out = step(0, "objections", "--db", db, "--period", "2025Q2", "--format", "json")
	if err := json.Unmarshal([]byte(out), &closed); err != nil || len(closed) != 2 || closed[1].Decision != issuing.Withdrawn ||
		closed[1].Reason != "修订稿有误，撤回" || closed[1].DecidedAt.IsZero() {
		t.Errorf("an objection after its publication's withdrawal: %v %s", err, out)
	}
	if r, _, _ := rankOf(t, db, "2025Q2", ""); r.SHA256 != final.SHA256 {
		t.Errorf("after the revision's withdrawal rank shows %q %s", r.State, r.SHA256)
	}

	out = step(0, "verify", "--db", db, "--period", "2025Q2")
	if strings.Count(out, "一致") != 3 || strings.Contains(out, "不一致") || !strings.Contains(out, "第2版公示稿（已撤回）") {
		t.Errorf("verify: %s", out)
	}
	out = step(0, "audit", "--db", db, "--format", "json")
	for _, want := range []string{`"action": "publish"`, `"action": "object"`, `"action": "decide"`, `"action": "finalise"`, `"action": "verify"`,
		`"stated_at": "2025-07-30T10:00:00+08:00"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit trail has no %s", want)
		}
	}
	// As people read it: actions, roles and outcomes in Chinese, a step
	// taken on paper with its stated time beside the real one.
	if table := step(0, "audit", "--db", db, "--action", "finalise"); !strings.Contains(table, "定稿") || !strings.Contains(table, "（记载为 2025-07-30 10:00）") ||
		!strings.Contains(table, "操作员") || !strings.Contains(table, "拒绝") {
		t.Errorf("audit as a table: %s", table)
	}
	step(0, "audit", "verify", "--db", db)
	if !regexp.MustCompile(`"outcome": "refused"`).MatchString(out) {
		t.Error("no refused step in the audit trail")
	}
}
