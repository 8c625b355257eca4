package flexemp

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MinWage is a city's minimum wage from a date on.
type MinWage struct {
	City       string
	ValidFrom  time.Time
	MonthlyFen int64
	HourlyFen  int64
	Status     string // e.g. provisional
}

//go:embed reference/min-wage.csv
var minWageCSV []byte

// MinWages is the embedded minimum-wage reference table.
var MinWages = mustParse(minWageCSV, ParseMinWages)

// ParseMinWages reads city_code,valid_from,monthly_yuan,hourly_yuan,tier,status.
// Yuan amounts are turned into exact fen.
func ParseMinWages(r io.Reader) ([]MinWage, error) {
	recs, err := readTable(r, "min-wage", 6)
	if err != nil {
		return nil, err
	}
	var out []MinWage
	for i, rec := range recs {
		from, err := time.Parse("2006-01-02", rec[1])
		if err != nil {
			return nil, fmt.Errorf("min-wage: line %d: %w", i+2, err)
		}
		monthly, err1 := yuanToFen(rec[2])
		hourly, err2 := yuanToFen(rec[3])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("min-wage: line %d: bad amount", i+2)
		}
		out = append(out, MinWage{City: rec[0], ValidFrom: from, MonthlyFen: monthly, HourlyFen: hourly, Status: rec[5]})
	}
	return out, nil
}

// yuanToFen reads a yuan amount with at most two decimals exactly.
func yuanToFen(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("more than two decimals: %q", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return w*100 + f, nil
}
