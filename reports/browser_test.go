package reports_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
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
