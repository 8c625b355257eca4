package transform_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
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

// crowd is the next of many distinct persons: a birth date of its own for
// each hundred (gen.ID tells a hundred apart), so that their IDs never
// repeat (tests running at once included).
var crowd atomic.Int64

func crowdPerson() string {
	n := int(crowd.Add(1))
	return gen.ID("210102", day("1970-01-01").AddDate(0, 0, n/100), n%100, true)
}

// crowdRows are n 灵活就业登记 of the city applied on the day, each its own
// person.
func crowdRows(city string, n int, applied string) [][]string {
	var rows [][]string
	for range n {
		r := flexRow(crowdPerson(), applied)
		r[1] = city
		rows = append(rows, r)
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

// K4 at its edges, judged against the city's own history: with three months
// of 200 rows in three cities (the history K4 needs), a July of 300 (1.5×) is nothing and 301 is a
// spike; 140 (0.7×) is nothing and 133 (0.665×) a drop; when every city rose
// alike it is the province's July, not a spike; a month under 20 against a
// median under 20 is never one, nor a rise within counting noise (4 √median).
func TestIntegritySpikes(t *testing.T) {
	t.Parallel() // its own databases and persons
	for _, c := range []struct {
		name               string
		base, july, others int // rows a month; 210100's July; the two other cities' July
		found              string
	}{
		{"1.5× the median", 200, 300, 200, ""},
		{"above 1.5×", 200, 301, 200, "210100 K4 2024-07"},
		{"0.7× the median", 200, 140, 200, ""},
		{"below ⅔", 200, 133, 200, "210100 K4 2024-07"},
		{"the province rose alike", 200, 301, 301, ""},
		{"small counts", 10, 19, 10, ""},
		{"within counting noise", 30, 46, 30, ""},
	} {
		p := newProvince(t)
		for _, city := range []string{"210100", "210200", "210300"} {
			for m := 4; m <= 7; m++ {
				month := fmt.Sprintf("2024-%02d", m)
				n := c.base
				switch {
				case m == 7 && city == "210100":
					n = c.july
				case m == 7:
					n = c.others
				}
				p.load(city, flexemp.Registrations, month, month+"-28T09:00:00+08:00", crowdRows(city, n, month+"-10"))
			}
		}
		p.assess("2024Q3")
		if got := p.findings(); got[c.found] != (c.found != "") || len(got) != map[bool]int{true: 1}[c.found != ""] {
			t.Errorf("%s: findings %v", c.name, got)
		}
	}
}

// K4 from the first month: with less than three months of history a month
// is held per head against the province's median city (100 rows in 鞍山,
// the same per head elsewhere): 2.4× it is nothing, 2.6× a spike; 0.45×
// nothing, 0.35× a drop.
func TestIntegritySpikesFromTheFirstMonth(t *testing.T) {
	t.Parallel() // its own databases and persons
	pop := map[string]float64{}
	for _, c := range flexemp.Cities {
		pop[c.Code] = float64(c.Population)
	}
	for _, c := range []struct {
		factor float64
		found  bool
	}{{2.4, false}, {2.6, true}, {0.45, false}, {0.35, true}} {
		p := newProvince(t)
		for _, city := range []string{"210100", "210200", "210300"} {
			perHead := 100 / pop["210300"] // 100 rows in 鞍山, the same per head elsewhere
			if city == "210100" {
				perHead *= c.factor
			}
			p.load(city, flexemp.Registrations, "2024-01", "2024-02-05T09:00:00+08:00", crowdRows(city, int(math.Round(perHead*pop[city])), "2024-01-10"))
		}
		p.assess("2024Q1")
		if got := p.findings(); got["210100 K4 2024-01 全省"] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%g× the province's median per head: findings %v", c.factor, got)
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
// K6 at its edges, against the province's own tables (reference/funds.csv):
// pension_enrolled equal to flex_registered is no finding and one more is;
// the month's payment rows 1.96% short of the finance ledger are not, 2.0005%
// are; a reported fund_allocated 0.99% from the allocation is not, 1.02% is;
// payments of exactly 1.2 × the quarter's allocation are not, a fen more are.
func TestIntegrityAggregates(t *testing.T) {
	for _, c := range []struct {
		name     string
		pension  int
		paid     string
		ledger   int64 // March's paid_yuan in fen
		marchFen int64 // March's allocation in fen; the city reports 1000.00
		subjects []string
	}{
		{"all within", 1000, "3600.00", 367200, 101000, nil},
		{"all beyond", 1001, "3600.01", 367350, 98989, []string{"allocation", "funds", "ledger", "pension"}},
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
			fund := flexemp.Fund{City: "210100", Month: flexemp.Month{Year: 2025, Month: time.Month(m)}, AllocatedFen: 100000}
			if m == 3 {
				fund.AllocatedFen, fund.PaidFen, fund.HasPaid = c.marchFen, c.ledger, true
			}
			p.ref.Funds = append(p.ref.Funds, fund)
		}
		p.load("210100", flexemp.Subsidies, "2025-03", "2025-03-28T09:00:00+08:00", [][]string{
			{person("1985-05-05", true), "210102", "创业场地补贴", "其他", c.paid, "", "1", "", "2025-03-15"}})
		p.complete("2025Q1", flexemp.Subsidies)
		p.assess("2025Q1")
		var got []string
		rows, _ := p.db.Query(`SELECT DISTINCT subject FROM scratch.mart_integrity WHERE check_id = 'K6' AND city_code = '210100' ORDER BY 1`)
		for rows.Next() {
			var s string
			rows.Scan(&s)
			got = append(got, s)
		}
		rows.Close()
		if !slices.Equal(got, c.subjects) {
			t.Errorf("%s: K6 subjects %v, want %v", c.name, got, c.subjects)
		}
		var n int
		p.db.QueryRow(`SELECT count(DISTINCT finding_id) FROM scratch.mart_integrity`).Scan(&n)
		if n != len(c.subjects) {
			t.Errorf("%s: %d findings, want %d", c.name, n, len(c.subjects))
		}
	}
}

// K7 at its edges: February's registrations sent on time with 10 rows, then
// sent again after the deadline (the end of 10 March). One row in ten
// added, removed or changed is not a finding; two are, either way; a
// replacement before the deadline is the version that counts, whatever it
// changes. A late replacement never counts: I1 stays the on-time version's,
// or the first late version's when the month came late.
func TestIntegrityLateImprovement(t *testing.T) {
	const late, early = "2024-03-11T00:00:00+08:00", "2024-03-10T23:59:59+08:00"
	for _, c := range []struct {
		name     string
		change   func(rows [][]string) [][]string
		replaced string
		found    bool
	}{
		{"one row added", func(r [][]string) [][]string { return append(r, flexRow(person("1990-01-01", true), "2024-02-10")) }, late, false},
		{"two rows added", func(r [][]string) [][]string {
			return append(r, flexRow(person("1990-01-01", true), "2024-02-10"), flexRow(person("1990-01-01", true), "2024-02-10"))
		}, late, true},
		{"one row changed", func(r [][]string) [][]string { r[0][3] = "个体经营"; return r }, late, false},
		{"two rows changed", func(r [][]string) [][]string { r[0][3], r[1][7] = "个体经营", "线下"; return r }, late, true},
		{"two rows removed", func(r [][]string) [][]string { return r[2:] }, late, true},
		{"five added before the deadline", func(r [][]string) [][]string {
			for range 5 {
				r = append(r, flexRow(person("1990-01-01", true), "2024-02-10"))
			}
			return r
		}, early, false},
		// Sent late in the first place: the first late version counts, and
		// the change a later one tried is shown.
		{"late, then two rows added later", func(r [][]string) [][]string {
			return append(r, flexRow(person("1990-01-01", true), "2024-02-10"), flexRow(person("1990-01-01", true), "2024-02-10"))
		}, "2024-03-20T09:00:00+08:00", true},
	} {
		p := newProvince(t)
		rows := flexRows(10, func(int) string { return "2024-02-10" })
		first := "2024-03-05T09:00:00+08:00"
		if strings.HasPrefix(c.name, "late") {
			first = "2024-03-15T09:00:00+08:00"
		}
		p.load("210100", flexemp.Registrations, "2024-02", first, rows)
		var again [][]string
		for _, r := range rows {
			again = append(again, slices.Clone(r))
		}
		again = c.change(again)
		p.load("210100", flexemp.Registrations, "2024-02", c.replaced, again)
		p.complete("2024Q1")
		p.assess("2024Q1")
		if got := p.findings(); got["210100 K7 registrations 2024-02"] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, got)
		}
		want := 10
		if c.replaced == early {
			want = len(again)
		}
		if num, _, _ := p.indicator("210100", "I1"); int(num.Float64) != want {
			t.Errorf("%s: I1 counts %v persons, want %d (the version that counts)", c.name, num.Float64, want)
		}
	}
}

// A placeholder (an empty extract, or a services row of zeros) sent on time
// and the real extract after the deadline: the real one counts, the month
// is late for I16, and K7 names the replacement. The same placeholder with
// nothing after it is the month's data: nothing, on time.
func TestPlaceholderReplacedLate(t *testing.T) {
	for _, real := range []bool{true, false} {
		p := newProvince(t)
		p.load("210100", flexemp.Registrations, "2024-02", "2024-03-05T09:00:00+08:00", nil)
		zeros := v1zeros("2024-02")
		p.load("210100", flexemp.Services, "2024-02", "2024-03-05T09:00:00+08:00", [][]string{zeros})
		if real {
			p.load("210100", flexemp.Registrations, "2024-02", "2024-03-20T09:00:00+08:00", flexRows(6, func(int) string { return "2024-02-10" }))
			zeros[2] = "7" // gig_markets
			p.load("210100", flexemp.Services, "2024-02", "2024-03-20T09:00:00+08:00", [][]string{zeros})
		}
		p.complete("2024Q1")
		p.assess("2024Q1")
		persons, _, _ := p.indicator("210100", "I1")
		onTime, slots, _ := p.indicator("210100", "I16")
		markets, _, _ := p.indicator("210100", "I7")
		f := p.findings()
		if real {
			if persons.Float64 != 6 || onTime.Float64 != 10 || slots.Float64 != 12 || !f["210100 K7 registrations 2024-02"] || !f["210100 K7 services 2024-02"] || len(f) != 2 {
				t.Errorf("placeholders replaced late: I1 %v persons, I16 %v/%v, findings %v", persons.Float64, onTime.Float64, slots.Float64, f)
			}
		} else if persons.Float64 != 0 || onTime.Float64 != 12 || len(f) != 0 || markets.Float64 != 0 {
			t.Errorf("placeholders alone: I1 %v persons, I16 %v/%v, I7 %v, findings %v", persons.Float64, onTime.Float64, slots.Float64, markets.Float64, f)
		}
	}
}

// v1zeros is a services row of version 1 of a month with every count 0.
func v1zeros(month string) []string {
	row := []string{"210100", month}
	for range len(flexemp.ContractOf(flexemp.Services).Columns) - 2 {
		row = append(row, "0")
	}
	return row
}

// K8 at its edge: 失业登记 completed the next day make a quarter's share
// within 1 working day rise from the four quarters before; with 30 cases
// in each it is a finding, with 29 in one of them it is not.
func TestIntegrityCompletionShift(t *testing.T) {
	for _, cases := range []int{30, 29} {
		p := newProvince(t)
		quarters := []string{"2024-01", "2024-04", "2024-07", "2024-10", "2025-01"}
		for q, month := range quarters {
			n := 30
			if q == 0 {
				n = cases
			}
			var rows [][]string
			for i := range n {
				applied := month + "-09" // a Tuesday or later in each of these months
				completed := month + "-20"
				if q == 4 || i < 5 { // the last quarter: all the next day; before: 5 of 30
					completed = month + "-10"
				}
				rows = append(rows, []string{person("1990-05-12", true), "210102", "失业登记", "", "其他", applied, completed, "线下"})
			}
			p.load("210100", flexemp.Registrations, month, month+"-28T09:00:00+08:00", rows)
		}
		p.assess("2025Q1")
		if got := p.findings()["210100 K8 "]; got != (cases == 30) {
			t.Errorf("%d cases in the first quarter: K8 %v", cases, got)
		}
		// The year has no four earlier years to be held against; its
		// quarter shows the shift.
		p.assess("2025")
		if got := p.findings(); got["210100 K8 2025Q1"] != (cases == 30) || got["210100 K8 "] {
			t.Errorf("%d cases in the first quarter: 2025's findings %v", cases, got)
		}
	}
}

// K8's limit at its edge: in each of the four quarters before, 3 of 30
// 失业登记 completed on the 5th working day (0.1); then in 2025Q1, 6 of 30
// (0.2, exactly twice) is nothing and 7 of 30 is a finding.
func TestIntegrityCompletionAtTheLimit(t *testing.T) {
	t.Parallel() // its own databases and persons
	for _, limit := range []int{6, 7} {
		p := newProvince(t)
		for q, month := range []string{"2024-01", "2024-04", "2024-07", "2024-10", "2025-01"} {
			var rows [][]string
			for i := range 30 {
				completed := month + "-23" // 10 working days or more
				if i < 3 || q == 4 && i < limit {
					completed = month + "-16" // the 5th working day (the 6th in October, with its make-up Saturday)
				}
				rows = append(rows, []string{crowdPerson(), "210102", "失业登记", "", "其他", month + "-09", completed, "线下"})
			}
			p.load("210100", flexemp.Registrations, month, month+"-28T09:00:00+08:00", rows)
		}
		p.assess("2025Q1")
		if got := p.findings(); got["210100 K8 "] != (limit == 7) || len(got) != map[bool]int{true: 1}[limit == 7] {
			t.Errorf("%d of 30 at the limit: findings %v", limit, got)
		}
	}
}

// trainingRow is a training of the city that ended on the day.
func trainingRow(flexible, certified bool, ended string) []string {
	yes := map[bool]string{true: "是", false: "否"}
	return []string{crowdPerson(), "210102", "职业技能培训", "线下", yes[flexible], "2020-01-01", ended, "是", yes[certified], "未知"}
}

// K9 at its edge: six months of 20 trainings, then an empty July, is an
// empty month (空报); six months of 19 are not. An all-zero services row
// after months with counts of 20 is one too.
func TestIntegrityEmptyMonths(t *testing.T) {
	t.Parallel() // its own databases and persons
	for _, n := range []int{19, 20} {
		p := newProvince(t)
		for m := 1; m <= 7; m++ {
			month := fmt.Sprintf("2024-%02d", m)
			var rows [][]string
			var services []string
			if m < 7 {
				for range n {
					rows = append(rows, trainingRow(true, true, month+"-10"))
				}
				services = v1zeros(month)
				services[3] = fmt.Sprint(n) // gig_postings
			} else {
				services = v1zeros(month)
			}
			for i := range rows {
				rows[i][5] = month + "-01"
			}
			p.load("210100", flexemp.Trainings, month, month+"-28T09:00:00+08:00", rows)
			p.load("210100", flexemp.Services, month, month+"-28T09:00:00+08:00", [][]string{services})
		}
		p.assess("2024Q3")
		got := p.findings()
		if got["210100 K9 2024-07"] != (n == 20) || len(got) != map[bool]int{true: 1}[n == 20] {
			t.Errorf("a median of %d: findings %v", n, got)
		}
		var subjects int
		p.db.QueryRow(`SELECT count(DISTINCT subject) FROM scratch.mart_integrity WHERE check_id = 'K9'`).Scan(&subjects)
		if n == 20 && subjects != 2 {
			t.Errorf("K9 names %d kinds, want trainings and services", subjects)
		}
	}
}

// K10 at its edges: a person's 社会保险补贴 in May and June. months_received
// 3 then 4 with contribution 1000.00 then 1200.00 (20%) is nothing; 4 then
// 4, or 1000.00 then 1200.01, or 高校毕业生 then 就业困难人员 is a finding;
// so is a 创业担保贷款贴息 carrying a contribution.
func TestIntegritySubsidyHistories(t *testing.T) {
	t.Parallel() // its own databases and persons
	type pay struct{ typ, group, contribution, months string }
	for _, c := range []struct {
		name      string
		may, june pay
		found     bool
	}{
		{"rising, 20%", pay{"社会保险补贴", "高校毕业生", "1000.00", "3"}, pay{"社会保险补贴", "高校毕业生", "1200.00", "4"}, false},
		{"not rising", pay{"社会保险补贴", "高校毕业生", "1000.00", "4"}, pay{"社会保险补贴", "高校毕业生", "1000.00", "4"}, true},
		{"above 20%", pay{"社会保险补贴", "高校毕业生", "1000.00", "3"}, pay{"社会保险补贴", "高校毕业生", "1200.01", "4"}, true},
		{"another group", pay{"社会保险补贴", "高校毕业生", "1000.00", "3"}, pay{"社会保险补贴", "就业困难人员", "1000.00", "4"}, true},
		{"a contribution on a type without rules", pay{"社会保险补贴", "高校毕业生", "1000.00", "3"}, pay{"创业担保贷款贴息", "高校毕业生", "1000.00", "4"}, true},
	} {
		p := newProvince(t)
		who := crowdPerson()
		for month, x := range map[string]pay{"2024-05": c.may, "2024-06": c.june} {
			p.load("210100", flexemp.Subsidies, month, month+"-28T09:00:00+08:00", [][]string{
				{who, "210102", x.typ, x.group, "500.00", x.contribution, x.months, "", month + "-15"}})
		}
		p.assess("2024Q2")
		if got := p.findings(); got["210100 K10 "] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%s: findings %v", c.name, got)
		}
	}
}

