package transform_test

import (
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// County figures: golden counts per county made in Go from the rows
// themselves agree with the model; 市本级/未分区县 holds the rows under the
// city's own code or name and under a code not in the county table; every
// county indicator's numerators and denominators add up to the city's; I1
// has a value only where the county's population is known; the unknown
// code's rows are counted.
func TestCountyFigures(t *testing.T) {
	p := newProvince(t)
	p.ref.Counties = append([]flexemp.County(nil), p.ref.Counties...)
	for i := range p.ref.Counties {
		if p.ref.Counties[i].Code == "210102" {
			p.ref.Counties[i].Population = 645541
		}
	}
	rng := rand.New(rand.NewPCG(7, 23))
	areas := []string{"210102", "210103", "210104", "210100", "沈阳", "210199"}
	countyOf := func(area string) string {
		switch area {
		case "210102", "210103", "210104":
			return area
		}
		return "210100" // the city's own code, its name, and a code not in the table
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	unknown := 0 // rows under the code not in the table
	nextArea := func() string {
		a := pick(areas)
		if a == "210199" {
			unknown++
		}
		return a
	}
	type who struct{ id, group string }
	var people []who
	for i := range 60 {
		groups := []string{"高校毕业生", "农民工", "就业困难人员", "退役军人", "脱贫人口", "其他"}
		people = append(people, who{person(fmt.Sprintf("%d-%02d-%02d", 1975+i%25, 1+i%12, 1+i%28), i%2 == 0), groups[i%len(groups)]})
	}
	want := map[string]golden{} // county → indicator → counts
	add := func(county, id string, num, den bool) {
		if want[county] == nil {
			want[county] = golden{}
		}
		want[county].add(id, num, den)
	}
	// The latest row's county, the greater area code (as stored: a name
	// is the city's code) on the same day: each person counted once (I1,
	// I8, I18).
	type latest struct {
		day  time.Time
		area string
	}
	later := func(m map[string]latest, id string, d time.Time, area string) {
		if area == "沈阳" {
			area = "210100"
		}
		if l, ok := m[id]; !ok || d.After(l.day) || d.Equal(l.day) && area > l.area {
			m[id] = latest{d, area}
		}
	}
	flexOf, trainedOf := map[string]latest{}, map[string]latest{}
	siEligible, siPaid, trainingPaid := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, month := range []string{"2024-01", "2024-02", "2024-03"} {
		m, _ := flexemp.ParseMonth(month)
		var reg, tr, sub [][]string
		for range 40 {
			w, area := people[rng.IntN(len(people))], nextArea()
			county := countyOf(area)
			d := m.First().AddDate(0, 0, rng.IntN(28))
			form, typ, channel := pick([]string{"个体经营", "非全日制", "新就业形态", "其他灵活就业"}), "灵活就业登记", pick([]string{"线上", "线下"})
			if rng.IntN(4) == 0 {
				form, typ = "", "就业登记"
			}
			reg = append(reg, []string{w.id, area, typ, form, w.group, d.Format("2006-01-02"), d.Format("2006-01-02"), channel})
			add(county, "I5", channel == "线上", true)
			if typ == "灵活就业登记" {
				add(county, "I2", form == "新就业形态", true)
				key := w.group == "高校毕业生" || w.group == "农民工" || w.group == "就业困难人员" || w.group == "脱贫人口"
				add(county, "I3", key, true)
				later(flexOf, w.id, d, area)
				siEligible[w.id] = siEligible[w.id] || w.group == "就业困难人员" || w.group == "高校毕业生"
			}
		}
		for range 25 {
			w, area := people[rng.IntN(len(people))], nextArea()
			county := countyOf(area)
			end := m.First().AddDate(0, 0, rng.IntN(28))
			flex, completed := rng.IntN(5) > 0, rng.IntN(4) > 0
			certified := completed && rng.IntN(2) == 0
			typ := pick([]string{"创业培训", "职业技能培训", "新职业培训"})
			tr = append(tr, []string{w.id, area, typ, "线下", yes(flex), end.AddDate(0, 0, -3).Format("2006-01-02"), end.Format("2006-01-02"), yes(completed), yes(certified), "未知"})
			if flex {
				add(county, "I9", certified, true)
				add(county, "I10", typ == "新职业培训", true)
				if completed {
					later(trainedOf, w.id, end, area)
				}
			}
		}
		for range 10 {
			w, area := people[rng.IntN(len(people))], nextArea()
			typ := pick([]string{"社会保险补贴", "职业培训补贴"})
			d := m.First().AddDate(0, 0, rng.IntN(28)).Format("2006-01-02")
			if typ == "社会保险补贴" {
				sub = append(sub, []string{w.id, area, typ, w.group, "300.00", "900.00", "1", "", d})
				siPaid[w.id] = true
			} else {
				sub = append(sub, []string{w.id, area, typ, w.group, "800.00", "", "1", "", d})
				trainingPaid[w.id] = true
			}
		}
		received := m.Deadline().Add(-time.Hour).Format(time.RFC3339)
		p.load("210100", flexemp.Registrations, month, received, reg)
		p.load("210100", flexemp.Trainings, month, received, tr)
		p.load("210100", flexemp.Subsidies, month, received, sub)
	}
	for id, l := range flexOf {
		add(countyOf(l.area), "I1", true, false)
		if siEligible[id] {
			add(countyOf(l.area), "I8", siPaid[id], true)
		}
	}
	for id, l := range trainedOf {
		add(countyOf(l.area), "I18", trainingPaid[id], true)
	}
	p.complete("2024Q1")
	p.assess("2024Q1")

	got := map[string]map[string][3]sql.NullFloat64{}
	rows, err := p.db.Query(`SELECT county_code, county_name, indicator, numerator, denominator, value FROM scratch.mart_county_indicators WHERE city_code = '210100'`)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for rows.Next() {
		var code, name, id string
		var v [3]sql.NullFloat64
		if err := rows.Scan(&code, &name, &id, &v[0], &v[1], &v[2]); err != nil {
			t.Fatal(err)
		}
		if got[code] == nil {
			got[code] = map[string][3]sql.NullFloat64{}
		}
		got[code][id], names[code] = v, name
	}
	rows.Close()
	if len(got) != len(flexemp.CountiesOf(flexemp.Counties, "210100"))+1 || names["210100"] != flexemp.CityOwnCounty || names["210102"] != "和平区" {
		t.Fatalf("counties: %v", names)
	}
	for county, g := range want {
		for id, w := range g {
			ind, _ := flexemp.IndicatorByID(id)
			v := got[county][id]
			den := w[1]
			if id == "I1" {
				den = map[bool]float64{true: 645541}[county == "210102"]
			}
			if v[0].Float64 != w[0] || v[1].Float64 != den {
				t.Errorf("%s %s = %v/%v, want %v/%v", county, id, v[0].Float64, v[1].Float64, w[0], den)
			}
			scale := map[bool]float64{true: ind.Scale, false: 1}[ind.Scale != 0]
			switch wantV := w[0] / den * scale; {
			case den == 0 && v[2].Valid:
				t.Errorf("%s %s = %v with no denominator", county, id, v[2].Float64)
			case den != 0 && math.Abs(v[2].Float64-wantV) > 1e-12*math.Max(1, wantV):
				t.Errorf("%s %s value %v, want %v", county, id, v[2].Float64, wantV)
			}
		}
	}
	// Every county indicator adds up to the city's.
	for _, ind := range flexemp.Indicators {
		if !ind.ByCounty {
			continue
		}
		var num, den float64
		for _, g := range got {
			num += g[ind.ID][0].Float64
			den += g[ind.ID][1].Float64
		}
		cn, cd, _ := p.indicator("210100", ind.ID)
		if num != cn.Float64 || ind.ID != "I1" && den != cd.Float64 {
			t.Errorf("%s: counties add up to %v/%v, the city has %v/%v", ind.ID, num, den, cn.Float64, cd.Float64)
		}
	}
	var gotUnknown int
	if err := p.db.QueryRow(`SELECT sum(rows_in_period) FILTER (unknown) FROM scratch.int_row_counties WHERE city_code = '210100'`).Scan(&gotUnknown); err != nil || gotUnknown != unknown || unknown == 0 {
		t.Errorf("rows under a code not in the table: %d, want %d (%v)", gotUnknown, unknown, err)
	}
}

func yes(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
