package dispatch_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

// golden counts each task by city and month in Go, from the rows the test
// writes, independently of the SQL: distinct persons counted in the month
// of their first row of the year, sums otherwise.
type golden struct {
	seen  map[string]bool             // city|task|year|person
	count map[string]map[string]int64 // city|task → "YYYY-MM" → n
}

func (g *golden) add(city, task string, m flexemp.Month, person string, n int64) {
	if person != "" {
		k := fmt.Sprint(city, task, m.Year, person)
		if g.seen[k] {
			return
		}
		g.seen[k] = true
	}
	if g.count[city+task] == nil {
		g.count[city+task] = map[string]int64{}
	}
	g.count[city+task][m.String()] += n
}

// through is a task's count from January through month m of year.
func (g *golden) through(city, task string, year, m int) int64 {
	var n int64
	for i := 1; i <= m; i++ {
		n += g.count[city+task][flexemp.Month{Year: year, Month: time.Month(i)}.String()]
	}
	return n
}

// province writes and ingests extracts as a city's system exports them.
type province struct {
	t *testing.T
	g *ingest.Ingester
}

func (p *province) load(city string, kind flexemp.Kind, m flexemp.Month, at time.Time, rows [][]string) {
	p.t.Helper()
	path := filepath.Join(p.t.TempDir(), "x.csv")
	f, err := os.Create(path)
	if err != nil {
		p.t.Fatal(err)
	}
	w := csv.NewWriter(f)
	var header []string
	for _, c := range flexemp.ContractOf(kind).Columns {
		header = append(header, c.Header)
	}
	w.Write(header)
	w.WriteAll(rows)
	f.Close()
	res, err := p.g.Ingest(context.Background(), ingest.Request{Path: path, City: city, Kind: kind, Month: m, ReceivedAt: at})
	if err != nil || res.Status != ingest.StatusAccepted || res.Rejected != 0 {
		p.t.Fatalf("load %s %s %s: %v %+v", city, kind, m, err, res)
	}
}

