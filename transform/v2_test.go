package transform_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/transform"
)

// v2services is one month's services row of contract version 2.
type v2services struct {
	month                                        string
	markets, postings, matches, applied, online  int
	pension, received, closed                    int
	registered, agencies, served, titles, passed int
	checked, written, events                     int
	fundFen                                      int64
}

func (s v2services) row() []string {
	return []string{"210100", s.month, fmt.Sprint(s.markets), fmt.Sprint(s.postings), fmt.Sprint(s.matches), fmt.Sprint(s.applied),
		fmt.Sprint(s.online), fmt.Sprint(s.pension), fmt.Sprint(s.received), fmt.Sprint(s.closed),
		fmt.Sprint(s.registered), fmt.Sprint(s.agencies), fmt.Sprint(s.served), fmt.Sprint(s.titles), fmt.Sprint(s.passed),
		fmt.Sprint(s.checked), fmt.Sprint(s.written), fmt.Sprint(s.events), fmt.Sprintf("%d.%02d", s.fundFen/100, s.fundFen%100)}
}

// The new and changed indicators of 2025 (services version 2) over a
// quarter, against plain loops over the rows as written: I9–I11 count
// flexible workers' trainings only; I13 is pension ÷ flex_registered of the
// last month, capped at 1; I17–I22 as SPEC's table; I18 counts a training
// subsidy paid by another city; I20 is capped at 1.
func TestVersion2Indicators(t *testing.T) {
	p := newProvince(t)
	rng := rand.New(rand.NewPCG(25, 2))
	yesNo := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	type training struct {
		id                                  string
		flexible, completed, certified, new bool
		employed                            string
	}
	var trains []training
	var svcs []v2services
	paidFen := map[string]int64{} // Shenyang's payments by month, all types
	trainingPaid := map[string]bool{}
	for m := 1; m <= 3; m++ {
		month := fmt.Sprintf("2025-%02d", m)
		var rows [][]string
		for range 6 + rng.IntN(6) {
			tr := training{id: person("1992-04-04", rng.IntN(2) == 0), flexible: rng.IntN(3) > 0, completed: rng.IntN(5) > 0,
				new: rng.IntN(4) == 0, employed: "未知"}
			if tr.completed {
				tr.certified = rng.IntN(2) == 0
				tr.employed = []string{"是", "否", "未知"}[rng.IntN(3)]
			}
			typ := "职业技能培训"
			if tr.new {
				typ = "新职业培训"
			}
			trains = append(trains, tr)
			rows = append(rows, []string{tr.id, "210102", typ, "线下", yesNo(tr.flexible), month + "-01", month + "-15",
				yesNo(tr.completed), yesNo(tr.certified), tr.employed})
		}
		p.load("210100", flexemp.Trainings, month, month+"-28T09:00:00+08:00", rows)
		// Training subsidies: Shenyang pays some of its trainees, Dalian one.
		var pays [][]string
		for i, tr := range trains {
			if tr.flexible && tr.completed && !trainingPaid[tr.id] && i%2 == 0 {
				trainingPaid[tr.id] = true
				pays = append(pays, []string{tr.id, "210102", "职业培训补贴", "其他", "900.00", "", "1", "", month + "-20"})
				paidFen[month] += 90000
			}
		}
		pays = append(pays, []string{person("1980-01-01", true), "210102", "创业场地补贴", "其他", "2500.50", "", "3", "", month + "-21"})
		paidFen[month] += 250050
		p.load("210100", flexemp.Subsidies, month, month+"-28T09:00:00+08:00", pays)
		s := v2services{month: month, markets: 60 + rng.IntN(20), postings: 500 + rng.IntN(500), applied: 30 + rng.IntN(20),
			pension: 900 + rng.IntN(200), received: 10 + rng.IntN(10), registered: 1500 + rng.IntN(300), agencies: 20 + rng.IntN(10),
			served: 3000 + rng.IntN(2000), titles: 40 + rng.IntN(20), checked: 80 + rng.IntN(40), events: 5 + rng.IntN(10)}
		s.matches, s.online, s.closed = rng.IntN(2*s.postings), rng.IntN(s.applied+1), rng.IntN(s.received+1)
		s.passed, s.written = rng.IntN(s.titles+1), rng.IntN(s.checked+1)
		s.fundFen = paidFen[month] * 3 / 2
		if m == 3 {
			s.pension = s.registered + 7   // more enrolled than registered: I13 is capped
			s.fundFen = paidFen[month] / 4 // March over-spends, but the quarter does not
		}
		svcs = append(svcs, s)
		p.load("210100", flexemp.Services, month, month+"-28T09:00:00+08:00", [][]string{s.row()})
	}
	// Dalian pays a Shenyang trainee not yet paid: I18 counts payments by any city.
	for _, tr := range trains {
		if tr.flexible && tr.completed && !trainingPaid[tr.id] {
			trainingPaid[tr.id] = true
			p.load("210200", flexemp.Subsidies, "2025-03", "2025-04-02T09:00:00+08:00", [][]string{
				{tr.id, "210202", "职业培训补贴", "其他", "800.00", "", "1", "", "2025-03-25"}})
			break
		}
	}
	// The province's own allocations (reference/funds.csv), I20's
	// denominator: what each month's services row reports, as it should.
	for _, s := range svcs {
		m, _ := flexemp.ParseMonth(s.month)
		p.ref.Funds = append(p.ref.Funds, flexemp.Fund{City: "210100", Month: m, AllocatedFen: s.fundFen})
	}
	p.assess("2025Q1")

	want := golden{}
	add := want.add
	completedFlex := map[string]bool{}
	for _, tr := range trains {
		if !tr.flexible {
			continue
		}
		add("I9", tr.certified, true)
		add("I10", tr.new, true)
		if tr.completed {
			completedFlex[tr.id] = true
		}
	}
	for id := range completedFlex {
		add("I18", trainingPaid[id], true)
	}
	var sum v2services
	var fund, paid float64
	for _, s := range svcs {
		sum.served += s.served
		sum.titles += s.titles
		sum.passed += s.passed
		sum.checked += s.checked
		sum.written += s.written
		sum.events += s.events
		fund += float64(s.fundFen)
	}
	for _, f := range paidFen {
		paid += float64(f)
	}
	last := svcs[len(svcs)-1]
	pop := float64(flexemp.Cities[0].Population)
	want["I13"] = [2]float64{float64(last.pension), float64(last.registered)}
	want["I17"] = [2]float64{float64(sum.served), pop}
	want["I19"] = [2]float64{float64(sum.passed), float64(sum.titles)}
	want["I20"] = [2]float64{paid, fund}
	want["I21"] = [2]float64{float64(sum.written), float64(sum.checked)}
	want["I22"] = [2]float64{float64(sum.events), pop}
	scale := map[string]float64{"I17": 10000, "I22": 100000}
	capped := map[string]bool{"I13": true, "I20": true}
	p.checkIndicators("", "210100", want, scale, capped)
	if len(want) != 9 {
		t.Fatalf("%d indicators checked", len(want))
	}
	// I11 looks at trainings that ended in 2024Q3, before anyone uploaded:
	// left out, not scored.
	if _, _, v := p.indicator("210100", "I11"); v.Valid {
		t.Errorf("I11 = %v over a window before the first upload", v.Float64)
	}
	if _, _, v := p.indicator("210100", "I13"); v.Float64 != 1 {
		t.Errorf("I13 = %v: March enrols more than it registers, capped at 1", v.Float64)
	}
	if paid >= fund {
		t.Error("fixture: the quarter should spend less than allocated")
	}
	if len(completedFlex) == 0 || want["I18"][0] == 0 || want["I18"][0] == want["I18"][1] {
		t.Errorf("fixture: I18 %v proves little", want["I18"])
	}
}

