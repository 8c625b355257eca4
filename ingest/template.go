package ingest

import (
	"fmt"
	"io"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/csvsafe"
	"github.com/xuri/excelize/v2"
)

// templateRows is how far down drop-downs and text formats reach.
const templateRows = 100000

// WriteTemplate writes an upload template for a kind's extracts of month:
// the Chinese headers of the contract version in force then, each with a
// note stating its rule, a drop-down list on every enumerated column, and ID
// and date columns formatted as text so Excel cannot turn IDs into numbers
// or dates into serials.
func WriteTemplate(w io.Writer, kind flexemp.Kind, month flexemp.Month) error {
	c := flexemp.ContractOf(kind)
	if c == nil {
		return flexemp.Errorf(flexemp.EINVALID, "未知的数据类型：%q", kind)
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := c.Title
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	if err != nil {
		return err
	}
	textFmt, err := x.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	cols := c.ColumnsAt(month)
	for i, col := range cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		cell := name + "1"
		if err := x.SetCellStr(sheet, cell, col.Header); err != nil {
			return err
		}
		rule := col.Rule
		if col.Required {
			rule = "必填。" + rule
		}
		if err := x.AddComment(sheet, excelize.Comment{Cell: cell, Author: "flexemp", Text: fmt.Sprintf("%s（%s）：%s", col.Header, col.Name, rule), Width: 300, Height: 120}); err != nil {
			return err
		}
		width := max(12, float64(len([]rune(col.Header)))*2.2)
		if col.Type == flexemp.TypeID {
			width = max(width, 22) // 18 digits shown whole
		}
		if err := x.SetColWidth(sheet, name, name, width); err != nil {
			return err
		}
		switch col.Type {
		case flexemp.TypeID, flexemp.TypeDate, flexemp.TypeMonth, flexemp.TypeCity:
			if err := x.SetColStyle(sheet, name, textFmt); err != nil {
				return err
			}
		}
		if len(col.Values) > 0 {
			dv := excelize.NewDataValidation(!col.Required)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", name, name, templateRows))
			if err := dv.SetDropList(col.Values); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "取值无效", "请从下拉列表中选择："+strings.Join(col.Values, "、"))
			if err := x.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := x.SetCellStyle(sheet, "A1", last+"1", head); err != nil {
		return err
	}
	if err := x.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := writeUses(x, c, month); err != nil {
		return err
	}
	return x.Write(w)
}

// writeUses adds a sheet telling the template's contract version and what
// the kind's extracts are assessed by: every indicator computed from them,
// from the one declaration.
func writeUses(x *excelize.File, c *flexemp.Contract, month flexemp.Month) error {
	const sheet = "填报说明"
	if _, err := x.NewSheet(sheet); err != nil {
		return err
	}
	rows := [][]any{
		{fmt.Sprintf("%s上传模板：适用于 %s 的数据（第%d版填报口径）", c.Title, month, c.VersionAt(month))},
		{"本表数据用于计算以下考核指标（辽人社〔2022〕22号第十八条）"},
		{"指标", "维度", "名称", "对应措施"},
	}
	for _, ind := range flexemp.IndicatorsFrom(c.Kind) {
		var measures []string
		for _, m := range ind.Measures {
			measures = append(measures, fmt.Sprintf("第%d条", m))
		}
		rows = append(rows, []any{ind.ID, string(ind.Dimension), ind.Title, strings.Join(measures, "、")})
	}
	for i, r := range rows {
		if err := x.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &r); err != nil {
			return err
		}
	}
	return x.SetColWidth(sheet, "C", "D", 30)
}

// RejectHeaders are the columns of a rejects export, in Chinese.
var RejectHeaders = []string{"行号", "列", "值", "原因"}

// RejectsFileName names an upload's rejects workbook as users keep it:
// 被拒行-沈阳市-就业失业登记-2024-03.xlsx.
func RejectsFileName(u flexemp.Upload) string {
	c, _ := flexemp.CityByCode(u.City)
	if u.Month.IsZero() { // a refused file whose month was never known
		return fmt.Sprintf("被拒行-%s-%s.xlsx", c.Name, u.Kind.Title())
	}
	return fmt.Sprintf("被拒行-%s-%s-%s.xlsx", c.Name, u.Kind.Title(), u.Month)
}

