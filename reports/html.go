package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
)

var (
	//go:embed assets/echarts-5.6.0.min.js
	echartsJS string
	//go:embed assets/liaoning-1.0.0.js
	liaoningJS string
	//go:embed report.html.tmpl
	reportTmpl string
)

// LiaoningJS is the map script, for tests that read its feature names.
func LiaoningJS() string { return liaoningJS }

var pageTmpl = template.Must(template.New("report").Parse(reportTmpl))

// page is what the template shows, every number already formatted.
type page struct {
	Title, Period, Made string
	Issue               *Issue
	EChartsJS, MapJS    template.JS

	Grades    []RankRow
	Priority  []string
	NotRobust []string
	Unranked  []string

	Ranking, Bands, Map, Radar, TrendIndex, TrendRank, Breaches Chart

	Indicators []indicatorHead
	Heat       []heatRow

	Rules         []string
	BreachRows    []countRow
	Checks        []string
	FindingCounts []countRow
	Findings      []findingView
	StatusKinds   []string
	Months        []string
	StatusRows    []StatusRow
	StatusTotal   []labelled

	Run        metrics.Stamp
	RunAt      string
	LeftOut    string // the indicators left out of the period's framework
	Weights    string // the default dimension weights, from the declaration
	UploadSpan string
	Uploads    int

	Cities []cityPage
}

type labelled struct{ Label, Value string }

type indicatorHead struct{ ID, Title, Dimension string }

type heatCell struct {
	Text  string
	Style template.CSS
	Title string
}

type heatRow struct {
	Code, Name, Rank string
	Cells            []heatCell
}

// countRow is one city's counts by column (breach rules, integrity
// checks), with their total.
type countRow struct {
	Code, Name string
	Counts     []int
	Total      int
}

// countRows are every city's row of counts[city][column], in columns' order.
func countRows(columns []string, counts map[string]map[string]int) []countRow {
	var rows []countRow
	for _, c := range flexemp.Cities {
		row := countRow{Code: c.Code, Name: c.Name}
		for _, col := range columns {
			n := counts[c.Code][col]
			row.Counts = append(row.Counts, n)
			row.Total += n
		}
		rows = append(rows, row)
	}
	return rows
}

// StatusMark is one extract in the data status matrix: its state's CSS
// class and a tooltip.
type StatusMark struct{ Class, Title string }

// StatusRow is one city's line of the data status matrix.
type StatusRow struct {
	Code, Name string
	Months     [][]StatusMark // per month, one mark per kind in flexemp.Kinds order
}

type cityPage struct {
	Code, Name, Headline, Change string
	Dimensions                   []labelled
	Flags                        []string
	Rows                         []cityRow
	Chart                        Chart
	Breaches                     []breachRow
	Rejects                      []labelled
	Status                       []labelled
	Findings                     []findingView // its own, another city shown as 外市
	Counties                     *CountyTable  // nil when its counties were not loaded
}

// findingView is one integrity finding as the report shows it, its evidence
// cut to the first shownEvidence rows.
type findingView struct {
	City, Check, Text string
	Evidence          []string
	More              int // evidence rows not shown
}

const shownEvidence = 20

func findingViews(fs []metrics.Finding) []findingView {
	var out []findingView
	for _, f := range fs {
		v := findingView{City: cityName(f.City), Check: CheckName(f.Check), Text: FindingText(f)}
		for i, e := range f.Evidence {
			if i == shownEvidence {
				v.More = len(f.Evidence) - i
				break
			}
			v.Evidence = append(v.Evidence, EvidenceText(f, e))
		}
		if f.Cases > len(f.Evidence) && v.More == 0 && f.Check != metrics.CheckLate {
			v.More = f.Cases - len(f.Evidence)
		}
		out = append(out, v)
	}
	return out
}

type cityRow struct {
	ID, Title, Numerator, Denominator, Value, Normalised, Contribution, Gap, Change string
}

type breachRow struct {
	Upload, Row, Type, PaidOn, Group, Rule, Limit, Value string
}

// HTML writes the report: the province page, then one page per city, all
// in one file that needs no network.
func HTML(w io.Writer, d *Data) error {
	return pageTmpl.Execute(w, build(d))
}

// MailCharts are the charts the mail draws as images: the ranking and the
// rank bands for the province, and for each city its own contributions
// beside the province median — nothing of another city.
func MailCharts(d *Data) []Chart {
	out := []Chart{rankingChart(d), bandChart(d)}
	for i := range d.Result.Cities {
		out = append(out, ownContributionChart(d, &d.Result.Cities[i]))
	}
	return out
}

// Charts are every chart of the report, in page order.
func Charts(d *Data) []Chart {
	trendIndex, trendRank := trendCharts(d)
	out := []Chart{rankingChart(d), bandChart(d), mapChart(d), radarChart(d), trendIndex, trendRank, breachChart(d)}
	for i := range d.Result.Cities {
		out = append(out, contributionChart(d, &d.Result.Cities[i]))
	}
	for _, c := range d.Result.Cities {
		if cc := d.Counties[c.Code]; cc != nil {
			if ch := countyChart(cc, c.Name); ch.ID != "" {
				out = append(out, ch)
			}
		}
	}
	return out
}