// K10's second part at its edge: 创业担保贷款贴息 (20 payments) was 10% of the
// city's payment amount in 2024Q1 and is 30% (a rise of 0.2) in 2024Q2:
// nothing; 31%: a finding; 31% in 19 payments: not judged.
func TestIntegrityUnruledShare(t *testing.T) {
	t.Parallel() // its own databases and persons
	for _, c := range []struct {
		unruled  float64 // yuan of 100.00 paid in 2024Q2
		payments int
		found    bool
	}{{30, 20, false}, {31, 20, true}, {31, 19, false}} {
		p := newProvince(t)
		payments := func(month string, unruled float64, n int) [][]string {
			rows := [][]string{{crowdPerson(), "210102", "创业场地补贴", "其他", fmt.Sprintf("%.2f", 100-unruled), "", "1", "", month + "-15"}}
			for range n {
				rows = append(rows, []string{crowdPerson(), "210102", "创业担保贷款贴息", "其他", fmt.Sprintf("%.2f", math.Floor(unruled/float64(n)*100)/100), "", "1", "", month + "-15"})
			}
			return rows
		}
		p.load("210100", flexemp.Subsidies, "2024-02", "2024-02-28T09:00:00+08:00", payments("2024-02", 10, 20))
		p.load("210100", flexemp.Subsidies, "2024-05", "2024-05-28T09:00:00+08:00", payments("2024-05", c.unruled, c.payments))
		p.assess("2024Q2")
		if got := p.findings()["210100 K10 "]; got != c.found {
			t.Errorf("%g of 100.00 without rules in %d payments: findings %v", c.unruled, c.payments, p.findings())
		}
	}
}