// WriteRejectsCSV writes rejects as CSV in UTF-8 with a BOM, so Excel
// reads the Chinese right; no cell is ever a formula.
func WriteRejectsCSV(w io.Writer, rs []flexemp.Reject) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csvsafe.NewWriter(w)
	cw.Write(RejectHeaders)
	for _, r := range rs {
		cw.Write([]string{fmt.Sprint(r.Row), r.Column, r.Value, r.Reason})
	}
	cw.Flush()
	return cw.Error()
}

// WriteRejectsXLSX writes rejects as a workbook users open in Excel.
func WriteRejectsXLSX(w io.Writer, rs []flexemp.Reject) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "被拒行"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	// Set before the stream writes the sheet, which keeps them.
	if err := printWide(x, sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, wd := range []float64{8, 18, 24, 60} {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hdr := make([]any, len(RejectHeaders))
	for i, h := range RejectHeaders {
		hdr[i] = h
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	for i, r := range rs {
		// The value is written as text so Excel shows it as it was.
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), []any{r.Row, r.Column, excelize.Cell{Value: r.Value}, r.Reason}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := writeWholeRows(x, rs); err != nil {
		return err
	}
	// On paper: A4 landscape, as wide as the page, the header on every page.
	for _, name := range x.GetSheetList()[1:] {
		if err := printWide(x, name); err != nil {
			return err
		}
	}
	return x.Write(w)
}

// printWide sets a sheet to print on A4 landscape, fit to the page's width,
// its first row repeated on every page.
func printWide(x *excelize.File, sheet string) error {
	yes, a4, landscape, one, tall := true, 9, "landscape", 1, 0
	if err := x.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	if err := x.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	return x.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", sheet), Scope: sheet})
}

// WholeRowsSheet shows each rejected row whole, its bad cells filled red,
// with all the row's reasons at the end: the row as the city fixes it.
const WholeRowsSheet = "整行"

func writeWholeRows(x *excelize.File, rs []flexemp.Reject) error {
	type row struct {
		no      int
		line    [][2]string
		bad     map[string]bool
		reasons []string
	}
	var rows []*row
	for _, r := range rs {
		if len(rows) == 0 || rows[len(rows)-1].no != r.Row {
			rows = append(rows, &row{no: r.Row, bad: map[string]bool{}})
		}
		cur := rows[len(rows)-1]
		if r.Line != nil {
			cur.line = r.Line
		}
		cur.bad[r.Column] = true
		cur.reasons = append(cur.reasons, r.Column+"："+r.Reason)
	}
	var headers []string
	for _, r := range rows {
		if r.line != nil {
			for _, c := range r.line {
				headers = append(headers, c[0])
			}
			break
		}
	}
	if headers == nil { // rejects stored before rows were kept
		return nil
	}
	if _, err := x.NewSheet(WholeRowsSheet); err != nil {
		return err
	}
	red, err := x.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F4B6B6"}},
		Font: &excelize.Font{Color: "9C0006", Bold: true}})
	if err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(WholeRowsSheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 8); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, len(headers)+1, 16); err != nil {
		return err
	}
	if err := sw.SetColWidth(len(headers)+2, len(headers)+2, 60); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, XSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	head := []any{RejectHeaders[0]}
	for _, h := range headers {
		head = append(head, h)
	}
	if err := sw.SetRow("A1", append(head, RejectHeaders[len(RejectHeaders)-1])); err != nil {
		return err
	}
	n := 2
	for _, r := range rows {
		if r.line == nil {
			continue
		}
		out := []any{r.no}
		for _, c := range r.line {
			cell := excelize.Cell{Value: c[1]} // as text, as it was
			if r.bad[c[0]] {
				cell.StyleID = red
			}
			out = append(out, cell)
		}
		out = append(out, strings.Join(r.reasons, "；"))
		if err := sw.SetRow(fmt.Sprintf("A%d", n), out); err != nil {
			return err
		}
		n++
	}
	return sw.Flush()
}
