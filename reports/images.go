package reports

import (
	"context"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// Paint is what a page says of one chart container: its size, its canvases
// and how many sampled pixels are painted (neither transparent nor white).
type Paint struct {
	Width, Height int
	Canvases      int
	Painted       int
}

const inspectCharts = `(() => {
	const out = {};
	document.querySelectorAll('div.item').forEach(div => {
		let painted = 0;
		const canvases = div.querySelectorAll('canvas');
		canvases.forEach(c => {
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4 * 5) {
				if (d[i + 3] > 0 && !(d[i] > 245 && d[i + 1] > 245 && d[i + 2] > 245)) painted++;
			}
		});
		out[div.id] = {width: div.clientWidth, height: div.clientHeight, canvases: canvases.length, painted: painted};
	});
	return out;
})()`

// WaitCharts waits until every chart container of the open page is painted,
// or until the timeout, and returns what each container holds.
func WaitCharts(ctx context.Context, timeout time.Duration) (map[string]Paint, error) {
	deadline := time.Now().Add(timeout)
	for {
		charts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]Paint](inspectCharts))
		if err != nil {
			return nil, err
		}
		blank := 0
		for _, c := range charts {
			if c.Painted == 0 {
				blank++
			}
		}
		if blank == 0 || time.Now().After(deadline) {
			return charts, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ChartImages draws charts in headless chromium, each 760 pixels wide, and
// returns a PNG of each by chart ID: the static pictures a mail carries,
// since mail clients run no JavaScript.
func ChartImages(ctx context.Context, charts []Chart) (map[string][]byte, error) {
	dir, done, err := scratchDir("charts")
	if err != nil {
		return nil, err
	}
	defer done()
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0;background:#fff;font-family:"Noto Sans CJK SC",sans-serif}.chart{width:760px;padding:8px}</style><script>`)
	b.WriteString(echartsJS)
	b.WriteString(`</script><script>`)
	b.WriteString(liaoningJS)
	b.WriteString(`</script></head><body>`)
	for _, c := range charts {
		fmt.Fprintf(&b, `<div class="chart" id="wrap_%s">%s</div>`, template.HTMLEscapeString(c.ID), c.Element)
	}
	for _, c := range charts {
		b.WriteString(string(c.Script))
	}
	b.WriteString(`</body></html>`)
	page := filepath.Join(dir, "charts.html")
	if err := os.WriteFile(page, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	bctx, cancel, err := NewBrowser(ctx, filepath.Join(dir, "profile"))
	if err != nil {
		return nil, err
	}
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(800, 900), chromedp.Navigate("file://"+page)); err != nil {
		return nil, err
	}
	painted, err := WaitCharts(bctx, 20*time.Second)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, c := range charts {
		if painted[c.ID].Painted == 0 {
			return nil, fmt.Errorf("chart %s was not drawn", c.ID)
		}
		png, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#wrap_"+c.ID)))
		if err != nil {
			return nil, err
		}
		out[c.ID] = png
	}
	return out, nil
}
