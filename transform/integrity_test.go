package transform_test

import (
	"fmt"
	"testing"

	"github.com/liaoning-hrss/flexemp"
)

// findings are the integrity findings of the last build: "city check key".
func (p *province) findings() map[string]bool {
	p.t.Helper()
	rows, err := p.db.Query(`SELECT DISTINCT city_code, check_id, finding_key FROM scratch.mart_integrity`)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var city, check, key string
		rows.Scan(&city, &check, &key)
		out[city+" "+check+" "+key] = true
	}
	return out
}

func flexRow(id, applied string) []string {
	return []string{id, "210102", "灵活就业登记", "新就业形态", "其他", applied, applied, "线上"}
}

func flexRows(n int, applied func(i int) string) [][]string {
	var rows [][]string
	for i := range n {
		rows = append(rows, flexRow(person("1990-01-01", i%2 == 0), applied(i)))
	}
	return rows
}

// K1 and K2 at their edges: one person registered in two cities is K1 for
// both; twice in one city is K2 there, not K1; once is nothing.
func TestIntegrityDuplicates(t *testing.T) {
	p := newProvince(t)
	both, twice, once := person("1991-01-01", true), person("1992-02-02", false), person("1993-03-03", true)
	p.load("210100", flexemp.Registrations, "2024-02", "2024-03-01T09:00:00+08:00", [][]string{
		flexRow(both, "2024-02-05"), flexRow(twice, "2024-02-06"), flexRow(twice, "2024-02-20"), flexRow(once, "2024-02-07"),
	})
	p.load("210200", flexemp.Registrations, "2024-02", "2024-03-01T09:00:00+08:00", [][]string{
		{both, "210202", "灵活就业登记", "个体经营", "其他", "2024-02-09", "2024-02-09", "线下"},
	})
	p.assess("2024Q1")
	want := map[string]bool{"210100 K1 ": true, "210200 K1 ": true, "210100 K2 ": true}
	if got := p.findings(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	var figure float64
	var masked string
	p.db.QueryRow(`SELECT figure, id_masked FROM scratch.mart_integrity WHERE city_code = '210100' AND check_id = 'K1'`).Scan(&figure, &masked)
	if figure != 1.0/3 || masked != flexemp.MaskID(both) {
		t.Errorf("K1 210100: figure %v (want 1 of 3 persons), evidence %q", figure, masked)
	}
}

// K3 at its edges: a city's instant share of exactly 0.9 is not above it;
// one case more is; and not when the province's median share reaches 0.5.
func TestIntegrityInstantCompletion(t *testing.T) {
	unemployed := func(n, instant int) [][]string {
		var rows [][]string
		for i := range n {
			done := "2024-03-12"
			if i < instant {
				done = "2024-03-05"
			}
			rows = append(rows, []string{person("1988-08-08", true), "210102", "失业登记", "", "其他", "2024-03-05", done, "线下"})
		}
		return rows
	}
	for _, c := range []struct {
		name            string
		instant, others int // of 10 cases in 210100; of 10 in two other cities
		found           bool
	}{
		{"0.9 is not above 0.9", 9, 0, false},
		{"1.0 above 0.9, the median 0", 10, 0, true},
		{"1.0, but the median 0.5", 10, 5, false},
	} {
		p := newProvince(t)
		p.load("210100", flexemp.Registrations, "2024-03", "2024-04-01T09:00:00+08:00", unemployed(10, c.instant))
		for _, city := range []string{"210200", "210300"} {
			rows := unemployed(10, c.others)
			for _, r := range rows {
				r[1] = city
			}
			p.load(city, flexemp.Registrations, "2024-03", "2024-04-01T09:00:00+08:00", rows)
		}
		p.assess("2024Q1")
		if got := p.findings()["210100 K3 "]; got != c.found || len(p.findings()) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, p.findings())
		}
	}
}

// K4 at its edges: with six months of 10 rows, a month of 30 (3×) is not a
// spike and 31 is; with five months of history, 31 is not judged.
func TestIntegritySpikes(t *testing.T) {
	for _, c := range []struct {
		name           string
		history, spike int
		found          bool
	}{
		{"3× the median", 6, 30, false},
		{"above 3×", 6, 31, true},
		{"too little history", 5, 31, false},
	} {
		p := newProvince(t)
		for m := 7 - c.history; m <= 6; m++ {
			month := fmt.Sprintf("2024-%02d", m)
			p.load("210100", flexemp.Registrations, month, month+"-28T09:00:00+08:00", flexRows(10, func(int) string { return month + "-10" }))
		}
		p.load("210100", flexemp.Registrations, "2024-07", "2024-07-28T09:00:00+08:00", flexRows(c.spike, func(int) string { return "2024-07-10" }))
		p.assess("2024Q3")
		if got := p.findings(); got["210100 K4 2024-07"] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, got)
		}
	}
}

