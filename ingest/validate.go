package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaoning-hrss/flexemp"
)

// StorageColumns are the table columns a kind's accepted rows are stored in,
// derived from the contract: an ID becomes person_id, birth_date, sex and
// retire_on; a city becomes city_code and area_code; money is stored in fen
// and hours in hundredths.
func StorageColumns(c *flexemp.Contract) []string {
	cols := []string{"upload_id", "row_no"}
	for _, col := range c.Columns {
		switch col.Type {
		case flexemp.TypeID:
			cols = append(cols, "person_id", "birth_date", "sex", "retire_on")
		case flexemp.TypeCity:
			cols = append(cols, "city_code", "area_code")
		case flexemp.TypeMoney:
			cols = append(cols, col.Name+"_fen")
		case flexemp.TypeHours:
			cols = append(cols, col.Name+"_centi")
		default:
			cols = append(cols, col.Name)
		}
	}
	return cols
}

// width is how many storage columns one contract column takes.
func width(t flexemp.ColumnType) int {
	switch t {
	case flexemp.TypeID:
		return 4
	case flexemp.TypeCity:
		return 2
	}
	return 1
}

// Pseudonym is the keyed pseudonym of a resident ID: the same person gets the
// same pseudonym in every city, kind and upload, and without the key it
// cannot be turned back into the ID.
func Pseudonym(mac hash.Hash, id string) string {
	mac.Reset()
	mac.Write([]byte(strings.ToUpper(id)))
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0])[:16])
}

// NewMAC returns the HMAC-SHA256 used for pseudonyms under key.
func NewMAC(key []byte) hash.Hash { return hmac.New(sha256.New, key) }

// cell is one parsed contract column of the current row.
type cell struct {
	raw    string
	header string
	isID   bool // masked whole in rejects
	ok     bool // present and valid
	val    any  // parsed value when ok
}

// validator checks rows against one contract for one uploading city and
// turns accepted rows into storage rows.
type validator struct {
	c        *flexemp.Contract
	city     flexemp.City
	month    flexemp.Month // zero: read from the rows
	m        *headerMatch
	mac      hash.Hash
	uploadID int64

	cells   []cell
	out     []driver.Value
	rejects []flexemp.Reject
	months  map[flexemp.Month]int // rows per month of MonthField, valid rows
	seen    map[time.Time]bool    // services: months already reported in this file
}

func newValidator(c *flexemp.Contract, city flexemp.City, month flexemp.Month, m *headerMatch, key []byte) *validator {
	return &validator{
		c: c, city: city, month: month, m: m, mac: NewMAC(key),
		cells:  make([]cell, len(c.Columns)),
		months: map[flexemp.Month]int{},
		seen:   map[time.Time]bool{},
	}
}

// blank reports whether a row has no content in any contract column.
func (v *validator) blank(cells []string) bool {
	for _, j := range v.m.index {
		if j < len(cells) && strings.TrimSpace(cells[j]) != "" {
			return false
		}
	}
	return true
}

// check validates one row. It returns the storage row when the row is
// accepted; the row's rejects are in v.rejects either way.
func (v *validator) check(row int, cells []string) ([]driver.Value, bool) {
	v.rejects = v.rejects[:0]
	for i, col := range v.c.Columns {
		j := v.m.index[i]
		c := cell{header: v.m.headers[j], isID: col.Type == flexemp.TypeID}
		if j < len(cells) {
			c.raw = strings.TrimSpace(cells[j])
		}
		if c.raw == "" {
			if col.Required {
				v.reject(row, c, flexemp.ReasonRequired, "")
			}
		} else {
			v.parse(row, col, &c)
		}
		v.cells[i] = c
	}
	v.crossRules(row)
	if len(v.rejects) > 0 {
		return nil, false
	}
	return v.store(row), true
}

func (v *validator) parse(row int, col flexemp.Column, c *cell) {
	var code, detail string
	switch col.Type {
	case flexemp.TypeID:
		p, reason := flexemp.ParseID(c.raw)
		c.val, code = p, reason
	case flexemp.TypeCity:
		city, ok := flexemp.ResolveCity(c.raw)
		switch {
		case !ok:
			code = flexemp.ReasonCityUnknown
		case city.Code != v.city.Code:
			code, detail = flexemp.ReasonCityMismatch, "上传城市为"+v.city.Name+"，该行为"+city.Name
		default:
			c.val = city
		}
	case flexemp.TypeEnum, flexemp.TypeYesNo:
		code = flexemp.ReasonEnum
		for _, allowed := range col.Values {
			if c.raw == allowed {
				c.val, code = allowed, ""
				break
			}
		}
		if code != "" {
			detail = "允许：" + strings.Join(col.Values, "、")
		}
	case flexemp.TypeDate:
		d, ok := ParseDate(c.raw)
		c.val = d
		if !ok {
			code = flexemp.ReasonDate
		}
	case flexemp.TypeMonth:
		d, ok := ParseMonthCell(c.raw)
		c.val = d
		if !ok {
			code = flexemp.ReasonMonth
		}
	case flexemp.TypeMoney, flexemp.TypeHours:
		n, ok := ParseHundredths(c.raw)
		c.val = n
		if !ok {
			code = flexemp.ReasonMoney
			if col.Type == flexemp.TypeHours {
				code = flexemp.ReasonHours
			}
		}
	case flexemp.TypeCount:
		n, ok := ParseCount(c.raw, col.Min)
		c.val = n
		if !ok {
			code = flexemp.ReasonCount
			detail = "应为不小于" + strconv.FormatInt(col.Min, 10) + "的整数"
		}
	default:
		c.val = c.raw
	}
	if code != "" {
		v.reject(row, *c, code, detail)
		return
	}
	c.ok = true
	if col.Name == v.c.MonthField {
		v.checkMonth(row, *c)
	}
}