// K11 at its edge: three cities register 10 persons each in 2024Q2; in
// 210100, 3 of them (0.3) had a 灵活就业登记 in 2024Q1 against a province
// median of 0.1 (a rise of 0.2): nothing; 4 of them: a finding.
func TestIntegrityRegisteredAgain(t *testing.T) {
	t.Parallel() // its own databases and persons
	for _, again := range []int{3, 4} {
		p := newProvince(t)
		for _, city := range []string{"210100", "210200", "210300"} {
			before := crowdRows(city, 10, "2024-02-10")
			p.load(city, flexemp.Registrations, "2024-02", "2024-03-05T09:00:00+08:00", before)
			repeat := 1
			if city == "210100" {
				repeat = again
			}
			rows := crowdRows(city, 10-repeat, "2024-05-10")
			for _, r := range before[:repeat] {
				rows = append(rows, flexRow(r[0], "2024-05-12"))
				rows[len(rows)-1][1] = city
			}
			p.load(city, flexemp.Registrations, "2024-05", "2024-06-05T09:00:00+08:00", rows)
		}
		p.assess("2024Q2")
		if got := p.findings(); got["210100 K11 "] != (again == 4) || len(got) != map[bool]int{true: 1}[again == 4] {
			t.Errorf("%d of 10 registered again: findings %v", again, got)
		}
	}
}

