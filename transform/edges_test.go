package transform_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/transform"
)

// build runs the models for a period and returns the error, for the cases
// that must stop an assessment.
func (p *province) build(period string) error {
	p.t.Helper()
	per, err := flexemp.ParsePeriod(period)
	if err != nil {
		p.t.Fatal(err)
	}
	_, err = transform.Build(context.Background(), p.db, transform.Params{Period: per, Reference: flexemp.DefaultReference()})
	return err
}

// breaches are the rules each payment of a city breaks, by paid_on.
func (p *province) breaches(rule string) map[string]bool {
	p.t.Helper()
	rows, err := p.db.Query(`SELECT strftime(paid_on, '%Y-%m-%d') FROM scratch.int_subsidy_breaches WHERE rule = ?`, rule)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var d string
		rows.Scan(&d)
		out[d] = true
	}
	return out
}

// The subsidy rules' date edges, one day either side:
//   - a 就业困难人员 keeps the 36-month cap while 5 years or more remain to
//     retirement, and loses it only when less remain (不足5年);
//   - no 社会保险补贴 is paid on or after the retirement date.
func TestSubsidyDateEdges(t *testing.T) {
	p := newProvince(t)
	woman := person("1972-03-01", false) // retires 2027-10-01 (55 years and 7 months)
	man := person("1964-06-15", true)    // retires 2024-06-15 (60, born before 1965)
	if r := flexemp.RetirementDate(flexemp.Person{Birth: day("1972-03-01")}); !r.Equal(day("2027-10-01")) {
		t.Fatalf("fixture: retirement %v", r)
	}
	si := func(id, months, paid string) []string {
		return []string{id, "210102", "社会保险补贴", "就业困难人员", "100.00", "1200.00", months, "", paid}
	}
	p.load("210100", flexemp.Subsidies, "2022-09", "2022-10-05T09:00:00+08:00", [][]string{si(woman, "40", "2022-09-30")})
	p.load("210100", flexemp.Subsidies, "2022-10", "2022-11-05T09:00:00+08:00", [][]string{si(woman, "40", "2022-10-01"), si(woman, "40", "2022-10-02")})
	p.load("210100", flexemp.Subsidies, "2024-06", "2024-07-05T09:00:00+08:00", [][]string{
		si(man, "10", "2024-06-14"), si(man, "10", "2024-06-15"), si(man, "10", "2024-06-16"),
	})
	p.assess("2022")
	capped := p.breaches("si_months_hard_to_employ")
	for day, want := range map[string]bool{"2022-09-30": true, "2022-10-01": true, "2022-10-02": false} {
		if capped[day] != want {
			t.Errorf("36-month cap on %s (retirement 2027-10-01): breach %v, want %v", day, capped[day], want)
		}
	}
	p.assess("2024")
	after := p.breaches("si_after_retirement")
	for day, want := range map[string]bool{"2024-06-14": false, "2024-06-15": true, "2024-06-16": true} {
		if after[day] != want {
			t.Errorf("paid %s (retirement 2024-06-15): breach %v, want %v", day, after[day], want)
		}
	}
	if len(p.breaches("si_months_hard_to_employ")) != 0 {
		t.Error("a 就业困难人员 months from retirement is capped")
	}
}

// A 公益性岗位补贴 paid before the city's first minimum-wage row (2021-12-01
// for 沈阳 in the reference table) stops the assessment, naming the city and
// the date; one paid on that day is checked as usual.
func TestPublicPostBeforeFirstMinimumWage(t *testing.T) {
	post := func(paid string) [][]string {
		return [][]string{{person("1990-01-01", true), "210102", "公益性岗位补贴", "就业困难人员", "1536.01", "", "2", "80", paid}}
	}
	p := newProvince(t)
	p.load("210100", flexemp.Subsidies, "2021-11", "2021-12-05T09:00:00+08:00", post("2021-11-30"))
	err := p.build("2021Q4")
	if err == nil || flexemp.ErrorCode(err) != flexemp.EINVALID {
		t.Fatalf("a payment before the first minimum wage: %v", err)
	}
	for _, want := range []string{"沈阳市", "2021-11-30", "2021-12-01", "最低工资标准"} {
		if !strings.Contains(flexemp.ErrorMessage(err), want) {
			t.Errorf("the message %q does not say %q", flexemp.ErrorMessage(err), want)
		}
	}
	p = newProvince(t)
	p.load("210100", flexemp.Subsidies, "2021-12", "2022-01-05T09:00:00+08:00", post("2021-12-01"))
	if err := p.build("2021Q4"); err != nil {
		t.Fatal(err)
	}
	if !p.breaches("public_post_wage")["2021-12-01"] {
		t.Error("1536.01 for 80 h at 19.20 on the first day of the minimum wage is not a breach")
	}
}

// Working days come from the holiday table alone: a 失业登记 in a year the
// table lacks (it has 2022–2026) stops the assessment, naming the year.
func TestUnemploymentOutsideHolidayYears(t *testing.T) {
	reg := func(applied, completed string) [][]string {
		return [][]string{{person("1990-01-01", true), "210102", "失业登记", "", "其他", applied, completed, "线下"}}
	}
	p := newProvince(t)
	p.load("210100", flexemp.Registrations, "2021-12", "2022-01-05T09:00:00+08:00", reg("2021-12-20", "2021-12-24"))
	err := p.build("2021")
	if err == nil || !strings.Contains(flexemp.ErrorMessage(err), "2021 年") || !strings.Contains(flexemp.ErrorMessage(err), "节假日表") {
		t.Fatalf("a 失业登记 in 2021: %v", err)
	}
	p = newProvince(t)
	p.load("210100", flexemp.Registrations, "2022-01", "2022-02-05T09:00:00+08:00", reg("2022-01-04", "2022-01-07"))
	if err := p.build("2022"); err != nil {
		t.Fatal(err)
	}
}
