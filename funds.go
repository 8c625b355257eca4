package flexemp

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// Fund is one row of the province's own funds table (reference/funds.csv):
// what the province allocated to a city for a month of flexible-employment
// support, and optionally what its finance ledger paid out as the city's
// subsidies that month. The province keeps it, not the cities: I20's
// denominator and K6's ledger test read it.
type Fund struct {
	City         string
	Month        Month
	AllocatedFen int64
	PaidFen      int64 // meaningful only when HasPaid
	HasPaid      bool
}

//go:embed reference/funds.csv
var fundsCSV []byte

// Funds is the embedded funds table: empty, so I20 is 无数据 for every city
// and K6's ledger test is off until the province gives its own
// ([reference] funds).
var Funds = mustParse(fundsCSV, ParseFunds)

// ParseFunds reads city_code,month,allocated_yuan[,paid_yuan]. A header
// with no rows is a valid, empty table; amounts are exact yuan with at most
// two decimals, and a city × month appears once.
func ParseFunds(r io.Reader) ([]Fund, error) {
	recs, err := readHeaded(r, "funds", "city_code,month,allocated_yuan", "paid_yuan")
	if err != nil {
		return nil, err
	}
	out := []Fund{}
	seen := map[string]bool{}
	for i, rec := range recs {
		line := i + 2
		if len(rec) < 3 {
			return nil, fmt.Errorf("funds: line %d: want at least 3 fields", line)
		}
		if _, ok := CityByCode(rec[0]); !ok {
			return nil, fmt.Errorf("funds: line %d: %q is not a Liaoning city code", line, rec[0])
		}
		m, err := ParseMonth(rec[1])
		if err != nil {
			return nil, fmt.Errorf("funds: line %d: month %q", line, rec[1])
		}
		f := Fund{City: rec[0], Month: m}
		if f.AllocatedFen, err = yuanToFen(rec[2]); err != nil || f.AllocatedFen < 0 {
			return nil, fmt.Errorf("funds: line %d: allocated_yuan %q", line, rec[2])
		}
		if len(rec) > 3 && strings.TrimSpace(rec[3]) != "" {
			if f.PaidFen, err = yuanToFen(rec[3]); err != nil || f.PaidFen < 0 {
				return nil, fmt.Errorf("funds: line %d: paid_yuan %q", line, rec[3])
			}
			f.HasPaid = true
		}
		key := f.City + " " + m.String()
		if seen[key] {
			return nil, fmt.Errorf("funds: line %d: %s %s appears twice", line, f.City, m)
		}
		seen[key] = true
		out = append(out, f)
	}
	return out, nil
}