// checkMonth holds the row's date to the upload's month, or counts the months
// seen when the month is to be read from the rows.
func (v *validator) checkMonth(row int, c cell) {
	m := flexemp.MonthOf(c.val.(time.Time))
	if !v.month.IsZero() && m != v.month {
		v.reject(row, c, flexemp.ReasonOutsideMonth, "上传月份为"+v.month.String())
	}
}

// get returns the parsed value of a contract column in the current row.
func (v *validator) get(name string) (cell, bool) {
	_, i, _ := v.c.Column(name)
	return v.cells[i], v.cells[i].ok
}

// crossRules applies the rules that span columns.
func (v *validator) crossRules(row int) {
	switch v.c.Kind {
	case flexemp.Registrations:
		regType, okType := v.get("reg_type")
		if form, _ := v.get("employment_form"); okType && regType.val == flexemp.RegFlexible && form.raw == "" {
			v.reject(row, form, flexemp.ReasonConditional, "灵活就业登记须填写就业形式")
		}
		v.dateOrder(row, "applied_on", "completed_on", "办结日期早于申请日期")
		id, okID := v.get("id_number")
		applied, okApplied := v.get("applied_on")
		if okID && okApplied {
			p, on := id.val.(flexemp.Person), applied.val.(time.Time)
			if flexemp.AgeOn(p.Birth, on) < 16 || !on.Before(flexemp.RetirementDate(p)) {
				v.reject(row, id, flexemp.ReasonAge, "")
			}
		}
	case flexemp.Subsidies:
		typ, ok := v.get("subsidy_type")
		if !ok {
			break
		}
		if c, _ := v.get("contribution"); typ.val == flexemp.SubsidySocialInsurance && c.raw == "" {
			v.reject(row, c, flexemp.ReasonConditional, "社会保险补贴须填写个人实际缴费")
		}
		if c, _ := v.get("work_hours"); typ.val == flexemp.SubsidyPublicPost && c.raw == "" {
			v.reject(row, c, flexemp.ReasonConditional, "公益性岗位补贴须填写工作时长")
		}
	case flexemp.Trainings:
		v.dateOrder(row, "started_on", "ended_on", "结业日期早于开班日期")
		completed, ok1 := v.get("completed")
		certified, ok2 := v.get("certified")
		if ok1 && ok2 && completed.val == "否" && certified.val == "是" {
			v.reject(row, certified, flexemp.ReasonCertified, "")
		}
	case flexemp.Services:
		applied, ok1 := v.get("loans_applied")
		online, ok2 := v.get("loans_online")
		if ok1 && ok2 && online.val.(int64) > applied.val.(int64) {
			v.reject(row, online, flexemp.ReasonLoansOnline, "")
		}
		if m, ok := v.get("month"); ok {
			t := m.val.(time.Time)
			if v.seen[t] {
				v.reject(row, m, flexemp.ReasonDuplicateMonth, "")
			}
			v.seen[t] = true
		}
	}
	if len(v.rejects) == 0 {
		if c, ok := v.get(v.c.MonthField); ok {
			v.months[flexemp.MonthOf(c.val.(time.Time))]++
		}
	}
}

func (v *validator) dateOrder(row int, from, to, detail string) {
	a, ok1 := v.get(from)
	b, ok2 := v.get(to)
	if ok1 && ok2 && b.val.(time.Time).Before(a.val.(time.Time)) {
		v.reject(row, b, flexemp.ReasonDateOrder, detail)
	}
}

func (v *validator) reject(row int, c cell, code, detail string) {
	reason := flexemp.Reasons[code]
	if detail != "" {
		reason += "（" + detail + "）"
	}
	v.rejects = append(v.rejects, flexemp.Reject{Row: row, Column: c.header, Value: maskValue(c.raw, c.isID), Code: code, Reason: reason})
}

// store builds the storage row of an accepted row.
func (v *validator) store(row int) []driver.Value {
	out := append(v.out[:0], v.uploadID, int32(row))
	for i, col := range v.c.Columns {
		c := v.cells[i]
		if !c.ok {
			for range width(col.Type) {
				out = append(out, nil)
			}
			continue
		}
		switch col.Type {
		case flexemp.TypeID:
			p := c.val.(flexemp.Person)
			sex := "女"
			if p.Male {
				sex = "男"
			}
			out = append(out, Pseudonym(v.mac, c.raw), p.Birth, sex, flexemp.RetirementDate(p))
		case flexemp.TypeCity:
			area := c.val.(flexemp.City).Code
			if len(c.raw) == 6 && isDigits(c.raw) {
				area = c.raw
			}
			out = append(out, c.val.(flexemp.City).Code, area)
		case flexemp.TypeYesNo:
			out = append(out, c.val == "是")
		default:
			out = append(out, c.val)
		}
	}
	v.out = out
	return out
}

// maskValue makes a cell safe to keep in a reject: anything that could be an
// ID number (a run of 15 or more digits, wherever it stands) is masked, and
// long text is cut.
func maskValue(s string, isID bool) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' || s[i] == 'X' || s[i] == 'x' {
			digits++
		}
	}
	if isID || digits >= 15 {
		return flexemp.MaskID(s)
	}
	if utf8.RuneCountInString(s) > 64 {
		return string([]rune(s)[:64]) + "…"
	}
	return s
}