func build(d *Data) *page {
	r := d.Result
	p := &page{
		Title:     fmt.Sprintf("辽宁省支持灵活就业政策落实情况考核报告（%s）", PeriodText(d.Period, r.Run)),
		LeftOut:   LeftOutText(r.Run),
		Period:    d.Period.Label(),
		Made:      d.Made.Format("2006年1月2日 15:04"),
		Issue:     d.Issue,
		EChartsJS: template.JS(echartsJS),
		MapJS:     template.JS(liaoningJS),
		Run:       r.Run,
		RunAt:     r.Run.CreatedAt.Format("2006-01-02 15:04:05 MST"),
	}
	p.UploadSpan, p.Uploads = spans(r.Run.UploadIDs)
	var weights []string
	for _, dim := range flexemp.Dimensions {
		weights = append(weights, fmt.Sprintf("%s%g", dim, flexemp.DefaultDimensionWeights[dim]))
	}
	p.Weights = strings.Join(weights, "、")
	p.Grades = RankRows(r)
	for _, c := range r.Cities {
		switch {
		case !c.Ranked:
			p.Unranked = append(p.Unranked, c.Name)
		case c.Priority:
			p.Priority = append(p.Priority, c.Name)
		case c.Grade == flexemp.GradeExcellent:
			p.NotRobust = append(p.NotRobust, fmt.Sprintf("%s（%s的模拟落出）", c.Name, Percent(c.OutTop)))
		}
	}
	charts := Charts(d)
	p.Ranking, p.Bands, p.Map, p.Radar, p.TrendIndex, p.TrendRank, p.Breaches =
		charts[0], charts[1], charts[2], charts[3], charts[4], charts[5], charts[6]
	p.heat(d)
	p.breachCounts(d)
	p.status(d)
	p.integrity(d)
	county := map[string]Chart{}
	for _, ch := range charts[7+len(r.Cities):] {
		county[ch.ID] = ch
	}
	for i := range r.Cities {
		cp := city(d, &r.Cities[i])
		cp.Chart = charts[7+i]
		if cp.Counties != nil {
			cp.Counties.Chart = county[countyChartID(cp.Code)]
		}
		p.Cities = append(p.Cities, cp)
	}
	return p
}

// integrity fills the 数据核查 section: counts by city and check, then
// every finding with its evidence.
func (p *page) integrity(d *Data) {
	for _, c := range metrics.Checks {
		p.Checks = append(p.Checks, CheckName(c))
	}
	p.FindingCounts = countRows(metrics.Checks, FindingCounts(d.Findings))
	p.Findings = findingViews(d.Findings)
}

// heat fills the indicator table: raw values, coloured by normalised score.
func (p *page) heat(d *Data) {
	if len(d.Result.Cities) == 0 {
		return
	}
	for _, ind := range d.Result.Cities[0].Indicators {
		p.Indicators = append(p.Indicators, indicatorHead{ID: ind.ID, Title: ind.Title, Dimension: ind.Dimension})
	}
	for _, c := range d.Result.Cities {
		row := heatRow{Code: c.Code, Name: c.Name, Rank: "—"}
		if c.Ranked {
			row.Rank = strconv.Itoa(c.Rank)
		}
		for _, ind := range c.Indicators {
			cell := heatCell{Text: IndicatorCell(ind), Style: "background:#eeeeee"}
			switch {
			case ind.Withheld:
				cell.Style = "background:#f4d6d6;color:#8b1a1a"
				cell.Title = c.Name + " " + ind.Title + "：有到期月份未报送该指标所需数据，按最低分计"
			case ind.ZeroFloor:
				cell.Style = "background:#f4d6d6;color:#8b1a1a"
				cell.Title = c.Name + " " + ind.Title + "：本市数据的分母为0，按最低分计"
			case ind.Normalised != nil:
				cell.Style = template.CSS(heatColour(*ind.Normalised))
				cell.Title = fmt.Sprintf("%s %s：标准化得分 %.1f", c.Name, ind.Title, *ind.Normalised)
			case ind.Value == nil:
				cell.Title = c.Name + " " + ind.Title + "：无数据（省级数据表无此项，或分母为0经异议认可），不计入维度得分"
			}
			row.Cells = append(row.Cells, cell)
		}
		p.Heat = append(p.Heat, row)
	}
}

// heatColour maps a 0–100 score from pale to mid green, with dark text:
// at least 6.8:1 against the darkest (hsl 150 45% 50%), where white text
// had 2.5:1 (WCAG 2.1 AA asks 4.5:1).
func heatColour(score float64) string {
	s := max(0, min(100, score))
	light := 95 - s*0.45
	return fmt.Sprintf("background:hsl(150,45%%,%.0f%%);color:#1a1a1a", light)
}

func (p *page) breachCounts(d *Data) {
	p.Rules = RuleNames()
	p.BreachRows = countRows(p.Rules, d.BreachCounts())
}

var stateClass = map[string]string{OnTime: "ok", Late: "late", Refused: "refused", Missing: "missing", NotDue: "notdue"}

