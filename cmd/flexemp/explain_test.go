package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

var demoOnce struct {
	sync.Once
	dir string
	out string // what the demo printed
	err string
}

// sharedDemo is one demo province for the tests that only assess and read
// it: generated and ingested once per test binary, in a folder removed by
// TestMain.
func sharedDemo(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flexemp-demo-")
		if err != nil {
			demoOnce.err = err.Error()
			return
		}
		demoOnce.dir = dir
		code, out, e := runCmd(t, "demo", "--dir", filepath.Join(dir, "demo"), "--seed", "3")
		if code != 0 {
			demoOnce.err = e
		}
		demoOnce.out = out
	})
	if demoOnce.err != "" {
		t.Fatal(demoOnce.err)
	}
	return filepath.Join(demoOnce.dir, "demo")
}

func TestMain(m *testing.M) {
	// The test binary as flexemp itself, for a test that needs a second
	// process (serve holding the database's file lock).
	if args := os.Getenv("FLEXEMP_TEST_MAIN"); args != "" {
		var a []string
		json.Unmarshal([]byte(args), &a)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, a, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	// Another user's process that bound a database's admin socket first and
	// answers every command with its own "token".
	if sock := os.Getenv("FLEXEMP_TEST_FAKE_ADMIN"); sock != "" {
		os.Mkdir(filepath.Dir(sock), 0o777) // its folder first, in the folder everyone can write
		ln, err := net.Listen("unix", sock)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Chmod(sock, 0o777)
		fmt.Println("listening")
		http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"stdout":"fxe_attackers_token\n","code":0}`)
		}))
	}
	code := m.Run()
	if demoOnce.dir != "" {
		os.RemoveAll(demoOnce.dir)
	}
	os.Exit(code)
}

type explained struct {
	Period string
	City   struct {
		Code       string
		Rank       int
		Index      float64
		Dimensions map[string]float64
		Indicators []struct {
			ID           string
			Value        *float64
			Contribution *float64
		}
	}
	Leader struct{ Code string }
	Gaps   map[string]*float64
	Change struct {
		Previous   string
		IndexDelta *float64 `json:"index_delta"`
		RankDelta  *int     `json:"rank_delta"`
		Indicators map[string]*float64
	}
	Breaches []struct {
		UploadID int64 `json:"upload_id"`
		RowNo    int   `json:"row_no"`
	}
}

// explain reads back what assess stored, and every figure it shows is
// recomputed here from the stored tables by plain arithmetic.
func TestExplain(t *testing.T) {
	db := filepath.Join(sharedDemo(t), "flexemp.db")
	for _, p := range []string{"2024", "2025", "2024Q1"} {
		if code, _, e := runCmd(t, "assess", "--config", filepath.Join(filepath.Dir(db), "flexemp.toml"), "--db", db, "--period", p); code != 0 {
			t.Fatal(e)
		}
	}
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	contrib := func(period, city, id string) float64 {
		var v float64
		if err := sqlDB.QueryRow(`SELECT contribution FROM indicator_values WHERE period = ? AND city_code = ? AND indicator = ?`, period, city, id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var leader string
	sqlDB.QueryRow(`SELECT city_code FROM city_results WHERE period = '2025' AND rank = 1 ORDER BY city_code LIMIT 1`).Scan(&leader)
	breaching := 0
	for _, city := range []string{"210100", "210900", "211400"} {
		code, out, e := runCmd(t, "explain", "--db", db, "--period", "2025", "--city", city, "--format", "json")
		if code != 0 {
			t.Fatal(e)
		}
		var x explained
		if err := json.Unmarshal([]byte(out), &x); err != nil {
			t.Fatal(err)
		}
		if x.City.Code != city || x.Leader.Code != leader || len(x.City.Indicators) != len(flexemp.Indicators) {
			t.Fatalf("%s: city %s leader %s (want %s), %d indicators", city, x.City.Code, x.Leader.Code, leader, len(x.City.Indicators))
		}
		// Arithmetic aggregation: the contributions add up to the index.
		var sum float64
		for _, ind := range x.City.Indicators {
			sum += *ind.Contribution
			if g := x.Gaps[ind.ID]; g == nil || math.Abs(*g-(contrib("2025", leader, ind.ID)-contrib("2025", city, ind.ID))) > 1e-9 {
				t.Errorf("%s %s: gap %v", city, ind.ID, g)
			}
		}
		if math.Abs(sum-x.City.Index) > 1e-9 {
			t.Errorf("%s: contributions add to %v, index %v", city, sum, x.City.Index)
		}
		// Change against 2024, from the two stored results.
		var idx23, idx24 float64
		var rank23, rank24 int
		sqlDB.QueryRow(`SELECT index_value, rank FROM city_results WHERE period = '2024' AND city_code = ?`, city).Scan(&idx23, &rank23)
		sqlDB.QueryRow(`SELECT index_value, rank FROM city_results WHERE period = '2025' AND city_code = ?`, city).Scan(&idx24, &rank24)
		if x.Change.Previous != "2024" || x.Change.RankDelta == nil || *x.Change.RankDelta != rank23-rank24 ||
			math.Abs(*x.Change.IndexDelta-(math.Round(idx24*100)-math.Round(idx23*100))/100) > 1e-9 {
			t.Errorf("%s: change %+v; index %v → %v, rank %d → %d", city, x.Change, idx23, idx24, rank23, rank24)
		}
		// A value 未报送 (a month of trainings missing) has no change.
		var v23, v24 sql.NullFloat64
		sqlDB.QueryRow(`SELECT a.value, b.value FROM indicator_values a JOIN indicator_values b USING (city_code, indicator)
			WHERE a.period = '2024' AND b.period = '2025' AND city_code = ? AND indicator = 'I9'`, city).Scan(&v23, &v24)
		d := x.Change.Indicators["I9"]
		if both := v23.Valid && v24.Valid; both != (d != nil) || both && math.Abs(*d-(v24.Float64-v23.Float64)) > 1e-12 {
			t.Errorf("%s: I9 change %v, want %v − %v", city, d, v24, v23)
		}
		// The breaches listed are the payments I15 counts as not compliant.
		var num, den float64
		sqlDB.QueryRow(`SELECT numerator, denominator FROM indicator_values WHERE period = '2025' AND city_code = ? AND indicator = 'I15'`, city).Scan(&num, &den)
		payments := map[[2]int64]bool{}
		for _, b := range x.Breaches {
			payments[[2]int64{b.UploadID, int64(b.RowNo)}] = true
		}
		if float64(len(payments)) != den-num {
			t.Errorf("%s: %d breaching payments, I15 %v/%v", city, len(payments), num, den)
		}
		breaching += len(payments)
	}
	if breaching == 0 {
		t.Error("no breaches among the cities explained: the check above proved nothing")
	}
	code, out, e := runCmd(t, "explain", "--db", db, "--period", "2025", "--city", "沈阳")
	if code != 0 || !strings.Contains(out, "沈阳市（210100）考核说明：2025年\n") || !strings.Contains(out, "%") || !strings.Contains(out, "较上期（2024年）") || !strings.Contains(out, "补贴违规") {
		t.Errorf("explain table: exit %d\n%s%s", code, out, e)
	}
	// 2023Q4 was never assessed: 2024Q1 explains without a change.
	if code, out, _ := runCmd(t, "explain", "--db", db, "--period", "2024Q1", "--city", "210100"); code != 0 || !strings.Contains(out, "上期（2023年第4季度）尚未考核") {
		t.Errorf("2024Q1: exit %d\n%s", code, out)
	}
	if code, _, e := runCmd(t, "explain", "--db", db, "--period", "2023", "--city", "210100"); code != 1 || !strings.Contains(e, "尚未考核") {
		t.Errorf("a period never assessed: exit %d, %s", code, e)
	}
	if code, _, _ := runCmd(t, "explain", "--db", db, "--period", "2025", "--city", "999999"); code != 2 {
		t.Errorf("an unknown city: exit %d, want 2", code)
	}
}

// The operator's config changes the assessment without a rebuild: weights,
// aggregation, draws and seed, the graduate extension and a yearly
// population table; the config hash changes with it, and a bad setting is
// refused with where it is wrong.
func TestAssessConfig(t *testing.T) {
	db := filepath.Join(sharedDemo(t), "flexemp.db")
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("pop.csv", "city_code,year,population\n210100,2024,10000000\n210100,2023,1\n")
	cfg := write("flexemp.toml", `
[assess]
aggregation = "geometric"
draws = 200
seed = 9
[assess.dimension_weights]
"规模结构" = 40
"服务效能" = 10
"政策落实" = 10
"权益保障" = 20
"规范管理" = 20
[assess.graduate_extension]
"210100" = 6
[reference]
population = "pop.csv"
`)
	if code, _, e := runCmd(t, "assess", "--db", db, "--period", "2024"); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := runCmd(t, "assess", "--config", cfg, "--db", db, "--period", "2024"); code != 0 {
		t.Fatal(e)
	}
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var hashes []string
	rows, _ := sqlDB.Query(`SELECT config_hash, draws, seed FROM assessment_runs WHERE period = '2024' ORDER BY run_id DESC LIMIT 2`)
	for rows.Next() {
		var h string
		var draws, seed int
		rows.Scan(&h, &draws, &seed)
		hashes = append(hashes, h)
		if len(hashes) == 1 && (draws != 200 || seed != 9) {
			t.Errorf("configured run: draws %d seed %d", draws, seed)
		}
	}
	rows.Close()
	if len(hashes) != 2 || hashes[0] == hashes[1] {
		t.Errorf("config hashes %v: a different config must give a different hash", hashes)
	}
	// I1 over the configured population.
	var num, den, val float64
	sqlDB.QueryRow(`SELECT numerator, denominator, value FROM indicator_values WHERE period = '2024' AND city_code = '210100' AND indicator = 'I1'`).Scan(&num, &den, &val)
	if den != 1e7 || math.Abs(val-num/1e7*1e4) > 1e-12 {
		t.Errorf("I1 = %v/%v = %v with the configured population", num, den, val)
	}
	// 沈阳's graduates may receive 30 months; everyone else 24.
	var limits []int
	rows, _ = sqlDB.Query(`SELECT DISTINCT limit_num::INTEGER FROM subsidy_breaches WHERE period = '2024' AND rule = 'si_months_graduate' AND city_code = '210100'`)
	for rows.Next() {
		var l int
		rows.Scan(&l)
		limits = append(limits, l)
	}
	rows.Close()
	var others int
	sqlDB.QueryRow(`SELECT count(*) FROM subsidy_breaches WHERE period = '2024' AND rule = 'si_months_graduate' AND city_code <> '210100' AND limit_num <> 24`).Scan(&others)
	if len(limits) > 1 || (len(limits) == 1 && limits[0] != 30) || others != 0 {
		t.Errorf("graduate caps: 沈阳 %v, %d others not 24", limits, others)
	}
	// Geometric aggregation with the configured weights: the index is the
	// weighted geometric mean of the dimension scores.
	weights := map[string]float64{"规模结构": 40, "服务效能": 10, "政策落实": 10, "权益保障": 20, "规范管理": 20}
	rows, _ = sqlDB.Query(`SELECT city_code, index_value, dimensions FROM city_results WHERE period = '2024' AND ranked`)
	n := 0
	for rows.Next() {
		var code, dims string
		var index float64
		rows.Scan(&code, &index, &dims)
		var d map[string]float64
		json.Unmarshal([]byte(dims), &d)
		logSum := 0.0
		for name, w := range weights {
			logSum += w / 100 * math.Log(d[name])
		}
		if want := math.Exp(logSum); math.Abs(index-want) > 1e-9 {
			t.Errorf("%s: index %v, weighted geometric mean %v", code, index, want)
		}
		n++
	}
	rows.Close()
	if n != 14 {
		t.Errorf("%d cities ranked", n)
	}
	for name, text := range map[string]string{
		"unknown setting":  "[assess]\nweights = 1\n",
		"negative weight":  "[assess.indicator_weights]\nI3 = -1\n",
		"unknown method":   "[assess]\naggregation = \"median\"\n",
		"bad extension":    "[assess.graduate_extension]\n\"210100\" = 12\n",
		"population city":  "[reference]\npopulation = \"badpop.csv\"\n",
		"missing holidays": "[reference]\nholidays = \"nowhere.csv\"\n",
	} {
		write("badpop.csv", "city_code,year,population\n110000,2024,100\n")
		bad := write("bad.toml", text)
		if code, _, e := runCmd(t, "assess", "--config", bad, "--db", db, "--period", "2024"); code == 0 || e == "" {
			t.Errorf("%s: exit %d, %q", name, code, e)
		}
	}
}

// explain --by-county: the city's counties side by side in a table and as
// JSON, the counties' counts adding up to the city's stored ones.
func TestExplainByCounty(t *testing.T) {
	db := filepath.Join(sharedDemo(t), "flexemp.db")
	code, out, e := runCmd(t, "explain", "--db", db, "--period", "2025", "--city", "大连", "--by-county")
	if code != 0 || !strings.Contains(out, "大连市各区县") || !strings.Contains(out, "中山区") || !strings.Contains(out, "市本级/未分区县") || strings.Contains(out, "和平区") {
		t.Fatalf("table: exit %d %s %s", code, out, e)
	}
	code, out, e = runCmd(t, "explain", "--db", db, "--period", "2025", "--city", "210200", "--by-county", "--format", "json")
	var cc metrics.CityCounties
	if code != 0 || json.Unmarshal([]byte(out), &cc) != nil || len(cc.Counties) != len(flexemp.CountiesOf(flexemp.Counties, "210200"))+1 {
		t.Fatalf("json: exit %d %s %s", code, out, e)
	}
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	for i, col := range cc.Indicators {
		var num, den float64
		for _, c := range cc.Counties {
			if v := c.Indicators[i].Numerator; v != nil {
				num += *v
			}
			if v := c.Indicators[i].Denominator; v != nil && col.ID != "I1" {
				den += *v
			}
		}
		var cityNum, cityDen float64
		sqlDB.QueryRow(`SELECT numerator, coalesce(denominator, 0) FROM indicator_values WHERE period = '2025' AND city_code = '210200' AND indicator = ?`, col.ID).Scan(&cityNum, &cityDen)
		if num != cityNum || col.ID != "I1" && den != cityDen {
			t.Errorf("%s: counties %v/%v, the city %v/%v", col.ID, num, den, cityNum, cityDen)
		}
	}
}
