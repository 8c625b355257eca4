package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// ErrNotAssessed is returned by Load for a period without an assessment.
var ErrNotAssessed = errors.New("period not assessed")

// Stamp is the stamp of the assessment a period's stored results came from.
type Stamp struct {
	ID         int64        `json:"id"`
	CreatedAt  time.Time    `json:"created_at"`
	ConfigHash string       `json:"config_hash"`
	UploadIDs  []int64      `json:"upload_ids"` // the upload versions that counted, ascending
	Seed       uint64       `json:"seed"`
	Draws      int          `json:"draws"`
	AsOf       flexemp.Date `json:"as_of"`    // the date it was made as of
	LeftOut    []string     `json:"left_out"` // indicators no city could compute in the period
}

// AsOfText is the as-of date as YYYY-MM-DD.
func (s Stamp) AsOfText() string { return s.AsOf.Format("2006-01-02") }

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
	Withheld     bool     `json:"withheld"`     // 未报送: the city sent no extract of a source kind for a due month; scored lowest
	ZeroFloor    bool     `json:"zero_floor"`   // 无数据·计最低: a zero denominator from the city's own data; scored lowest
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
	Run    Stamp          `json:"run"`
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

// Querier is what stored results are read through: the database, or a
// transaction that wrote them.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Assessed tells whether p has a stored assessment.
func Assessed(ctx context.Context, db Querier, p flexemp.Period) (bool, error) {
	var ok bool
	err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM assessment_runs WHERE period = ?)`, p.String()).Scan(&ok)
	return ok, err
}

// Load reads a period's stored results: its latest run, every city's
// outcome and every indicator's steps.
func Load(ctx context.Context, db Querier, p flexemp.Period) (*PeriodResult, error) {
	pr := &PeriodResult{Period: p}
	var leftOut, uploads string
	err := db.QueryRowContext(ctx, `SELECT run_id, created_at, config_hash, upload_ids, seed, draws, coalesce(as_of, created_at::DATE), coalesce(left_out, '')
		FROM assessment_runs WHERE period = ? ORDER BY run_id DESC LIMIT 1`, p.String()).
		Scan(&pr.Run.ID, &pr.Run.CreatedAt, &pr.Run.ConfigHash, &uploads, &pr.Run.Seed, &pr.Run.Draws, &pr.Run.AsOf, &leftOut)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotAssessed
	}
	if err != nil {
		return nil, err
	}
	pr.Run.CreatedAt = pr.Run.CreatedAt.In(flexemp.Shanghai)
	pr.Run.UploadIDs = []int64{}
	for _, s := range strings.Split(uploads, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			pr.Run.UploadIDs = append(pr.Run.UploadIDs, id)
		}
	}
	slices.Sort(pr.Run.UploadIDs)
	if leftOut != "" {
		pr.Run.LeftOut = strings.Split(leftOut, ",")
	}
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
		value, treated, normalised, contribution, coalesce(withheld, false), coalesce(zero_floor, false)
		FROM indicator_values WHERE period = ? ORDER BY city_code`, p.String())
	if err != nil {
		return nil, err
	}
	defer iv.Close()
	for iv.Next() {
		var code string
		var r IndicatorResult
		if err := iv.Scan(&code, &r.ID, &r.Dimension, &r.Title, &r.Numerator, &r.Denominator,
			&r.Value, &r.Treated, &r.Normalised, &r.Contribution, &r.Withheld, &r.ZeroFloor); err != nil {
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

// LatestWithData is the latest assessed period with accepted rows in its
// months and some city ranked: early in a year the new year's assessment,
// with nothing or next to nothing uploaded, does not replace last year's
// ranking as the one shown. ps are the assessed periods, as AssessedPeriods
// lists them. With no such period it is the latest assessed; with none
// assessed, ErrNotAssessed.
func LatestWithData(ctx context.Context, db *sql.DB, ps []flexemp.Period) (flexemp.Period, error) {
	if len(ps) == 0 {
		return flexemp.Period{}, ErrNotAssessed
	}
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		var data bool
		if err := db.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM current_uploads WHERE month BETWEEN ?::DATE AND ?::DATE AND accepted > 0)
			AND EXISTS (SELECT 1 FROM city_results WHERE period = ? AND ranked)`,
			p.Start(), p.End(), p.String()).Scan(&data); err != nil {
			return flexemp.Period{}, err
		}
		if data {
			return p, nil
		}
	}
	return ps[len(ps)-1], nil
}

// Counted is the version of one city × kind × due month an assessment
// counted, and whether it came by the deadline.
type Counted struct {
	City     string
	Kind     flexemp.Kind
	Month    flexemp.Month
	UploadID int64
	Received time.Time
	OnTime   bool
}

// CountedVersions are the versions the period's stored assessment counted
// (以截止时报送数据为准), one per city × kind × due month that had one.
func CountedVersions(ctx context.Context, db Querier, p flexemp.Period) ([]Counted, error) {
	rows, err := db.QueryContext(ctx, `SELECT city_code, kind, month, upload_id, received_at, on_time FROM assessment_versions
		WHERE period = ? ORDER BY city_code, kind, month`, p.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Counted
	for rows.Next() {
		var c Counted
		var kind string
		var month time.Time
		if err := rows.Scan(&c.City, &kind, &month, &c.UploadID, &c.Received, &c.OnTime); err != nil {
			return nil, err
		}
		c.Kind, c.Month, c.Received = flexemp.Kind(kind), flexemp.MonthOf(month.UTC()), c.Received.In(flexemp.Shanghai)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AssessedPeriods lists every period with a stored assessment in time
// order: by end, and a year after the quarter that ends with it. The last
// is the latest.
func AssessedPeriods(ctx context.Context, db Querier) ([]flexemp.Period, error) {
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
