package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/liaoning-hrss/flexemp"
)

// CityCounties are a city's counties side by side for a period, as its
// latest assessment stored them (SPEC "Counties"): never ranked, never in
// the index.
type CityCounties struct {
	Period     flexemp.Period `json:"period"`
	City       string         `json:"city"`
	Indicators []CountyColumn `json:"indicators"` // the indicators of person rows, in report order
	Counties   []County       `json:"counties"`   // in the county table's order; 市本级/未分区县 last
	// OwnRows are the period's person rows under the city's own code,
	// UnknownRows those under a code not in the county table (UnknownCodes);
	// both count under 市本级/未分区县.
	OwnRows      int64    `json:"own_rows"`
	UnknownRows  int64    `json:"unknown_rows"`
	UnknownCodes []string `json:"unknown_codes"`
}

// CountyColumn is an indicator of the county table with the city's own
// value, the reference its counties are seen against.
type CountyColumn struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	CityValue *float64 `json:"city_value"`
}

// County is one county's figures, in the order of the indicators.
type County struct {
	Code       string            `json:"code"` // the city's own code for 市本级/未分区县
	Name       string            `json:"name"`
	Own        bool              `json:"own"` // 市本级/未分区县
	Indicators []CountyIndicator `json:"indicators"`
}

// CountyIndicator is a county's numerator, denominator and value (nil: no
// denominator, or I1 without the county's population).
type CountyIndicator struct {
	ID          string   `json:"id"`
	Numerator   *float64 `json:"numerator"`
	Denominator *float64 `json:"denominator"`
	Value       *float64 `json:"value"`
}

// Counties reads a city's counties for period p from its latest assessment;
// ErrNotAssessed when p has none.
func Counties(ctx context.Context, db Querier, p flexemp.Period, city string) (*CityCounties, error) {
	if ok, err := Assessed(ctx, db, p); err != nil || !ok {
		if err == nil {
			err = ErrNotAssessed
		}
		return nil, err
	}
	out := &CityCounties{Period: p, City: city, UnknownCodes: []string{}}
	rows, err := db.QueryContext(ctx, `SELECT i.indicator, i.title, i.value FROM indicator_values i
		WHERE i.period = ? AND i.city_code = ?`, p.String(), city)
	if err != nil {
		return nil, err
	}
	own := map[string]CountyColumn{}
	for rows.Next() {
		var c CountyColumn
		if err := rows.Scan(&c.ID, &c.Title, &c.CityValue); err != nil {
			rows.Close()
			return nil, err
		}
		own[c.ID] = c
	}
	rows.Close()
	for _, ind := range flexemp.Indicators {
		if ind.ByCounty {
			col := own[ind.ID]
			col.ID, col.Title = ind.ID, ind.Title
			out.Indicators = append(out.Indicators, col)
		}
	}
	rows, err = db.QueryContext(ctx, `SELECT county_code, county_name, indicator, numerator, denominator, value FROM county_values
		WHERE period = ? AND city_code = ? ORDER BY county_code = city_code, county_code`, p.String(), city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	at := map[string]int{}
	for rows.Next() {
		var code, name string
		ci := CountyIndicator{}
		if err := rows.Scan(&code, &name, &ci.ID, &ci.Numerator, &ci.Denominator, &ci.Value); err != nil {
			return nil, err
		}
		i, ok := at[code]
		if !ok {
			i = len(out.Counties)
			at[code] = i
			out.Counties = append(out.Counties, County{Code: code, Name: name, Own: code == city})
		}
		out.Counties[i].Indicators = append(out.Counties[i].Indicators, ci)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out.Counties {
		if got, want := len(out.Counties[i].Indicators), len(out.Indicators); got != want {
			return nil, fmt.Errorf("county_values: %s has %d indicators, want %d", out.Counties[i].Code, got, want)
		}
		sortLike(out.Counties[i].Indicators, out.Indicators)
	}
	var unknown string
	err = db.QueryRowContext(ctx, `SELECT own_rows, unknown_rows, unknown_codes FROM county_areas WHERE period = ? AND city_code = ?`, p.String(), city).
		Scan(&out.OwnRows, &out.UnknownRows, &unknown)
	if unknown != "" {
		out.UnknownCodes = strings.Split(unknown, ",")
	}
	if errors.Is(err, sql.ErrNoRows) { // a city with no person rows in the period
		err = nil
	}
	return out, err
}

// Indicator is a county's figures for one indicator.
func (c *County) Indicator(id string) *CountyIndicator {
	for i := range c.Indicators {
		if c.Indicators[i].ID == id {
			return &c.Indicators[i]
		}
	}
	return nil
}

// sortLike puts a county's indicators in the columns' order.
func sortLike(inds []CountyIndicator, cols []CountyColumn) {
	pos := map[string]int{}
	for i, c := range cols {
		pos[c.ID] = i
	}
	out := make([]CountyIndicator, len(inds))
	for _, ci := range inds {
		out[pos[ci.ID]] = ci
	}
	copy(inds, out)
}
