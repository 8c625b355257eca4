package flexemp

import (
	_ "embed"
	"fmt"
	"io"
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
	Cities   []City
	Holidays []Holiday
	MinWages []MinWage
}

// DefaultReference is the embedded reference data.
func DefaultReference() Reference {
	return Reference{Cities: Cities, Holidays: Holidays, MinWages: MinWages}
}
