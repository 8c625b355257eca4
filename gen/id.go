package gen

import (
	"fmt"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// ID builds a valid 18-digit resident ID: area code, birth date, a 2-digit
// sequence, a sex digit (odd for men) and the check digit.
func ID(area string, birth time.Time, seq int, male bool) string {
	sexDigit := (seq % 5) * 2
	if male {
		sexDigit++
	}
	id17 := fmt.Sprintf("%s%s%02d%d", area, birth.Format("20060102"), seq%100, sexDigit)
	return id17 + string(flexemp.IDCheckDigit(id17))
}

// WrongCheckDigit returns id with a check character that does not fit.
func WrongCheckDigit(id string) string {
	good := id[17]
	for _, c := range []byte("123456789X0") {
		// A wrong 0 after "00" would read as an Excel-mangled number.
		if c != good && !(c == '0' && id[15:17] == "00") {
			return id[:17] + string(c)
		}
	}
	return id
}

// ExcelMangled is id as Excel keeps it in a number cell: 15 significant
// digits, the rest zeros. ok is false when the mangled number happens to pass
// the check digit (then it would not be caught, and must not be generated as
// a bad row).
func ExcelMangled(id string) (string, bool) {
	m := id[:15] + "000"
	return m, flexemp.IDCheckDigit(m[:17]) != '0'
}
