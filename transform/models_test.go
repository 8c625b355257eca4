package transform_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// province is a database with hand-built extracts loaded the real way.
type province struct {
	t   *testing.T
	db  *sql.DB
	g   *ingest.Ingester
	ref flexemp.Reference // default the embedded tables
}

func newProvince(t *testing.T) *province {
	db, err := transform.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &province{t: t, db: db, g: &ingest.Ingester{DB: db, Key: []byte("golden-test-key-0123456789")}, ref: flexemp.DefaultReference()}
}

// complete sends, on time, what each city that sent anything did not send
// for a month of the period: an empty extract, or a services row of zeros
// (of the kinds given; default all). That is the month's data (nothing), so
// the city is not 未报送 and a test can hold a model's every value to its
// golden count.
func (p *province) complete(period string, kinds ...flexemp.Kind) {
	p.t.Helper()
	per, _ := flexemp.ParsePeriod(period)
	if kinds == nil {
		kinds = flexemp.Kinds
	}
	rows, err := p.db.Query(`SELECT DISTINCT city_code FROM uploads`)
	if err != nil {
		p.t.Fatal(err)
	}
	var cities []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cities = append(cities, c)
	}
	rows.Close()
	for _, city := range cities {
		for _, k := range kinds {
			for _, m := range per.Months() {
				var n int
				p.db.QueryRow(`SELECT count(*) FROM uploads WHERE city_code = ? AND kind = ? AND month = ?`, city, string(k), m.First()).Scan(&n)
				if n > 0 {
					continue
				}
				var data [][]string
				if k == flexemp.Services {
					row := []string{city, m.String()}
					for range len(flexemp.ContractOf(k).Columns) - 2 {
						row = append(row, "0")
					}
					data = append(data, row)
				}
				p.load(city, k, m.String(), m.Deadline().Add(-time.Hour).Format(time.RFC3339), data)
			}
		}
	}
}

// load writes rows (contract column order) as a CSV and ingests it; every
// row must be accepted.
func (p *province) load(city string, kind flexemp.Kind, month, receivedAt string, rows [][]string) {
	p.t.Helper()
	path := filepath.Join(p.t.TempDir(), "x.csv")
	f, _ := os.Create(path)
	w := csv.NewWriter(f)
	var header []string
	for _, c := range flexemp.ContractOf(kind).Columns {
		header = append(header, c.Header)
	}
	w.Write(header)
	w.WriteAll(rows)
	f.Close()
	m, _ := flexemp.ParseMonth(month)
	at, err := time.Parse(time.RFC3339, receivedAt)
	if err != nil {
		p.t.Fatal(err)
	}
	res, err := p.g.Ingest(context.Background(), ingest.Request{Path: path, City: city, Kind: kind, Month: m, ReceivedAt: at})
	if err != nil || res.Status != ingest.StatusAccepted || res.Rejected != 0 {
		p.t.Fatalf("load %s %s %s: %v %+v %v", city, kind, month, err, res, res.Samples)
	}
}

func (p *province) assess(period string) {
	p.t.Helper()
	per, err := flexemp.ParsePeriod(period)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := transform.Build(context.Background(), p.db, transform.Params{Period: per, Reference: p.ref}); err != nil {
		p.t.Fatal(err)
	}
}

func (p *province) indicator(city, id string) (num, den, value sql.NullFloat64) {
	p.t.Helper()
	if err := p.db.QueryRow(`SELECT numerator, denominator, value FROM scratch.mart_indicators WHERE city_code = ? AND indicator = ?`, city, id).Scan(&num, &den, &value); err != nil {
		p.t.Fatal(err)
	}
	return
}

// golden are indicators' numerators and denominators by ID, counted in Go
// independently of the SQL.
type golden map[string][2]float64

// add counts one case: in the denominator if den, and in the numerator if num.
func (g golden) add(id string, num, den bool) {
	w := g[id]
	if num {
		w[0]++
	}
	if den {
		w[1]++
	}
	g[id] = w
}

// checkIndicators holds each golden indicator of the city to the model's:
// the same numerator and denominator, and the value their quotient times the
// indicator's scale (default 1), at most 1 where capped.
func (p *province) checkIndicators(label, city string, want golden, scale map[string]float64, capped map[string]bool) {
	p.t.Helper()
	for id, w := range want {
		num, den, val := p.indicator(city, id)
		v := w[0] / w[1]
		if s, ok := scale[id]; ok {
			v *= s
		}
		if capped[id] {
			v = math.Min(1, v)
		}
		if num.Float64 != w[0] || den.Float64 != w[1] || math.Abs(val.Float64-v) > 1e-12*math.Max(1, v) {
			p.t.Errorf("%s%s = %v/%v → %v, want %v/%v → %v", label, id, num.Float64, den.Float64, val.Float64, w[0], w[1], v)
		}
	}
}

