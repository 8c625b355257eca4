package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/liaoning-hrss/flexemp"
	"golang.org/x/text/unicode/norm"
)

// StorageColumns are the table columns a kind's accepted rows are stored in,
// derived from the contract: an ID becomes person_id, birth_date, sex and
// retire_on; a city becomes city_code and area_code; money is stored in fen
// and hours in hundredths.
func StorageColumns(c *flexemp.Contract) []string {
	fields := storageSchema(c).Fields()
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = f.Name
	}
	return cols
}

// Pseudonym is the keyed pseudonym of a resident ID: the same person gets the
// same pseudonym in every city, kind and upload, and without the key it
// cannot be turned back into the ID.
func Pseudonym(mac hash.Hash, id string) string {
	return (&pseudonyms{mac: mac}).of(id)
}

// pseudonyms computes pseudonyms under one key with buffers of its own, so
// that an accepted row's costs one allocation, the pseudonym itself.
type pseudonyms struct {
	mac hash.Hash
	in  []byte
	sum [sha256.Size]byte
	hex [32]byte
}

func (p *pseudonyms) of(id string) string {
	p.in = appendUpper(p.in[:0], id)
	p.mac.Reset()
	p.mac.Write(p.in)
	hex.Encode(p.hex[:], p.mac.Sum(p.sum[:0])[:16])
	return string(p.hex[:])
}

// appendUpper appends s in upper case: an ID's ASCII folded in place, any
// other text through Unicode's upper case.
func appendUpper(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(dst, strings.ToUpper(s)...)
		}
	}
	at := len(dst)
	dst = append(dst, s...)
	for i, c := range dst[at:] {
		if 'a' <= c && c <= 'z' {
			dst[at+i] = c - 'a' + 'A'
		}
	}
	return dst
}

// NewMAC returns the HMAC-SHA256 used for pseudonyms under key.
func NewMAC(key []byte) hash.Hash { return hmac.New(sha256.New, key) }

