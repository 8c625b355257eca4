package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/server"
)

// A city logs in through the page, uploads a file through the form and sees
// the result; a reviewer then logs in and sees the city in the ranking.
func TestPagesInBrowser(t *testing.T) {
	t.Parallel()
	s := newSite(t, server.Options{})
	for _, c := range []string{"210100", "210200", "210300"} {
		s.sendCity(c, "registrations", "2024-01")
	}
	s.assessable(flexemp.Subsidies, flexemp.Trainings, flexemp.Services)
	ctx, login := s.browse(60 * time.Second)
	f := s.files["210400"]["registrations 2024-01"]
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
	status := formUpload(t, ctx, "2024-01", filepath.Join(s.data, f.Path))
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
	// Declined first: the page's script (running under its CSP nonce) asks,
	// and the form stays unsent.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.asked = ""; window.confirm = (m) => { window.asked = m; return false }; true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#assess"))); err != nil {
		t.Fatal(err)
	}
	if said, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.asked`)); err != nil || !strings.Contains(said, "重新考核 2024Q1") {
		t.Fatalf("the button did not ask first: %q %v", said, err)
	}
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

// The walk of the "done means", in the browser: a city's file is
// refused; the city downloads the full list of its bad rows from the result
// page, removes those rows and uploads again, accepted. A reviewer then sees
// the ranking is stale, reassesses, and downloads the report as a PDF.
func TestWalkthroughInBrowser(t *testing.T) {
	t.Parallel()
	s := newSite(t, server.Options{})
	for _, c := range []string{"210100", "210200"} {
		s.sendCity(c, "registrations", "2024-01")
	}
	s.assess("2024Q1")
	// A city's registrations as a UTF-8 CSV, with a tenth of its rows (ten
	// at least) made bad: more than the 5% a file may lose, so it is
	// refused whole.
	var src gen.File
	for _, c := range flexemp.Cities[2:] {
		for _, m := range []string{"2024-01", "2024-02", "2024-03"} {
			if f := s.files[c.Code]["registrations "+m]; src.Path == "" && f.Format == gen.FormatCSVUTF8 {
				src = f
			}
		}
	}
	if src.Path == "" {
		t.Fatal("the generated data has no UTF-8 CSV of registrations")
	}
	raw, err := os.ReadFile(filepath.Join(s.data, src.Path))
	if err != nil {
		t.Fatal(err)
	}
	// The city column where the file's header puts it (the generator
	// writes columns in the orders cities do, some with a 序号 first).
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	head := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "行政区划代码") })
	if head < 0 {
		t.Fatalf("%s has no header", src.Path)
	}
	col := slices.Index(strings.Split(lines[head], ","), "行政区划代码")
	for i := head + 1; i < head+1+max(10, len(lines)/10) && i < len(lines); i++ {
		cells := strings.Split(lines[i], ",")
		cells[col] = "999999" // 行政区划代码 of no city
		lines[i] = strings.Join(cells, ",")
	}
	bad := filepath.Join(t.TempDir(), filepath.Base(src.Path))
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	ctx, login := s.browse(90 * time.Second)
	upload := func(path string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#upload-form"))); err != nil {
			t.Fatal(err)
		}
		return formUpload(t, ctx, src.Month, path)
	}
	// fetch gets a download as the page's session would, base64 in transit.
	type download struct {
		Status int
		Type   string
		Data   string
	}
	fetch := func(href string) []byte {
		t.Helper()
		d, err := chromedp.Run(ctx, chromedp.Evaluate[download](fmt.Sprintf(`(async () => {
			const r = await fetch(%q); const b = new Uint8Array(await r.arrayBuffer());
			let s = ""; for (const x of b) s += String.fromCharCode(x);
			return {status: r.status, type: r.headers.get("content-type"), data: btoa(s)};
		})()`, href), chromedp.EvalAwaitPromise))
		if err != nil || d.Status != 200 {
			t.Fatalf("%s: %d %v", href, d.Status, err)
		}
		b, _ := base64.StdEncoding.DecodeString(d.Data)
		return b
	}

	login(s.city[src.City])
	if status := upload(bad); !strings.Contains(status, "已拒收") {
		t.Fatalf("the bad file: %q", status)
	}
	// Its counts say that nothing of it was stored.
	if counts, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#counts"))); err != nil || !strings.Contains(counts, "本次均未入库") {
		t.Errorf("a refused file's counts: %q %v", counts, err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("rejects").getAttribute("href")`))
	if err != nil || !strings.HasPrefix(href, "/refusals/") {
		t.Fatalf("no rejects download on the refused result: %q %v", href, err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(fetch(href)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("被拒行")
	drop := map[int]bool{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatalf("行号 %q", r[0])
		}
		drop[n] = true
	}
	if len(drop) < 10 {
		t.Fatalf("the workbook lists %d rows, the file has at least 10 bad", len(drop))
	}
	// The fix: the rows the workbook names (file rows, the header row 1) go.
	var fixed []string
	for i, l := range lines {
		if !drop[i+1] {
			fixed = append(fixed, l)
		}
	}
	good := filepath.Join(t.TempDir(), filepath.Base(src.Path))
	os.WriteFile(good, []byte(strings.Join(fixed, "\n")+"\n"), 0o644)
	if status := upload(good); !strings.Contains(status, "已入库") {
		t.Fatalf("the fixed file: %q", status)
	}

	// The reviewer: the ranking predates that upload; reassess; the PDF.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("header button")), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	login(s.reviewer)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/review?period=2024Q1"), chromedp.WaitVisible(chromedp.CSS("#stale"))); err != nil {
		t.Fatalf("no stale notice: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.confirm = () => true; true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#assess")), chromedp.WaitVisible(chromedp.CSS("#assessed"))); err != nil {
		t.Fatal(err)
	}
	if stale, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.getElementById("stale")`)); err != nil || stale {
		t.Errorf("still stale after the reassessment: %v", err)
	}
	pdfHref, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("download-pdf").getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	if pdf := fetch(pdfHref); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("the PDF download is not a PDF: %.20q", pdf)
	}
}

// browse starts a headless browser for the site, stopped when the test
// ends, and a login that signs in through the login page with a token.
func (s *site) browse(timeout time.Duration) (context.Context, func(token string)) {
	t := s.t
	ctx, cancel, err := reports.NewBrowser(context.Background(), filepath.Join(t.TempDir(), "profile"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithTimeout(ctx, timeout)
	t.Cleanup(stop)
	return ctx, func(token string) {
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
}

// formUpload sends registrations for month through the open page's upload
// form and returns what the result page says of it.
func formUpload(t *testing.T, ctx context.Context, month, path string) string {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#kind"), "registrations"),
		chromedp.SetValue(chromedp.CSS("#month"), month),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#status")),
	); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// A city's page shows its counties side by side: the table with the city's
// own row, 市本级/未分区县 and where its rows come from, and the chart of
// small multiples drawn (ECharts loaded from the server under the page's
// nonce); no other city's county. The API refusal of another city's
// counties is in TestAccessMatrix.
func TestCountiesInBrowser(t *testing.T) {
	t.Parallel()
	s := newSite(t, server.Options{})
	s.sendCity("210100", "registrations", "2024-01")
	s.assess("2024Q1")
	ctx, login := s.browse(60 * time.Second)
	login(s.city["210100"])
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/?period=2024Q1"),
		chromedp.WaitVisible(chromedp.CSS("#counties")),
	); err != nil {
		t.Fatal(err)
	}
	table, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#counties")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(flexemp.CountiesOf(flexemp.Counties, "210100"), flexemp.County{Name: "沈阳市（全市）"}, flexemp.County{Name: flexemp.CityOwnCounty}) {
		if !strings.Contains(table, c.Name) {
			t.Errorf("the counties table lacks %s:\n%s", c.Name, table)
		}
	}
	for _, c := range flexemp.Counties {
		if c.City != "210100" && strings.Contains(table, c.Name) && !slices.ContainsFunc(flexemp.CountiesOf(flexemp.Counties, "210100"), func(o flexemp.County) bool { return strings.Contains(o.Name, c.Name) }) {
			t.Errorf("another city's county %s on 沈阳's page", c.Name)
		}
	}
	if note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#counties-note"))); err != nil || !strings.Contains(note, "不在区县表中") {
		t.Errorf("the note on 市本级/未分区县: %q %v", note, err)
	}
	charts, err := reports.WaitCharts(ctx, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := charts["chart_counties_210100"]; !ok || c.Canvases == 0 || c.Painted < 50 || c.Height < 600 {
		t.Errorf("the counties chart is not drawn: %+v", charts)
	}
}
