package flexemp

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Holiday is a day of the national holiday calendar: a public holiday off
// work, or a make-up working Saturday or Sunday.
type Holiday struct {
	Date    time.Time
	Workday bool // a make-up working day; false: a holiday
	Name    string
}

//go:embed reference/cn-holidays.csv
var holidaysCSV []byte

// Holidays is the embedded holiday calendar, 2022–2026.
var Holidays = mustParse(holidaysCSV, ParseHolidays)

// ParseHolidays reads date,kind,name with kind holiday or workday.
func ParseHolidays(r io.Reader) ([]Holiday, error) {
	recs, err := readTable(r, "holidays", 3)
	if err != nil {
		return nil, err
	}
	out := make([]Holiday, 0, len(recs))
	for i, rec := range recs {
		d, err := time.Parse("2006-01-02", rec[0])
		if err != nil {
			return nil, fmt.Errorf("holidays: line %d: %w", i+2, err)
		}
		if rec[1] != "holiday" && rec[1] != "workday" {
			return nil, fmt.Errorf("holidays: line %d: kind %q is neither holiday nor workday", i+2, rec[1])
		}
		out = append(out, Holiday{Date: d, Workday: rec[1] == "workday", Name: rec[2]})
	}
	return out, nil
}

// Reference is the reference data an assessment uses: embedded defaults that
// the operator may replace with newer copies.
type Reference struct {
	Cities     []City
	Population []Population // yearly figures over the cities' own; optional
	Holidays   []Holiday
	MinWages   []MinWage
	Funds      []Fund // the province's allocations and finance ledger; may be empty
	Counties   []County
	// Dispatch's tables, no part of an assessment's configuration.
	Targets []Target `json:"-"` // the tasks' yearly targets; may be empty
	Regions []Region `json:"-"` // groups of neighbouring cities; may be empty
}

// DefaultReference is the embedded reference data.
func DefaultReference() Reference {
	return Reference{Cities: Cities, Holidays: Holidays, MinWages: MinWages, Funds: Funds, Counties: Counties, Targets: Targets, Regions: Regions}
}

// Population is a city's resident population for one year, replacing the
// census figure in cities.csv for assessments of that year.
type Population struct {
	City       string
	Year       int
	Population int64
}

// ParsePopulation reads city_code,year,population.
func ParsePopulation(r io.Reader) ([]Population, error) {
	recs, err := readTable(r, "population", 3)
	if err != nil {
		return nil, err
	}
	out := make([]Population, 0, len(recs))
	for i, rec := range recs {
		year, err := strconv.Atoi(rec[1])
		if err != nil || year < 2000 || year > 2100 {
			return nil, fmt.Errorf("population: line %d: year %q", i+2, rec[1])
		}
		pop, err := strconv.ParseInt(rec[2], 10, 64)
		if err != nil || pop <= 0 {
			return nil, fmt.Errorf("population: line %d: population %q", i+2, rec[2])
		}
		out = append(out, Population{City: rec[0], Year: year, Population: pop})
	}
	return out, nil
}

// PopulationOf is a city's population for a year: the yearly figure when
// there is one, else the cities table's.
func (r Reference) PopulationOf(c City, year int) int64 {
	for _, p := range r.Population {
		if p.City == c.Code && p.Year == year {
			return p.Population
		}
	}
	return c.Population
}

// ReferenceFiles name the operator's copies of the reference tables; an
// empty path keeps the embedded table.
type ReferenceFiles struct {
	Cities     string `toml:"cities"`     // code,name,short_name,population
	Population string `toml:"population"` // city_code,year,population (optional)
	Holidays   string `toml:"holidays"`   // date,kind,name
	MinWage    string `toml:"min_wage"`   // city_code,valid_from,monthly_yuan,hourly_yuan,tier,status
	Funds      string `toml:"funds"`      // city_code,month,allocated_yuan[,paid_yuan] (the province's own)
	Counties   string `toml:"counties"`   // code,city_code,name[,population]
	Targets    string `toml:"targets"`    // year,city_code,task,target (dispatch)
	Regions    string `toml:"regions"`    // region,city_code (dispatch subtotals)
}

// LoadReference reads the embedded reference data with f's files in place of
// the embedded tables they name. Every city code must be one of the 14.
func LoadReference(f ReferenceFiles) (Reference, error) {
	ref := DefaultReference()
	if err := loadFile(f.Cities, ParseCities, &ref.Cities); err != nil {
		return ref, err
	}
	if err := loadFile(f.Population, ParsePopulation, &ref.Population); err != nil {
		return ref, err
	}
	if err := loadFile(f.Holidays, ParseHolidays, &ref.Holidays); err != nil {
		return ref, err
	}
	if err := loadFile(f.MinWage, ParseMinWages, &ref.MinWages); err != nil {
		return ref, err
	}
	if err := loadFile(f.Funds, ParseFunds, &ref.Funds); err != nil {
		return ref, err
	}
	if err := loadFile(f.Counties, ParseCounties, &ref.Counties); err != nil {
		return ref, err
	}
	if err := loadFile(f.Targets, ParseTargets, &ref.Targets); err != nil {
		return ref, err
	}
	if err := loadFile(f.Regions, ParseRegions, &ref.Regions); err != nil {
		return ref, err
	}
	known := func(code, what string) error {
		if _, ok := CityByCode(code); !ok {
			return fmt.Errorf("%s: %q is not a Liaoning city code", what, code)
		}
		return nil
	}
	if len(ref.Cities) != len(Cities) {
		return ref, fmt.Errorf("%s: %d cities, want %d", f.Cities, len(ref.Cities), len(Cities))
	}
	for _, c := range ref.Cities {
		if err := known(c.Code, f.Cities); err != nil {
			return ref, err
		}
	}
	for _, p := range ref.Population {
		if err := known(p.City, f.Population); err != nil {
			return ref, err
		}
	}
	for _, w := range ref.MinWages {
		if err := known(w.City, f.MinWage); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

func loadFile[T any](path string, parse func(io.Reader) ([]T, error), dst *[]T) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	*dst = v
	return nil
}
