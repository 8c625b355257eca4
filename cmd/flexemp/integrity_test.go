package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/transform"
)

// On the demo, every integrity check finds exactly the cases the generator
// planted (its manifest names them) and nothing in any other city; the
// report, ranking.xlsx and every format of `integrity` show them; and no
// output holds a resident ID or a pseudonym.
func TestIntegrityFindsThePlanted(t *testing.T) {
	dir := sharedDemo(t)
	db := filepath.Join(dir, "flexemp.db")
	b, err := os.ReadFile(filepath.Join(dir, "data", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man gen.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Planted) != len(gen.Plants) {
		t.Fatalf("planted %+v", man.Planted)
	}
	// What each period must show: the planted cases of the periods each
	// shows in, and the other checks a case trips, each city and check
	// once.
	want := map[string][]string{}
	for _, pl := range man.Planted {
		for _, p := range pl.Periods {
			want[p.String()] = append(want[p.String()], pl.City+" "+pl.Check)
			if pl.Other != "" {
				want[p.String()] = append(want[p.String()], pl.Other+" "+pl.Check)
			}
		}
		for _, a := range pl.Also {
			want[a.Period.String()] = append(want[a.Period.String()], pl.City+" "+a.Check)
		}
	}
	var outputs []string
	tables := map[string]string{}
	for _, p := range []string{"2024", "2025", "2025Q1", "2025Q2", "2025Q3", "2025Q4"} {
		code, out, e := runCmd(t, "integrity", "--db", db, "--period", p, "--format", "json")
		if code != 0 {
			t.Fatal(e)
		}
		var got struct {
			Findings []struct {
				City, Check string
				Evidence    []map[string]any
			}
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, f := range got.Findings {
			found = append(found, f.City+" "+f.Check)
			if len(f.Evidence) == 0 {
				t.Errorf("%s %s %s: no evidence", p, f.City, f.Check)
			}
		}
		sort.Strings(found)
		sort.Strings(want[p])
		found, want[p] = slices.Compact(found), slices.Compact(want[p])
		if strings.Join(found, ",") != strings.Join(want[p], ",") {
			t.Errorf("%s: found %v, planted %v", p, found, want[p])
		}
		outputs = append(outputs, out)
		for _, format := range []string{"table", "csv"} {
			_, out, _ := runCmd(t, "integrity", "--db", db, "--period", p, "--format", format)
			outputs = append(outputs, out)
			if format == "table" {
				tables[p] = out
			}
		}
	}
	table := tables["2025"]
	for _, w := range []string{"K1 跨市重复登记", "K4 月度数量突增", "K5 季末集中登记", "K6 汇总数与明细不符", "K7 截止后修改数据", "K8 办结时长突变",
		"第5–7个工作日", "K9 空报", "K10 补贴发放记录前后不一", "此前一笔：上传", "省级财务台账", "另在大连市"} {
		if !strings.Contains(table, w) {
			t.Errorf("integrity --period 2025 does not say %q:\n%s", w, table)
		}
	}
	// The report of 2025 shows them, and its workbook has them; --pdf
	// prints it too.
	out := t.TempDir()
	if code, _, e := runCmd(t, "report", "--db", db, "--period", "2025", "--out", out, "--pdf"); code != 0 {
		t.Fatal(e)
	}
	if pdf, _ := os.ReadFile(filepath.Join(out, "report.pdf")); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Error("report --pdf wrote no PDF")
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	for _, w := range []string{"数据核查", "K7 截止后修改数据", "营口市 · K7", "辽阳市 · K5", "鞍山市 · K6", "大连市 · K8", "大连市 · K9", "使用真实有效身份证号虚构的人员",
		"职业技能等级证书", "截止后首次报送的版本"} {
		if !strings.Contains(string(html), w) {
			t.Errorf("the report does not show %q", w)
		}
	}
	x, err := excelize.OpenFile(filepath.Join(out, "ranking.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("数据核查")
	x.Close()
	if len(rows) < 1+3+3+1+1+1+1 {
		t.Errorf("数据核查 sheet: %d rows", len(rows))
	}
	outputs = append(outputs, string(html))
	// No resident ID and no pseudonym anywhere.
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var pseudonyms []string
	r, _ := sqlDB.Query(`SELECT DISTINCT person_id FROM registrations WHERE id_masked IN (SELECT id_masked FROM integrity_evidence)`)
	for r.Next() {
		var s string
		r.Scan(&s)
		pseudonyms = append(pseudonyms, s)
	}
	r.Close()
	sqlDB.Close()
	if len(pseudonyms) == 0 {
		t.Fatal("no pseudonyms behind the evidence: the check below proves nothing")
	}
	id := regexp.MustCompile(`\d{17}[\dXx]`)
	for _, o := range outputs {
		if m := id.FindString(o); m != "" && validID(m) {
			t.Errorf("an output shows a resident ID %s", flexemp.MaskID(m))
		}
		for _, ps := range pseudonyms {
			if strings.Contains(o, ps) {
				t.Fatal("an output shows a pseudonym")
			}
		}
	}
}

func validID(s string) bool {
	_, reason := flexemp.ParseID(s)
	return reason == ""
}
