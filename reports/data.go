// Package reports renders an assessed period for the provincial reviewers:
// one self-contained HTML file (ECharts and the Liaoning map inlined, so it
// opens with no network) and ranking.xlsx with the same tables.
package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// Data is everything a report shows for one period, read from the database.
type Data struct {
	Period   flexemp.Period
	Result   *metrics.PeriodResult
	Changes  map[string]metrics.Change // per city, against the previous period
	Trend    []*metrics.PeriodResult   // assessed periods of the same length, oldest first, this one last
	Breaches []metrics.Breach
	Status   []Status                         // city × kind × month
	Rejects  map[string]map[string]int        // city → reason → rejected rows, in the period's current uploads
	Findings []metrics.Finding                // integrity findings (数据核查), every city's
	Counties map[string]*metrics.CityCounties // per city, its counties (not ranked)
	Made     time.Time                        // when the report was made, Asia/Shanghai
	// Issue is the state of the ranking shown: nil for a draft (草稿（未公示）).
	Issue *Issue
}

// Issue is what a published (公示稿) or final (定稿) report says of its state.
type Issue struct {
	Final     bool
	Edition   int       // 第N版
	WindowEnd time.Time // the end of the objection window
	Published time.Time
	Finalised time.Time // a final's
	SHA256    string    // of the rank JSON issued with the report
	// Objections are the appendix 异议处理情况 of a final.
	Objections []ObjectionLine
	// Others are the cities without an accepted objection whose values
	// moved all the same between the publication and the final (their
	// ranks and intervals shifted by the corrected data), for the appendix.
	Others []CityChanges
}

// CityChanges are a city's values that differ between the publication and
// the final.
type CityChanges struct {
	City    string
	Changes []string
}

// ObjectionLine is one objection in a final's appendix.
type ObjectionLine struct {
	ID        int64
	City      string
	Subjects  string
	Statement string
	Decision  string
	Reason    string
	Evidence  string   // the corrected extract, marked 经异议采纳 when accepted
	Changes   []string // the values it changed: "I4 62.0% → 65.1%"
}

// State is the words a report, page or mail shows for the state.
func (i *Issue) State() string {
	switch {
	case i == nil:
		return "草稿（未公示）"
	case i.Final:
		return "定稿"
	}
	return "公示稿"
}

// Stamp is the state with its dates: 公示稿 with the window's end, 定稿
// with its date and hash.
func (i *Issue) Stamp() string {
	switch {
	case i == nil:
		return i.State()
	case i.Final:
		return fmt.Sprintf("定稿（第%d版）· %s 定稿 · 排名数据 SHA-256 %s", i.Edition, i.Finalised.In(flexemp.Shanghai).Format("2006年1月2日"), i.SHA256)
	}
	return fmt.Sprintf("公示稿（第%d版）· 异议期至 %s 截止 · 排名数据 SHA-256 %s", i.Edition, WindowText(i.WindowEnd), i.SHA256)
}

// WindowText is an objection window's end as users read it: 24:00 of its
// last day.
func WindowText(end time.Time) string {
	return flexemp.DayEndText(end)
}

// Extract statuses in the data status table.
const (
	OnTime  = "按时"
	Late    = "逾期"
	Refused = "拒收"
	Missing = "未报送"
	NotDue  = "未到期"
)

// Status is the state of one city's extract of one kind and month.
type Status struct {
	City     string
	Kind     flexemp.Kind
	Month    flexemp.Month
	State    string     // OnTime, Late, Refused, Missing or NotDue
	Received *time.Time // the receipt of the version the assessment counted, else of the first accepted upload
	Versions int        // accepted versions
}