// isWorkday and workdaysAfter are the independent route: a plain walk over
// the calendar with the holiday list.
func isWorkday(d time.Time) bool {
	for _, h := range flexemp.Holidays {
		if h.Date.Equal(d) {
			return h.Workday
		}
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

func workdaysAfter(from, to time.Time) int {
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if isWorkday(d) {
			n++
		}
	}
	return n
}

func seventhWorkday(from time.Time) time.Time {
	d, n := from, 0
	for n < 7 {
		d = d.AddDate(0, 0, 1)
		if isWorkday(d) {
			n++
		}
	}
	return d
}

var seq int

// person makes a new valid ID born on birth.
func person(birth string, male bool) string {
	seq++
	return gen.ID("210102", day(birth), seq, male)
}

// I4: working days across the Spring Festival holidays and make-up Sundays,
// same-day handling, the 7th-day edge, a Saturday application, and pending
// cases at the period's end.
func TestUnemploymentTimeliness(t *testing.T) {
	p := newProvince(t)
	type reg struct{ applied, completed string }
	cases := []reg{
		{"2024-02-05", "2024-02-19"}, // 6 working days with the make-up Sunday 02-18; Monday–Friday alone would say 10
		{"2024-02-02", "2024-02-19"}, // 8: the make-up Sunday 02-04 counts
		{"2024-03-01", "2024-03-01"}, // same day: 0
		{"2024-03-15", "2024-03-26"}, // exactly the 7th
		{"2024-03-15", "2024-03-27"}, // the 8th
		{"2024-03-02", "2024-03-11"}, // applied on a Saturday
		{"2024-03-15", ""},           // pending, limit 03-26 passed before 03-31: late
		{"2024-03-25", ""},           // pending, limit in April: left out
	}
	byMonth := map[string][][]string{}
	for _, c := range cases {
		m := c.applied[:7]
		byMonth[m] = append(byMonth[m], []string{person("1990-05-12", true), "210102", "失业登记", "", "其他", c.applied, c.completed, "线下"})
	}
	for m, rows := range byMonth {
		p.load("210100", flexemp.Registrations, m, "2024-04-01T09:00:00+08:00", rows)
	}
	p.complete("2024Q1")
	p.assess("2024Q1")

	periodEnd := day("2024-03-31")
	onTime, late := 0, 0
	want := map[string]string{}
	for _, c := range cases {
		status := ""
		switch {
		case c.completed != "" && workdaysAfter(day(c.applied), day(c.completed)) <= 7:
			status = "on_time"
		case c.completed != "":
			status = "late"
		case seventhWorkday(day(c.applied)).Before(periodEnd):
			status = "late"
		default:
			status = "left_out"
		}
		want[c.applied+"/"+c.completed] = status
		switch status {
		case "on_time":
			onTime++
		case "late":
			late++
		}
	}
	if want["2024-02-05/2024-02-19"] != "on_time" || want["2024-02-02/2024-02-19"] != "late" || want["2024-03-25/"] != "left_out" {
		t.Fatalf("the independent calendar walk disagrees with the hand count: %v", want)
	}
	rows, err := p.db.Query(`SELECT strftime(applied_on, '%Y-%m-%d') || '/' || coalesce(strftime(completed_on, '%Y-%m-%d'), ''), status FROM scratch.int_unemployment_timeliness`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var k, s string
		rows.Scan(&k, &s)
		got[k] = s
	}
	rows.Close()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %s, want %s", k, got[k], w)
		}
	}
	num, den, val := p.indicator("210100", "I4")
	if int(num.Float64) != onTime || int(den.Float64) != onTime+late || val.Float64 != float64(onTime)/float64(onTime+late) {
		t.Errorf("I4 = %v/%v = %v, want %d/%d", num.Float64, den.Float64, val.Float64, onTime, onTime+late)
	}
}

