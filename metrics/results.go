package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// ErrNotAssessed is returned by Load for a period without an assessment.
var ErrNotAssessed = errors.New("period not assessed")

// Run is the stamp of the assessment a period's stored results came from.
type Run struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	ConfigHash string    `json:"config_hash"`
	UploadIDs  string    `json:"upload_ids"` // the current upload versions read, comma-separated
	Seed       uint64    `json:"seed"`
	Draws      int       `json:"draws"`
}

// IndicatorResult is one indicator of one city through every step.
type IndicatorResult struct {
	ID           string   `json:"id"`
	Dimension    string   `json:"dimension"`
	Title        string   `json:"title"`
	Numerator    *float64 `json:"numerator"`
	Denominator  *float64 `json:"denominator"`
	Value        *float64 `json:"value"`   // raw; nil when the denominator is 0
	Treated      *float64 `json:"treated"` // after winsorisation
	Normalised   *float64 `json:"normalised"`
	Contribution *float64 `json:"contribution"` // points of the city's index
}

// CityResult is one city's stored outcome for a period.
type CityResult struct {
	Code       string                         `json:"code"`
	Name       string                         `json:"name"`
	Ranked     bool                           `json:"ranked"`
	Index      *float64                       `json:"index"`
	Rank       int                            `json:"rank"` // 0 when not ranked
	MedianRank int                            `json:"median_rank"`
	RankP5     int                            `json:"rank_p5"`
	RankP95    int                            `json:"rank_p95"`
	OutTop     float64                        `json:"out_top"` // share of sensitivity draws outside the 优秀 places
	Grade      string                         `json:"grade"`
	Priority   bool                           `json:"priority"`
	Dimensions map[flexemp.Dimension]*float64 `json:"dimensions"`
	Flags      []string                       `json:"flags"`
	Indicators []IndicatorResult              `json:"indicators"` // I1…I16
}

// Indicator returns the city's result for an indicator ID.
func (c *CityResult) Indicator(id string) *IndicatorResult {
	for i := range c.Indicators {
		if c.Indicators[i].ID == id {
			return &c.Indicators[i]
		}
	}
	return nil
}

// PeriodResult is everything stored for one assessed period.
type PeriodResult struct {
	Period flexemp.Period `json:"period"`
	Run    Run            `json:"run"`
	Cities []CityResult   `json:"cities"` // by rank, cities not ranked last, then by code
}

// City returns a city's result, or nil.
func (pr *PeriodResult) City(code string) *CityResult {
	for i := range pr.Cities {
		if pr.Cities[i].Code == code {
			return &pr.Cities[i]
		}
	}
	return nil
}

// Leader is the city ranked first (the first by code among ties), or nil
// when no city is ranked.
func (pr *PeriodResult) Leader() *CityResult {
	if len(pr.Cities) > 0 && pr.Cities[0].Rank == 1 {
		return &pr.Cities[0]
	}
	return nil
}

// Gaps are, per indicator, the leader's contribution to its index minus the
// city's: what the city would gain by doing as well there. An indicator
// either lacks has no gap.
func (pr *PeriodResult) Gaps(c *CityResult) map[string]*float64 {
	out := map[string]*float64{}
	leader := pr.Leader()
	if leader == nil {
		return out
	}
	for _, ind := range c.Indicators {
		if l := leader.Indicator(ind.ID); l != nil && l.Contribution != nil && ind.Contribution != nil {
			g := *l.Contribution - *ind.Contribution
			out[ind.ID] = &g
		}
	}
	return out
}

