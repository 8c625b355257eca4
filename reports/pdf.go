package reports

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// PrintWidth is the width in CSS pixels the report is laid out at for
// print; PDF scales it to A4's width inside 10 mm margins (190 mm).
const PrintWidth = 1040

// PDF prints a rendered report (HTML's output) to an A4 PDF in headless
// chromium, after every chart is drawn, with the report's print
// stylesheet: the heat table within the page, no chart split across pages,
// each city's page starting a sheet.
func PDF(ctx context.Context, report []byte) ([]byte, error) {
	dir, done, err := scratchDir("pdf")
	if err != nil {
		return nil, err
	}
	defer done()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, report, 0o600); err != nil {
		return nil, err
	}
	bctx, cancel, err := NewBrowser(ctx, filepath.Join(dir, "profile"))
	if err != nil {
		return nil, err
	}
	defer cancel()
	bctx, stop := context.WithTimeout(bctx, 2*time.Minute)
	defer stop()
	// Laid out for print at the width it is printed at, so the charts are
	// drawn at the size they are printed.
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		return nil, err
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(PrintWidth, 1400), chromedp.Navigate("file://"+path)); err != nil {
		return nil, err
	}
	painted, err := WaitCharts(bctx, 30*time.Second)
	if err != nil {
		return nil, err
	}
	for id, p := range painted {
		if p.Painted == 0 {
			return nil, fmt.Errorf("chart %s was not drawn", id)
		}
	}
	const mmPerInch = 25.4
	yes := true
	res, err := chromedp.Call(bctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{
		PrintBackground:   &yes,
		PreferCSSPageSize: &yes,
		PaperWidth:        210 / mmPerInch,
		PaperHeight:       297 / mmPerInch,
		Scale:             (190 / mmPerInch * 96) / PrintWidth,
	})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}
