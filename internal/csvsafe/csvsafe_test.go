package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// What Excel and WPS would run comes back as text; numbers and plain words
// come back as they were.
func TestCells(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://x","y")`: `'=HYPERLINK("http://x","y")`,
		`+1+cmd|' /C calc'!A0`:       `'+1+cmd|' /C calc'!A0`,
		`-2+3`:                       `'-2+3`,
		`@SUM(1+1)`:                  `'@SUM(1+1)`,
		"\t=1":                       "'\t=1",
		"\r=1":                       "'\r=1",
		`-0.25`:                      `-0.25`,
		`+3`:                         `+3`,
		`沈阳市`:                        `沈阳市`,
		``:                           ``,
		`2101**********1234`:         `2101**********1234`,
	} {
		var b bytes.Buffer
		w := NewWriter(&b)
		if err := w.Write([]string{in, "x"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got, err := csv.NewReader(&b).Read()
		if err != nil || len(got) != 2 || got[0] != want {
			t.Errorf("%q: wrote %q (%v), want %q", in, got, err, want)
		}
	}
}