// Load reads a period's stored results: its latest run, every city's
// outcome and every indicator's steps.
func Load(ctx context.Context, db *sql.DB, p flexemp.Period) (*PeriodResult, error) {
	pr := &PeriodResult{Period: p}
	err := db.QueryRowContext(ctx, `SELECT run_id, created_at, config_hash, upload_ids, seed, draws FROM assessment_runs
		WHERE period = ? ORDER BY run_id DESC LIMIT 1`, p.String()).
		Scan(&pr.Run.ID, &pr.Run.CreatedAt, &pr.Run.ConfigHash, &pr.Run.UploadIDs, &pr.Run.Seed, &pr.Run.Draws)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotAssessed
	}
	if err != nil {
		return nil, err
	}
	pr.Run.CreatedAt = pr.Run.CreatedAt.In(flexemp.Shanghai)
	rows, err := db.QueryContext(ctx, `SELECT city_code, ranked, index_value, coalesce(rank, 0), coalesce(median_rank, 0),
		coalesce(rank_p5, 0), coalesce(rank_p95, 0), coalesce(out_top, 0), grade, priority, dimensions, flags
		FROM city_results WHERE period = ?`, p.String())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c CityResult
		var dims, flags string
		if err := rows.Scan(&c.Code, &c.Ranked, &c.Index, &c.Rank, &c.MedianRank, &c.RankP5, &c.RankP95, &c.OutTop,
			&c.Grade, &c.Priority, &dims, &flags); err != nil {
			rows.Close()
			return nil, err
		}
		if city, ok := flexemp.CityByCode(c.Code); ok {
			c.Name = city.Name
		}
		if err := errors.Join(json.Unmarshal([]byte(dims), &c.Dimensions), json.Unmarshal([]byte(flags), &c.Flags)); err != nil {
			rows.Close()
			return nil, err
		}
		pr.Cities = append(pr.Cities, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(pr.Cities, func(i, j int) bool {
		a, b := pr.Cities[i], pr.Cities[j]
		if (a.Rank == 0) != (b.Rank == 0) {
			return a.Rank != 0
		}
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		return a.Code < b.Code
	})
	iv, err := db.QueryContext(ctx, `SELECT city_code, indicator, dimension, coalesce(title, ''), numerator, denominator,
		value, treated, normalised, contribution
		FROM indicator_values WHERE period = ? ORDER BY city_code`, p.String())
	if err != nil {
		return nil, err
	}
	defer iv.Close()
	for iv.Next() {
		var code string
		var r IndicatorResult
		if err := iv.Scan(&code, &r.ID, &r.Dimension, &r.Title, &r.Numerator, &r.Denominator,
			&r.Value, &r.Treated, &r.Normalised, &r.Contribution); err != nil {
			return nil, err
		}
		if c := pr.City(code); c != nil {
			c.Indicators = append(c.Indicators, r)
		}
	}
	for _, c := range pr.Cities {
		slices.SortFunc(c.Indicators, func(a, b IndicatorResult) int {
			return flexemp.IndicatorIndex(a.ID) - flexemp.IndicatorIndex(b.ID)
		})
	}
	return pr, iv.Err()
}

// Ranking is `rank --format json`, exactly SPEC's shape.
type Ranking struct {
	Period string        `json:"period"`
	Cities []RankingCity `json:"cities"`
}

// RankingCity is one city in a Ranking. Rank, index and interval are null
// for a city not ranked; indicator values are raw, ratios as fractions.
type RankingCity struct {
	Code         string                         `json:"code"`
	Name         string                         `json:"name"`
	Rank         *int                           `json:"rank"`
	Index        *float64                       `json:"index"`
	RankInterval *[2]int                        `json:"rank_interval"`
	Grade        string                         `json:"grade"`
	Priority     bool                           `json:"priority"`
	Dimensions   map[flexemp.Dimension]*float64 `json:"dimensions"`
	Indicators   map[string]*float64            `json:"indicators"`
	Flags        []string                       `json:"flags"`
}

// Ranking turns stored results into SPEC's ranking, the index rounded to 2
// decimals as the ranks were.
func (pr *PeriodResult) Ranking() Ranking {
	out := Ranking{Period: pr.Period.String(), Cities: []RankingCity{}}
	for _, c := range pr.Cities {
		rc := RankingCity{Code: c.Code, Name: c.Name, Grade: c.Grade, Priority: c.Priority,
			Dimensions: c.Dimensions, Indicators: map[string]*float64{}, Flags: c.Flags}
		if c.Ranked && c.Index != nil {
			rank, index := c.Rank, Round2(*c.Index)
			rc.Rank, rc.Index, rc.RankInterval = &rank, &index, &[2]int{c.RankP5, c.RankP95}
		}
		for _, ind := range c.Indicators {
			rc.Indicators[ind.ID] = ind.Value
		}
		out.Cities = append(out.Cities, rc)
	}
	return out
}

// Round2 rounds to 2 decimals, as ranks compare indexes.
func Round2(x float64) float64 { return math.Round(x*100) / 100 }

// Change is a city's movement against the previous period of the same length.
type Change struct {
	Previous   flexemp.Period      `json:"previous"`
	Before     *CityResult         `json:"before"`      // nil when the previous period is not assessed or the city was not in it
	IndexDelta *float64            `json:"index_delta"` // nil unless ranked in both
	RankDelta  *int                `json:"rank_delta"`  // places moved up (positive) or down; nil unless ranked in both
	Indicators map[string]*float64 `json:"indicators"`  // raw value now − before; nil where either is missing
}

// Compare gives every city of cur its change against prev, which may be nil
// (the previous period not assessed).
func Compare(cur, prev *PeriodResult) map[string]Change {
	out := map[string]Change{}
	for i := range cur.Cities {
		c := &cur.Cities[i]
		ch := Change{Previous: cur.Period.Previous(), Indicators: map[string]*float64{}}
		if prev != nil {
			ch.Before = prev.City(c.Code)
		}
		if b := ch.Before; b != nil {
			if c.Ranked && b.Ranked && c.Index != nil && b.Index != nil {
				d, r := Round2(*c.Index)-Round2(*b.Index), b.Rank-c.Rank
				ch.IndexDelta, ch.RankDelta = &d, &r
			}
			for _, ind := range c.Indicators {
				if old := b.Indicator(ind.ID); old != nil && old.Value != nil && ind.Value != nil {
					d := *ind.Value - *old.Value
					ch.Indicators[ind.ID] = &d
				}
			}
		}
		out[c.Code] = ch
	}
	return out
}