// The counts T1–T6 of dispatch equal the ones counted in Go from the rows
// sent, for every city and task, through the version that counts (a late
// second version is not read); a kind not sent for a due month makes its
// tasks 未报送; the projection is seasonal with a full previous year and
// linear without; region subtotals add up.
func TestCountsStatusesAndProjection(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := transform.Open(ctx, filepath.Join(dir, "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := &province{t: t, g: &ingest.Ingester{DB: db, Key: []byte("dispatch-test-key-0123456789")}}
	rng := rand.New(rand.NewPCG(7, 11))
	want := &golden{seen: map[string]bool{}, count: map[string]map[string]int64{}}
	cities := map[string][]string{"210100": {"210100", "210102", "210103"}, "210200": {"210200", "210202"}}
	// 大连 sends no trainings for 2025-02 (未报送) and no services for
	// 2024-05 (no full previous year: linear).
	skip := map[string]bool{"210200 trainings 2025-02": true, "210200 services 2024-05": true}
	id := func(area string, n int) string {
		return gen.ID(area, time.Date(1985+n%15, time.Month(1+n%12), 1+n%27, 0, 0, 0, 0, time.UTC), n, n%2 == 0)
	}
	for m := (flexemp.Month{Year: 2024, Month: 1}); m.Year < 2025 || m.Month <= 6; m = m.Next() {
		at := m.Deadline().Add(-5 * 24 * time.Hour)
		day := func(d int) string { return m.First().AddDate(0, 0, d).Format("2006-01-02") }
		for city, areas := range cities {
			sends := func(k flexemp.Kind) bool { return !skip[fmt.Sprint(city, " ", k, " ", m)] }
			var reg, sub, tr [][]string
			for i := range 8 + rng.IntN(10) {
				area := areas[rng.IntN(len(areas))]
				person := id(areas[0][:4]+"02", rng.IntN(40)) // a pool of 40: persons come back
				typ := []string{flexemp.RegFlexible, flexemp.RegFlexible, flexemp.RegUnemployed}[i%3]
				form := ""
				if typ == flexemp.RegFlexible {
					form = "个体经营"
					want.add(city, "T1", m, person, 1)
				}
				reg = append(reg, []string{person, area, typ, form, "其他", day(i % 27), "", "线下"})
			}
			for i := range 3 + rng.IntN(6) {
				person := id(areas[0][:4]+"02", rng.IntN(25))
				typ := []string{flexemp.SubsidySocialInsurance, flexemp.SubsidyVenue}[i%2]
				contribution := ""
				if typ == flexemp.SubsidySocialInsurance {
					contribution = "500.00"
					want.add(city, "T3", m, person, 1)
				}
				sub = append(sub, []string{person, areas[rng.IntN(len(areas))], typ, "其他", "300.00", contribution, "1", "", day(i % 27)})
			}
			for i := range 2 + rng.IntN(6) {
				flexible := []string{"是", "否"}[rng.IntN(2)]
				if flexible == "是" && sends(flexemp.Trainings) {
					want.add(city, "T2", m, "", 1)
				}
				tr = append(tr, []string{id(areas[0][:4]+"02", 100+i), areas[0], "职业技能培训", "线下", flexible, day(0), day(i % 27), "是", "否", "未知"})
			}
			gig, loans, events := rng.Int64N(500), rng.Int64N(30), rng.Int64N(5)
			svc := []string{city, m.String(), "3", "600", fmt.Sprint(gig), fmt.Sprint(loans), "0", "10", "2", "2"}
			if m.Year == 2025 {
				svc = append(svc, "100", "3", "40", "5", "4", "6", "5", fmt.Sprint(events), "100000.00")
				if sends(flexemp.Services) {
					want.add(city, "T6", m, "", events)
				}
			} else {
				svc = append(svc, "", "", "", "", "", "", "", "", "")
			}
			if sends(flexemp.Services) {
				want.add(city, "T4", m, "", gig)
				want.add(city, "T5", m, "", loans)
				p.load(city, flexemp.Services, m, at, [][]string{svc})
			}
			p.load(city, flexemp.Registrations, m, at, reg)
			p.load(city, flexemp.Subsidies, m, at, sub)
			if sends(flexemp.Trainings) {
				p.load(city, flexemp.Trainings, m, at, tr)
			}
		}
	}
	// A second version of 沈阳's March registrations after the deadline,
	// with 30 more persons: the first counts (以截止时报送数据为准).
	march := flexemp.Month{Year: 2025, Month: 3}
	var more [][]string
	for i := range 30 {
		more = append(more, []string{id("210102", 500+i), "210100", flexemp.RegFlexible, "个体经营", "其他", "2025-03-10", "", "线下"})
	}
	p.load("210100", flexemp.Registrations, march, march.Deadline().Add(48*time.Hour), more)

	var targets []flexemp.Target
	for city := range cities {
		for _, task := range flexemp.Tasks {
			targets = append(targets, flexemp.Target{Year: 2025, City: city, Task: task.ID, Target: 2*want.through(city, task.ID, 2025, 6) + 1})
		}
	}
	ref := flexemp.DefaultReference()
	ref.Targets, ref.Regions = targets, []flexemp.Region{{Name: "沈大", Cities: []string{"210100", "210200"}}}
	r, err := dispatch.Compute(ctx, db, dispatch.Options{Year: 2025, AsOf: time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC), Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	if r.Months != 6 || r.Through.String() != "2025-06" || r.TimeProgress != 0.5 || r.AsOf != "2025-07-20" {
		t.Fatalf("through %s (%d), time progress %v, as of %s", r.Through, r.Months, r.TimeProgress, r.AsOf)
	}
	region := map[string]int64{}
	for _, c := range r.Cities {
		if _, ok := cities[c.Code]; !ok {
			if len(c.Tasks) != 0 {
				t.Errorf("%s has tasks without targets: %v", c.Name, c.Tasks)
			}
			continue
		}
		for _, task := range flexemp.Tasks {
			got := c.Tasks[task.ID]
			w := want.through(c.Code, task.ID, 2025, 6)
			if got == nil || got.Actual != w || got.Target != 2*w+1 {
				t.Errorf("%s %s: %+v, want actual %d", c.Name, task.ID, got, w)
				continue
			}
			region[task.ID] += got.Actual
			notSent := c.Code == "210200" && task.Kind == flexemp.Trainings
			if notSent != (got.Status == dispatch.NotSent) || notSent && !slices.Equal(got.NotSent, []flexemp.Month{{Year: 2025, Month: 2}}) {
				t.Errorf("%s %s: status %s, not sent %v", c.Name, task.ID, got.Status, got.NotSent)
			}
			// The projection: seasonal over a full previous year, else linear.
			rate := float64(w) / float64(2*w+1)
			wantMethod, wantProj := dispatch.Linear, rate*2
			prev12, prev6 := want.through(c.Code, task.ID, 2024, 12), want.through(c.Code, task.ID, 2024, 6)
			full := !(c.Code == "210200" && task.Kind == flexemp.Services)
			if full && prev12 > 0 && prev6 > 0 {
				wantMethod, wantProj = dispatch.Seasonal, rate/(float64(prev6)/float64(prev12))
			}
			if got.ProjectionMethod != wantMethod || math.Abs(got.Projection-wantProj) > 1e-12 {
				t.Errorf("%s %s: projection %v by %s, want %v by %s", c.Name, task.ID, got.Projection, got.ProjectionMethod, wantProj, wantMethod)
			}
			if needed := float64(2*w+1-w) / 6; math.Abs(got.MonthlyNeeded-needed) > 1e-12 || math.Abs(got.MonthlySoFar-float64(w)/6) > 1e-12 {
				t.Errorf("%s %s: monthly needed %v, so far %v", c.Name, task.ID, got.MonthlyNeeded, got.MonthlySoFar)
			}
		}
		if c.Region != "沈大" {
			t.Errorf("%s in region %q", c.Name, c.Region)
		}
	}
	for _, task := range flexemp.Tasks {
		if len(r.Regions) != 1 || r.Regions[0].Tasks[task.ID].Actual != region[task.ID] || r.Province[task.ID].Actual != region[task.ID] {
			t.Errorf("%s: region %+v, province %+v, want %d", task.ID, r.Regions, r.Province[task.ID], region[task.ID])
		}
	}
	// The month's data notes: 大连's trainings are not missing in June.
	for _, d := range r.Data {
		if d.City == "210100" || d.City == "210200" {
			t.Errorf("a data note for a city that sent June on time: %+v", d)
		}
	}
}

// Each status at its thresholds' edges, compared exactly.
func TestStatusAtTheEdges(t *testing.T) {
	s := dispatch.Settings{}
	for _, c := range []struct {
		actual, target int64
		m              int
		want           string
	}{
		{55, 100, 6, dispatch.Ahead},    // 55% = 50% + 5 pp
		{549, 1000, 6, dispatch.Normal}, // just under
		{45, 100, 6, dispatch.Normal},   // 45% = 50% − 5 pp: not below
		{449, 1000, 6, dispatch.Behind},
		{35, 100, 6, dispatch.Behind}, // 35% = 50% − 15 pp: not below
		{349, 1000, 6, dispatch.Severe},
		{3, 12, 3, dispatch.Normal}, // 25% at 3/12
		{1, 1, 12, dispatch.Normal},
		{0, 5, 1, dispatch.Behind}, // 0% at 8.3%: 8.3 pp below
		{0, 5, 3, dispatch.Severe},
	} {
		if got := dispatch.Status(c.actual, c.target, c.m, s); got != c.want {
			t.Errorf("%d/%d through month %d: %s, want %s", c.actual, c.target, c.m, got, c.want)
		}
	}
	if got := dispatch.Status(52, 100, 6, dispatch.Settings{Ahead: 2}); got != dispatch.Ahead {
		t.Errorf("a configured threshold: %s", got)
	}
}

// A year without targets and an as-of before the year's first deadline are
// refused in Chinese, saying what to do.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	db, err := transform.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ref := flexemp.DefaultReference()
	_, err = dispatch.Compute(ctx, db, dispatch.Options{Year: 2025, AsOf: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), Reference: ref})
	if msg := flexemp.ErrorMessage(err); !strings.Contains(msg, "尚无调度目标") {
		t.Errorf("no targets: %v", err)
	}
	ref.Targets = []flexemp.Target{{Year: 2025, City: "210100", Task: "T1", Target: 10}}
	_, err = dispatch.Compute(ctx, db, dispatch.Options{Year: 2025, AsOf: time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC), Reference: ref})
	if msg := flexemp.ErrorMessage(err); !strings.Contains(msg, "尚无到期月份") || !strings.Contains(msg, "2025-01") {
		t.Errorf("before the first deadline: %v", err)
	}
}
