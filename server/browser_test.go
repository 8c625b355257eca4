package server_test

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/server"
)

// A city logs in through the page, uploads a file through the form and sees
// the result; a reviewer then logs in and sees the city in the ranking.
func TestPagesInBrowser(t *testing.T) {
	s := newSite(t, server.Options{})
	for _, c := range []string{"210100", "210200", "210300"} {
		s.sendCity(c, "registrations", "2024-01")
	}
	ctx, cancel, err := reports.NewBrowser(context.Background(), filepath.Join(t.TempDir(), "profile"))
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()

	f := s.files["210400"]["registrations 2024-01"]
	login := func(token string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(s.ts.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), token),
			chromedp.Click(chromedp.CSS("#login")),
			chromedp.WaitVisible(chromedp.CSS("header .who")),
		); err != nil {
			t.Fatal(err)
		}
	}
	login(s.city["210400"])
	// The form sends the file with a progress bar: what it says is kept as
	// it changes (the page's window outlives the result replacing it).
	watch := `window.said = []; new MutationObserver(() => window.said.push(document.getElementById("upload-percent").textContent))
		.observe(document.getElementById("upload-percent"), {childList: true, characterData: true, subtree: true}); true`
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#upload-form"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](watch)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#kind"), "registrations"),
		chromedp.SetValue(chromedp.CSS("#month"), "2024-01"),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{filepath.Join(s.data, f.Path)}),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#status")),
	); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "已入库") {
		t.Fatalf("upload result: %q", status)
	}
	said, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.said || []`))
	if err != nil || !slices.ContainsFunc(said, func(s string) bool { return strings.HasPrefix(s, "已上传 ") && strings.HasSuffix(s, "%") }) ||
		!slices.Contains(said, "上传完成，正在校验入库，请稍候…") {
		t.Errorf("the progress the form showed: %q %v", said, err)
	}
	if n := s.count(`SELECT count(*) FROM uploads WHERE city_code = '210400' AND uploader = 'city:210400'`); n != 1 {
		t.Errorf("%d uploads recorded for 抚顺", n)
	}

	// The reviewer: log out, log in, assess with the button, see 抚顺市 ranked.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("header button")), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	login(s.reviewer)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/review?period=2024Q1"),
		chromedp.WaitVisible(chromedp.CSS("#assess")),
	); err != nil {
		t.Fatal(err)
	}
	// 重新考核 asks first; the reviewer confirms, and is told the result.
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.asked = ""; window.confirm = (m) => { window.asked = m; return true }; true`))
	if err != nil || !asked {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#assess")),
		chromedp.WaitVisible(chromedp.CSS("#ranking")),
		chromedp.WaitVisible(chromedp.CSS("#assessed")),
	); err != nil {
		t.Fatal(err)
	}
	if done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#assessed"))); err != nil || !strings.Contains(done, "已重新考核") {
		t.Errorf("the reassessment's result: %q %v", done, err)
	}
	ranking, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#ranking")))
	if err != nil {
		t.Fatal(err)
	}
	for _, city := range []string{"沈阳市", "大连市", "鞍山市", "抚顺市"} {
		if !strings.Contains(ranking, city) {
			t.Errorf("ranking lacks %s:\n%s", city, ranking)
		}
	}
	// The embedded report loads inside the page.
	code, body := s.login(s.reviewer).get("/reports/2024Q1")
	if code != http.StatusOK || !strings.Contains(body, "考核报告（2024年第1季度）") {
		t.Errorf("report page: %d", code)
	}
}