// Breach is one payment that broke a subsidy rule.
type Breach struct {
	UploadID    int64      `json:"upload_id"`
	RowNo       int        `json:"row_no"`
	City        string     `json:"city"`
	SubsidyType string     `json:"subsidy_type"`
	Rule        string     `json:"rule"`
	PaidOn      *time.Time `json:"paid_on"`
	PersonGroup string     `json:"person_group"`
	Limit       *int64     `json:"limit"` // fen for money rules, else months
	Value       *int64     `json:"value"`
	LimitText   string     `json:"limit_text"`
	ValueText   string     `json:"value_text"`
}

// RuleNames are the subsidy rules as users read them.
var RuleNames = map[string]string{
	"si_group":                 "社会保险补贴对象不符",
	"si_two_thirds":            "社会保险补贴超过缴费额的三分之二",
	"si_months_hard_to_employ": "就业困难人员社保补贴超过36个月",
	"si_months_graduate":       "高校毕业生社保补贴超过期限",
	"venue_months":             "创业场地补贴超过24个月",
	"public_post_wage":         "公益性岗位补贴超过工时×小时最低工资",
}

// MoneyRule tells whether a rule's limit and value are amounts in fen.
func MoneyRule(rule string) bool { return rule == "si_two_thirds" || rule == "public_post_wage" }

// Describe puts a breach's limit and value in words: 限额 and 实际.
func (b Breach) Describe() (limit, value string) {
	f := func(n *int64, text string) string {
		switch {
		case n == nil:
			return text
		case MoneyRule(b.Rule):
			return FormatFen(*n)
		}
		return fmt.Sprintf("%d 个月", *n)
	}
	return f(b.Limit, b.LimitText), f(b.Value, b.ValueText)
}

// FormatFen writes an amount in fen as yuan with two decimals.
func FormatFen(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d 元", sign, fen/100, fen%100)
}

// Breaches reads a period's stored breaches, of one city when city is not
// empty, in upload and row order.
func Breaches(ctx context.Context, db *sql.DB, p flexemp.Period, city string) ([]Breach, error) {
	rows, err := db.QueryContext(ctx, `SELECT upload_id, row_no, city_code, subsidy_type, rule, paid_on, coalesce(person_group, ''),
		limit_num, value_num, coalesce(limit_text, ''), coalesce(value_text, '')
		FROM subsidy_breaches WHERE period = ? AND (? = '' OR city_code = ?) ORDER BY city_code, upload_id, row_no, rule`,
		p.String(), city, city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Breach
	for rows.Next() {
		var b Breach
		if err := rows.Scan(&b.UploadID, &b.RowNo, &b.City, &b.SubsidyType, &b.Rule, &b.PaidOn, &b.PersonGroup,
			&b.Limit, &b.Value, &b.LimitText, &b.ValueText); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Explanation is one city's account of a period: every indicator's steps,
// its contribution and gap to the leader, its breaches and its change
// against the previous period.
type Explanation struct {
	Period   flexemp.Period      `json:"period"`
	Run      Run                 `json:"run"`
	City     CityResult          `json:"city"`
	Leader   *CityResult         `json:"leader"` // the city ranked first (the first by code among ties)
	Gaps     map[string]*float64 `json:"gaps"`   // leader's contribution − the city's, per indicator
	Breaches []Breach            `json:"breaches"`
	Change   Change              `json:"change"`
}

// Explain reads what is stored for a city and period, and the previous
// period when it was assessed.
func Explain(ctx context.Context, db *sql.DB, p flexemp.Period, code string) (*Explanation, error) {
	cur, err := Load(ctx, db, p)
	if err != nil {
		return nil, err
	}
	c := cur.City(code)
	if c == nil {
		return nil, fmt.Errorf("%s: no result for city %s", p, code)
	}
	prev, err := Load(ctx, db, p.Previous())
	if err != nil && !errors.Is(err, ErrNotAssessed) {
		return nil, err
	}
	e := &Explanation{Period: p, Run: cur.Run, City: *c, Leader: cur.Leader(), Gaps: cur.Gaps(c), Change: Compare(cur, prev)[code]}
	if e.Breaches, err = Breaches(ctx, db, p, code); err != nil {
		return nil, err
	}
	return e, nil
}

// AssessedPeriods lists every period with a stored assessment in time
// order: by end, and a year after the quarter that ends with it. The last
// is the latest.
func AssessedPeriods(ctx context.Context, db *sql.DB) ([]flexemp.Period, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT period FROM assessment_runs`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []flexemp.Period
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, err
		}
		if p, err := flexemp.ParsePeriod(text); err == nil {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if !a.End().Equal(b.End()) {
			return a.End().Before(b.End())
		}
		return a.Quarter > b.Quarter
	})
	return ps, rows.Err()
}
