package metrics

import (
	"math"

	"github.com/liaoning-hrss/flexemp"
)

// Ranking is `rank --format json`, exactly SPEC's shape.
type Ranking struct {
	Period string `json:"period"`
	// State is draft, published (公示) or final (定稿).
	State string `json:"state"`
	// SHA256 is the hash of an issued ranking's stored JSON, which is this
	// with SHA256 empty; empty on a draft.
	SHA256 string        `json:"sha256,omitempty"`
	AsOf   string        `json:"as_of"` // YYYY-MM-DD: only months due by then count
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
	out := Ranking{Period: pr.Period.String(), State: "draft", AsOf: pr.Run.AsOfText(), Cities: []RankingCity{}}
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
