package server_test

import (
	"encoding/json"
	"strings"
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

// Dispatch through the API and the pages: a reviewer sees every city with
// a target; a city sees its own row, the province's totals and nothing of
// another city; a year without targets is 404, an as-of ahead 422; the
// bulletin and its workbook are the reviewer's.
func TestDispatchAccess(t *testing.T) {
	t.Parallel()
	clock := testclock.New(testclock.Shanghai("2024-04-20 09:00"))
	var targets []flexemp.Target
	for _, c := range flexemp.Cities {
		targets = append(targets, flexemp.Target{Year: 2024, City: c.Code, Task: "T1", Target: 40}, flexemp.Target{Year: 2024, City: c.Code, Task: "T4", Target: 900})
	}
	s := newSite(t, server.Options{Now: clock.Now}, func(st *store.Store, o *server.Options) {
		ref := flexemp.DefaultReference()
		ref.Targets = targets
		ref.Regions = []flexemp.Region{{Name: "沈大", Cities: []string{"210100", "210200"}}}
		o.Dispatcher = &dispatch.Dispatcher{Store: st, Reference: ref, Now: clock.Now}
	})
	for _, city := range []string{"210100", "210200"} {
		for _, m := range []string{"2024-01", "2024-02", "2024-03"} {
			s.sendCity(city, "registrations", m)
			s.sendCity(city, "services", m)
		}
	}
	code, body := s.get(s.reviewer, "/api/v1/dispatch/2024?as_of=2024-04-20")
	var all struct {
		Through string `json:"through"`
		Cities  []struct {
			Code  string                        `json:"code"`
			Tasks map[string]*dispatch.Progress `json:"tasks"`
		} `json:"cities"`
		Regions []dispatch.RegionTotal `json:"regions"`
	}
	if err := json.Unmarshal([]byte(body), &all); code != 200 || err != nil || all.Through != "2024-03" || len(all.Cities) != 14 || len(all.Regions) != 1 {
		t.Fatalf("reviewer: %d %v %s", code, err, body)
	}
	for _, c := range all.Cities {
		p := c.Tasks["T1"]
		sent := c.Code == "210100" || c.Code == "210200"
		if p == nil || sent != (p.Status != dispatch.NotSent) || sent != (p.Actual > 0) {
			t.Errorf("%s: %+v", c.Code, p)
		}
	}
	code, body = s.get(s.city["210100"], "/api/v1/dispatch/2024?as_of=2024-04-20")
	if code != 200 || !strings.Contains(body, `"code": "210100"`) || othersIn(body, "210100") != "" || !strings.Contains(body, `"regions": []`) {
		t.Errorf("a city's answer: %d, another city %q: %s", code, othersIn(body, "210100"), body)
	}
	if code, body := s.get(s.reviewer, "/api/v1/dispatch/2023?as_of=2024-04-20"); code != 404 || !strings.Contains(body, "尚无调度目标") {
		t.Errorf("a year without targets: %d %s", code, body)
	}
	if code, body := s.get(s.reviewer, "/api/v1/dispatch/2024?as_of=2024-05-20"); code != 422 || !strings.Contains(body, "晚于今天") {
		t.Errorf("an as-of ahead: %d %s", code, body)
	}
	if code, _ := s.get(s.reviewer, "/api/v1/dispatch/20x4"); code != 400 {
		t.Errorf("a bad year: %d", code)
	}

	reviewer, city := s.login(s.reviewer), s.login(s.city["210100"])
	if code, page := reviewer.get("/dispatch?year=2024&as_of=2024-04-20"); code != 200 || !strings.Contains(page, "大连市") || !strings.Contains(page, "未报送") ||
		!strings.Contains(page, "/dispatch/bulletin?year=2024&amp;as_of=2024-04-20&amp;download=pdf") {
		t.Errorf("the reviewer's page: %d\n%s", code, page)
	}
	if code, page := city.get("/dispatch?year=2024&as_of=2024-04-20"); code != 200 || !strings.Contains(page, "沈阳市") || othersIn(page, "210100") != "" {
		t.Errorf("the city's page: %d, another city %q", code, othersIn(page, "210100"))
	}
	if code, x := reviewer.get("/dispatch/bulletin?year=2024&as_of=2024-04-20&download=xlsx"); code != 200 || !strings.HasPrefix(x, "PK") {
		t.Errorf("the workbook: %d", code)
	}
	if code, _ := city.get("/dispatch/bulletin?year=2024&as_of=2024-04-20"); code != 403 {
		t.Errorf("a city made the bulletin: %d", code)
	}

	// In a browser: the reviewer's table, the bulletin's charts drawn, and
	// the city's own view.
	ctx, login := s.browse(60 * time.Second)
	login(s.reviewer)
	table := func() string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/dispatch?year=2024&as_of=2024-04-20"), chromedp.WaitVisible(chromedp.CSS("#dispatch-table"))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#dispatch-table")))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	if table := table(); !strings.Contains(table, "大连市") || !strings.Contains(table, "全省") || !strings.Contains(table, "预计全年") || !strings.Contains(table, "沈大小计") {
		t.Errorf("the reviewer's table:\n%s", table)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/dispatch/bulletin?year=2024&as_of=2024-04-20")); err != nil {
		t.Fatal(err)
	}
	charts, err := reports.WaitCharts(ctx, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"chart_completion_T1", "chart_pace_T1", "chart_completion_T4", "chart_pace_T4"} {
		if c, ok := charts[id]; !ok || c.Painted < 50 {
			t.Errorf("%s is not drawn: %+v", id, charts)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/"), chromedp.Click(chromedp.CSS("header button")), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	login(s.city["210100"])
	if table := table(); !strings.Contains(table, "沈阳市") || othersIn(table, "210100") != "" {
		t.Errorf("the city's table holds another city:\n%s", table)
	}
}
