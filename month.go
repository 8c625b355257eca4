package flexemp

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shanghai is the zone of every business date and deadline.
var Shanghai = mustLoadShanghai()

func mustLoadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// No zoneinfo on the machine: China has kept UTC+8 without DST since 1991.
		return time.FixedZone("Asia/Shanghai", 8*3600)
	}
	return loc
}

// Month is a calendar month, the unit of an upload.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "2024-03".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return Month{}, Errorf(EINVALID, "月份格式错误：%q（应为 YYYY-MM，如 2024-03）", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf returns the month a date falls in.
func MonthOf(t time.Time) Month { return Month{t.Year(), t.Month()} }

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// MarshalText writes the month as String does, for JSON.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a month as ParseMonth does, for JSON.
func (m *Month) UnmarshalText(b []byte) (err error) {
	*m, err = ParseMonth(string(b))
	return err
}

// IsZero reports whether m is unset.
func (m Month) IsZero() bool { return m.Year == 0 }

// First is the month's first day (midnight UTC: a calendar date).
func (m Month) First() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Next is the following month.
func (m Month) Next() Month { return MonthOf(m.First().AddDate(0, 1, 0)) }

// Contains reports whether the calendar date d falls in m.
func (m Month) Contains(d time.Time) bool { return d.Year() == m.Year && d.Month() == m.Month }

// Deadline is when an extract of month m is due: the end of the 10th of the
// next month in Asia/Shanghai.
func (m Month) Deadline() time.Time {
	n := m.Next()
	return time.Date(n.Year, n.Month, 11, 0, 0, 0, 0, Shanghai)
}

// DeadlineText is the deadline as every page, mail and message writes it:
// 2025年3月10日 24:00.
func (m Month) DeadlineText() string { return DayEndText(m.Deadline()) }

// DayEndText writes an instant that ends a day in Asia/Shanghai (a
// deadline, an objection window's end) as that day's 24:00, the one
// wording a deadline has.
func DayEndText(end time.Time) string {
	return end.In(Shanghai).Add(-time.Minute).Format("2006年1月2日") + " 24:00"
}

// Period is an assessment period: a year ("2024") or a quarter ("2024Q3").
type Period struct {
	Year    int
	Quarter int // 0 for a whole year
}

// ParsePeriod reads "2024" or "2024Q3".
func ParsePeriod(s string) (Period, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	bad := Errorf(EINVALID, "考核期格式错误：%q（应为年份如 2024，或季度如 2024Q3）", s)
	y, q, hasQ := strings.Cut(s, "Q")
	year, err := strconv.Atoi(y)
	if err != nil || len(y) != 4 {
		return Period{}, bad
	}
	p := Period{Year: year}
	if hasQ {
		if p.Quarter, err = strconv.Atoi(q); err != nil || p.Quarter < 1 || p.Quarter > 4 {
			return Period{}, bad
		}
	}
	return p, nil
}

func (p Period) String() string {
	if p.Quarter == 0 {
		return strconv.Itoa(p.Year)
	}
	return fmt.Sprintf("%dQ%d", p.Year, p.Quarter)
}

// Months lists the period's months in order.
func (p Period) Months() []Month {
	first, n := 1, 12
	if p.Quarter > 0 {
		first, n = 3*p.Quarter-2, 3
	}
	ms := make([]Month, n)
	for i := range ms {
		ms[i] = Month{p.Year, time.Month(first + i)}
	}
	return ms
}

// Start and End are the first and last calendar dates of the period.
func (p Period) Start() time.Time { return p.Months()[0].First() }

// End is the period's last calendar date.
func (p Period) End() time.Time {
	ms := p.Months()
	return ms[len(ms)-1].Next().First().AddDate(0, 0, -1)
}

// MarshalText writes the period as String does, for JSON.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a period as ParsePeriod does.
func (p *Period) UnmarshalText(b []byte) (err error) {
	*p, err = ParsePeriod(string(b))
	return err
}

// Label is the period as users read it: 2024年 or 2024年第3季度.
func (p Period) Label() string {
	if p.Quarter == 0 {
		return fmt.Sprintf("%d年", p.Year)
	}
	return fmt.Sprintf("%d年第%d季度", p.Year, p.Quarter)
}

// Previous is the period of the same length just before p.
func (p Period) Previous() Period {
	if p.Quarter == 0 {
		return Period{Year: p.Year - 1}
	}
	if p.Quarter == 1 {
		return Period{Year: p.Year - 1, Quarter: 4}
	}
	return Period{Year: p.Year, Quarter: p.Quarter - 1}
}

// Dates (calendar days, not instants) are time.Time values at midnight UTC,
// as First and Start give them; an as-of date is one such date, read in
// Asia/Shanghai.

// DateOf is the calendar date of an instant in Asia/Shanghai.
func DateOf(t time.Time) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDate reads a date as YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return d, Errorf(EINVALID, "日期 %q 无法识别，应为 YYYY-MM-DD", s)
	}
	return d, nil
}

// DueBy tells whether month m's extracts are due as of a date: their
// deadline, the end of the 10th of the next month, has passed by the start
// of that day in Asia/Shanghai.
func (m Month) DueBy(asOf time.Time) bool {
	start := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, Shanghai)
	return !start.Before(m.Deadline())
}

// DueMonths are the period's months that are due as of a date.
func (p Period) DueMonths(asOf time.Time) []Month {
	var out []Month
	for _, m := range p.Months() {
		if m.DueBy(asOf) {
			out = append(out, m)
		}
	}
	return out
}

// Cutoff is the earlier of the period's last day and the as-of date: the day
// by which a pending case is judged.
func (p Period) Cutoff(asOf time.Time) time.Time {
	if asOf.Before(p.End()) {
		return asOf
	}
	return p.End()
}

// Running tells whether the period is still running as of a date: some of
// its months are not due yet, so its figures are 截至 that date.
func (p Period) Running(asOf time.Time) bool { return len(p.DueMonths(asOf)) < len(p.Months()) }