// K12 at its edge: in 210100, 30 certified trainings (24 flexible, 0.8)
// and 30 uncertified (15 flexible, 0.5): a gap of 0.3, nothing; 14
// flexible: a finding. Two other cities keep the province's median gap 0.
// With 29 uncertified it is not judged.
func TestIntegritySelectiveLabelling(t *testing.T) {
	t.Parallel() // its own databases and persons
	for _, c := range []struct {
		uncertified, flexible int
		found                 bool
	}{{30, 15, false}, {30, 14, true}, {29, 10, false}} {
		p := newProvince(t)
		for _, city := range []string{"210100", "210200", "210300"} {
			var rows [][]string
			for i := range 30 {
				rows = append(rows, trainingRow(i < 24, true, "2024-03-10"))
			}
			uncertified, flexible := 30, 24
			if city == "210100" {
				uncertified, flexible = c.uncertified, c.flexible
			}
			for i := range uncertified {
				rows = append(rows, trainingRow(i < flexible, false, "2024-03-10"))
			}
			for _, r := range rows {
				r[1] = city
			}
			p.load(city, flexemp.Trainings, "2024-03", "2024-04-05T09:00:00+08:00", rows)
		}
		p.assess("2024Q1")
		if got := p.findings(); got["210100 K12 "] != c.found || len(got) != map[bool]int{true: 1}[c.found] {
			t.Errorf("%d uncertified, %d flexible: findings %v", c.uncertified, c.flexible, got)
		}
	}
}