// I15 and the breach list: subsidy caps at their edges.
func TestSubsidyRulesAtTheirEdges(t *testing.T) {
	p := newProvince(t)
	young := person("1995-01-01", true)
	nearRetirement := person("1972-03-01", false) // retires 2027-10-01: within 5 years on 2024-03-10
	type pay struct {
		id, typ, group, amount, contribution, months, hours string
		breach                                              string // the rule it breaks, by hand
	}
	pays := []pay{
		{young, "社会保险补贴", "高校毕业生", "800.00", "1200.00", "24", "", ""},                          // exactly ⅔, month 24
		{young, "社会保险补贴", "高校毕业生", "800.01", "1200.00", "3", "", "si_two_thirds"},              // a fen over ⅔
		{young, "社会保险补贴", "高校毕业生", "100.00", "1200.00", "25", "", "si_months_graduate"},        // month 25
		{young, "社会保险补贴", "就业困难人员", "100.00", "1200.00", "36", "", ""},                         // month 36
		{young, "社会保险补贴", "就业困难人员", "100.00", "1200.00", "37", "", "si_months_hard_to_employ"}, // month 37
		{nearRetirement, "社会保险补贴", "就业困难人员", "100.00", "1200.00", "40", "", ""},                // the lift near retirement
		{young, "社会保险补贴", "农民工", "100.00", "1200.00", "3", "", "si_group"},
		{young, "创业场地补贴", "其他", "2000.00", "", "24", "", ""},
		{young, "创业场地补贴", "其他", "2000.00", "", "25", "", "venue_months"},
		{young, "公益性岗位补贴", "就业困难人员", "1536.00", "", "2", "80", ""}, // 80 h × 19.20 = 1536.00
		{young, "公益性岗位补贴", "就业困难人员", "1536.01", "", "2", "80", "public_post_wage"},
		{young, "职业培训补贴", "其他", "999999.00", "", "99", "", ""}, // no rule
	}
	var rows [][]string
	ruled, compliant := 0, 0
	wantBreaches := map[string]int{}
	for _, q := range pays {
		rows = append(rows, []string{q.id, "210102", q.typ, q.group, q.amount, q.contribution, q.months, q.hours, "2024-03-10"})
		if q.typ == "社会保险补贴" || q.typ == "创业场地补贴" || q.typ == "公益性岗位补贴" {
			ruled++
			if q.breach == "" {
				compliant++
			}
		}
		if q.breach != "" {
			wantBreaches[q.breach]++
		}
	}
	p.load("210100", flexemp.Subsidies, "2024-03", "2024-04-01T09:00:00+08:00", rows)
	p.complete("2024Q1")
	p.assess("2024Q1")

	got := map[string]int{}
	r, err := p.db.Query(`SELECT rule, count(*) FROM scratch.int_subsidy_breaches GROUP BY rule`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var rule string
		var n int
		r.Scan(&rule, &n)
		got[rule] = n
	}
	r.Close()
	if len(got) != len(wantBreaches) {
		t.Errorf("breaches %v, want %v", got, wantBreaches)
	}
	for k, n := range wantBreaches {
		if got[k] != n {
			t.Errorf("rule %s: %d breaches, want %d", k, got[k], n)
		}
	}
	num, den, val := p.indicator("210100", "I15")
	if int(num.Float64) != compliant || int(den.Float64) != ruled || val.Float64 != float64(compliant)/float64(ruled) {
		t.Errorf("I15 = %v/%v, want %d/%d", num.Float64, den.Float64, compliant, ruled)
	}
	if ret := flexemp.RetirementDate(flexemp.Person{Birth: day("1972-03-01")}); !ret.Equal(day("2027-10-01")) {
		t.Errorf("retirement %v: the lift case is not near retirement", ret)
	}
}

