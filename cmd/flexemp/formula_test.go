package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp/gen"
)

// Cells a city's file carried that Excel or WPS would run as formulas come
// back from `rejects --out FILE.csv` as text (a leading apostrophe), and
// from FILE.xlsx as plain strings, never formulas.
func TestRejectsNeverCarryFormulas(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	t.Setenv("FLEXEMP_ID_KEY", "")
	config := filepath.Join(dir, "flexemp.toml")
	os.WriteFile(config, []byte("[ingest]\nreject_ratio = 1.0\n"), 0o644)
	hostile := []string{`=HYPERLINK("http://evil.example","点此")`, `+1+cmd|' /C calc'!A0`, `-2+3`, `@SUM(1+1)`, "\t=1+1"}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"公民身份号码", "行政区划代码", "登记类型", "就业形式", "人员类别", "申请日期", "办结日期", "办理渠道"})
	for i, cell := range hostile {
		id := gen.ID("210102", time.Date(1990, 1, 1+i, 0, 0, 0, 0, time.UTC), i, true)
		w.Write([]string{id, "210102", "灵活就业登记", "新就业形态", "其他", "2024-03-05", "2024-03-05", cell})
	}
	w.Write([]string{gen.ID("210102", time.Date(1991, 1, 1, 0, 0, 0, 0, time.UTC), 9, true), "210102", "灵活就业登记", "新就业形态", "其他", "2024-03-05", "2024-03-05", "线上"})
	w.Flush()
	src := filepath.Join(dir, "hostile.csv")
	os.WriteFile(src, b.Bytes(), 0o644)
	if code, out, e := runCmd(t, "ingest", "--config", config, "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03", src); code != 0 {
		t.Fatalf("ingest: exit %d %s %s", code, out, e)
	}
	out := filepath.Join(dir, "rej.csv")
	if code, _, e := runCmd(t, "rejects", "--db", db, "--upload", "1", "--out", out); code != 0 {
		t.Fatal(e)
	}
	raw, _ := os.ReadFile(out)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]bool{}
	for _, r := range recs[1:] {
		values[r[2]] = true
	}
	// Ingest trims the cells it reads ("\t=1+1" is stored as "=1+1").
	for _, cell := range hostile {
		if !values["'"+strings.TrimSpace(cell)] {
			t.Errorf("rej.csv: %q not written as text; values %v", cell, values)
		}
	}
	xlsx := filepath.Join(dir, "rej.xlsx")
	if code, _, e := runCmd(t, "rejects", "--db", db, "--upload", "1", "--out", xlsx); code != 0 {
		t.Fatal(e)
	}
	x, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows("被拒行")
	found := 0
	for i, r := range rows[1:] {
		cell, _ := excelize.CoordinatesToCellName(3, i+2)
		if f, _ := x.GetCellFormula("被拒行", cell); f != "" {
			t.Errorf("rej.xlsx %s is a formula: %q", cell, f)
		}
		for _, h := range hostile {
			if len(r) > 2 && r[2] == strings.TrimSpace(h) {
				found++
			}
		}
	}
	if found != len(hostile) {
		t.Errorf("rej.xlsx shows %d of the %d cells as the city wrote them: %q", found, len(hostile), rows)
	}
}