// The version that counts, at every turn of a month's versions: the model
// and what ingest tells the city at upload (ingest.CountingVersion) agree,
// and a version received after the deadline never replaces one that
// counts. Versions: r real, e empty; received on time (before the end of
// 10 March) or late.
func TestCountingVersionAgrees(t *testing.T) {
	t.Parallel() // its own databases and persons
	const onTime, late = "2024-03-05T09:00:00+08:00", "2024-03-1%dT09:00:00+08:00"
	type version struct {
		real bool
		late bool
	}
	for _, c := range []struct {
		name     string
		versions []version
		counts   int // the index of the version that counts
	}{
		{"on time, then late", []version{{true, false}, {true, true}}, 0},
		{"late, then later", []version{{true, true}, {true, true}}, 0},
		{"late, then later, then later", []version{{true, true}, {true, true}, {true, true}}, 0},
		{"an empty one on time, real ones late", []version{{false, false}, {true, true}, {true, true}}, 1},
		{"an empty one late, then real ones", []version{{false, true}, {true, true}, {true, true}}, 1},
		{"an empty one late, alone", []version{{false, true}}, 0},
		{"on time twice, then late", []version{{true, false}, {true, false}, {true, true}}, 1},
	} {
		p := newProvince(t)
		var ids []int64
		for i, v := range c.versions {
			var rows [][]string
			if v.real {
				rows = crowdRows("210100", 3+i, "2024-02-10")
			}
			at := onTime
			if v.late {
				at = fmt.Sprintf(late, 1+i)
			}
			p.load("210100", flexemp.Registrations, "2024-02", at, rows)
			var id int64
			p.db.QueryRow(`SELECT max(upload_id) FROM uploads`).Scan(&id)
			ids = append(ids, id)
		}
		p.assess("2024Q1")
		var model int64
		p.db.QueryRow(`SELECT upload_id FROM scratch.int_counting_versions WHERE city_code = '210100' AND kind = 'registrations'`).Scan(&model)
		told, ok, err := ingest.CountingVersion(context.Background(), p.db, "210100", flexemp.Registrations, flexemp.Month{Year: 2024, Month: time.February})
		if err != nil || !ok || model != ids[c.counts] || told.UploadID != model {
			t.Errorf("%s: the model counts %d, ingest tells %d (%v %v), want %d", c.name, model, told.UploadID, ok, err, ids[c.counts])
		}
	}
}
