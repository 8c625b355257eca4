package ingest

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// excelEpoch is day 0 of Excel's 1900 date system as it counts after its
// phantom 29 February 1900.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ParseDate reads a calendar date in any form cities send: 2024-03-05,
// 2024/3/5, 2024年3月5日, 20240305, 2024.3.5, an Excel serial number (45356),
// each optionally followed by a time of day, which is dropped.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' && flexemp.IsDigits(s[:4]) && flexemp.IsDigits(s[5:7]) && flexemp.IsDigits(s[8:]) {
		return makeDate(atoiN(s[:4]), atoiN(s[5:7]), atoiN(s[8:])) // the common form, fast
	}
	if flexemp.IsDigits(s) && len(s) == 8 {
		return makeDate(atoiN(s[:4]), atoiN(s[4:6]), atoiN(s[6:]))
	}
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		// Serials up to 401768 are the years to 2999, the range text dates have.
		if serial < 1 || serial >= 401769 || math.IsNaN(serial) {
			return time.Time{}, false
		}
		return excelEpoch.AddDate(0, 0, int(serial)), true
	}
	// Drop a time of day: "2024-03-05 00:00:00", "2024-03-05T08:00:00+08:00".
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	var parts [3]int
	n, cur, digits := 0, 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur = cur*10 + int(r-'0')
			digits++
			if digits > 4 {
				return time.Time{}, false
			}
		case r == '-' || r == '/' || r == '.' || r == '年' || r == '月' || r == '日':
			if digits == 0 || n == 3 {
				return time.Time{}, false
			}
			parts[n], n, cur, digits = cur, n+1, 0, 0
		default:
			return time.Time{}, false
		}
	}
	if digits > 0 {
		if n == 3 {
			return time.Time{}, false
		}
		parts[n], n = cur, n+1
	}
	if n != 3 || parts[0] < 1000 {
		return time.Time{}, false
	}
	return makeDate(parts[0], parts[1], parts[2])
}

func makeDate(y, m, d int) (time.Time, bool) {
	if y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	if d > flexemp.DaysIn(y, time.Month(m)) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

// ParseMonthCell reads a year-month: 2024-03, 2024/3, 2024年3月, 202403, or
// any date form (Excel turns "2024-03" into the date 2024-03-01).
func ParseMonthCell(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if flexemp.IsDigits(s) && len(s) == 6 {
		return makeDate(atoiN(s[:4]), atoiN(s[4:]), 1)
	}
	t := strings.TrimSuffix(s, "月")
	for _, sep := range []string{"-", "/", "年", "."} {
		if y, m, ok := strings.Cut(t, sep); ok && len(y) == 4 && flexemp.IsDigits(y) && flexemp.IsDigits(m) && len(m) <= 2 {
			return makeDate(atoiN(y), atoiN(m), 1)
		}
	}
	if d, ok := ParseDate(s); ok {
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

// ParseHundredths reads a non-negative decimal with at most two places
// (yuan, hours) as an exact count of hundredths. Thousands separators are
// allowed. A binary-float rendering such as 1234.5599999999999 — what Excel
// writes for a number cell — is read as the two-place value it stands for.
func ParseHundredths(s string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !flexemp.IsDigits(whole) || (frac != "" && !flexemp.IsDigits(frac)) || len(whole) > 15 {
		return 0, false
	}
	if len(frac) > 2 {
		// Only float noise may be rounded away: 15+ significant digits whose
		// rounding to two places is within a millionth.
		if len(strings.TrimLeft(whole, "0"))+len(frac) < 15 {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		r := math.Round(f * 100)
		if math.Abs(f*100-r) > 1e-4 {
			return 0, false
		}
		return int64(r), true
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	return w*100 + int64(atoiN(frac)), true
}

// ParseCount reads a whole number ≥ min; "12.0" (an Excel number) is 12.
func ParseCount(s string, min int64) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	s = strings.TrimSuffix(s, ".0")
	if !flexemp.IsDigits(s) || len(s) > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= min
}

func atoiN(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