// KeyFingerprint identifies a pseudonym key without revealing it: the HMAC
// of a fixed label under the key.
func KeyFingerprint(key []byte) string {
	mac := NewMAC(key)
	mac.Write([]byte("flexemp pseudonym key fingerprint v1"))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// cell is one parsed contract column of the current row. Parsed values are
// kept in typed fields, not an interface, so a row costs no allocations.
type cell struct {
	raw    string
	header string
	isID   bool // masked whole in rejects
	ok     bool // present and valid

	str    string         // enum and text values
	date   time.Time      // dates; months as their first day
	num    int64          // counts, fen, hundredths of hours
	person flexemp.Person // IDs
	retire time.Time      // IDs: the retirement date
	city   string         // cities: the city's code
}

// validator checks rows against one contract for one uploading city and
// turns accepted rows into storage rows.
type validator struct {
	c        *flexemp.Contract
	city     flexemp.City
	month    flexemp.Month // zero: read from the rows
	m        *headerMatch
	ids      pseudonyms
	uploadID int64

	cells   []cell
	index   map[string]int // contract column name → position
	rejects []flexemp.Reject
	months  map[flexemp.Month]int // rows per month of MonthField, valid rows
	outside map[flexemp.Month]int // rows refused as outside the upload's month, by their month
	seen    map[time.Time]bool    // services: months already reported in this file
}

func newValidator(c *flexemp.Contract, city flexemp.City, month flexemp.Month, m *headerMatch, key []byte) *validator {
	index := make(map[string]int, len(c.Columns))
	for i, col := range c.Columns {
		index[col.Name] = i
	}
	return &validator{
		c: c, city: city, month: month, m: m, ids: pseudonyms{mac: NewMAC(key)},
		cells:   make([]cell, len(c.Columns)),
		index:   index,
		months:  map[flexemp.Month]int{},
		outside: map[flexemp.Month]int{},
		seen:    map[time.Time]bool{},
	}
}

// check validates one row and reports whether it is accepted; its rejects
// are in v.rejects either way, its parsed cells in v.cells.
func (v *validator) check(row int, cells []string) bool {
	v.rejects = v.rejects[:0]
	for i, col := range v.c.Columns {
		j := v.m.index[i]
		c := &v.cells[i]
		if j < 0 { // a column of a later version, absent from an earlier month's file
			*c = cell{header: col.Header}
			continue
		}
		*c = cell{header: v.m.headers[j], isID: col.Type == flexemp.TypeID}
		if j < len(cells) {
			c.raw = normCell(cells[j])
		}
		if strings.HasPrefix(c.raw, quoteMark) { // the reader's mark: this line's quotes do not close
			c.raw = strings.TrimPrefix(c.raw, quoteMark)
			v.reject(row, c, flexemp.ReasonQuote, "")
			continue
		}
		if !utf8.ValidString(c.raw) || strings.ContainsRune(c.raw, 0) {
			c.raw = strings.ToValidUTF8(strings.ReplaceAll(c.raw, "\x00", "\uFFFD"), "\uFFFD")
			v.reject(row, c, flexemp.ReasonEncoding, "")
			continue
		}
		if c.raw == "" {
			if col.Required && v.c.RequiredAt(col, v.rowMonth()) {
				v.reject(row, c, flexemp.ReasonRequired, "")
			}
		} else {
			v.parse(row, col, c)
		}
	}
	v.crossRules(row)
	if len(v.rejects) > 0 {
		line := make([][2]string, 0, len(v.cells))
		for _, c := range v.cells {
			if c.header != "" {
				line = append(line, [2]string{c.header, maskValue(c.raw, c.isID)})
			}
		}
		v.rejects[0].Line = line
	}
	return len(v.rejects) == 0
}

func (v *validator) parse(row int, col flexemp.Column, c *cell) {
	var code, detail string
	switch col.Type {
	case flexemp.TypeID:
		c.person, code = flexemp.ParseID(c.raw)
		if code == "" {
			c.retire = flexemp.RetirementDate(c.person)
		}
	case flexemp.TypeCity:
		city, ok := flexemp.ResolveCity(c.raw)
		switch {
		case !ok:
			code = flexemp.ReasonCityUnknown
		case city.Code != v.city.Code:
			code, detail = flexemp.ReasonCityMismatch, "上传城市为"+v.city.Name+"，该行为"+city.Name
		default:
			c.city = city.Code
		}
	case flexemp.TypeEnum, flexemp.TypeYesNo:
		code = flexemp.ReasonEnum
		for _, allowed := range col.Values {
			if c.raw == allowed {
				c.str, code = allowed, ""
				break
			}
		}
		if code != "" {
			detail = "允许：" + strings.Join(col.Values, "、")
		}
	case flexemp.TypeDate:
		d, ok := ParseDate(c.raw)
		c.date = d
		if !ok {
			code = flexemp.ReasonDate
		}
	case flexemp.TypeMonth:
		d, ok := ParseMonthCell(c.raw)
		c.date = d
		if !ok {
			code = flexemp.ReasonMonth
		}
	case flexemp.TypeMoney, flexemp.TypeHours:
		n, ok := ParseHundredths(c.raw)
		c.num = n
		if !ok {
			code = flexemp.ReasonMoney
			if col.Type == flexemp.TypeHours {
				code = flexemp.ReasonHours
			}
		}
	case flexemp.TypeCount:
		n, ok := ParseCount(c.raw, col.Min)
		c.num = n
		if !ok {
			code = flexemp.ReasonCount
			detail = "应为不小于" + strconv.FormatInt(col.Min, 10) + "的整数"
		}
	default:
		c.str = c.raw
	}
	if code != "" {
		v.reject(row, c, code, detail)
		return
	}
	c.ok = true
	if col.Name == v.c.MonthField {
		v.checkMonth(row, c)
	}
}

// checkMonth holds the row's date to the upload's month, when one was given.
func (v *validator) checkMonth(row int, c *cell) {
	m := flexemp.MonthOf(c.date)
	if !v.month.IsZero() && m != v.month {
		v.reject(row, c, flexemp.ReasonOutsideMonth, "上传月份为"+v.month.String())
		v.outside[m]++
	}
}

// rowMonth is the upload's month, or else the current row's as far as it
// has been read (the month column comes before any column of a later
// contract version).
func (v *validator) rowMonth() flexemp.Month {
	if !v.month.IsZero() {
		return v.month
	}
	if c, ok := v.get(v.c.MonthField); ok {
		return flexemp.MonthOf(c.date)
	}
	return flexemp.Month{}
}

// get returns the parsed cell of a contract column in the current row and
// whether it is present and valid.
func (v *validator) get(name string) (*cell, bool) {
	c := &v.cells[v.index[name]]
	return c, c.ok
}

// crossRules applies the rules that span columns.
func (v *validator) crossRules(row int) {
	switch v.c.Kind {
	case flexemp.Registrations:
		regType, okType := v.get("reg_type")
		if form, _ := v.get("employment_form"); okType && regType.str == flexemp.RegFlexible && form.raw == "" {
			v.reject(row, form, flexemp.ReasonConditional, "灵活就业登记须填写就业形式")
		}
		v.dateOrder(row, "applied_on", "completed_on", "办结日期早于申请日期")
		id, okID := v.get("id_number")
		applied, okApplied := v.get("applied_on")
		if okID && okApplied {
			if on := applied.date; flexemp.AgeOn(id.person.Birth, on) < 16 || !on.Before(id.retire) {
				v.reject(row, id, flexemp.ReasonAge, "")
			}
		}
	case flexemp.Subsidies:
		typ, ok := v.get("subsidy_type")
		if !ok {
			break
		}
		if c, _ := v.get("contribution"); typ.str == flexemp.SubsidySocialInsurance && c.raw == "" {
			v.reject(row, c, flexemp.ReasonConditional, "社会保险补贴须填写个人实际缴费")
		}
		if c, _ := v.get("work_hours"); typ.str == flexemp.SubsidyPublicPost && c.raw == "" {
			v.reject(row, c, flexemp.ReasonConditional, "公益性岗位补贴须填写工作时长")
		}
	case flexemp.Trainings:
		v.dateOrder(row, "started_on", "ended_on", "结业日期早于开班日期")
		completed, ok1 := v.get("completed")
		certified, ok2 := v.get("certified")
		if ok1 && ok2 && completed.str == "否" && certified.str == "是" {
			v.reject(row, certified, flexemp.ReasonCertified, "")
		}
	case flexemp.Services:
		v.atMost(row, "loans_online", "loans_applied", flexemp.ReasonLoansOnline)
		v.atMost(row, "title_passed_flex", "title_applied_flex", flexemp.ReasonTitlePassed)
		v.atMost(row, "parttime_written", "parttime_checked", flexemp.ReasonPartTime)
		if m, ok := v.get("month"); ok {
			if v.seen[m.date] {
				v.reject(row, m, flexemp.ReasonDuplicateMonth, "")
			}
			v.seen[m.date] = true
		}
	}
	if len(v.rejects) == 0 {
		if c, ok := v.get(v.c.MonthField); ok {
			v.months[flexemp.MonthOf(c.date)]++
		}
	}
}

// atMost rejects a count above the count it is part of.
func (v *validator) atMost(row int, part, whole, code string) {
	p, ok1 := v.get(part)
	w, ok2 := v.get(whole)
	if ok1 && ok2 && p.num > w.num {
		v.reject(row, p, code, "")
	}
}

func (v *validator) dateOrder(row int, from, to, detail string) {
	a, ok1 := v.get(from)
	b, ok2 := v.get(to)
	if ok1 && ok2 && b.date.Before(a.date) {
		v.reject(row, b, flexemp.ReasonDateOrder, detail)
	}
}

func (v *validator) reject(row int, c *cell, code, detail string) {
	reason := flexemp.Reasons[code]
	if detail != "" {
		reason += "（" + detail + "）"
	}
	v.rejects = append(v.rejects, flexemp.Reject{Row: row, Column: c.header, Value: maskValue(c.raw, c.isID), Code: code, Reason: reason})
}

// store appends the current, accepted row to the batch, field for field
// with storageSchema.
func (v *validator) store(b *array.RecordBuilder, row int) {
	b.Field(0).(*array.Int64Builder).Append(v.uploadID)
	b.Field(1).(*array.Int32Builder).Append(int32(row))
	f := 2
	str := func(s string, ok bool) {
		if ok {
			b.Field(f).(*array.StringBuilder).Append(s)
		} else {
			b.Field(f).AppendNull()
		}
		f++
	}
	date := func(t time.Time, ok bool) {
		if ok {
			b.Field(f).(*array.Date32Builder).Append(arrow.Date32(t.Unix() / 86400))
		} else {
			b.Field(f).AppendNull()
		}
		f++
	}
	i64 := func(n int64, ok bool) {
		if ok {
			b.Field(f).(*array.Int64Builder).Append(n)
		} else {
			b.Field(f).AppendNull()
		}
		f++
	}
	boolean := func(v, ok bool) {
		if ok {
			b.Field(f).(*array.BooleanBuilder).Append(v)
		} else {
			b.Field(f).AppendNull()
		}
		f++
	}
	for i, col := range v.c.Columns {
		c := &v.cells[i]
		switch col.Type {
		case flexemp.TypeID:
			str(v.ids.of(c.raw), c.ok)
			date(c.person.Birth, c.ok)
			str(c.person.Sex(), c.ok)
			date(c.retire, c.ok)
		case flexemp.TypeCity:
			area := c.city
			if len(c.raw) == 6 && flexemp.IsDigits(c.raw) {
				area = c.raw
			}
			str(c.city, c.ok)
			str(area, c.ok)
		case flexemp.TypeDate, flexemp.TypeMonth:
			date(c.date, c.ok)
		case flexemp.TypeMoney, flexemp.TypeHours, flexemp.TypeCount:
			i64(c.num, c.ok)
		case flexemp.TypeYesNo:
			boolean(c.str == "是", c.ok)
		default:
			str(c.str, c.ok)
		}
	}
	if hasID(v.c) {
		id, ok := v.get("id_number")
		str(maskedID(id.raw), ok)
	}
}

// maskedID is an accepted ID as reviewers see it, 2101**********123X: the
// common 18-byte case without MaskID's rune conversion, once per row.
func maskedID(raw string) string {
	if len(raw) != 18 {
		return flexemp.MaskID(strings.ToUpper(raw))
	}
	var b [18]byte
	copy(b[:4], raw[:4])
	for i := 4; i < 14; i++ {
		b[i] = '*'
	}
	copy(b[14:], raw[14:])
	if b[17] == 'x' {
		b[17] = 'X'
	}
	return string(b[:])
}

// maskValue makes a cell safe to keep in a reject: an ID cell is masked
// whole, any ID-shaped run in another (an ID in the wrong column) is masked,
// and long text is cut.
func maskValue(s string, isID bool) string {
	if isID {
		return flexemp.MaskID(s)
	}
	s = flexemp.MaskIDs(s)
	if utf8.RuneCountInString(s) > 64 {
		return string([]rune(s)[:64]) + "…"
	}
	return s
}

// normCell is a cell as checked: trimmed, and with full-width digits,
// letters and punctuation folded (NFKC), so an ID typed in full-width digits
// is read, checked and masked as one. Only a cell with a full-width form
// (U+FF01–U+FF5E, bytes EF BC or EF BD in UTF-8) pays for the folding:
// Chinese text is left as it is.
func normCell(s string) string {
	s = trimCell(s)
	if strings.IndexByte(s, 0xEF) >= 0 && (strings.Contains(s, "\xef\xbc") || strings.Contains(s, "\xef\xbd")) {
		if utf8.ValidString(s) {
			return norm.NFKC.String(s)
		}
	}
	return s
}

// trimCell trims spaces, including the full-width space and no-break space
// office software leaves, without the cost of strings.TrimSpace's Unicode
// path for the common cell that needs no trimming.
func trimCell(s string) string {
	if s == "" {
		return s
	}
	first, last := s[0], s[len(s)-1]
	if first > ' ' && first != 0xE3 && first != 0xC2 && last > ' ' && last != 0x80 && last != 0xA0 {
		return s
	}
	return strings.Trim(s, " \t\r\n\u3000\u00a0")
}
