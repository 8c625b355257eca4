package reports_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/transform"
)

// province is one generated year, 2024, ingested as the cities sent it and
// assessed for the year and its four quarters: made once for the package.
var province struct {
	dir string
	db  *sql.DB
}

var made = time.Date(2025, 1, 20, 9, 30, 0, 0, flexemp.Shanghai)

func TestMain(m *testing.M) {
	code, err := func() (int, error) {
		dir, err := os.MkdirTemp("", "flexemp-reports-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		province.dir = dir
		ctx := context.Background()
		data := filepath.Join(dir, "data")
		man, err := gen.Generate(data, gen.Options{Seed: 4, Scale: 0.004,
			From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 12}})
		if err != nil {
			return 0, err
		}
		db, err := transform.Open(ctx, filepath.Join(dir, "flexemp.db"))
		if err != nil {
			return 0, err
		}
		defer db.Close()
		province.db = db
		g := &ingest.Ingester{DB: db, Key: []byte("reports-test-key-0123456789")}
		for _, f := range man.Files {
			month, _ := flexemp.ParseMonth(f.Month)
			at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
			if _, err := g.Ingest(ctx, ingest.Request{Path: filepath.Join(data, f.Path), City: f.City, Kind: f.Kind, Month: month, ReceivedAt: at}); err != nil {
				return 0, err
			}
		}
		for _, p := range []string{"2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4"} {
			per, _ := flexemp.ParsePeriod(p)
			if _, err := metrics.Assess(ctx, db, per, metrics.AssessOptions{Seed: 1, Draws: 200}); err != nil {
				return 0, err
			}
		}
		return m.Run(), nil
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func load(t *testing.T, period string) *reports.Data {
	t.Helper()
	p, _ := flexemp.ParsePeriod(period)
	d, err := reports.Load(context.Background(), province.db, p, made)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func render(t *testing.T, d *reports.Data) string {
	t.Helper()
	var b bytes.Buffer
	if err := reports.HTML(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The report needs no network: no script, stylesheet, image or frame refers
// to anything outside the file; every chart container has the script that
// draws it; the map's areas are named as the map's features.
func TestReportIsSelfContained(t *testing.T) {
	d := load(t, "2024Q2")
	page := render(t, d)
	// Tags as a browser reads them (a script's text is not markup): none may
	// load anything, and links only jump within the page.
	z := html.NewTokenizer(strings.NewReader(page))
	scripts := 0
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data == "script" {
			scripts++
		}
		for _, a := range tok.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "data" || a.Key == "action" || tok.Data == "link":
				t.Errorf("<%s %s=%q> loads something", tok.Data, a.Key, a.Val)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "#"):
				t.Errorf("<%s href=%q> leaves the page", tok.Data, a.Val)
			}
		}
	}
	if scripts < 2+7+len(flexemp.Cities) {
		t.Errorf("only %d scripts", scripts)
	}
	if regexp.MustCompile(`(?i)@import|url\(\s*['"]?(https?:)?//`).MatchString(page) {
		t.Error("a stylesheet refers to a URL")
	}
	if !strings.Contains(page, "echarts.registerMap") && !strings.Contains(page, `registerMap("辽宁"`) {
		t.Error("the Liaoning map is not inlined")
	}

	containers := regexp.MustCompile(`<div class="item" id="([^"]+)"`).FindAllStringSubmatch(page, -1)
	// Province charts, each city's contributions and its counties.
	if want := 7 + 2*len(flexemp.Cities); len(containers) != want {
		t.Errorf("%d chart containers, want %d", len(containers), want)
	}
	for _, c := range containers {
		id := c[1]
		if !strings.Contains(page, fmt.Sprintf("echarts.init(document.getElementById('%s')", id)) ||
			!strings.Contains(page, fmt.Sprintf("goecharts_%s.setOption(option_%s)", id, id)) {
			t.Errorf("container %s has no chart drawn into it", id)
		}
	}

	// The map's series names are exactly the 14 feature names of liaoning.js.
	features := map[string]bool{}
	for _, m := range regexp.MustCompile(`properties:\{[^}]*name:"([^"]+)"`).FindAllStringSubmatch(reports.LiaoningJS(), -1) {
		features[m[1]] = true
	}
	if len(features) != 14 {
		t.Fatalf("liaoning.js has %d features", len(features))
	}
	var option struct {
		Series []struct {
			Type    string
			Map     string
			MapType string `json:"mapType"`
			Data    []struct{ Name string }
		}
	}
	for _, c := range reports.Charts(d) {
		if c.ID == "chart_map" {
			if err := json.Unmarshal([]byte(c.Option), &option); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(option.Series) != 1 || len(option.Series[0].Data) != 14 {
		t.Fatalf("map option: %+v", option)
	}
	for _, item := range option.Series[0].Data {
		if !features[item.Name] {
			t.Errorf("map area %q is not a feature of liaoning.js", item.Name)
		}
		delete(features, item.Name)
	}
	if len(features) != 0 {
		t.Errorf("features without data: %v", features)
	}
}

// What the report says agrees with the stored ranking, in the forms Chinese
// readers expect.
func TestReportContents(t *testing.T) {
	d := load(t, "2024Q2")
	page := render(t, d)
	r := d.Result.Ranking()
	first := r.Cities[0]
	for _, want := range []string{
		"辽宁省支持灵活就业政策落实情况考核报告（2024年第2季度）",
		fmt.Sprintf(`<td>1</td><td class="t"><a href="#city-%s">%s</a></td><td>%.2f</td>`, first.Code, first.Name, *first.Index),
		"较上期（2024年第1季度）",
		d.Result.Run.ConfigHash,
		"报告生成于 2025年1月20日 09:30",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Every city has its page, and its shares show as percentages with one decimal.
	for _, c := range r.Cities {
		if !strings.Contains(page, fmt.Sprintf(`<section class="city" id="city-%s">`, c.Code)) {
			t.Errorf("no page for %s", c.Name)
		}
		if v := c.Indicators["I2"]; v != nil {
			if want := fmt.Sprintf("%.1f%%", *v*100); !strings.Contains(page, want) {
				t.Errorf("%s: I2 %s not shown", c.Name, want)
			}
		}
	}
	// The data status counts every city × kind × month of the quarter once.
	if n := len(d.Status); n != 14*4*3 {
		t.Errorf("%d status cells", n)
	}
	counts := d.StatusCounts("")
	var cells int
	for _, n := range counts {
		cells += n
	}
	if cells != 14*4*3 || counts[reports.OnTime] == 0 {
		t.Errorf("status counts %v", counts)
	}
	// The year's trend holds only years; the quarter's, the quarters up to it.
	var trend []string
	for _, p := range d.Trend {
		trend = append(trend, p.Period.String())
	}
	if strings.Join(trend, ",") != "2024Q1,2024Q2" {
		t.Errorf("trend %v", trend)
	}
}

func TestFormats(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45678: "-45,678"} {
		if got := reports.Count(in); got != want {
			t.Errorf("Count(%d) = %s, want %s", in, got, want)
		}
	}
	if got := reports.Percent(0.72214); got != "72.2%" {
		t.Errorf("Percent = %s", got)
	}
	v, w := 0.0123, -1.5
	if got := reports.Signed("I9", &v); got != "+1.2个百分点" {
		t.Errorf("Signed ratio = %s", got)
	}
	if tiny := -0.0001; reports.Signed("I1", &tiny) != "+0.00" || reports.Signed("I9", &tiny) != "+0.0个百分点" {
		t.Errorf("a change rounding to nothing: %s, %s", reports.Signed("I1", &tiny), reports.Signed("I9", &tiny))
	}
	if got := reports.Signed("I1", &w); got != "-1.50" {
		t.Errorf("Signed rate = %s", got)
	}
	names := reports.RuleNames()
	if len(names) != 7 {
		t.Errorf("rules %v", names)
	}
}

// The charts mailed as images hold, for each city, its own figures and the
// province median and nothing else: no other city's name or code, and of
// numbers only the city's own contributions and the medians, computed here
// from every city's stored contributions.
func TestMailChartsHoldNothingOfOtherCities(t *testing.T) {
	d := load(t, "2024")
	found := 0
	for _, ch := range reports.MailCharts(d) {
		code, ok := strings.CutPrefix(ch.ID, "chart_mail_")
		if !ok {
			continue
		}
		found++
		for _, other := range flexemp.Cities {
			if other.Code != code && (strings.Contains(ch.Option, other.Name) || strings.Contains(ch.Option, other.Code)) {
				t.Errorf("%s shows %s", ch.ID, other.Name)
			}
		}
		var opt struct {
			Series []struct {
				Name string
				Data []struct{ Value float64 }
			}
		}
		if err := json.Unmarshal([]byte(ch.Option), &opt); err != nil {
			t.Fatal(err)
		}
		c := d.Result.City(code)
		var own, median []float64
		for _, ind := range c.Indicators {
			own = append(own, round2(ind.Contribution))
			var xs []float64
			for _, o := range d.Result.Cities {
				if v := o.Indicator(ind.ID); o.Ranked && v != nil && v.Contribution != nil {
					xs = append(xs, *v.Contribution)
				}
			}
			sort.Float64s(xs)
			m := xs[len(xs)/2]
			if len(xs)%2 == 0 {
				m = (xs[len(xs)/2-1] + m) / 2
			}
			median = append(median, round2(&m))
		}
		if len(opt.Series) != 2 || opt.Series[0].Name != c.Name || opt.Series[1].Name != "全省中位数" {
			t.Fatalf("%s series %+v", ch.ID, opt.Series)
		}
		for i := range own {
			if opt.Series[0].Data[i].Value != own[i] || opt.Series[1].Data[i].Value != median[i] {
				t.Errorf("%s indicator %d: %v, %v; want own %v, median %v", ch.ID, i, opt.Series[0].Data[i].Value, opt.Series[1].Data[i].Value, own[i], median[i])
			}
		}
	}
	if found != 14 {
		t.Errorf("%d city mail charts", found)
	}
}

func round2(p *float64) float64 {
	if p == nil {
		return 0
	}
	return math.Round(*p*100) / 100
}

// The trend charts draw every city in a colour and a marker of its own:
// 14 lines, 14 colours, and no two neighbours in code order alike.
func TestTrendCitiesApart(t *testing.T) {
	d := load(t, "2024")
	for _, ch := range reports.Charts(d) {
		if !strings.HasPrefix(ch.ID, "chart_trend_") {
			continue
		}
		var opt struct {
			Series []struct {
				Name      string
				Symbol    string
				ItemStyle struct{ Color string } `json:"itemStyle"`
			}
		}
		if err := json.Unmarshal([]byte(ch.Option), &opt); err != nil {
			t.Fatal(err)
		}
		colors := map[string]string{}
		for i, s := range opt.Series {
			if other, taken := colors[s.ItemStyle.Color]; taken || s.ItemStyle.Color == "" {
				t.Errorf("%s: %s has %q, as %s does", ch.ID, s.Name, s.ItemStyle.Color, other)
			}
			colors[s.ItemStyle.Color] = s.Name
			if s.Symbol == "" || i > 0 && s.Symbol == opt.Series[i-1].Symbol {
				t.Errorf("%s: %s's marker %q", ch.ID, s.Name, s.Symbol)
			}
		}
		if len(opt.Series) != len(flexemp.Cities) {
			t.Errorf("%s: %d lines", ch.ID, len(opt.Series))
		}
	}
}

// The contribution charts keep every indicator's code on the axis, with the
// labels inside the chart (containLabel) and titles cut short.
func TestContributionLabelsWhole(t *testing.T) {
	d := load(t, "2024")
	for _, ch := range append(reports.Charts(d), reports.MailCharts(d)...) {
		if !strings.HasPrefix(ch.ID, "chart_city_") && !strings.HasPrefix(ch.ID, "chart_mail_") {
			continue
		}
		var opt struct {
			Grid  []struct{ ContainLabel bool } `json:"grid"`
			YAxis []struct{ Data []string }     `json:"yAxis"`
		}
		if err := json.Unmarshal([]byte(ch.Option), &opt); err != nil {
			t.Fatal(err)
		}
		if len(opt.Grid) == 0 || !opt.Grid[0].ContainLabel || len(opt.YAxis) == 0 {
			t.Fatalf("%s: grid %+v", ch.ID, opt.Grid)
		}
		seen := map[string]bool{}
		for _, label := range opt.YAxis[0].Data {
			id, _, _ := strings.Cut(label, " ")
			if _, ok := flexemp.IndicatorByID(id); !ok || seen[id] || len([]rune(label)) > len(id)+1+12 {
				t.Errorf("%s: label %q", ch.ID, label)
			}
			seen[id] = true
		}
		if len(seen) < 10 {
			t.Errorf("%s: %d indicators labelled", ch.ID, len(seen))
		}
	}
}

// On paper: the breach chart's legend shows every rule (no pages), and
// every table's header row is a thead, which each printed page repeats.
func TestPrintedTablesAndLegends(t *testing.T) {
	d := load(t, "2024")
	for _, ch := range reports.Charts(d) {
		if ch.ID == "chart_breaches" && (strings.Contains(ch.Option, `"type":"scroll"`) || !strings.Contains(ch.Option, `"type":"plain"`)) {
			t.Errorf("the breach legend pages: %s", ch.Option)
		}
	}
	html := render(t, d)
	tables, heads := strings.Count(html, "<table"), strings.Count(html, "<thead>")
	if tables == 0 || heads < tables-1 { // the ECharts library itself holds no table
		t.Errorf("%d tables, %d with a thead", tables, heads)
	}
	if !strings.Contains(html, "thead { display: table-header-group; }") {
		t.Error("the print style does not repeat table headers")
	}
}

// The demo's summary says the middle ranks are left out, and a city that
// withheld data is told which indicators by name.
func TestSummaryWords(t *testing.T) {
	d := load(t, "2024")
	var b strings.Builder
	if err := reports.WriteSummary(&b, d.Result); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "…（第 4 至 13 名从略") {
		t.Errorf("summary:\n%s", b.String())
	}
	if got := reports.WithheldText(d.Period, "210400", []string{"I9"}); !strings.Contains(got, "I9 ") || !strings.Contains(got, "抚顺市") {
		t.Errorf("withheld: %s", got)
	}
}
