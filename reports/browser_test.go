package reports_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/liaoning-hrss/flexemp/reports"
)

// A real browser with no network opens the report: every chart is drawn,
// nothing is fetched, nothing is logged as an error. The province page and a
// city page are saved as screenshots (into $FLEXEMP_DOCS when set, which is
// how docs/ gets its pictures).
func TestReportInBrowser(t *testing.T) {
	dir := t.TempDir()
	d := load(t, "2024Q2")
	written, err := reports.Write(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	report := written.Report
	ctx, cancel, err := reports.NewBrowser(context.Background(), filepath.Join(dir, "profile"))
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	var mu sync.Mutex
	var problems []string
	note := func(s string) {
		mu.Lock()
		problems = append(problems, s)
		mu.Unlock()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				note("console." + string(ev.Type))
			}
		case *runtime.EventExceptionThrown:
			note("exception: " + ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				note("log: " + ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				note("request: " + u)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("file://"+report),
		chromedp.WaitReady(chromedp.CSS("#province")),
	); err != nil {
		t.Fatal(err)
	}

	// Charts paint on the next animation frame: look until all are drawn.
	charts, err := reports.WaitCharts(ctx, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := len(reports.Charts(d))
	if len(charts) != want {
		t.Errorf("%d chart containers in the page, want %d", len(charts), want)
	}
	for id, c := range charts {
		if c.Canvases == 0 || c.Painted < 50 || c.Width < 200 || c.Height < 200 {
			t.Errorf("chart %s not drawn: %+v", id, c)
		}
	}

	shots := map[string]string{"#province": "report-province.png", "#city-" + d.Result.Cities[4].Code: "report-city.png"}
	out := os.Getenv("FLEXEMP_DOCS")
	if out == "" {
		out = dir
	}
	for sel, name := range shots {
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		if len(png) < 20000 {
			t.Errorf("%s: screenshot of %d bytes", sel, len(png))
		}
		if err := os.WriteFile(filepath.Join(out, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
}

// The mail's static pictures: each chart drawn alone into a PNG with ink on
// it.
func TestChartImages(t *testing.T) {
	d := load(t, "2024")
	charts := reports.Charts(d)
	pick := []reports.Chart{charts[0], charts[2], charts[len(charts)-1]} // ranking, map, a city's contributions
	images, err := reports.ChartImages(context.Background(), pick)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pick {
		img, err := png.Decode(bytes.NewReader(images[c.ID]))
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		b := img.Bounds()
		ink := 0
		for y := b.Min.Y; y < b.Max.Y; y += 3 {
			for x := b.Min.X; x < b.Max.X; x += 3 {
				if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xe000 || g < 0xe000 || bl < 0xe000 {
					ink++
				}
			}
		}
		if b.Dx() < 700 || b.Dy() < 300 || ink < 500 {
			t.Errorf("%s: %v, %d inked samples", c.ID, b, ink)
		}
	}
}

// The report prints to A4: the PDF has the province's pages and a page for
// each city at least, and laid out for print the heat table keeps every
// indicator within the page's width (a print used to drop I10–I16), charts
// and table rows are not split, and each city starts a page.
func TestReportPDF(t *testing.T) {
	d := load(t, "2024Q2")
	// A final with several long objections: the appendix wraps within the
	// page, every column of it printed.
	long := strings.Repeat("本市四月登记数据中有重复登记与错报的行，现报送更正数据并附证明材料，请予复核。", 12)
	d.Issue = &reports.Issue{Final: true, Edition: 1, SHA256: strings.Repeat("ab", 32)}
	for i := range 4 {
		d.Issue.Objections = append(d.Issue.Objections, reports.ObjectionLine{ID: int64(i + 1), City: "大连市", Subjects: "I1、I2、I4、K7、其他",
			Statement: long, Decision: "不予采纳", Reason: long[:300], Evidence: "灵活就业等登记 2024-04（上传编号 1234，异议 1 的更正数据·经异议采纳）",
			Changes: []string{"I1 0.4818 → 0.4832", "综合指数 86.90 → 87.01", "名次区间 6–6 → 5–6（铁岭市）"}})
	}
	html := render(t, d)
	pdf, err := reports.PDF(context.Background(), []byte(html))
	if err != nil {
		t.Fatal(err)
	}
	pages := len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(pdf, -1))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || pages < 1+len(d.Result.Cities) {
		t.Fatalf("PDF of %d bytes, %d pages, want at least %d", len(pdf), pages, 1+len(d.Result.Cities))
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	os.WriteFile(path, []byte(html), 0o644)
	ctx, cancel, err := reports.NewBrowser(context.Background(), filepath.Join(dir, "profile"))
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(reports.PrintWidth, 1400), chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	type layout struct {
		HeatRight, PageRight float64
		AppendixRight        float64
		AppendixColumns      int
		HeatColumns          int
		HalfBreak, RowBreak  string
		CityBreak            []string
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](`(() => {
		const heat = document.getElementById("heat"), main = document.querySelector("main");
		const style = (el, p) => el ? getComputedStyle(el).getPropertyValue(p) : "";
		return {
			heatRight: heat.getBoundingClientRect().right, pageRight: main.getBoundingClientRect().right,
			heatColumns: heat.rows[0].cells.length,
			appendixRight: document.querySelector("#objections table").getBoundingClientRect().right,
			appendixColumns: [...document.querySelector("#objections table").rows[1].cells].filter(c => c.getBoundingClientRect().right <= main.getBoundingClientRect().right + 0.5).length,
			halfBreak: style(document.querySelector(".row > .half"), "break-inside"),
			rowBreak: style(heat.rows[1], "break-inside"),
			cityBreak: [...document.querySelectorAll("section.city")].map(s => style(s, "break-before")),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.HeatColumns != 2+len(d.Result.Cities[0].Indicators) || got.HeatRight > got.PageRight+0.5 {
		t.Errorf("the heat table's %d columns end at %.0f px, past the page at %.0f px", got.HeatColumns, got.HeatRight, got.PageRight)
	}
	if got.AppendixRight > got.PageRight+0.5 || got.AppendixColumns != 8 {
		t.Errorf("the appendix ends at %.0f px, past the page at %.0f px; %d of its 8 columns within it", got.AppendixRight, got.PageRight, got.AppendixColumns)
	}
	if got.HalfBreak != "avoid" || got.RowBreak != "avoid" {
		t.Errorf("charts and rows may split across pages: %q %q", got.HalfBreak, got.RowBreak)
	}
	if len(got.CityBreak) != len(d.Result.Cities) || slices.ContainsFunc(got.CityBreak, func(s string) bool { return s != "page" }) {
		t.Errorf("city pages start a sheet: %v", got.CityBreak)
	}
}
