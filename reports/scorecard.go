package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// Scorecard is one city's own result for a period as its page shows it and
// its downloads carry: its indicators through the steps, its own findings,
// and nothing of another city — not the leader, not the gaps to it.
type Scorecard struct {
	Title string
	// Issued is the city's entry in the issued ranking that stands, shown
	// first; nil when none does.
	Issued   *IssuedEntry
	Headline string
	State    string // the stored results' label: 草稿（未公示…）
	Rows     []ScorecardRow
	Findings []string
	Made     string
}

// IssuedEntry is a city's entry in an issued ranking (公示稿 or 定稿): its
// label, standing and indicator values as issued.
type IssuedEntry struct {
	Stamp, Headline string
	Rows            []IssuedRow
}

// IssuedRow is one indicator of an IssuedEntry.
type IssuedRow struct{ ID, Title, Value string }

// NewIssuedEntry is the entry of city c in an issued ranking labelled
// stamp.
func NewIssuedEntry(stamp string, c *metrics.RankingCity) *IssuedEntry {
	e := &IssuedEntry{Stamp: stamp, Headline: IssuedHeadline(c)}
	for _, ind := range flexemp.Indicators {
		if _, ok := c.Indicators[ind.ID]; ok {
			e.Rows = append(e.Rows, IssuedRow{ind.ID, ind.Title, IssuedCell(c, ind.ID)})
		}
	}
	return e
}

// ScorecardRow is one indicator of a city's scorecard.
type ScorecardRow struct {
	ID, Title, Numerator, Denominator, Value, Normalised, Contribution string
}

// NewScorecard is a city's scorecard from its explanation (whose leader and
// gaps it leaves out) and its own findings.
func NewScorecard(e *metrics.Explanation, own []metrics.Finding, state string, made time.Time) *Scorecard {
	sc := &Scorecard{Title: fmt.Sprintf("%s灵活就业政策落实考核记分卡（%s）", e.City.Name, PeriodText(e.Period, e.Run)),
		Headline: Headline(&e.City), State: state, Made: made.In(flexemp.Shanghai).Format("2006年1月2日 15:04")}
	for _, ind := range e.City.Indicators {
		sc.Rows = append(sc.Rows, ScorecardRow{ind.ID, ind.Title, countOf(ind.Numerator), countOf(ind.Denominator), IndicatorCell(ind),
			Fixed(ind.Normalised, 1), Fixed(ind.Contribution, 2)})
	}
	for _, f := range CityView(own) {
		sc.Findings = append(sc.Findings, CheckName(f.Check)+"："+FindingText(f))
	}
	return sc
}

var scorecardHead = []string{"指标", "名称", "分子", "分母", "原值", "标准化得分", "对指数贡献"}

// XLSX writes the scorecard as a workbook of one sheet, printable on A4.
func (sc *Scorecard) XLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "记分卡"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	rows := [][]any{{sc.Title}}
	if e := sc.Issued; e != nil {
		rows = append(rows, []any{e.Stamp}, []any{e.Headline}, []any{"指标", "名称", "原值"})
		for _, r := range e.Rows {
			rows = append(rows, []any{r.ID, r.Title, r.Value})
		}
		rows = append(rows, []any{})
	}
	rows = append(rows, []any{sc.State + " · " + sc.Headline}, []any{})
	head := make([]any, len(scorecardHead))
	for i, h := range scorecardHead {
		head[i] = h
	}
	rows = append(rows, head)
	for _, r := range sc.Rows {
		rows = append(rows, []any{r.ID, r.Title, r.Numerator, r.Denominator, r.Value, r.Normalised, r.Contribution})
	}
	rows = append(rows, []any{}, []any{"数据核查"})
	if len(sc.Findings) == 0 {
		rows = append(rows, []any{"本期未发现需复核的情况。"})
	}
	for _, text := range sc.Findings {
		rows = append(rows, []any{text})
	}
	rows = append(rows, []any{}, []any{"生成于 " + sc.Made})
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 8, "B": 34, "C": 12, "D": 12, "E": 14, "F": 12, "G": 12} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	if err := printSetup(f, sheet, sc.Title+" · "+sc.State); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: sc.Title, Subject: sc.State, Creator: "flexemp"}); err != nil {
		return err
	}
	_, err := f.WriteTo(w)
	return err
}

var scorecardTmpl = template.Must(template.New("scorecard").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #1a1a1a; margin: 24px; }
h1 { font-size: 20px; } .state { color: #8b1a1a; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; } th { background: #f0f2f5; }
td.t, th.t { text-align: left; } thead { display: table-header-group; } tr { page-break-inside: avoid; }
</style></head><body>
<h1>{{.Title}}</h1>
{{with .Issued}}<p class="state">{{.Stamp}}</p>
<p><strong>{{.Headline}}</strong></p>
<table><thead><tr><th class="t">指标</th><th class="t">名称</th><th>原值</th></tr></thead>
<tbody>{{range .Rows}}<tr><td class="t">{{.ID}}</td><td class="t">{{.Title}}</td><td>{{.Value}}</td></tr>{{end}}</tbody></table>{{end}}
<p class="state">{{.State}}</p>
<p><strong>{{.Headline}}</strong></p>
<table><thead><tr>{{range $i, $h := .Head}}<th{{if lt $i 2}} class="t"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr><td class="t">{{.ID}}</td><td class="t">{{.Title}}</td><td>{{.Numerator}}</td><td>{{.Denominator}}</td><td>{{.Value}}</td><td>{{.Normalised}}</td><td>{{.Contribution}}</td></tr>{{end}}</tbody></table>
<h2>数据核查</h2>
{{if .Findings}}<ol>{{range .Findings}}<li>{{.}}</li>{{end}}</ol>{{else}}<p>本期未发现需复核的情况。</p>{{end}}
<p>生成于 {{.Made}}</p>
</body></html>`))

// HTML writes the scorecard as a self-contained page to print.
func (sc *Scorecard) HTML(w io.Writer) error {
	var b bytes.Buffer
	if err := scorecardTmpl.Execute(&b, struct {
		*Scorecard
		Head []string
	}{sc, scorecardHead}); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
