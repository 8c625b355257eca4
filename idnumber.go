package flexemp

import (
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// ID number validation after GB 11643-1999.

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCheckDigit returns the ISO 7064 MOD 11-2 check character for the first 17
// digits of an ID number. It panics if id17 is not 17 digits.
func IDCheckDigit(id17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// Person is what is kept of a resident ID after validation.
type Person struct {
	Birth time.Time // calendar date, UTC midnight
	Male  bool
}

// Sexes are the values stored for a person's sex: female, male.
var Sexes = []string{"女", "男"}

// Sex is the stored word for the person's sex, one of Sexes.
func (p Person) Sex() string {
	if p.Male {
		return Sexes[1]
	}
	return Sexes[0]
}

// ID problems, as reject reasons.
const (
	ReasonIDFormat     = "id_format"
	ReasonIDExcel      = "id_excel_number"
	ReasonIDCheckDigit = "id_check_digit"
	ReasonIDBirthDate  = "id_birth_date"
)

// ParseID validates an 18-character resident ID and returns its birth date and
// sex; on failure it returns the reason code.
func ParseID(id string) (Person, string) {
	if looksLikeExcelNumber(id) {
		return Person{}, ReasonIDExcel
	}
	if len(id) != 18 || !IsDigits(id[:17]) || !(IsDigits(id[17:]) || id[17] == 'X' || id[17] == 'x') {
		return Person{}, ReasonIDFormat
	}
	y, m, d := atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > DaysIn(y, time.Month(m)) {
		return Person{}, ReasonIDBirthDate
	}
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	check := id[17]
	if check == 'x' {
		check = 'X'
	}
	if IDCheckDigit(id[:17]) != check {
		// Excel keeps 15 significant digits: an ID typed into a number cell
		// ends in 000 and fails its check.
		if id[15:] == "000" {
			return Person{}, ReasonIDExcel
		}
		return Person{}, ReasonIDCheckDigit
	}
	return Person{Birth: birth, Male: (id[16]-'0')%2 == 1}, ""
}

// looksLikeExcelNumber recognises the forms an ID takes after Excel stored it
// as a number: scientific notation (2.10102E+17) or a trailing ".0".
func looksLikeExcelNumber(s string) bool {
	if len(s) < 2 {
		return false
	}
	digits, dot, exp := 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot = true
		case c == 'E' || c == 'e':
			exp = true
		case c == '+' || c == '-':
		default:
			return false
		}
	}
	return digits > 0 && (exp || dot)
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// MaskID shows an ID as users may see it in rejects: 2101********1234.
// Anything shorter than 8 characters is masked whole.
func MaskID(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		return stringsRepeat('*', len(r))
	}
	return string(r[:4]) + stringsRepeat('*', len(r)-8) + string(r[len(r)-4:])
}

func stringsRepeat(c rune, n int) string {
	b := make([]rune, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// RetirementDate is the day a flexible worker reaches statutory retirement
// age: men 60, women 55, delayed for those born from 1965-01 (men) or 1970-01
// (women) by 1 + ⌊months since then ÷ 4⌋ months, at most 36, per the schedule
// in force from 2025-01-01.
func RetirementDate(p Person) time.Time {
	y, m, d := p.Birth.Date()
	baseYears, fromYear := 55, 1970
	if p.Male {
		baseYears, fromYear = 60, 1965
	}
	delay := 0
	if y >= fromYear {
		delay = min(1+((y-fromYear)*12+int(m)-1)/4, 36)
	}
	return addMonths(y, m, d, baseYears*12+delay)
}

// AgeOn is the whole years of age on the calendar date d.
func AgeOn(birth, d time.Time) int {
	by, bm, bd := birth.Date()
	y, m, day := d.Date()
	age := y - by
	if m < bm || (m == bm && day < bd) {
		age--
	}
	return age
}

// addMonths adds n months to the date y-m-d, clamping to the month's last
// day (a birthday of 31 August reaches retirement on 28/29 February, not in
// March). Once for every accepted row: one time.Date, no normalising.
func addMonths(y int, m time.Month, d, n int) time.Time {
	months := int(m) - 1 + n
	y += months / 12
	m = time.Month(months%12 + 1)
	return time.Date(y, m, min(d, DaysIn(y, m)), 0, 0, 0, 0, time.UTC)
}

// DaysIn is the number of days of month m of year y.
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// MaskIDs masks every ID-shaped run in free text — 15 or more digits, the
// last perhaps X, full-width ones included — as MaskID does, so no cell,
// header, column name or file name stored or shown carries an ID. The rest
// of the text is left as it is.
func MaskIDs(s string) string {
	digit := func(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }
	x := func(r rune) bool { return r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ' }
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && (digit(rs[j]) || x(rs[j]) && j-i >= 14) {
			j++
			if x(rs[j-1]) {
				break
			}
		}
		switch {
		case j-i >= 15:
			b.WriteString(MaskID(norm.NFKC.String(string(rs[i:j]))))
		case j > i:
			b.WriteString(string(rs[i:j]))
		default:
			b.WriteRune(rs[i])
			j = i + 1
		}
		i = j
	}
	return b.String()
}
