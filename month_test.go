package flexemp_test

import (
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

func TestPeriods(t *testing.T) {
	p, err := flexemp.ParsePeriod("2024q3")
	if err != nil || p.String() != "2024Q3" {
		t.Fatal(p, err)
	}
	ms := p.Months()
	if len(ms) != 3 || ms[0].String() != "2024-07" || ms[2].String() != "2024-09" {
		t.Errorf("months %v", ms)
	}
	if !p.End().Equal(time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("end %v", p.End())
	}
	if p.Previous().String() != "2024Q2" || (flexemp.Period{Year: 2024, Quarter: 1}).Previous().String() != "2023Q4" {
		t.Error("previous quarter")
	}
	y, _ := flexemp.ParsePeriod("2024")
	if len(y.Months()) != 12 || y.Previous().String() != "2023" {
		t.Error("year")
	}
	for _, bad := range []string{"24", "2024Q5", "2024Q0", "2024-03", ""} {
		if _, err := flexemp.ParsePeriod(bad); flexemp.ErrorCode(err) != flexemp.EINVALID {
			t.Errorf("%q accepted", bad)
		}
	}
}

// An extract is due by the end of the 10th of the next month in Shanghai.
func TestDeadline(t *testing.T) {
	d := flexemp.Month{Year: 2024, Month: time.December}.Deadline()
	if got := d.UTC().Format(time.RFC3339); got != "2025-01-10T16:00:00Z" {
		t.Errorf("deadline %s", got)
	}
}

func TestResolveCity(t *testing.T) {
	for in, want := range map[string]string{"210100": "210100", "210102": "210100", "211422": "211400", "沈阳市": "210100", "葫芦岛": "211400"} {
		if c, ok := flexemp.ResolveCity(in); !ok || c.Code != want {
			t.Errorf("%q → %v %v", in, c.Code, ok)
		}
	}
	for _, bad := range []string{"999999", "北京", "2101", ""} {
		if _, ok := flexemp.ResolveCity(bad); ok {
			t.Errorf("%q resolved", bad)
		}
	}
	var pop int64
	for _, c := range flexemp.Cities {
		pop += c.Population
	}
	if len(flexemp.Cities) != 14 || pop != 42591407 {
		t.Errorf("%d cities, population %d", len(flexemp.Cities), pop)
	}
}
