package transform

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// Every closed column is stored as the ENUM of its declared values, and a
// declaration that gains a value changes the column's type on the next
// open, keeping the stored rows; a value outside the list is refused.
func TestClosedColumnsAreEnums(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	typeOf := func(table, column string) string {
		var have string
		if err := db.QueryRow(`SELECT data_type FROM duckdb_columns() WHERE table_name = ? AND column_name = ?`, table, column).Scan(&have); err != nil {
			t.Fatal(err)
		}
		return have
	}
	cols := closedColumns()
	for _, c := range cols {
		if got := typeOf(c.table, c.column); got != enumType(c.values) {
			t.Errorf("%s.%s is %s", c.table, c.column, got)
		}
	}
	if _, err := db.Exec(`INSERT INTO registrations (upload_id, row_no, person_id, birth_date, sex, retire_on, city_code, area_code, reg_type, employment_form, person_group, applied_on, completed_on, channel)
		VALUES (1, 2, 'p', DATE '1990-01-01', '男', DATE '2050-01-01', '210100', '210102', '灵活就业登记', '个体经营', '其他', DATE '2024-03-05', NULL, '线上')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE registrations SET channel = '电话'`); err == nil {
		t.Error("a value outside the declared list was stored")
	}
	i := slices.IndexFunc(cols, func(c closedColumn) bool { return c.table == "registrations" && c.column == "channel" })
	cols[i].values = append(slices.Clone(cols[i].values), "电话")
	if err := storeClosedColumnsAsEnums(ctx, db, cols); err != nil {
		t.Fatal(err)
	}
	if got := typeOf("registrations", "channel"); got != enumType(cols[i].values) {
		t.Errorf("channel is %s after its declaration changed", got)
	}
	if _, err := db.Exec(`UPDATE registrations SET channel = '电话' WHERE channel = '线上'`); err != nil {
		t.Errorf("the new value: %v", err)
	}
	var channel, group string
	if err := db.QueryRow(`SELECT channel, person_group FROM registrations`).Scan(&channel, &group); err != nil || channel != "电话" || group != "其他" {
		t.Errorf("the row after the change: %q %q %v", channel, group, err)
	}
}
