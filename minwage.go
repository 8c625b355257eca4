package flexemp

import (
	"bytes"
	_ "embed"
	"encoding/csv"
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
var MinWages = mustParseMinWages(minWageCSV)

func mustParseMinWages(b []byte) []MinWage {
	ws, err := ParseMinWages(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	return ws
}

// ParseMinWages reads city_code,valid_from,monthly_yuan,hourly_yuan,tier,status.
// Yuan amounts are turned into exact fen.
func ParseMinWages(r io.Reader) ([]MinWage, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []MinWage
	for i, rec := range recs[1:] {
		if len(rec) < 6 {
			return nil, fmt.Errorf("min-wage: line %d: want 6 fields", i+2)
		}
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
