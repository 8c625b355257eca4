package flexemp

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a business date, a calendar day (at midnight UTC, as DateOf and
// ParseDate give it): YYYY-MM-DD in JSON and text, never an instant dressed
// as UTC midnight.
type Date struct{ time.Time }

// DateFor is t's calendar day as a Date (t as DateOf gives it).
func DateFor(t time.Time) Date {
	return Date{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
}

// String writes YYYY-MM-DD.
func (d Date) String() string { return d.Format("2006-01-02") }

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalJSON writes "YYYY-MM-DD" (time.Time's own would write an instant).
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := ParseDate(string(b))
	d.Time = t
	return err
}

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("date %s: want \"YYYY-MM-DD\"", b)
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}

// Scan reads a DATE (or a timestamp, its day) from the database.
func (d *Date) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("date: cannot scan %T", src)
	}
	*d = DateFor(t.UTC())
	return nil
}

// Value writes the date to the database.
func (d Date) Value() (driver.Value, error) { return d.Time, nil }