// The same data assessed as of 2025-06-20 and as of 2025-08-01 differs
// exactly where SPEC says: on 06-20 June is not due (its deadline is the end
// of 10 July), so June's rows, June's extracts in I16 and June's month-end
// figures are out, and a pending case is judged at 06-20; on 08-01 June
// counts, the last due month is June, and a pending case is judged at the
// quarter's end. As of 2025-07-05 nothing of 2025Q3 is due: refused.
func TestAsOf(t *testing.T) {
	p := newProvince(t)
	reg := func(applied, completed string) []string {
		return []string{person("1990-02-02", true), "210102", "失业登记", "", "其他", applied, completed, "线下"}
	}
	flex := func(applied string) []string {
		return []string{person("1991-03-03", false), "210102", "灵活就业登记", "新就业形态", "高校毕业生", applied, applied, "线上"}
	}
	months := []string{"2025-04", "2025-05", "2025-06"}
	regs := map[string][][]string{
		"2025-04": {flex("2025-04-08"), reg("2025-04-07", "2025-04-09")},
		// Pending since 5 May: its 7th working day (15 May) is before either cut-off.
		"2025-05": {flex("2025-05-12"), flex("2025-05-13"), reg("2025-05-05", "")},
		// Pending since 16 June: 7th working day 25 June, before the quarter's end.
		"2025-06": {flex("2025-06-03"), reg("2025-06-16", "")},
	}
	for i, m := range months {
		received := m + "-30T09:00:00+08:00"
		if m == "2025-06" {
			received = "2025-07-09T09:00:00+08:00"
		}
		p.load("210100", flexemp.Registrations, m, received, regs[m])
		s := v2services{month: m, markets: 10 + i, postings: 100, matches: 90, applied: 10, online: 5, pension: 500 + 100*i, received: 4, closed: 4,
			registered: 1000, agencies: 3, served: 200, titles: 10, passed: 5, checked: 10, written: 8, events: 2, fundFen: 1000000}
		servicesAt := received
		if m == "2025-06" {
			servicesAt = "2025-07-20T09:00:00+08:00" // late
		}
		p.load("210100", flexemp.Services, m, servicesAt, [][]string{s.row()})
	}
	q2, _ := flexemp.ParsePeriod("2025Q2")
	assess := func(asOf string) {
		t.Helper()
		if _, err := transform.Build(context.Background(), p.db, transform.Params{Period: q2, AsOf: day(asOf), Reference: flexemp.DefaultReference()}); err != nil {
			t.Fatal(err)
		}
	}
	type fig struct{ num, den float64 }
	get := func(id string) fig {
		num, den, _ := p.indicator("210100", id)
		return fig{num.Float64, den.Float64}
	}
	pop := float64(flexemp.Cities[0].Population)
	cases := []struct {
		asOf string
		want map[string]fig
	}{
		{"2025-06-20", map[string]fig{
			"I1":  {3, pop},    // April's and May's 灵活就业登记
			"I4":  {1, 2},      // April's on time, May's pending one late at 06-20
			"I7":  {11, pop},   // markets of May
			"I13": {600, 1000}, // pension of May
			"I16": {4, 8},      // 4 kinds × April, May; registrations and services on time
		}},
		{"2025-08-01", map[string]fig{
			"I1":  {4, pop},
			"I4":  {1, 3},    // June's pending one is late at the quarter's end too
			"I7":  {12, pop}, // markets of June
			"I13": {700, 1000},
			"I16": {5, 12}, // June's registrations on time, its services late
		}},
	}
	for _, c := range cases {
		assess(c.asOf)
		for id, w := range c.want {
			if got := get(id); got != w {
				t.Errorf("as of %s: %s = %v/%v, want %v/%v", c.asOf, id, got.num, got.den, w.num, w.den)
			}
		}
	}
	if !q2.Running(day("2025-06-20")) || q2.Running(day("2025-08-01")) {
		t.Error("2025Q2 should be running on 06-20 and finished on 08-01")
	}
	q3, _ := flexemp.ParsePeriod("2025Q3")
	_, err := transform.Build(context.Background(), p.db, transform.Params{Period: q3, AsOf: day("2025-07-05"), Reference: flexemp.DefaultReference()})
	if err == nil || flexemp.ErrorCode(err) != flexemp.EINVALID || !strings.Contains(flexemp.ErrorMessage(err), "2025年第3季度截至 2025-07-05 尚无到期月份") {
		t.Errorf("a period with nothing due: %v", err)
	}
	if d := (flexemp.Month{Year: 2025, Month: time.June}); d.DueBy(day("2025-07-10")) || !d.DueBy(day("2025-07-11")) {
		t.Error("June is due from 11 July")
	}
}

