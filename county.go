package flexemp

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
)

// County is a county-level division (区县: 市辖区, 县, 自治县, 县级市) of a
// city. Counties are shown side by side within their city; they are never
// ranked and never enter the index.
type County struct {
	Code       string // 6-digit GB/T 2260 code, e.g. 210102
	City       string // the city's code, e.g. 210100
	Name       string // 和平区
	Population int64  // resident population when the operator's table gives it; 0 unknown
}

// CityOwnCounty is where a city's rows go that name no county of the city:
// rows under the city's own code, and codes not in the county table.
const CityOwnCounty = "市本级/未分区县"

//go:embed reference/counties.csv
var countiesCSV []byte

// Counties is the embedded county table: the 100 county-level divisions of
// Liaoning in use, in code order.
var Counties = mustParse(countiesCSV, ParseCounties)

// ParseCounties reads code,city_code,name[,population]: every code six
// digits and unique, every county's city one of the 14, a population, when
// given, a positive whole number (empty for unknown).
func ParseCounties(r io.Reader) ([]County, error) {
	recs, err := readTable(r, "counties", 3)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	out := make([]County, 0, len(recs))
	for i, rec := range recs {
		line := i + 2
		c := County{Code: rec[0], City: rec[1], Name: rec[2]}
		switch {
		case len(c.Code) != 6 || !IsDigits(c.Code):
			return nil, fmt.Errorf("counties: line %d: code %q is not six digits", line, c.Code)
		case seen[c.Code] != 0:
			return nil, fmt.Errorf("counties: line %d: code %s already on line %d", line, c.Code, seen[c.Code])
		case c.Name == "":
			return nil, fmt.Errorf("counties: line %d: no name", line)
		}
		if _, ok := CityByCode(c.City); !ok {
			return nil, fmt.Errorf("counties: line %d: city %q is not a Liaoning city code", line, c.City)
		}
		if len(rec) > 3 && rec[3] != "" {
			if c.Population, err = strconv.ParseInt(rec[3], 10, 64); err != nil || c.Population <= 0 {
				return nil, fmt.Errorf("counties: line %d: population %q", line, rec[3])
			}
		}
		seen[c.Code] = line
		out = append(out, c)
	}
	return out, nil
}

// CountiesOf are a city's counties in a county table, in its order.
func CountiesOf(counties []County, city string) []County {
	var out []County
	for _, c := range counties {
		if c.City == city {
			out = append(out, c)
		}
	}
	return out
}
