package issuing

import (
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// WindowEnd is the end of an objection window opened at t: 24:00
// Asia/Shanghai of the days-th working day after t's date. A working day is
// a weekday that is no public holiday, or a make-up working Saturday or
// Sunday (调休), as the holiday calendar says; past the calendar's years,
// weekdays.
func WindowEnd(t time.Time, days int, holidays []flexemp.Holiday) time.Time {
	kind := map[string]bool{} // date → make-up working day
	for _, h := range holidays {
		kind[h.Date.Format("2006-01-02")] = h.Workday
	}
	d := flexemp.DateOf(t)
	for n := 0; n < days; {
		d = d.AddDate(0, 0, 1)
		workday, listed := kind[d.Format("2006-01-02")]
		if !listed {
			workday = d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		}
		if workday {
			n++
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, flexemp.Shanghai)
}
