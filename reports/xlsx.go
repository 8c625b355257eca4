package reports

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
)

// XLSXType is a workbook's media type.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Sheet names of ranking.xlsx.
const (
	SheetRanking    = "排名"
	SheetIndicators = "指标"
	SheetBreaches   = "补贴违规"
	SheetStatus     = "数据报送"
	SheetIntegrity  = "数据核查"
	SheetObjections = "异议处理情况" // a final's only
)

// column is one column of a sheet: its header, width and number format
// (an excelize built-in format id; 0 is General).
type column struct {
	Header string
	Width  float64
	Format int
}

const (
	fmtInt     = 1  // 0
	fmtFixed2  = 2  // 0.00
	fmtPercent = 10 // 0.00%
)

// XLSX writes ranking.xlsx: the ranking, the indicator table, the breaches
// and the data status, each with a frozen header, widths and number formats.
func XLSX(w io.Writer, d *Data) error {
	f := excelize.NewFile()
	defer f.Close()
	percent1, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0%")})
	if err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F0F2F5"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	styles := map[int]int{}
	style := func(format int) (int, error) {
		if format == 0 {
			return 0, nil
		}
		if s, ok := styles[format]; ok {
			return s, nil
		}
		if format == fmtPercent {
			styles[format] = percent1
			return percent1, nil
		}
		s, err := f.NewStyle(&excelize.Style{NumFmt: format})
		styles[format] = s
		return s, err
	}
	write := func(sheet string, cols []column, rows [][]any) error {
		if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		var head []any
		for _, c := range cols {
			head = append(head, c.Header)
		}
		if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
			return err
		}
		for r, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(cols))
		if err := f.SetCellStyle(sheet, "A1", last+"1", header); err != nil {
			return err
		}
		for i, c := range cols {
			name, _ := excelize.ColumnNumberToName(i + 1)
			if err := f.SetColWidth(sheet, name, name, c.Width); err != nil {
				return err
			}
			s, err := style(c.Format)
			if err != nil {
				return err
			}
			if s != 0 && len(rows) > 0 {
				if err := f.SetCellStyle(sheet, name+"2", fmt.Sprintf("%s%d", name, len(rows)+1), s); err != nil {
					return err
				}
			}
		}
		if err := f.AutoFilter(sheet, fmt.Sprintf("A1:%s%d", last, max(1, len(rows))+1), nil); err != nil {
			return err
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, XSplit: 2, TopLeftCell: "C2", ActivePane: "bottomRight"}); err != nil {
			return err
		}
		return printSetup(f, sheet, fmt.Sprintf("辽宁省灵活就业政策落实考核 %s · %s · %s", d.Period.Label(), sheet, d.Issue.State()))
	}

	// 排名
	cols := []column{{"名次", 7, fmtInt}, {"城市", 10, 0}, {"代码", 9, 0}, {"综合指数", 10, fmtFixed2}, {"区间下限", 9, fmtInt},
		{"区间上限", 9, fmtInt}, {"中位名次", 9, fmtInt}, {"等次", 9, 0}, {"优先推荐", 9, 0}}
	for _, dim := range flexemp.Dimensions {
		cols = append(cols, column{string(dim), 10, fmtFixed2})
	}
	cols = append(cols, column{"提示", 40, 0})
	var rows [][]any
	for _, c := range d.Result.Ranking().Cities {
		row := []any{opt(c.Rank), c.Name, c.Code, opt(c.Index), nil, nil, nil, c.Grade, yesNo(c.Priority)}
		if c.RankInterval != nil {
			row[4], row[5] = c.RankInterval[0], c.RankInterval[1]
		}
		if cr := d.Result.City(c.Code); cr != nil && cr.Ranked {
			row[6] = cr.MedianRank
		}
		for _, dim := range flexemp.Dimensions {
			row = append(row, opt(c.Dimensions[dim]))
		}
		row = append(row, strings.Join(c.Flags, "；"))
		rows = append(rows, row)
	}
	if err := write(SheetRanking, cols, rows); err != nil {
		return err
	}
	f.DeleteSheet("Sheet1")

	// 指标: raw values, shares as percentages.
	cols = []column{{"名次", 7, fmtInt}, {"城市", 10, 0}}
	var ids []string
	if len(d.Result.Cities) > 0 {
		for _, ind := range d.Result.Cities[0].Indicators {
			format := fmtFixed2
			if IsRatio(ind.ID) {
				format = fmtPercent
			}
			cols = append(cols, column{ind.ID + " " + ind.Title, 14, format})
			ids = append(ids, ind.ID)
		}
	}
	rows = nil
	for _, c := range d.Result.Cities {
		row := []any{nil, c.Name}
		if c.Ranked {
			row[0] = c.Rank
		}
		for _, id := range ids {
			row = append(row, opt(c.Indicator(id).Value))
		}
		rows = append(rows, row)
	}
	if err := write(SheetIndicators, cols, rows); err != nil {
		return err
	}

	// 补贴违规
	cols = []column{{"上传编号", 9, fmtInt}, {"城市", 10, 0}, {"行号", 7, fmtInt}, {"补贴类型", 14, 0}, {"发放日期", 12, 0},
		{"人员类别", 12, 0}, {"规则", 34, 0}, {"限额", 14, 0}, {"实际", 14, 0}}
	rows = nil
	for _, b := range d.Breaches {
		limit, value := Describe(b)
		paid := ""
		if b.PaidOn != nil {
			paid = b.PaidOn.Format("2006-01-02")
		}
		rows = append(rows, []any{b.UploadID, cityName(b.City), b.RowNo, b.SubsidyType, paid, b.PersonGroup, RuleName(b.Rule), limit, value})
	}
	if err := write(SheetBreaches, cols, rows); err != nil {
		return err
	}

	// 数据报送
	cols = []column{{"城市", 10, 0}, {"数据类型", 16, 0}, {"月份", 9, 0}, {"状态", 8, 0}, {"首次收到（北京时间）", 20, 0}, {"版本数", 8, fmtInt}}
	rows = nil
	for _, s := range d.Status {
		received := ""
		if s.Received != nil {
			received = s.Received.Format("2006-01-02 15:04:05")
		}
		rows = append(rows, []any{cityName(s.City), flexemp.ContractOf(s.Kind).Title, s.Month.String(), s.State, received, s.Versions})
	}
	if err := write(SheetStatus, cols, rows); err != nil {
		return err
	}

	// 异议处理情况: a final's appendix, as its report has it.
	if d.Issue != nil && d.Issue.Final {
		cols = []column{{"编号", 7, fmtInt}, {"城市", 10, 0}, {"异议事项", 14, 0}, {"异议陈述", 50, 0}, {"更正数据", 30, 0},
			{"处理结果", 10, 0}, {"理由", 40, 0}, {"数值变化（定稿较公示稿）", 50, 0}}
		rows = nil
		for _, o := range d.Issue.Objections {
			rows = append(rows, []any{o.ID, o.City, o.Subjects, o.Statement, o.Evidence, o.Decision, o.Reason, cmp.Or(strings.Join(o.Changes, "；"), "无")})
		}
		for _, c := range d.Issue.Others {
			rows = append(rows, []any{nil, c.City, "", "", "", "随更正数据变化", "", strings.Join(c.Changes, "；")})
		}
		if err := write(SheetObjections, cols, rows); err != nil {
			return err
		}
	}

	// 数据核查: a row per evidence, every finding's figure beside it.
	cols = []column{{"城市", 10, 0}, {"核查", 22, 0}, {"核查值", 10, fmtFixed2}, {"阈值", 8, fmtFixed2}, {"说明", 60, 0},
		{"上传编号", 9, fmtInt}, {"行号", 7, fmtInt}, {"月份", 9, 0}, {"证件号码（脱敏）", 20, 0}, {"另一城市", 10, 0}, {"另一上传", 9, fmtInt}, {"另一行号", 9, fmtInt}}
	rows = nil
	for _, fd := range d.Findings {
		for _, e := range fd.Evidence {
			month, other := "", ""
			if e.Month != nil {
				month = e.Month.Format("2006-01")
			}
			if e.OtherCity != "" {
				other = cityName(e.OtherCity)
			}
			rows = append(rows, []any{cityName(fd.City), CheckName(fd.Check), fd.Figure, fd.Threshold, FindingText(fd),
				opt(e.UploadID), opt(e.Row), month, e.IDMasked, other, opt(e.OtherUpload), opt(e.OtherRow)})
		}
	}
	if err := write(SheetIntegrity, cols, rows); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	// The state it shows, in the workbook's properties as on every printed page.
	if err := f.SetDocProps(&excelize.DocProperties{Title: fmt.Sprintf("辽宁省灵活就业政策落实考核 %s", d.Period.Label()),
		Subject: d.Issue.Stamp(), Creator: "flexemp"}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func ptr[T any](v T) *T { return &v }

// opt is a nil cell for a missing value.
func opt[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// printSetup makes a sheet print as reviewers file it: A4 landscape, all
// columns on one page's width, the header row on every page, the title at
// the top and the page number at the foot.
func printSetup(f *excelize.File, sheet, title string) error {
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: ptr(9), Orientation: ptr("landscape"), FitToWidth: ptr(1), FitToHeight: ptr(0)}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", sheet), Scope: sheet}); err != nil {
		return err
	}
	return f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddHeader: "&C" + title, OddFooter: "&C第 &P 页，共 &N 页"})
}
