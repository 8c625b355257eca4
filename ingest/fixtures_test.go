package ingest_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/xuri/excelize/v2"
)

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite the binary fixtures in ../testdata")

const testdata = "../testdata"

// TestWriteBinaryFixtures rewrites the workbook and Parquet fixtures when run
// with -update-fixtures; the committed files are what the other tests read.
func TestWriteBinaryFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to rewrite testdata")
	}
	writeTitleWorkbook(t, filepath.Join(testdata, "registrations_title.xlsx"))
	b, err := os.ReadFile(filepath.Join(testdata, "registrations_title.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(testdata, "truncated.xlsx"), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	writeParquetFixture(t, filepath.Join(testdata, "registrations.parquet"))
}

// writeTitleWorkbook writes what a city office makes: an instructions sheet
// first, then the data sheet named like the kind with a merged title, a
// blank row, the header on row 3, dates as Excel date numbers (one as text)
// and one ID typed into a number cell.
func writeTitleWorkbook(t *testing.T, path string) {
	x := excelize.NewFile()
	defer x.Close()
	must(t, x.SetSheetName("Sheet1", "填表说明"))
	must(t, x.SetCellStr("填表说明", "A1", "公民身份号码列请设为文本格式"))
	const s = "就业失业登记"
	if _, err := x.NewSheet(s); err != nil {
		t.Fatal(err)
	}
	must(t, x.SetCellStr(s, "A1", "沈阳市2024年3月就业失业登记明细表"))
	must(t, x.MergeCell(s, "A1", "H1"))
	header := []any{"公民身份号码", "行政区划代码", "登记类型", "就业形式", "人员类别", "申请日期", "办结日期", "办理渠道"}
	must(t, x.SetSheetRow(s, "A3", &header))
	dateStyle, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	must(t, err)
	serial := func(y, m, d int) float64 {
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
	}
	rows := [][]any{
		{"210102199005121230", "210102", "灵活就业登记", "新就业形态", "高校毕业生", serial(2024, 3, 5), serial(2024, 3, 5), "线上"},
		{"210103198511304525", "210100", "失业登记", nil, "就业困难人员", serial(2024, 3, 6), serial(2024, 3, 12), "线下"},
		{"21010219950315182x", "210100", "就业登记", nil, "其他", "2024-03-07", nil, "线下"},
		{210111200001010711.0, "210102", "灵活就业登记", "个体经营", "农民工", serial(2024, 3, 7), nil, "线上"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, 4+i)
		must(t, x.SetSheetRow(s, cell, &r))
		for _, col := range []string{"F", "G"} {
			must(t, x.SetCellStyle(s, col+itoa(4+i), col+itoa(4+i), dateStyle))
		}
	}
	must(t, x.SaveAs(path))
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// writeParquetFixture writes registrations with English column names, typed:
// dates as DATE32, and one null completed_on.
func writeParquetFixture(t *testing.T, path string) {
	names := []string{"id_number", "city_code", "reg_type", "employment_form", "person_group", "applied_on", "completed_on", "channel"}
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	fields[5].Type, fields[6].Type = arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date32
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	d := func(day int) arrow.Date32 { return arrow.Date32FromTime(time.Date(2024, 3, day, 0, 0, 0, 0, time.UTC)) }
	for _, r := range [][]string{
		{"210102199005121230", "210102", "灵活就业登记", "新就业形态", "高校毕业生"},
		{"210103198511304525", "210100", "失业登记", "", "就业困难人员"},
		{"210102199005121231", "210102", "灵活就业登记", "新就业形态", "高校毕业生"},
	} {
		for i, v := range r {
			if v == "" {
				b.Field(i).AppendNull()
			} else {
				b.Field(i).(*array.StringBuilder).Append(v)
			}
		}
		b.Field(5).(*array.Date32Builder).Append(d(5))
		b.Field(6).(*array.Date32Builder).AppendNull()
		b.Field(7).(*array.StringBuilder).Append("线上")
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	must(t, err)
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	must(t, err)
	must(t, w.Write(rec))
	must(t, w.Close())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
