package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/liaoning-hrss/flexemp"
)

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

// Explanation is one city's account of a period: every indicator's steps,
// its contribution and gap to the leader, its breaches and its change
// against the previous period.
type Explanation struct {
	Period   flexemp.Period      `json:"period"`
	Run      Stamp               `json:"run"`
	City     CityResult          `json:"city"`
	Leader   *CityResult         `json:"leader"` // the city ranked first (the first by code among ties)
	Gaps     map[string]*float64 `json:"gaps"`   // leader's contribution − the city's, per indicator
	Breaches []Breach            `json:"breaches"`
	Change   Change              `json:"change"`
	// Issued is the city's entry in the period's issued ranking that
	// stands (公示稿 or 定稿), which is what counts; absent while none
	// stands. The rest explains the stored draft. Filled by who knows the
	// issued state (the server's scorecard).
	Issued *IssuedCity `json:"issued,omitempty"`
}

// IssuedCity is a city's entry in an issued ranking.
type IssuedCity struct {
	State   string      `json:"state"` // published or final
	Edition int         `json:"edition"`
	SHA256  string      `json:"sha256"` // of the issued rank JSON
	City    RankingCity `json:"city"`
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
