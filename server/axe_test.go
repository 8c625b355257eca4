package server_test

import (
	"context"
	"os"
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