// I1, I8 and I16: persons linked across kinds and cities by pseudonym, and
// extracts received either side of the deadline in Shanghai.
func TestLinkedPersonsAndTimeliness(t *testing.T) {
	p := newProvince(t)
	grad, hard, worker := person("1998-06-01", true), person("1985-02-01", false), person("1980-01-01", true)
	p.load("210100", flexemp.Registrations, "2024-01", "2024-02-10T23:59:59+08:00", [][]string{
		{grad, "210102", "灵活就业登记", "新就业形态", "高校毕业生", "2024-01-08", "2024-01-08", "线上"},
		{grad, "210102", "灵活就业登记", "新就业形态", "高校毕业生", "2024-01-20", "2024-01-20", "线上"}, // same person twice
		{hard, "210103", "灵活就业登记", "个体经营", "就业困难人员", "2024-01-09", "", "线下"},
		{worker, "210103", "灵活就业登记", "非全日制", "农民工", "2024-01-10", "", "线下"},
	})
	p.load("210100", flexemp.Registrations, "2024-02", "2024-03-11T00:00:00+08:00", [][]string{
		{worker, "210103", "就业登记", "", "农民工", "2024-02-10", "2024-02-19", "线上"},
	})
	// The graduate's 社会保险补贴 is paid by Dalian; Shenyang sent its own
	// subsidies extract, empty, so its I8 is computed (not 未报送).
	p.load("210200", flexemp.Subsidies, "2024-03", "2024-04-10T12:00:00+08:00", [][]string{
		{grad, "210202", "社会保险补贴", "高校毕业生", "500.00", "900.00", "2", "", "2024-03-05"},
	})
	p.load("210100", flexemp.Subsidies, "2024-03", "2024-04-15T12:00:00+08:00", nil)
	// Shenyang's missing months of those two kinds, empty and on time, so
	// that neither is 未报送 (judged month by month); Dalian already sent its
	// March subsidies, and the rest of Dalian's months are filled too.
	p.complete("2024Q1", flexemp.Registrations, flexemp.Subsidies)
	p.assess("2024Q1")

	pop := float64(flexemp.Cities[0].Population)
	if num, den, val := p.indicator("210100", "I1"); num.Float64 != 3 || den.Float64 != pop || val.Float64 != 3/pop*10000 {
		t.Errorf("I1 = %v/%v → %v, want 3 persons", num.Float64, den.Float64, val.Float64)
	}
	if num, den, _ := p.indicator("210100", "I2"); num.Float64 != 2 || den.Float64 != 4 {
		t.Errorf("I2 = %v/%v, want 2/4 rows", num.Float64, den.Float64)
	}
	if num, den, val := p.indicator("210100", "I8"); num.Float64 != 1 || den.Float64 != 2 || val.Float64 != 0.5 {
		t.Errorf("I8 = %v/%v, want 1/2 (the graduate paid by another city; the worker not eligible)", num.Float64, den.Float64)
	}
	// Slots: 3 months × 4 kinds. On time: January's registrations (23:59:59 on the 10th)
	// and the three filled in. Late: February's (00:00 on the 11th) and March's subsidies.
	// Dalian: its March subsidies and the five filled in, all on time.
	if num, den, _ := p.indicator("210100", "I16"); num.Float64 != 4 || den.Float64 != 12 {
		t.Errorf("Shenyang I16 = %v/%v, want 4/12", num.Float64, den.Float64)
	}
	if num, den, _ := p.indicator("210200", "I16"); num.Float64 != 6 || den.Float64 != 12 {
		t.Errorf("Dalian I16 = %v/%v, want 6/12", num.Float64, den.Float64)
	}
	// No services extract: every services indicator is 未报送, not zero.
	for _, ind := range flexemp.Indicators {
		if !slices.Contains(ind.Sources, flexemp.Services) {
			continue
		}
		var withheld bool
		p.db.QueryRow(`SELECT withheld FROM scratch.mart_indicators WHERE city_code = '210100' AND indicator = ?`, ind.ID).Scan(&withheld)
		if _, _, val := p.indicator("210100", ind.ID); val.Valid || !withheld {
			t.Errorf("%s = %v (withheld %v) without any services data", ind.ID, val.Float64, withheld)
		}
	}
	if !strings.HasPrefix(grad, "2101") {
		t.Fatal("fixture IDs")
	}
}

// Models run in dependency order, staging first and marts last.
func TestModelOrder(t *testing.T) {
	ms, err := transform.Models()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, m := range ms {
		pos[m.Name] = i
	}
	for _, m := range ms {
		for _, d := range m.Deps {
			if pos[d] >= pos[m.Name] {
				t.Errorf("%s runs before its dependency %s", m.Name, d)
			}
		}
	}
	// The versions that count come first: every staging model reads them.
	if !strings.HasPrefix(ms[len(ms)-1].Name, "mart_") || ms[0].Name != "int_counting_versions" || !strings.HasPrefix(ms[1].Name, "stg_") {
		t.Errorf("order %v", ms)
	}
}

// The SQL computes exactly the declared indicators: an indicator counted in
// int_indicator_counts but not declared would be dropped by the join, and
// one declared but not counted would be missing for every city. The
// indicators declared ByCounty, and only those, are counted per county.
func TestIndicatorsMatchDeclaration(t *testing.T) {
	models, err := transform.Models()
	if err != nil {
		t.Fatal(err)
	}
	var sql string
	for _, m := range models {
		if m.Name == "int_indicator_counts" {
			sql = m.SQL
		}
	}
	counted := map[string]bool{}
	for _, m := range regexp.MustCompile(`SELECT '(I\d+)'(?: AS indicator)?, (?:\w\.)?city_code, ((?:\w\.)?area_code|NULL)`).FindAllStringSubmatch(sql, -1) {
		if counted[m[1]] {
			t.Errorf("%s is counted twice", m[1])
		}
		counted[m[1]] = true
		ind, _ := flexemp.IndicatorByID(m[1])
		if byCounty := m[2] != "NULL"; byCounty != ind.ByCounty {
			t.Errorf("%s: counted per county %v, declared ByCounty %v", m[1], byCounty, ind.ByCounty)
		}
	}
	for _, id := range flexemp.IndicatorIDs() {
		if !counted[id] {
			t.Errorf("%s is declared but int_indicator_counts does not count it", id)
		}
		delete(counted, id)
	}
	for id := range counted {
		t.Errorf("int_indicator_counts counts %s, which is not declared", id)
	}
}
