package flexemp_test

import (
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParseID(t *testing.T) {
	cases := []struct {
		id, reason string
		birth      time.Time
		male       bool
	}{
		{"210102199005121230", "", date(1990, 5, 12), true},
		{"21010219950315182X", "", date(1995, 3, 15), false},
		{"21010219950315182x", "", date(1995, 3, 15), false},
		{"210102199005121231", flexemp.ReasonIDCheckDigit, time.Time{}, false},
		{"210102199002301236", flexemp.ReasonIDBirthDate, time.Time{}, false},
		{"210102189912311234", flexemp.ReasonIDBirthDate, time.Time{}, false},
		{"21010219900512123", flexemp.ReasonIDFormat, time.Time{}, false},
		{"2101021990051212300", flexemp.ReasonIDFormat, time.Time{}, false},
		{"21010219900512123A", flexemp.ReasonIDFormat, time.Time{}, false},
		{"210102900512123", flexemp.ReasonIDFormat, time.Time{}, false}, // first-generation 15-digit
		{"2.10102E+17", flexemp.ReasonIDExcel, time.Time{}, false},
		{"2.10102199005121E+17", flexemp.ReasonIDExcel, time.Time{}, false},
		{"210102199005121230.0", flexemp.ReasonIDExcel, time.Time{}, false},
		{"210102199005121000", flexemp.ReasonIDExcel, time.Time{}, false},
		{"", flexemp.ReasonIDFormat, time.Time{}, false},
	}
	for _, tc := range cases {
		p, reason := flexemp.ParseID(tc.id)
		if reason != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.id, reason, tc.reason)
			continue
		}
		if reason == "" && (!p.Birth.Equal(tc.birth) || p.Male != tc.male) {
			t.Errorf("%q: got %v male=%v", tc.id, p.Birth, p.Male)
		}
	}
}

// The check digit by the standard's worked example and by hand: weights
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes "10X98765432".
func TestIDCheckDigit(t *testing.T) {
	// 11010519491231002X is the example printed in GB 11643-1999.
	if c := flexemp.IDCheckDigit("11010519491231002"); c != 'X' {
		t.Errorf("standard example: got %c, want X", c)
	}
	// And by the weights, summed here.
	id := "21010219900512123"
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(id[i]-'0') * w[i]
	}
	if got, want := flexemp.IDCheckDigit(id), "10X98765432"[sum%11]; got != want {
		t.Errorf("got %c, want %c", got, want)
	}
}

// The 2025 schedule: men 60 and women 55, delayed one month for every four
// months of birth after 1965-01 (men) or 1970-01 (women), at most 36.
func TestRetirementDate(t *testing.T) {
	cases := []struct {
		birth time.Time
		male  bool
		want  time.Time
	}{
		{date(1964, 12, 15), true, date(2024, 12, 15)},  // before the schedule: 60
		{date(1965, 1, 10), true, date(2025, 2, 10)},    // 0 months after: 1 month delay
		{date(1965, 4, 30), true, date(2025, 5, 30)},    // 3 months: still 1
		{date(1965, 5, 1), true, date(2025, 7, 1)},      // 4 months: 2
		{date(1976, 8, 1), true, date(2039, 7, 1)},      // 139 months: 1+34 = 35
		{date(1976, 9, 1), true, date(2039, 9, 1)},      // 140 months: 36, the cap: 63
		{date(1990, 1, 1), true, date(2053, 1, 1)},      // capped: 63
		{date(1969, 12, 31), false, date(2024, 12, 31)}, // before: 55
		{date(1970, 1, 31), false, date(2025, 2, 28)},   // 1 month, to the month's last day
		{date(1990, 6, 1), false, date(2048, 6, 1)},     // capped: 58
	}
	for _, tc := range cases {
		got := flexemp.RetirementDate(flexemp.Person{Birth: tc.birth, Male: tc.male})
		if !got.Equal(tc.want) {
			t.Errorf("born %s male=%v: got %s, want %s", tc.birth.Format("2006-01-02"), tc.male, got.Format("2006-01-02"), tc.want.Format("2006-01-02"))
		}
	}
}

func TestAgeOn(t *testing.T) {
	b := date(2008, 3, 15)
	if a := flexemp.AgeOn(b, date(2024, 3, 14)); a != 15 {
		t.Errorf("day before 16th birthday: %d", a)
	}
	if a := flexemp.AgeOn(b, date(2024, 3, 15)); a != 16 {
		t.Errorf("16th birthday: %d", a)
	}
}

func TestMaskID(t *testing.T) {
	for in, want := range map[string]string{
		"210102199005121230": "2101**********1230",
		"2.10102E+17":        "2.10***E+17",
		"1234567":            "*******",
	} {
		if got := flexemp.MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"210102199005121230", "21010219950315182X", "2.10102E+17", "210102199002301236", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, reason := flexemp.ParseID(s)
		if reason != "" {
			if _, ok := flexemp.Reasons[reason]; !ok {
				t.Fatalf("unknown reason %q", reason)
			}
			return
		}
		// Accepted: 18 characters whose check digit and birth date hold.
		if len(s) != 18 || flexemp.IDCheckDigit(s[:17]) != toUpper(s[17]) || p.Birth.Format("20060102") != s[6:14] {
			t.Fatalf("accepted invalid ID %q", s)
		}
		if m := flexemp.MaskID(s); m[4:14] != "**********" {
			t.Fatalf("mask %q", m)
		}
	})
}

func toUpper(c byte) byte {
	if c == 'x' {
		return 'X'
	}
	return c
}

// Every ID-shaped run is masked wherever it stands, full-width digits
// included; shorter numbers and text stay.
func TestMaskIDs(t *testing.T) {
	for in, want := range map[string]string{
		"210104199005121231": "2101**********1231",
		"２１０１０４１９９００５１２１２３１":                     "2101**********1231",
		"身份证21010419900512123X号":                 "身份证2101**********123X号",
		"旧号210104900512123 新号":                   "旧号2101*******2123 新号",
		"金额 12345.67，电话 13800138000":             "金额 12345.67，电话 13800138000",
		"列210104199005121231,210104199005121231": "列2101**********1231,2101**********1231",
		"": "",
	} {
		if got := flexemp.MaskIDs(in); got != want {
			t.Errorf("MaskIDs(%q) = %q, want %q", in, got, want)
		}
	}
}
