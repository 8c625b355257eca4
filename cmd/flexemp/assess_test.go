package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/transform"
)

// demo-sized province, assessed: rank --format json has SPEC's shape, is
// byte-identical across runs with the same data and seed, and follows the
// quality the generator gave the cities.
func TestAssessAndRankJSON(t *testing.T) {
	dir := sharedDemo(t)
	db := filepath.Join(dir, "flexemp.db")
	var outs []string
	for range 2 {
		if code, _, e := runCmd(t, "assess", "--config", filepath.Join(dir, "flexemp.toml"), "--db", db, "--period", "2024"); code != 0 {
			t.Fatal(e)
		}
		code, out, e := runCmd(t, "rank", "--db", db, "--period", "2024", "--format", "json")
		if code != 0 {
			t.Fatal(e)
		}
		outs = append(outs, out)
	}
	// Every step's value is kept beside the counts, for every city and indicator.
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var n, normalised, contributions int
	if err := sqlDB.QueryRow(`SELECT count(*), count(normalised), count(contribution) FROM indicator_values WHERE period = '2024'`).Scan(&n, &normalised, &contributions); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	// 2024's services are version 1: the five version-2 services indicators
	// are left out of its framework, and so is I11, whose window (the second
	// half of 2023) starts before anyone uploaded. I20 counts: the demo's
	// config names the province's funds table.
	if n != 14*(len(flexemp.Indicators)-6) || normalised != n || contributions != n {
		t.Errorf("indicator_values: %d rows, %d normalised, %d contributions", n, normalised, contributions)
	}
	if outs[0] != outs[1] {
		t.Error("rank --format json differs between two assessments of the same data")
	}
	var r struct {
		Period string
		AsOf   string `json:"as_of"`
		Cities []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(outs[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Period != "2024" || len(r.Cities) != 14 || r.AsOf != flexemp.DateOf(time.Now()).Format("2006-01-02") {
		t.Fatalf("period %q as of %q, %d cities", r.Period, r.AsOf, len(r.Cities))
	}
	var keys []string
	for k := range r.Cities[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"code", "dimensions", "flags", "grade", "index", "indicators", "name", "priority", "rank", "rank_interval"}
	if len(keys) != len(want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	var ind map[string]*float64
	json.Unmarshal(r.Cities[0]["indicators"], &ind)
	if len(ind) != 16 {
		t.Errorf("%d indicators", len(ind))
	}
	// The ranking follows the generator's city quality: Spearman's ρ over
	// the 14 cities, by the plain formula 1 − 6Σd²/(n(n²−1)).
	var man struct {
		Cities []struct {
			Code    string
			Quality float64
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "data", "manifest.json"))
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	sort.Slice(man.Cities, func(i, j int) bool { return man.Cities[i].Quality > man.Cities[j].Quality })
	qualityRank := map[string]int{}
	for i, c := range man.Cities {
		qualityRank[c.Code] = i + 1
	}
	var d2 float64
	for i, c := range r.Cities {
		var code string
		json.Unmarshal(c["code"], &code)
		d := float64(i + 1 - qualityRank[code])
		d2 += d * d
	}
	if rho := 1 - 6*d2/(14*(14*14-1)); rho < 0.9 {
		t.Errorf("ranking against generated quality: ρ = %.2f", rho)
	}
	if code, _, _ := runCmd(t, "rank", "--db", db, "--period", "2022Q2"); code != 1 {
		t.Error("ranking a period never assessed should fail")
	}
}

// assess --as-of: a running quarter is assessed on its due months and says
// so; a period with no month due is refused with a clear message.
func TestAssessAsOf(t *testing.T) {
	db := filepath.Join(sharedDemo(t), "flexemp.db")
	if code, out, e := runCmd(t, "assess", "--db", db, "--period", "2025Q2", "--as-of", "2025-06-20"); code != 0 || !strings.Contains(out, "截至 2025-06-20") {
		t.Fatalf("exit %d: %s%s", code, out, e)
	}
	_, out, _ := runCmd(t, "rank", "--db", db, "--period", "2025Q2", "--format", "json")
	var r struct {
		AsOf string `json:"as_of"`
	}
	if json.Unmarshal([]byte(out), &r); r.AsOf != "2025-06-20" {
		t.Errorf("as_of %q", r.AsOf)
	}
	if _, out, _ := runCmd(t, "explain", "--db", db, "--period", "2025Q2", "--city", "锦州"); !strings.Contains(out, "截至 2025-06-20") || !strings.Contains(out, "未报送") {
		t.Errorf("explain of 锦州, which sent no services in 2025Q2:\n%s", out)
	}
	code, _, e := runCmd(t, "assess", "--db", db, "--period", "2025Q3", "--as-of", "2025-07-05")
	if code != 1 || !strings.Contains(e, "尚无到期月份") {
		t.Errorf("a period with nothing due: exit %d, %s", code, e)
	}
	if code, _, _ := runCmd(t, "assess", "--db", db, "--period", "2025Q2", "--as-of", "2025/06/20"); code != 2 {
		t.Errorf("a malformed --as-of: exit %d, want 2", code)
	}
	// Leave the shared demo as the demo made it.
	if code, _, e := runCmd(t, "assess", "--db", db, "--period", "2025Q2"); code != 0 {
		t.Fatal(e)
	}
}
