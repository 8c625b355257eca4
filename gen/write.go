package gen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/liaoning-hrss/flexemp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Date styles cities' systems write in text files.
var dateStyles = []string{"2006-01-02", "2006/1/2", "2006年1月2日", "20060102"}

var surnames = []rune("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
var givenNames = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚")

func write(dir string, f *File, rows [][]any, rng *rand.Rand) error {
	path := filepath.Join(dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	c := flexemp.ContractOf(f.Kind)
	m, _ := flexemp.ParseMonth(f.Month)
	cols := c.ColumnsAt(m) // the contract version in force for the month
	switch f.Format {
	case FormatXLSX:
		err = writeXLSX(out, c, cols, f, rows, rng)
	case FormatParquet:
		err = writeParquet(out, cols, rows)
	default:
		err = writeCSV(out, cols, f.Format, rows, rng)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func fakeName(rng *rand.Rand) string {
	return string(surnames[rng.IntN(len(surnames))]) + string(givenNames[rng.IntN(len(givenNames))])
}

// text renders a value as a text file holds it.
func text(v any, dateStyle string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return v.Format(dateStyle)
	case fen:
		return fmt.Sprintf("%d.%02d", v/100, v%100)
	case hours100:
		return fmt.Sprintf("%d.%02d", v/100, v%100)
	case int64:
		return strconv.FormatInt(v, 10)
	case excelNumber:
		// What a CSV saved from Excel shows for an ID in a number cell.
		f, _ := strconv.ParseFloat(string(v), 64)
		return fmt.Sprintf("%.5E", f)
	}
	panic(fmt.Sprintf("gen: cannot render %T", v))
}

func writeCSV(out io.Writer, cols []flexemp.Column, format string, rows [][]any, rng *rand.Rand) error {
	bw := bufio.NewWriter(out)
	var w io.Writer = bw
	switch format {
	case FormatCSVUTF8BOM:
		bw.WriteString("\ufeff")
	case FormatCSVGBK:
		w = simplifiedchinese.GBK.NewEncoder().Writer(bw)
	}
	cw := csv.NewWriter(w)
	style := dateStyles[rng.IntN(len(dateStyles))]
	withName := rng.IntN(3) == 0 // some systems export the name too: an extra column
	header := []string{}
	if withName {
		header = append(header, "序号", "姓名")
	}
	for _, col := range cols {
		header = append(header, col.Header)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, 0, len(header))
	for i, row := range rows {
		rec = rec[:0]
		if withName {
			rec = append(rec, strconv.Itoa(i+1), fakeName(rng))
		}
		for j, v := range row {
			if cols[j].Type == flexemp.TypeMonth {
				rec = append(rec, v.(time.Time).Format("2006-01"))
				continue
			}
			rec = append(rec, text(v, style))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if wc, ok := w.(io.Closer); ok {
		if err := wc.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeXLSX writes a workbook as cities' offices make them: a merged title
// row (sometimes a note row too) above the header, dates as Excel date
// numbers or as text, money as numbers, and the odd ID typed into a number
// cell.
func writeXLSX(out io.Writer, c *flexemp.Contract, cols []flexemp.Column, f *File, rows [][]any, rng *rand.Rand) error {
	x := excelize.NewFile()
	defer x.Close()
	sheet := c.Title
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	dateStyle, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	city, _ := flexemp.CityByCode(f.City)
	last, _ := excelize.ColumnNumberToName(len(cols))
	r := 1
	if err := sw.SetRow("A1", []any{fmt.Sprintf("%s%s%s表", city.Name, f.Month, c.Title)}); err != nil {
		return err
	}
	if err := sw.MergeCell("A1", last+"1"); err != nil {
		return err
	}
	if rng.IntN(2) == 0 {
		r++
		if err := sw.SetRow(fmt.Sprintf("A%d", r), []any{"填报单位：" + city.Name + "人力资源和社会保障局"}); err != nil {
			return err
		}
	}
	serialDates := rng.IntN(2) == 0
	header := make([]any, len(cols))
	for i, col := range cols {
		header[i] = col.Header
	}
	r++
	if err := sw.SetRow(fmt.Sprintf("A%d", r), header); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for _, row := range rows {
		r++
		for j, v := range row {
			vals[j] = xlsxCell(v, cols[j].Type, serialDates, dateStyle)
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", r), vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return x.Write(out)
}

func xlsxCell(v any, t flexemp.ColumnType, serialDates bool, dateStyle int) any {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		if t == flexemp.TypeMonth {
			return v.Format("2006-01")
		}
		if serialDates {
			return excelize.Cell{StyleID: dateStyle, Value: float64(v.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)}
		}
		return v.Format("2006-01-02")
	case fen:
		return float64(v) / 100
	case hours100:
		return float64(v) / 100
	case excelNumber:
		f, _ := strconv.ParseFloat(string(v), 64)
		return f
	}
	return v
}

// writeParquet writes a Parquet file with English column names, typed as a
// data system exports them: dates as DATE, money and hours as DOUBLE, counts
// as INT64.
func writeParquet(out io.Writer, cols []flexemp.Column, rows [][]any) error {
	fields := make([]arrow.Field, len(cols))
	for i, col := range cols {
		var t arrow.DataType = arrow.BinaryTypes.String
		switch col.Type {
		case flexemp.TypeDate:
			t = arrow.FixedWidthTypes.Date32
		case flexemp.TypeMoney, flexemp.TypeHours:
			t = arrow.PrimitiveTypes.Float64
		case flexemp.TypeCount:
			t = arrow.PrimitiveTypes.Int64
		}
		fields[i] = arrow.Field{Name: col.Name, Type: t, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	// Hide out's Close: the Parquet writer would close the file under the caller.
	w, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{out}, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		return w.Write(rec)
	}
	for n, row := range rows {
		for j, v := range row {
			appendArrow(b.Field(j), v, cols[j].Type)
		}
		if (n+1)%65536 == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return w.Close()
}

func appendArrow(fb array.Builder, v any, t flexemp.ColumnType) {
	if v == nil {
		fb.AppendNull()
		return
	}
	switch b := fb.(type) {
	case *array.StringBuilder:
		switch v := v.(type) {
		case time.Time:
			b.Append(v.Format("2006-01"))
		case excelNumber:
			f, _ := strconv.ParseFloat(string(v), 64)
			b.Append(strconv.FormatFloat(f, 'E', -1, 64))
		default:
			b.Append(v.(string))
		}
	case *array.Date32Builder:
		b.Append(arrow.Date32FromTime(v.(time.Time)))
	case *array.Float64Builder:
		switch v := v.(type) {
		case fen:
			b.Append(float64(v) / 100)
		case hours100:
			b.Append(float64(v) / 100)
		}
	case *array.Int64Builder:
		b.Append(v.(int64))
	}
}
