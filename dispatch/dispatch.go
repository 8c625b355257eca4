// Package dispatch steers the running year (SPEC "Dispatch", 日常调度):
// each city's progress on the year's tasks against its targets and the
// calendar (时间过半、任务过半), its status and a projection of the year.
// It reads the transform's dispatch model, which counts from the versions
// that count as the assessment does; reports renders the bulletin,
// schedules sends it and server shows it.
package dispatch

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Statuses of a city's task.
const (
	Ahead   = "超前"
	Normal  = "正常"
	Behind  = "滞后"
	Severe  = "严重滞后"
	NotSent = "未报送"
)

// Statuses in order, worst last.
var Statuses = []string{Ahead, Normal, Behind, Severe, NotSent}

// The projection's methods, named wherever the figure is shown.
const (
	Seasonal = "按本市上年各月分布推算"
	Linear   = "按时序进度线性推算"
)

// Settings are [dispatch]'s thresholds, in whole percentage points of the
// completion rate against the time progress.
type Settings struct {
	Ahead  int `toml:"ahead_pp"`  // 超前 from time progress + Ahead (default 5)
	Behind int `toml:"behind_pp"` // 滞后 below time progress − Behind (default 5)
	Severe int `toml:"severe_pp"` // 严重滞后 below time progress − Severe (default 15)
}

// WithDefaults fills the thresholds left zero.
func (s Settings) WithDefaults() Settings {
	if s.Ahead == 0 {
		s.Ahead = 5
	}
	if s.Behind == 0 {
		s.Behind = 5
	}
	if s.Severe == 0 {
		s.Severe = 15
	}
	return s
}

// Validate refuses thresholds that cannot order the statuses.
func (s Settings) Validate() error {
	s = s.WithDefaults()
	if s.Ahead < 0 || s.Behind < 0 || s.Severe <= s.Behind || s.Severe > 100 {
		return fmt.Errorf("[dispatch] 阈值应满足 ahead_pp ≥ 0、0 ≤ behind_pp < severe_pp ≤ 100（现为 %d、%d、%d）", s.Ahead, s.Behind, s.Severe)
	}
	return nil
}

// Options choose a dispatch.
type Options struct {
	Year      int
	AsOf      time.Time // a date; zero: today in Asia/Shanghai
	Reference flexemp.Reference
	Settings  Settings
}

// Report is a year's dispatch as of a date: SPEC's JSON.
type Report struct {
	Year         int                  `json:"year"`
	AsOf         string               `json:"as_of"`   // YYYY-MM-DD
	Through      flexemp.Month        `json:"through"` // the latest due month, M
	TimeProgress float64              `json:"time_progress"`
	Cities       []City               `json:"cities"`
	Regions      []RegionTotal        `json:"regions"`
	Province     map[string]*Total    `json:"province"`
	Data         []DataNote           `json:"data"` // the month M extracts not sent or late
	Months       int                  `json:"-"`    // M
	Cumulative   map[string]Cumulated `json:"-"`    // by city code, for the charts
}

// City is one city's progress.
type City struct {
	Code     string               `json:"code"`
	Name     string               `json:"name"`
	Region   string               `json:"region"`
	Tasks    map[string]*Progress `json:"tasks"`
	Counties []County             `json:"counties"`
}

// Progress is a city's task through M.
type Progress struct {
	Actual           int64   `json:"actual"`
	Target           int64   `json:"target"`
	Rate             float64 `json:"rate"`
	Status           string  `json:"status"`
	Projection       float64 `json:"projection"` // 预计全年完成率, a fraction
	ProjectionMethod string  `json:"projection_method"`
	MonthlyNeeded    float64 `json:"monthly_needed"` // 后续月均需完成
	MonthlySoFar     float64 `json:"monthly_so_far"`
	// NotSent are the due months of the task's kind the city has not sent.
	NotSent []flexemp.Month `json:"not_sent"`
}

