package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp/transform"

	"github.com/xuri/excelize/v2"
)

// ranking.xlsx read back agrees with `rank --format json` cell by cell, and
// is formatted for reading: frozen header, widths, shares as percentages.
func TestReportWorkbookMatchesRankJSON(t *testing.T) {
	db := filepath.Join(sharedDemo(t), "flexemp.db")
	if code, _, e := runCmd(t, "assess", "--db", db, "--period", "2024"); code != 0 {
		t.Fatal(e)
	}
	out := t.TempDir()
	if code, stdout, e := runCmd(t, "report", "--db", db, "--period", "2024", "--out", out); code != 0 || stdout == "" {
		t.Fatalf("report: exit %d %s", code, e)
	}
	_, rankJSON, _ := runCmd(t, "rank", "--db", db, "--period", "2024", "--format", "json")
	var r struct {
		Cities []struct {
			Code, Name, Grade string
			Rank              *int
			Index             *float64
			RankInterval      *[2]int `json:"rank_interval"`
			Priority          bool
			Indicators        map[string]*float64
		}
	}
	if err := json.Unmarshal([]byte(rankJSON), &r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(out, "ranking.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Every sheet prints on A4 landscape, one page wide, its header row
	// repeated, titled and numbered.
	titles := map[string]string{}
	for _, n := range f.GetDefinedName() {
		if n.Name == "_xlnm.Print_Titles" {
			titles[n.Scope] = n.RefersTo
		}
	}
	for _, sheet := range f.GetSheetList() {
		l, err := f.GetPageLayout(sheet)
		hf, _ := f.GetHeaderFooter(sheet)
		props, _ := f.GetSheetProps(sheet)
		if err != nil || *l.Size != 9 || *l.Orientation != "landscape" || *l.FitToWidth != 1 || *l.FitToHeight != 0 ||
			props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s prints as %+v (fit %v): %v", sheet, l, props.FitToPage, err)
		}
		if titles[sheet] != "'"+sheet+"'!$1:$1" || !strings.Contains(hf.OddHeader, "2024") || !strings.Contains(hf.OddFooter, "&P") {
			t.Errorf("%s: print titles %q, header %q, footer %q", sheet, titles[sheet], hf.OddHeader, hf.OddFooter)
		}
	}
	rows, err := f.GetRows("排名", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Cities)+1 || len(r.Cities) != 14 {
		t.Fatalf("%d rows for %d cities", len(rows), len(r.Cities))
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%q is not a number", s)
		}
		return v
	}
	for i, c := range r.Cities {
		row := rows[i+1]
		yes := map[bool]string{true: "是", false: "否"}[c.Priority]
		if row[1] != c.Name || row[2] != c.Code || row[7] != c.Grade || row[8] != yes ||
			int(num(row[0])) != *c.Rank || num(row[3]) != *c.Index ||
			int(num(row[4])) != c.RankInterval[0] || int(num(row[5])) != c.RankInterval[1] {
			t.Errorf("row %d %v, JSON %+v", i+2, row[:9], c)
		}
	}
	ind, err := f.GetRows("指标", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	column := map[string]int{} // indicator ID → column, from the header (I3 城市… as written)
	for j, h := range ind[0] {
		if id, _, ok := strings.Cut(h, " "); ok && strings.HasPrefix(id, "I") {
			column[id] = j
		}
	}
	if len(column) != len(r.Cities[0].Indicators) {
		t.Fatalf("workbook indicators %v, JSON %v", column, r.Cities[0].Indicators)
	}
	for i, c := range r.Cities {
		for id, j := range column {
			want, ok := c.Indicators[id]
			if !ok {
				t.Errorf("%s: the workbook has %s, the JSON not", c.Name, id)
			}
			cell := ""
			if row := ind[i+1]; len(row) > j {
				cell = row[j]
			}
			if want == nil && cell != "" || want != nil && math.Abs(num(cell)-*want) > 1e-12 {
				t.Errorf("%s %s: workbook %q, JSON %v", c.Name, id, cell, want)
			}
		}
	}
	// Formatting: frozen header, set widths, shares shown as 0.0%.
	for _, sheet := range []string{"排名", "指标", "补贴违规", "数据报送"} {
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header not frozen (%+v, %v)", sheet, panes, err)
		}
	}
	if w, _ := f.GetColWidth("排名", "B"); w != 10 {
		t.Errorf("city column width %v", w)
	}
	styleID, _ := f.GetCellStyle("指标", "D2") // I2, a share
	style, err := f.GetStyle(styleID)
	if err != nil || style.CustomNumFmt == nil || *style.CustomNumFmt != "0.0%" {
		t.Errorf("I2 cell style %+v %v", style, err)
	}
	shown, _ := f.GetCellValue("指标", "D2")
	if want := strconv.FormatFloat(*r.Cities[0].Indicators["I2"]*100, 'f', 1, 64) + "%"; shown != want {
		t.Errorf("I2 shows %q, want %q", shown, want)
	}
}

// The demo runs the whole product: every year and quarter assessed, the
// latest year's report written, a five-line ranking printed; a second run
// starts clean and says the same.
func TestDemoEndToEnd(t *testing.T) {
	dir := sharedDemo(t)
	first := demoOnce.out
	report := filepath.Join(dir, "report", "report.html")
	if !strings.Contains(first, "报告："+report) {
		t.Errorf("demo output does not name %s:\n%s", report, first)
	}
	if _, err := os.Stat(filepath.Join(dir, "report", "ranking.xlsx")); err != nil {
		t.Error(err)
	}
	// The generator's planted withholding shows: 锦州 sent no services in 2025Q2.
	if !strings.Contains(first, "2025年第2季度：锦州市 未报送 I6") {
		t.Errorf("the demo does not show 锦州's 未报送:\n%s", first)
	}
	summary := strings.Split(strings.TrimSpace(first[strings.Index(first, "报告："):]), "\n")[1:]
	if len(summary) != 8 || !strings.Contains(summary[0], "草稿（未公示，不作为考核结果）") || !strings.Contains(summary[0], "flexemp publication") ||
		summary[1] != "" || !strings.Contains(summary[5], "从略") || !strings.HasPrefix(summary[7], "2025年：") {
		t.Errorf("summary %q", summary)
	}
	db, err := transform.Open(context.Background(), filepath.Join(dir, "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	var periods, uploads int
	db.QueryRow(`SELECT count(DISTINCT period) FROM assessment_runs`).Scan(&periods)
	db.QueryRow(`SELECT count(*) FROM uploads`).Scan(&uploads)
	db.Close()
	if periods != 10 {
		t.Errorf("%d periods assessed, want 2 years and 8 quarters", periods)
	}
	code, second, e := runCmd(t, "demo", "--dir", dir, "--seed", "3")
	if code != 0 {
		t.Fatal(e)
	}
	strip := regexp.MustCompile(`用时 [0-9.]+ 秒`)
	if strip.ReplaceAllString(second, "") != strip.ReplaceAllString(first, "") {
		t.Errorf("a second demo says otherwise:\n%s\nthen\n%s", first, second)
	}
	db, err = transform.Open(context.Background(), filepath.Join(dir, "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var again int
	db.QueryRow(`SELECT count(*) FROM uploads`).Scan(&again)
	if again != uploads {
		t.Errorf("%d uploads after a second demo, %d after the first", again, uploads)
	}
}
