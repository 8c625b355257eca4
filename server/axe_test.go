package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/internal/testclock"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
)

// axeScript is axe-core, pinned and checksummed beside the report's
// scripts (scripts/fetch-assets.sh).
var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("../reports/assets/axe-4.14.1.min.js")
	return string(b), err
})

// axeViolation is one rule axe found broken on a page, with how many
// elements break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
	Where  string `json:"where"` // the first element's selector
}

// axeCheck runs axe-core's WCAG 2.1 A and AA rules (GB/T 37668-2019 asks the
// same of government sites) on the page open in ctx, prints every finding
// and fails the test on a serious or critical one.
func axeCheck(t *testing.T, ctx context.Context, page string) []axeViolation {
	t.Helper()
	script, err := axeScript()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script+"\n;true")); err != nil {
		t.Fatalf("%s: loading axe-core: %v", page, err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length, where: (v.nodes[0] && v.nodes[0].target.join(" ")) || ""})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", page, err)
	}
	var said []string
	for _, v := range found {
		said = append(said, v.Impact+" "+v.ID+" ×"+strconv.Itoa(v.Nodes)+" ("+v.Where+")")
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe %s %s on %d elements, e.g. %s: %s", page, v.Impact, v.ID, v.Nodes, v.Where, v.Help)
		}
	}
	t.Logf("axe-core on %s: %d findings %s", page, len(found), strings.Join(said, "; "))
	return found
}

// Every page a clerk or reviewer uses, the report and the bulletin, in a
// browser with axe-core: no serious or critical violation of WCAG 2.1 AA.
func TestPagesAccessible(t *testing.T) {
	t.Parallel()
	clock := testclock.New(testclock.Shanghai("2024-04-20 09:00"))
	var targets []flexemp.Target
	for _, c := range flexemp.Cities {
		targets = append(targets, flexemp.Target{Year: 2024, City: c.Code, Task: "T1", Target: 40})
	}
	s := newSite(t, server.Options{Now: clock.Now}, func(st *store.Store, o *server.Options) {
		ref := flexemp.DefaultReference()
		ref.Targets = targets
		o.Dispatcher = &dispatch.Dispatcher{Store: st, Reference: ref, Now: clock.Now}
	})
	for _, c := range []string{"210100", "210200"} {
		s.sendCity(c, "registrations", "2024-01")
	}
	s.assess("2024Q1")
	ctx, login := s.browse(3 * time.Minute)
	visit := func(path string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+path), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(path, "/reports/") || strings.HasPrefix(path, "/dispatch/bulletin") {
			reports.WaitCharts(ctx, 20*time.Second)
		}
		axeCheck(t, ctx, path)
		phone(t, ctx, path)
		if name := shots[path]; name != "" {
			screenshots(t, ctx, s.ts.URL+path, name)
		}
	}
	for _, p := range []string{"/login", "/help", "/no-such-page"} {
		visit(p)
	}
	login(s.city["210100"])
	for _, p := range []string{"/", "/?period=2024Q1", "/uploads", "/dispatch?year=2024&as_of=2024-04-20"} {
		visit(p)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/"), chromedp.Click(chromedp.CSS("header button")), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	login(s.reviewer)
	for _, p := range []string{"/review?period=2024Q1", "/status?period=2024Q1", "/integrity?period=2024Q1", "/uploads", "/objections",
		"/audit", "/dispatch?year=2024&as_of=2024-04-20", "/reports/2024Q1", "/dispatch/bulletin?year=2024&as_of=2024-04-20"} {
		visit(p)
	}
}

// phone lays the open page out 375 pixels wide, as a city clerk's phone
// shows it: the header stays under 120 pixels, nothing makes the page
// wider than the screen (wide tables scroll in their own box), and every
// link of the navigation can be reached. The desktop width is restored.
func phone(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	type layout struct {
		Header float64 `json:"header"`
		Width  float64 `json:"width"`
		Cut    string  `json:"cut"`
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	l, err := chromedp.Run(ctx, chromedp.Evaluate[layout](`(() => {
		const h = document.querySelector("header");
		let cut = "";
		for (const e of document.querySelectorAll("header a, header button, main input, main select, main button, main textarea")) {
			const r = e.getBoundingClientRect();
			const box = e.closest("nav, section, .scroll");
			const inScroller = box && box.scrollWidth > box.clientWidth;
			if (r.width > 0 && (r.right > 375.5 || r.left < -0.5) && !inScroller) { cut = e.outerHTML.slice(0, 80); break; }
		}
		if (document.documentElement.scrollWidth > 375 && !cut) {
			let widest = null, right = 0;
			for (const e of document.querySelectorAll("body *")) { const r = e.getBoundingClientRect().right; if (r > right) { right = r; widest = e; } }
			cut = widest ? widest.outerHTML.slice(0, 100) : "";
		}
		return {header: h ? h.getBoundingClientRect().height : 0, width: document.documentElement.scrollWidth, cut};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if l.Header >= 120 || l.Width > 375 || l.Cut != "" {
		t.Errorf("%s at 375 px: header %.0f px high, page %.0f px wide, cut off: %s", page, l.Header, l.Width, l.Cut)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// shots are the pages whose screenshots docs/pages keeps, by file name.
var shots = map[string]string{"/?period=2024Q1": "city-home-scorecard", "/review?period=2024Q1": "review"}

// screenshots saves the open page at 375 and 1280 pixels wide into the
// folder FLEXEMP_SCREENSHOTS names (go test ./server -run TestPagesAccessible
// with FLEXEMP_SCREENSHOTS=$PWD/docs/pages), for a person to look at.
func screenshots(t *testing.T, ctx context.Context, url, name string) {
	t.Helper()
	dir := os.Getenv("FLEXEMP_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, width := range []int64{375, 1280} {
		opts := []chromedp.EmulateViewportOption{}
		if width == 375 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, opts...), chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
}