// Load reads a period's report data; the period must have been assessed.
func Load(ctx context.Context, db metrics.Querier, p flexemp.Period, now time.Time) (*Data, error) {
	d := &Data{Period: p, Made: now.In(flexemp.Shanghai)}
	var err error
	// The trend holds the period and the previous one, loaded once.
	if d.Trend, err = trend(ctx, db, p); err != nil {
		return nil, err
	}
	var prev *metrics.PeriodResult
	for _, r := range d.Trend {
		switch r.Period {
		case p:
			d.Result = r
		case p.Previous():
			prev = r
		}
	}
	if d.Result == nil {
		return nil, metrics.ErrNotAssessed
	}
	d.Changes = metrics.Compare(d.Result, prev)
	if d.Breaches, err = metrics.Breaches(ctx, db, p, ""); err != nil {
		return nil, err
	}
	if d.Status, err = LoadStatus(ctx, db, p, d.Made); err != nil {
		return nil, err
	}
	if err := counted(ctx, db, p, d.Result.Run.AsOf.Time, d.Status); err != nil {
		return nil, err
	}
	if d.Rejects, err = rejects(ctx, db, p); err != nil {
		return nil, err
	}
	if d.Findings, err = metrics.Integrity(ctx, db, p, ""); err != nil {
		return nil, err
	}
	d.Counties = map[string]*metrics.CityCounties{}
	for _, c := range d.Result.Cities {
		if d.Counties[c.Code], err = metrics.Counties(ctx, db, p, c.Code); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// trend loads every assessed period of p's length up to p.
func trend(ctx context.Context, db metrics.Querier, p flexemp.Period) ([]*metrics.PeriodResult, error) {
	all, err := metrics.AssessedPeriods(ctx, db)
	if err != nil {
		return nil, err
	}
	var periods []flexemp.Period
	for _, q := range all {
		if (q.Quarter == 0) == (p.Quarter == 0) && !p.Start().Before(q.Start()) {
			periods = append(periods, q)
		}
	}
	var out []*metrics.PeriodResult
	for _, q := range periods {
		r, err := metrics.Load(ctx, db, q)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// LoadStatus gives every city × kind × month of the period its state: the first
// accepted upload by the deadline (the end of the 10th of the next month,
// Asia/Shanghai) is on time, after it late; with no accepted upload, a
// refused file makes it refused, a deadline still ahead not due, else
// missing.
func LoadStatus(ctx context.Context, db metrics.Querier, p flexemp.Period, now time.Time) ([]Status, error) {
	months := p.Months()
	rs, err := ingest.Receipts(ctx, db, months[0], months[len(months)-1])
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(rs))
	for _, r := range rs {
		s := Status{City: r.City, Kind: r.Kind, Month: r.Month, Versions: r.Versions, Received: r.First}
		switch {
		case r.OnTime():
			s.State = OnTime
		case r.First != nil:
			s.State = Late
		case r.Refused:
			s.State = Refused
		case now.Before(r.Month.Deadline()):
			s.State = NotDue
		default:
			s.State = Missing
		}
		out = append(out, s)
	}
	return out, nil
}

// counted puts the assessment's own judgement over the ledger's in the
// status of each month due as of its date: the version that counted
// (以截止时报送数据为准) and whether it came on time, as I16 read it — an
// on-time placeholder followed by the real extract is late — and a month
// whose uploads all came after that date is 未报送, as it was then.
func counted(ctx context.Context, db metrics.Querier, p flexemp.Period, asOf time.Time, status []Status) error {
	cs, err := metrics.CountedVersions(ctx, db, p)
	if err != nil {
		return err
	}
	type key struct {
		city  string
		kind  flexemp.Kind
		month flexemp.Month
	}
	by := map[key]metrics.Counted{}
	for _, c := range cs {
		by[key{c.City, c.Kind, c.Month}] = c
	}
	for i, s := range status {
		c, ok := by[key{s.City, s.Kind, s.Month}]
		if !ok {
			if s.Month.DueBy(asOf) && s.Received != nil {
				status[i].State, status[i].Received = Missing, nil
			}
			continue
		}
		status[i].Received, status[i].State = &c.Received, Late
		if c.OnTime {
			status[i].State = OnTime
		}
	}
	return nil
}

// rejects counts each city's rejected rows by reason over the period's
// current upload versions.
func rejects(ctx context.Context, db metrics.Querier, p flexemp.Period) (map[string]map[string]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT u.city_code, r.reason_code, count(*) FROM rejects r
		JOIN current_uploads u USING (upload_id) WHERE u.month BETWEEN ? AND ? GROUP BY ALL`, p.Start(), p.End())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var city, code string
		var n int
		if err := rows.Scan(&city, &code, &n); err != nil {
			return nil, err
		}
		if out[city] == nil {
			out[city] = map[string]int{}
		}
		reason := flexemp.Reasons[code]
		if reason == "" {
			reason = code
		}
		out[city][reason] += n
	}
	return out, rows.Err()
}

// StatusCounts counts the data status cells by state, over all cities or
// one.
func (d *Data) StatusCounts(city string) map[string]int {
	out := map[string]int{}
	for _, s := range d.Status {
		if city == "" || s.City == city {
			out[s.State]++
		}
	}
	return out
}

// BreachCounts counts breaches by city and rule name.
func (d *Data) BreachCounts() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, b := range d.Breaches {
		if out[b.City] == nil {
			out[b.City] = map[string]int{}
		}
		out[b.City][RuleName(b.Rule)]++
	}
	return out
}
