package transform_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// The counting indicators over two quarters and the whole year, on a
// seeded year of hand-built extracts for one city. The expected values come
// from plain loops over the rows as they were written, month by month.
func TestIndicatorsOverQuartersAndYear(t *testing.T) {
	p := newProvince(t)
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	regCol, _, _ := flexemp.ContractOf(flexemp.Registrations).Column("employment_form")
	forms := regCol.Values
	groups := flexemp.PersonGroups
	var people []string
	for range 40 {
		people = append(people, person("1990-05-12", rng.IntN(2) == 0))
	}

	type reg struct {
		id, typ, form, group, channel string
		month                         time.Month
	}
	type training struct {
		typ, employed        string
		completed, certified bool
		month                time.Month
	}
	type services struct {
		month                                                                  time.Month
		markets, postings, matches, applied, online, pension, received, closed int
	}
	var regs []reg
	var trains []training
	var svcs []services
	yesNo := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	for m := time.January; m <= time.December; m++ {
		month := fmt.Sprintf("2024-%02d", int(m))
		applied := fmt.Sprintf("%s-%02d", month, 3+rng.IntN(20))
		var regRows, trRows [][]string
		for range 5 + rng.IntN(10) {
			r := reg{id: pick(people), typ: pick([]string{flexemp.RegFlexible, flexemp.RegFlexible, flexemp.RegEmployed}),
				group: pick(groups), channel: pick([]string{"线上", "线下"}), month: m}
			if r.typ == flexemp.RegFlexible {
				r.form = pick(forms)
			}
			regs = append(regs, r)
			regRows = append(regRows, []string{r.id, "210102", r.typ, r.form, r.group, applied, applied, r.channel})
		}
		for range 3 + rng.IntN(6) {
			tr := training{typ: pick([]string{"创业培训", "职业技能培训", "新职业培训"}), completed: rng.IntN(4) > 0, month: m, employed: "未知"}
			if tr.completed {
				tr.certified = rng.IntN(2) == 0
				tr.employed = pick([]string{"是", "否", "未知"})
			}
			trains = append(trains, tr)
			trRows = append(trRows, []string{pick(people), "210102", tr.typ, "线下", "是", month + "-01", applied,
				yesNo(tr.completed), yesNo(tr.certified), tr.employed})
		}
		s := services{month: m, markets: 80 + rng.IntN(20), postings: 100 + rng.IntN(900), applied: 10 + rng.IntN(50),
			pension: 5 + rng.IntN(30), received: 20 + rng.IntN(20)}
		s.matches = rng.IntN(2 * s.postings)
		s.online = rng.IntN(s.applied + 1)
		s.closed = rng.IntN(s.received + 1)
		if m >= time.July && m <= time.September {
			s.closed = s.received + 1 + rng.IntN(5) // Q3 closes more than it received: I14 is capped at 1
		}
		svcs = append(svcs, s)
		received := fmt.Sprintf("2024-%02d-28T09:00:00+08:00", int(m))
		p.load("210100", flexemp.Registrations, month, received, regRows)
		p.load("210100", flexemp.Trainings, month, received, trRows)
		p.load("210100", flexemp.Services, month, received, [][]string{{"210100", month, fmt.Sprint(s.markets), fmt.Sprint(s.postings),
			fmt.Sprint(s.matches), fmt.Sprint(s.applied), fmt.Sprint(s.online), fmt.Sprint(s.pension), fmt.Sprint(s.received), fmt.Sprint(s.closed)}})
	}

	pop := float64(flexemp.Cities[0].Population)
	for _, period := range []string{"2024Q2", "2024Q3", "2024"} {
		per, _ := flexemp.ParsePeriod(period)
		var in []time.Month
		for _, m := range per.Months() {
			in = append(in, m.Month)
		}
		last := in[len(in)-1]
		want := golden{}
		add := want.add
		persons := map[string]bool{}
		for _, r := range regs {
			if !slices.Contains(in, r.month) {
				continue
			}
			add("I5", r.channel == "线上", true)
			if r.typ != flexemp.RegFlexible {
				continue
			}
			persons[r.id] = true
			add("I2", r.form == "新就业形态", true)
			add("I3", slices.Contains([]string{"高校毕业生", "农民工", "就业困难人员", "脱贫人口"}, r.group), true)
		}
		for _, tr := range trains {
			if !slices.Contains(in, tr.month) {
				continue
			}
			add("I9", tr.certified, true)
			add("I10", tr.typ == "新职业培训", true)
		}
		// I11 looks six months back: the completed trainings that ended in
		// the period's months less six (未知 counts as 否), and only when
		// that window starts in 2024, the first month anyone uploaded.
		lagged := in[0] > 6
		for _, tr := range trains {
			if lagged && tr.completed && slices.Contains(in, tr.month+6) {
				add("I11", tr.employed == "是", true)
			}
		}
		var sums services
		for _, s := range svcs {
			if !slices.Contains(in, s.month) {
				continue
			}
			sums.matches += s.matches
			sums.postings += s.postings
			sums.online += s.online
			sums.applied += s.applied
			sums.closed += s.closed
			sums.received += s.received
			if s.month == last {
				want["I7"] = [2]float64{float64(s.markets), pop}
			}
		}
		want["I1"] = [2]float64{float64(len(persons)), pop}
		want["I6"] = [2]float64{float64(sums.matches), float64(sums.postings)}
		want["I12"] = [2]float64{float64(sums.online), float64(sums.applied)}
		want["I14"] = [2]float64{float64(sums.closed), float64(sums.received)}
		scale := map[string]float64{"I1": 10000, "I7": 100000}

		p.assess(period)
		p.checkIndicators(period+" ", "210100", want, scale, map[string]bool{"I14": true})
		if len(want) != 10+map[bool]int{true: 1}[lagged] {
			t.Fatalf("%s: %d indicators checked", period, len(want))
		}
		// Version-1 services (2024) have no flex_registered: I13 has no
		// denominator, and nor has any other version-2 indicator.
		for _, id := range []string{"I13", "I17", "I19", "I20", "I21", "I22"} {
			if _, _, val := p.indicator("210100", id); val.Valid {
				t.Errorf("%s %s = %v from version-1 services", period, id, val.Float64)
			}
		}
		if _, _, val := p.indicator("210100", "I11"); val.Valid != lagged {
			t.Errorf("%s I11 = %v: its window starts before the first upload, so it is left out, unless in 2024", period, val)
		}
		if capped := want["I14"][0] > want["I14"][1]; capped != (period == "2024Q3") {
			t.Errorf("%s: I14 capped %v", period, capped)
		}
	}
}
