package flexemp

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// City is a prefecture-level city of Liaoning.
type City struct {
	Code       string // 6-digit administrative code, e.g. 210100
	Name       string // 沈阳市
	ShortName  string // 沈阳
	Population int64  // resident population, 7th census
}

//go:embed reference/cities.csv
var citiesCSV []byte

// Cities is the embedded reference list of the 14 cities, in code order.
var Cities = mustParse(citiesCSV, ParseCities)

// mustParse parses an embedded reference table; a broken one is a build error.
func mustParse[T any](b []byte, parse func(io.Reader) ([]T, error)) []T {
	out, err := parse(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	return out
}

// readTable reads a reference CSV, checks every row has at least fields
// fields, and returns the rows after the header.
func readTable(r io.Reader, what string, fields int) ([][]string, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no rows", what)
	}
	for i, rec := range recs[1:] {
		if len(rec) < fields {
			return nil, fmt.Errorf("%s: line %d: want %d fields", what, i+2, fields)
		}
	}
	return recs[1:], nil
}

// ParseCities reads a cities reference file (code,name,short_name,population_2020).
func ParseCities(r io.Reader) ([]City, error) {
	recs, err := readTable(r, "cities", 4)
	if err != nil {
		return nil, err
	}
	var out []City
	for i, rec := range recs {
		pop, err := strconv.ParseInt(rec[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cities: line %d: population: %w", i+2, err)
		}
		out = append(out, City{Code: rec[0], Name: rec[1], ShortName: rec[2], Population: pop})
	}
	return out, nil
}

// CityByCode returns the city with the given 6-digit code.
func CityByCode(code string) (City, bool) {
	for _, c := range Cities {
		if c.Code == code {
			return c, true
		}
	}
	return City{}, false
}

// ResolveCity maps what a row or a user gives as its city — a city code, a
// county-level code (its first four digits + "00" name the city) or a name
// with or without 市 — to the city.
func ResolveCity(s string) (City, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 6 && IsDigits(s) {
		return CityByCode(s[:4] + "00")
	}
	name := strings.TrimSuffix(s, "市")
	for _, c := range Cities {
		if c.ShortName == name {
			return c, true
		}
	}
	return City{}, false
}

// IsDigits tells whether s is one or more ASCII digits, as codes, IDs and
// dates are written.
func IsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