// County is a county's counts of the tasks counted from person rows.
type County struct {
	Code   string           `json:"code"`
	Name   string           `json:"name"`
	Actual map[string]int64 `json:"actual"`
}

// Total is a sum over cities of a task with a target.
type Total struct {
	Actual int64   `json:"actual"`
	Target int64   `json:"target"`
	Rate   float64 `json:"rate"`
}

// RegionTotal is a region's subtotals.
type RegionTotal struct {
	Name   string            `json:"name"`
	Cities []string          `json:"cities"`
	Tasks  map[string]*Total `json:"tasks"`
}

// DataNote is an extract of month M not sent by its deadline, or late.
type DataNote struct {
	City  string        `json:"city"`
	Kind  flexemp.Kind  `json:"kind"`
	Month flexemp.Month `json:"month"`
	State string        `json:"state"` // 未报送 or 逾期报送
}

// Cumulated is a city's cumulative count of each task by month 1..M.
type Cumulated map[string][]int64

// Compute counts the year's tasks as of the date and judges each city's
// progress. The caller keeps other assessments out (the store's Compute):
// the counts are built in the transform's scratch database.
func Compute(ctx context.Context, db *sql.DB, o Options) (*Report, error) {
	if o.AsOf.IsZero() {
		o.AsOf = flexemp.DateOf(time.Now())
	}
	o.Settings = o.Settings.WithDefaults()
	if err := o.Settings.Validate(); err != nil {
		return nil, err
	}
	targets := map[string]map[string]int64{} // city → task → target
	for _, t := range o.Reference.Targets {
		if t.Year == o.Year {
			if targets[t.City] == nil {
				targets[t.City] = map[string]int64{}
			}
			targets[t.City][t.Task] = t.Target
		}
	}
	if len(targets) == 0 {
		return nil, flexemp.Errorf(flexemp.ENOTFOUND, "%d 年尚无调度目标：请在 [reference] targets 指定的 targets.csv 中给出各市该年的目标任务", o.Year)
	}
	year := flexemp.Period{Year: o.Year}
	due := year.DueMonths(o.AsOf)
	if len(due) == 0 {
		first := year.Months()[0]
		return nil, flexemp.Errorf(flexemp.EINVALID, "%d 年截至 %s 尚无到期月份：%s 的数据报送截止于 %s，届时可首次调度",
			o.Year, o.AsOf.Format("2006-01-02"), first, first.DeadlineText())
	}
	m := len(due)
	if _, err := transform.Build(ctx, db, transform.Params{Period: year, AsOf: o.AsOf, Reference: o.Reference, Dispatch: true}); err != nil {
		return nil, err
	}
	monthly, byCounty, err := readCounts(ctx, db)
	if err != nil {
		return nil, err
	}
	sent, err := readSent(ctx, db, o.Year)
	if err != nil {
		return nil, err
	}
	r := &Report{Year: o.Year, AsOf: o.AsOf.Format("2006-01-02"), Through: due[m-1], Months: m,
		TimeProgress: float64(m) / 12, Province: map[string]*Total{}, Cumulative: map[string]Cumulated{},
		Cities: []City{}, Regions: []RegionTotal{}, Data: []DataNote{}}
	for _, c := range o.Reference.Cities {
		city := City{Code: c.Code, Name: c.Name, Region: flexemp.RegionOf(o.Reference.Regions, c.Code), Tasks: map[string]*Progress{}, Counties: []County{}}
		cum := Cumulated{}
		for _, t := range flexemp.Tasks {
			counts := monthly[key{c.Code, t.ID}]
			cum[t.ID] = counts.cumulative(o.Year, m)
			target, ok := targets[c.Code][t.ID]
			if !ok {
				continue
			}
			p := &Progress{Actual: cum[t.ID][m-1], Target: target, NotSent: []flexemp.Month{}}
			for _, month := range due {
				if !sent[sentKey{c.Code, t.Kind, month}].sent {
					p.NotSent = append(p.NotSent, month)
				}
			}
			p.judge(m, o.Settings, counts.profile(o.Year-1, m, sent, c.Code, t.Kind))
			city.Tasks[t.ID] = p
			total := r.Province[t.ID]
			if total == nil {
				total = &Total{}
				r.Province[t.ID] = total
			}
			total.add(p)
		}
		city.Counties = counties(o.Reference, c.Code, byCounty, o.Year, m)
		r.Cities = append(r.Cities, city)
		r.Cumulative[c.Code] = cum
		for _, k := range flexemp.Kinds {
			s := sent[sentKey{c.Code, k, due[m-1]}]
			switch {
			case !s.sent:
				r.Data = append(r.Data, DataNote{City: c.Code, Kind: k, Month: due[m-1], State: "未报送"})
			case !s.onTime:
				r.Data = append(r.Data, DataNote{City: c.Code, Kind: k, Month: due[m-1], State: "逾期报送"})
			}
		}
	}
	for _, reg := range o.Reference.Regions {
		rt := RegionTotal{Name: reg.Name, Cities: reg.Cities, Tasks: map[string]*Total{}}
		for _, c := range r.Cities {
			if c.Region != reg.Name {
				continue
			}
			for id, p := range c.Tasks {
				if rt.Tasks[id] == nil {
					rt.Tasks[id] = &Total{}
				}
				rt.Tasks[id].add(p)
			}
		}
		r.Regions = append(r.Regions, rt)
	}
	return r, nil
}