func (p *page) status(d *Data) {
	for _, k := range flexemp.Kinds {
		p.StatusKinds = append(p.StatusKinds, flexemp.ContractOf(k).Title)
	}
	p.Months, p.StatusRows = StatusMatrix(d.Period, d.Status)
	counts := d.StatusCounts("")
	for _, s := range []string{OnTime, Late, Refused, Missing, NotDue} {
		p.StatusTotal = append(p.StatusTotal, labelled{s, Count(int64(counts[s]))})
	}
}

// StatusMatrix lays a period's extract statuses out as the report shows
// them: a column per month, a row per city, a mark per kind.
func StatusMatrix(period flexemp.Period, status []Status) (months []string, rows []StatusRow) {
	ms := period.Months()
	for _, m := range ms {
		months = append(months, fmt.Sprintf("%d月", int(m.Month)))
	}
	index := map[string]int{}
	for i, c := range flexemp.Cities {
		rows = append(rows, StatusRow{Code: c.Code, Name: c.Name, Months: make([][]StatusMark, len(ms))})
		index[c.Code] = i
	}
	for _, s := range status {
		i := monthIndex(ms, s.Month)
		title := fmt.Sprintf("%s %s %s：%s", cityName(s.City), s.Month, flexemp.ContractOf(s.Kind).Title, s.State)
		if s.Received != nil {
			title += "，首次收到 " + s.Received.Format("2006-01-02 15:04")
		}
		if s.Versions > 1 {
			title += fmt.Sprintf("，共 %d 个版本", s.Versions)
		}
		row := &rows[index[s.City]]
		row.Months[i] = append(row.Months[i], StatusMark{Class: stateClass[s.State], Title: title})
	}
	return months, rows
}

func monthIndex(ms []flexemp.Month, m flexemp.Month) int {
	for i, x := range ms {
		if x == m {
			return i
		}
	}
	return 0
}

func city(d *Data, c *metrics.CityResult) cityPage {
	ch := d.Changes[c.Code]
	cp := cityPage{Code: c.Code, Name: c.Name, Flags: c.Flags, Headline: Headline(c), Change: ChangeText(ch, c)}
	if cc := d.Counties[c.Code]; cc != nil {
		cp.Counties = countyTable(cc, c.Name) // its chart is in Charts' list
	}
	for _, dim := range flexemp.Dimensions {
		cp.Dimensions = append(cp.Dimensions, labelled{string(dim), Fixed(c.Dimensions[dim], 1)})
	}
	gaps := d.Result.Gaps(c)
	for _, ind := range c.Indicators {
		cp.Rows = append(cp.Rows, cityRow{ID: ind.ID, Title: ind.Title, Numerator: countOf(ind.Numerator), Denominator: countOf(ind.Denominator),
			Value: IndicatorCell(ind), Normalised: Fixed(ind.Normalised, 1), Contribution: Fixed(ind.Contribution, 2),
			Gap: Fixed(gaps[ind.ID], 2), Change: Signed(ind.ID, ch.Indicators[ind.ID])})
	}
	for _, b := range d.Breaches {
		if b.City != c.Code {
			continue
		}
		limit, value := Describe(b)
		paid := dash
		if b.PaidOn != nil {
			paid = b.PaidOn.Format("2006-01-02")
		}
		cp.Breaches = append(cp.Breaches, breachRow{Upload: strconv.FormatInt(b.UploadID, 10), Row: strconv.Itoa(b.RowNo),
			Type: b.SubsidyType, PaidOn: paid, Group: b.PersonGroup, Rule: RuleName(b.Rule), Limit: limit, Value: value})
	}
	var own []metrics.Finding
	for _, f := range d.Findings {
		if f.City == c.Code {
			own = append(own, f)
		}
	}
	cp.Findings = findingViews(CityView(own))
	var reasons []string
	for reason := range d.Rejects[c.Code] {
		reasons = append(reasons, reason)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := d.Rejects[c.Code][reasons[i]], d.Rejects[c.Code][reasons[j]]
		return a > b || a == b && reasons[i] < reasons[j]
	})
	for _, reason := range reasons {
		cp.Rejects = append(cp.Rejects, labelled{reason, Count(int64(d.Rejects[c.Code][reason]))})
	}
	counts := d.StatusCounts(c.Code)
	for _, s := range []string{OnTime, Late, Refused, Missing, NotDue} {
		if counts[s] > 0 {
			cp.Status = append(cp.Status, labelled{s, strconv.Itoa(counts[s])})
		}
	}
	return cp
}

func countOf(p *float64) string {
	if p == nil {
		return dash
	}
	if *p == float64(int64(*p)) {
		return Count(int64(*p))
	}
	return Fixed(p, 2)
}

// spans writes a sorted list of upload IDs as ranges: "1–40, 42".
func spans(ids []int64) (string, int) {
	ns := slices.Sorted(slices.Values(ids))
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d–%d", ns[i], ns[j]))
		} else {
			parts = append(parts, strconv.FormatInt(ns[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ", "), len(ns)
}

func cityName(code string) string {
	c, _ := flexemp.CityByCode(code)
	return c.Name
}