// A zero denominator from the city's own data takes the floor: 0 loan
// applications reported all quarter make I12 无数据·计最低 (zero_floor), not a
// gap the index would step over; a reviewer's accepted zero leaves it out
// instead, and so does a zero from the province's own tables (I20 with no
// allocation row).
func TestZeroDenominatorTakesTheFloor(t *testing.T) {
	p := newProvince(t)
	for m := 1; m <= 3; m++ {
		month := fmt.Sprintf("2025-%02d", m)
		s := v2services{month: month, markets: 5, postings: 10, matches: 10, applied: 0, online: 0, pension: 900, received: 2, closed: 2,
			registered: 1000, agencies: 1, served: 10, titles: 2, passed: 1, checked: 3, written: 3, events: 1, fundFen: 100000}
		p.load("210100", flexemp.Services, month, month+"-28T09:00:00+08:00", [][]string{s.row()})
	}
	p.complete("2025Q1")
	floor := func(id string) (zero bool, value sql.NullFloat64) {
		t.Helper()
		if err := p.db.QueryRow(`SELECT zero_floor, value FROM scratch.mart_indicators WHERE city_code = '210100' AND indicator = ?`, id).Scan(&zero, &value); err != nil {
			t.Fatal(err)
		}
		return
	}
	q1, _ := flexemp.ParsePeriod("2025Q1")
	for _, accepted := range [][]transform.CityIndicator{nil, {{City: "210100", Indicator: "I12"}}} {
		if _, err := transform.Build(context.Background(), p.db, transform.Params{Period: q1, Reference: p.ref, AcceptedZeros: accepted}); err != nil {
			t.Fatal(err)
		}
		if zero, v := floor("I12"); zero != (accepted == nil) || v.Valid {
			t.Errorf("accepted %v: I12 zero_floor %v, value %v", accepted, zero, v)
		}
		if zero, v := floor("I21"); zero || !v.Valid || v.Float64 != 1 {
			t.Errorf("I21 zero_floor %v, value %v, want 3/3 each month", zero, v)
		}
		if zero, v := floor("I20"); zero || v.Valid {
			t.Errorf("I20 without an allocation: zero_floor %v, value %v, want left out", zero, v)
		}
	}
}