// add counts a city's task in a total.
func (t *Total) add(p *Progress) {
	t.Actual += p.Actual
	t.Target += p.Target
	t.Rate = float64(t.Actual) / float64(t.Target)
}

// judge sets a task's rate, status and projection through month m, given
// the share of the year the previous year's months 1..m made (0: no
// profile).
func (p *Progress) judge(m int, s Settings, share float64) {
	p.Rate = float64(p.Actual) / float64(p.Target)
	p.Status = Status(p.Actual, p.Target, m, s)
	if len(p.NotSent) > 0 {
		p.Status = NotSent
	}
	p.ProjectionMethod, p.Projection = Linear, p.Rate*12/float64(m)
	if share > 0 {
		p.ProjectionMethod, p.Projection = Seasonal, p.Rate/share
	}
	p.MonthlySoFar = float64(p.Actual) / float64(m)
	if m < 12 && p.Actual < p.Target {
		p.MonthlyNeeded = float64(p.Target-p.Actual) / float64(12-m)
	}
}

// Status is the status of actual against target through month m, compared
// exactly: the rate against the time progress m ÷ 12 plus or minus the
// thresholds, in whole percentage points (1200·actual against
// (100·m ± 12·pp)·target).
func Status(actual, target int64, m int, s Settings) string {
	s = s.WithDefaults()
	lhs := 1200 * actual
	at := func(pp int) int64 { return (100*int64(m) + 12*int64(pp)) * target }
	switch {
	case lhs >= at(s.Ahead):
		return Ahead
	case lhs < at(-s.Severe):
		return Severe
	case lhs < at(-s.Behind):
		return Behind
	}
	return Normal
}

type key struct{ city, task string }

// series are a city's task counts by month (first of the month, UTC).
type series map[time.Time]int64

// cumulative are the running sums through months 1..m of year.
func (s series) cumulative(year, m int) []int64 {
	out := make([]int64, m)
	var sum int64
	for i := range m {
		sum += s[time.Date(year, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC)]
		out[i] = sum
	}
	return out
}

// profile is the share months 1..m made of a full previous year: 0 when
// the city did not send the task's kind for every month of it, or counted
// nothing in it or in its first m months.
func (s series) profile(year, m int, sent map[sentKey]sending, city string, kind flexemp.Kind) float64 {
	for _, month := range (flexemp.Period{Year: year}).Months() {
		if !sent[sentKey{city, kind, month}].sent {
			return 0
		}
	}
	all := s.cumulative(year, 12)
	if all[11] == 0 || all[m-1] == 0 {
		return 0
	}
	return float64(all[m-1]) / float64(all[11])
}