// K5 at its edges: 4 of a quarter's 10 灵活就业登记 in its last ten days
// (22–31 March) is 0.4, not above; 5 is. The 21st is not among the last ten.
// A quarter the city sent only March of is not judged, whatever its share.
func TestIntegrityBunching(t *testing.T) {
	for _, c := range []struct {
		name     string
		late     int
		complete bool
		found    bool
	}{
		{"4 of 10", 4, true, false},
		{"5 of 10", 5, true, true},
		{"all 10, January and February never sent", 10, false, false},
	} {
		p := newProvince(t)
		if c.complete { // empty extracts: nothing registered, but sent
			p.load("210100", flexemp.Registrations, "2024-01", "2024-02-01T09:00:00+08:00", nil)
			p.load("210100", flexemp.Registrations, "2024-02", "2024-03-01T09:00:00+08:00", nil)
		}
		p.load("210100", flexemp.Registrations, "2024-03", "2024-04-01T09:00:00+08:00", flexRows(10, func(i int) string {
			if i < c.late {
				return "2024-03-22"
			}
			return "2024-03-21"
		}))
		p.assess("2024Q1")
		if got := p.findings(); got["210100 K5 2024Q1"] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, got)
		}
	}
}

// K6 at its edges: pension_enrolled equal to flex_registered is not a
// finding and one more is; payments of exactly 1.2 × the funds allocated
// over the quarter are not, a fen more are.
func TestIntegrityAggregates(t *testing.T) {
	for _, c := range []struct {
		name    string
		pension int
		paid    string
		found   bool
	}{
		{"equal, exactly 1.2×", 1000, "3600.00", false},
		{"one more enrolled, a fen over", 1001, "3600.01", true},
	} {
		p := newProvince(t)
		for m := 1; m <= 3; m++ {
			month := fmt.Sprintf("2025-%02d", m)
			s := v2services{month: month, markets: 5, postings: 10, matches: 10, applied: 5, online: 5, pension: 900, received: 2, closed: 2,
				registered: 1000, agencies: 1, served: 10, titles: 2, passed: 1, checked: 3, written: 3, events: 1, fundFen: 100000}
			if m == 3 {
				s.pension = c.pension
			}
			p.load("210100", flexemp.Services, month, month+"-28T09:00:00+08:00", [][]string{s.row()})
		}
		p.load("210100", flexemp.Subsidies, "2025-03", "2025-03-28T09:00:00+08:00", [][]string{
			{person("1985-05-05", true), "210102", "创业场地补贴", "其他", c.paid, "", "1", "", "2025-03-15"}})
		p.assess("2025Q1")
		got := p.findings()
		if got["210100 K6 "] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, got)
		}
		var subjects int
		p.db.QueryRow(`SELECT count(DISTINCT subject) FROM scratch.mart_integrity WHERE check_id = 'K6'`).Scan(&subjects)
		if c.found && subjects != 2 {
			t.Errorf("%s: %d K6 subjects, want pension and funds", c.name, subjects)
		}
	}
}

// K7 at its edges: February's registrations sent on time with 10 rows, then
// replaced after the deadline (the end of 10 March) with 11 rows (10% more)
// is not a finding, with 12 it is; a replacement before the deadline is the
// version current at it, whatever it adds.
func TestIntegrityLateImprovement(t *testing.T) {
	for _, c := range []struct {
		name     string
		rows     int
		replaced string
		found    bool
	}{
		{"10% more after the deadline", 11, "2024-03-11T00:00:00+08:00", false},
		{"20% more after the deadline", 12, "2024-03-11T00:00:00+08:00", true},
		{"50% more before the deadline", 15, "2024-03-10T23:59:59+08:00", false},
	} {
		p := newProvince(t)
		p.load("210100", flexemp.Registrations, "2024-02", "2024-03-05T09:00:00+08:00", flexRows(10, func(int) string { return "2024-02-10" }))
		p.load("210100", flexemp.Registrations, "2024-02", c.replaced, flexRows(c.rows, func(int) string { return "2024-02-10" }))
		p.assess("2024Q1")
		if got := p.findings(); got["210100 K7 registrations 2024-02"] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, got)
		}
	}
}
