package reports

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
)

// DispatchXLSX writes the dispatch table as a workbook: a row per city and
// task (完成, 目标, 完成率, 状态, 预计全年完成率 and its method, 后续月均需完成,
// 已完成月均), the province's totals after.
func DispatchXLSX(w io.Writer, r *dispatch.Report) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "调度"
	f.SetSheetName("Sheet1", sheet)
	f.SetSheetRow(sheet, "A1", &[]any{r.Title()})
	f.SetSheetRow(sheet, "A2", &[]any{fmt.Sprintf("截至 %s，时序进度 %s", r.AsOf, dispatch.Percent(r.TimeProgress))})
	f.SetSheetRow(sheet, "A4", &[]any{"城市", "区域", "任务", "完成", "目标", "完成率", "状态", "预计全年完成率", "推算方法", "后续月均需完成", "已完成月均", "未报送月份"})
	row := 5
	for _, c := range r.Cities {
		for _, t := range flexemp.Tasks {
			p := c.Tasks[t.ID]
			if p == nil {
				continue
			}
			var missing string
			for i, m := range p.NotSent {
				if i > 0 {
					missing += "、"
				}
				missing += m.String()
			}
			f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{c.Name, c.Region, t.ID + " " + t.Title, p.Actual, p.Target,
				p.Rate, p.Status, p.Projection, p.ProjectionMethod, p.MonthlyNeeded, p.MonthlySoFar, missing})
			row++
		}
	}
	for _, t := range flexemp.Tasks {
		if tot := r.Province[t.ID]; tot != nil {
			f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{"全省", "", t.ID + " " + t.Title, tot.Actual, tot.Target, tot.Rate})
			row++
		}
	}
	pct, _ := f.NewStyle(&excelize.Style{NumFmt: 10})
	f.SetCellStyle(sheet, "F5", fmt.Sprintf("F%d", row), pct)
	f.SetCellStyle(sheet, "H5", fmt.Sprintf("H%d", row), pct)
	f.SetColWidth(sheet, "A", "A", 12)
	f.SetColWidth(sheet, "C", "C", 26)
	f.SetColWidth(sheet, "I", "I", 22)
	return f.Write(w)
}