// readCounts reads the dispatch model's counts by city and task (its
// counties summed) and by county and task.
func readCounts(ctx context.Context, db *sql.DB) (byCity, byCounty map[key]series, err error) {
	rows, err := db.QueryContext(ctx, `SELECT task, city_code, county_code, month, n FROM scratch.dispatch_counts`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	byCity, byCounty = map[key]series{}, map[key]series{}
	put := func(m map[key]series, k key, month time.Time, n int64) {
		if m[k] == nil {
			m[k] = series{}
		}
		m[k][month] += n
	}
	for rows.Next() {
		var task, city, county string
		var month time.Time
		var n int64
		if err := rows.Scan(&task, &city, &county, &month, &n); err != nil {
			return nil, nil, err
		}
		month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
		put(byCity, key{city, task}, month, n)
		put(byCounty, key{county, task}, month, n)
	}
	return byCity, byCounty, rows.Err()
}

// counties are a city's counties' counts of the person tasks through m.
func counties(ref flexemp.Reference, city string, byCounty map[key]series, year, m int) []County {
	var out []County
	codes := []County{{Code: city, Name: flexemp.CityOwnCounty}}
	for _, c := range ref.Counties {
		if c.City == city {
			codes = append(codes, County{Code: c.Code, Name: c.Name})
		}
	}
	for _, c := range codes {
		c.Actual = map[string]int64{}
		for _, t := range []string{"T1", "T2", "T3"} {
			if s := byCounty[key{c.Code, t}]; s != nil {
				c.Actual[t] = s.cumulative(year, m)[m-1]
			}
		}
		if len(c.Actual) > 0 {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b County) int {
		return cmp.Compare(b.Actual["T1"], a.Actual["T1"])
	})
	return out
}

type sentKey struct {
	city  string
	kind  flexemp.Kind
	month flexemp.Month
}

type sending struct{ sent, onTime bool }

// readSent reads which city × kind × month of the year and the year before
// has a version that counts, and whether it came on time.
func readSent(ctx context.Context, db *sql.DB, year int) (map[sentKey]sending, error) {
	rows, err := db.QueryContext(ctx, `SELECT city_code, kind, month, on_time FROM scratch.int_counting_versions
		WHERE year(month) BETWEEN ? AND ?`, year-1, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[sentKey]sending{}
	for rows.Next() {
		var city, kind string
		var month time.Time
		var onTime bool
		if err := rows.Scan(&city, &kind, &month, &onTime); err != nil {
			return nil, err
		}
		out[sentKey{city, flexemp.Kind(kind), flexemp.MonthOf(month)}] = sending{true, onTime}
	}
	return out, rows.Err()
}

// Dispatcher dispatches over a store with the configured tables and
// thresholds: the way in for the command line, serve's pages and API, and
// the bulletin job.
type Dispatcher struct {
	Store     *store.Store
	Reference flexemp.Reference
	Settings  Settings
	Now       func() time.Time // default time.Now
}

// Report is the year's dispatch as of a date (zero: today in Asia/Shanghai),
// counted under the store's compute lock: uploads go on meanwhile.
func (d *Dispatcher) Report(ctx context.Context, year int, asOf time.Time) (*Report, error) {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	today := flexemp.DateOf(now())
	if asOf.IsZero() {
		asOf = today
	}
	if asOf.After(today) {
		return nil, flexemp.Errorf(flexemp.EINVALID, "调度截至日期 %s 晚于今天 %s", asOf.Format("2006-01-02"), today.Format("2006-01-02"))
	}
	var r *Report
	err := d.Store.Compute(func() error {
		var err error
		r, err = Compute(ctx, d.Store.DB(), Options{Year: year, AsOf: asOf, Reference: d.Reference, Settings: d.Settings})
		return err
	})
	return r, err
}

// Circulation is what a bulletin circulates of a city's task: its
// completion rate and status.
type Circulation struct {
	Rate   float64 `json:"rate"`
	Status string  `json:"status"`
}
