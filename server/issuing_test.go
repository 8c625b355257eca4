package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/smtptest"
	"github.com/liaoning-hrss/flexemp/internal/testclock"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
)

// cityMail is each city's contact in the issuing test.
func cityMail(code string) string { return "contact-" + code + "@city.example" }

// Issuing a ranking end to end over real HTTP, in a browser, on the
// test's clock, with a real SMTP server: a reviewer publishes 2024Q1; a
// city sees the province table and objects with a corrected extract and a
// PDF; another city sees the table but not the objection, its document or
// the first city's indicators; the reviewer accepts the objection and,
// after the window, finalises; the final report has the appendix and the
// corrected value; every city's mail arrives.
func TestIssuingInBrowser(t *testing.T) {
	t.Parallel()
	clock := testclock.New(testclock.Shanghai("2024-04-20 09:00"))
	mb := smtptest.Start(t)
	mailCfg := schedules.MailConfig{Host: "127.0.0.1", Port: mb.Port, TLS: "none", From: "考核系统 <flexemp@hrss.example>",
		Province: []string{"province@hrss.example"}, Cities: map[string][]string{}}
	for _, c := range flexemp.Cities {
		mailCfg.Cities[c.Code] = []string{cityMail(c.Code)}
	}
	var env *schedules.Env
	s := newSite(t, server.Options{Now: clock.Now}, func(st *store.Store, o *server.Options) {
		env = &schedules.Env{Store: st, Now: clock.Now, Mailer: &schedules.Mailer{Config: mailCfg, Store: st, Now: clock.Now,
			Sleep: func(time.Duration) {}}}
		o.Issuer = &issuing.Issuer{Store: st, Notify: env}
	})
	// Every city's first quarter, as received by its deadlines.
	var objector string
	var source gen.File
	for _, c := range flexemp.Cities {
		for key, f := range s.files[c.Code] {
			if !strings.HasSuffix(key, "2024-04") {
				at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
				m, _ := flexemp.ParseMonth(f.Month)
				if _, err := s.g.Ingest(context.Background(), ingest.Request{Path: filepath.Join(s.data, f.Path), City: c.Code, Kind: f.Kind, Month: m, ReceivedAt: at}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// The objector: a city that sent all of the quarter's registrations by
	// the assessment's date (20 April), February's as a UTF-8 CSV; the other
	// city, one that sent them too.
	sentQ1 := func(city string) bool {
		for _, m := range []string{"2024-01", "2024-02", "2024-03"} {
			f := s.files[city]["registrations "+m]
			at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
			if f.Path == "" || !at.Before(clock.Now()) {
				return false
			}
		}
		return true
	}
	var other string
	for _, c := range flexemp.Cities {
		switch f := s.files[c.Code]["registrations 2024-02"]; {
		case !sentQ1(c.Code):
		case objector == "" && f.Format == gen.FormatCSVUTF8:
			objector, source = c.Code, f
		case other == "":
			other = c.Code
		}
	}
	if objector == "" {
		t.Fatal("no city sent its quarter's registrations with February's as a UTF-8 CSV")
	}
	if code, body := s.do(mustReq("POST", s.ts.URL+"/api/v1/assess/2024Q1", s.reviewer)); code != 200 {
		t.Fatalf("assess: %d %v", code, body)
	}
	// The corrected extract: its last 5 rows dropped. The evidence: a PDF.
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(s.data, source.Path))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(raw), "\n"), "\n")
	fix := filepath.Join(dir, "corrected.csv")
	os.WriteFile(fix, []byte(strings.Join(lines[:len(lines)-5], "")), 0o600)
	pdf := filepath.Join(dir, "说明.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\nstartxref\n9\n%%EOF\n"), 0o600)

	// 公示, by the reviewer's button, on Monday 22 April.
	clock.Set(testclock.Shanghai("2024-04-22 10:00"))
	ctx, login := s.browse(3 * time.Minute)
	login(s.reviewer)
	confirmAll := chromedp.Evaluate[bool](`window.confirm = () => true; true`)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/review?period=2024Q1"), chromedp.WaitVisible(chromedp.CSS("#publish"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, confirmAll); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#publish")), chromedp.WaitVisible(chromedp.CSS("#withdraw"))); err != nil {
		t.Fatal(err)
	}
	windowEnd := issuing.WindowEnd(clock.Now(), issuing.DefaultObjectionDays, flexemp.Holidays)
	if state := text(t, ctx, "#issue-state"); !strings.Contains(state, "公示稿（第1版）") || !strings.Contains(state, windowEnd.Add(-time.Minute).Format("2006年1月2日")) {
		t.Errorf("after 发布公示 the review page says %q", state)
	}
	if text(t, ctx, "#finalise-form") != "" {
		t.Error("定稿 offered inside the window")
	}

	// The objecting city: the province table, then the objection form.
	login(s.city[objector]) // a new login replaces the session
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+"/?period=2024Q1"), chromedp.WaitVisible(chromedp.CSS("#objection-form"))); err != nil {
		t.Fatal(err)
	}
	table := text(t, ctx, "#province-table")
	for _, c := range flexemp.Cities {
		if !strings.Contains(table, c.Name) {
			t.Errorf("the published table lacks %s", c.Name)
		}
	}
	// A statement of 1,500 characters is kept whole.
	statement := "2月登记数据含5条重复记录，现报送更正数据。"
	statement += strings.Repeat("经逐条核对", (1500-utf8.RuneCountInString(statement))/5)
	statement += strings.Repeat("。", 1500-utf8.RuneCountInString(statement))
	if label := text(t, ctx, "#objection-subjects"); !strings.Contains(label, "I1 "+flexemp.Indicators[0].Title) || !strings.Contains(label, "K7 ") {
		t.Errorf("the subject boxes do not name what they stand for: %q", label)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=subject][value=I1]`)),
		chromedp.SetValue(chromedp.CSS("#statement"), statement),
		chromedp.SetValue(chromedp.CSS("#objection-kind"), "registrations"),
		chromedp.SetValue(chromedp.CSS("#objection-month"), "2024-02"),
		chromedp.SetUploadFiles(chromedp.CSS("#objection-file"), []string{fix}),
		chromedp.SetUploadFiles(chromedp.CSS("#objection-documents"), []string{pdf}),
		chromedp.Click(chromedp.CSS("#object")),
		chromedp.WaitVisible(chromedp.CSS("#objection-1")),
	); err != nil {
		t.Fatal(err)
	}
	if row := text(t, ctx, "#objection-1"); !strings.Contains(row, "说明.pdf") || !strings.Contains(row, "待处理") || !strings.Contains(row, "2024-02") {
		t.Errorf("the city's objection: %q", row)
	}
	if said := text(t, ctx, "#objected"); !strings.Contains(said, "异议 1 已提交") {
		t.Errorf("a filed objection is not said so: %q", said)
	}
	// A document over 20 MiB is refused (413) and the refusal recorded.
	var big bytes.Buffer
	mw := multipart.NewWriter(&big)
	mw.WriteField("period", "2024Q1")
	mw.WriteField("subject", "I2")
	mw.WriteField("statement", "附件过大")
	part, _ := mw.CreateFormFile("document", "scan.pdf")
	part.Write(append([]byte("%PDF-1.4\n"), make([]byte, issuing.MaxDocument)...))
	mw.Close()
	req, _ := http.NewRequest("POST", s.ts.URL+"/api/v1/objections", &big)
	req.Header.Set("Authorization", "Bearer "+s.city[other])
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 20 MiB+ document: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	var refused int
	s.db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'object' AND outcome = 'refused' AND code = 'too_large' AND object = ?`, "2024Q1 "+other).Scan(&refused)
	if refused != 1 {
		t.Errorf("the 413 objection is not in the audit trail (%d records)", refused)
	}
	var filed []issuing.Objection
	if code, body := s.get(s.city[objector], "/api/v1/objections?period=2024Q1"); code != 200 || json.Unmarshal([]byte(body), &filed) != nil ||
		len(filed) != 1 || filed[0].Statement != statement {
		t.Errorf("the 1,500-character statement is not kept whole: %d", code)
	}

	// Another city: the table yes; the objection, its document and the
	// first city's indicators, findings and rows no.
	code, body := s.get(s.city[other], "/api/v1/objections?period=2024Q1")
	if code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("another city's objections: %d %s", code, body)
	}
	if code, body := s.get(s.city[other], "/api/v1/objections/1/documents/1"); code != http.StatusNotFound || strings.Contains(body, "PDF") {
		t.Errorf("another city's document: %d", code)
	}
	if code, body := s.get(s.city[objector], "/api/v1/objections/1/documents/1"); code != 200 || !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("the city's own document: %d", code)
	}
	var rk struct {
		State  string `json:"state"`
		Cities []struct {
			Code       string              `json:"code"`
			Rank       *int                `json:"rank"`
			Indicators map[string]*float64 `json:"indicators"`
			Flags      []string            `json:"flags"`
		} `json:"cities"`
	}
	_, body = s.get(s.city[other], "/api/v1/rankings/2024Q1")
	if err := json.Unmarshal([]byte(body), &rk); err != nil || rk.State != "published" || len(rk.Cities) != len(flexemp.Cities) {
		t.Fatalf("another city's view of the publication: %v %s", err, body)
	}
	for _, c := range rk.Cities {
		if c.Rank == nil {
			t.Errorf("%s has no rank in the published table", c.Code)
		}
		if (len(c.Indicators) > 0) != (c.Code == other) || c.Code != other && len(c.Flags) > 0 {
			t.Errorf("%s sees %s's indicators %v and flags %v", other, c.Code, c.Indicators, c.Flags)
		}
	}
	for _, path := range []string{"/api/v1/cities/" + objector + "/scorecard/2024Q1", "/api/v1/uploads?city=" + objector} {
		if code, _ := s.get(s.city[other], path); code != http.StatusForbidden {
			t.Errorf("%s: %d for another city", path, code)
		}
	}
	page := s.login(s.city[other])
	if _, home := page.get("/?period=2024Q1"); strings.Contains(home, "重复记录") || !strings.Contains(home, "province-table") {
		t.Error("another city's page shows the objection, or not the table")
	}
	// After the window closes nobody objects: 409 with the window's end.
	clock.Set(windowEnd.Add(time.Second))
	late := objectionForm(t, "2024Q1", "I2", "逾期的异议")
	req, _ = http.NewRequest("POST", s.ts.URL+"/api/v1/objections", late.body)
	req.Header.Set("Content-Type", late.contentType)
	req.Header.Set("Authorization", "Bearer "+s.city[other])
	if code, out := s.do(req); code != http.StatusConflict || !strings.Contains(fmt.Sprint(out["message"]), "异议期已于") {
		t.Errorf("an objection after the window: %d %v", code, out)
	}

	// The reviewer, in a new session (a week on, the old one has expired),
	// first sees what the correction would change, from the review page:
	// the rows the ledger says each version has, all of the difference
	// removed, and the city's I1 lower with it than the published one.
	login(s.reviewer)
	var corrected, rowsBefore, rowsAfter int
	s.db.QueryRow(`SELECT upload_id, accepted FROM uploads WHERE upload_id = (SELECT upload_id FROM objections WHERE objection_id = 1)`).Scan(&corrected, &rowsAfter)
	s.db.QueryRow(`SELECT accepted FROM uploads WHERE city_code = ? AND kind = 'registrations' AND month = DATE '2024-02-01' AND upload_id <> ?
		ORDER BY version DESC LIMIT 1`, objector, corrected).Scan(&rowsBefore)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/review?period=2024Q1"),
		chromedp.WaitVisible(chromedp.CSS("#objection-1 .preview-link")),
		chromedp.Click(chromedp.CSS("#objection-1 .preview-link")),
		chromedp.WaitVisible(chromedp.CSS("#preview-standing")),
	); err != nil {
		t.Fatal(err)
	}
	wantRows := fmt.Sprintf("%d%d0%d0", rowsBefore, rowsAfter, rowsBefore-rowsAfter)
	if got := strings.Join(strings.Fields(text(t, ctx, "#preview-rows tr:nth-child(2)")), ""); got != wantRows || rowsBefore <= rowsAfter {
		t.Errorf("the preview's rows %q, want before, after, added, removed, changed %q", got, wantRows)
	}
	open, err := issuing.Current(context.Background(), s.db, flexemp.Period{Year: 2024, Quarter: 1})
	if err != nil {
		t.Fatal(err)
	}
	publishedRanking, _ := issuing.Ranking(context.Background(), s.db, open, false)
	var pv issuing.Preview
	_, body = s.get(s.reviewer, "/api/v1/objections/1/preview")
	if err := json.Unmarshal([]byte(body), &pv); err != nil || pv.Rows == nil || pv.Rows.Removed != rowsBefore-rowsAfter || pv.Without == nil || pv.With == nil ||
		pv.Without.Indicators["I1"] == nil || *pv.Without.Indicators["I1"] != i1Of(publishedRanking, objector) || !(*pv.With.Indicators["I1"] < *pv.Without.Indicators["I1"]) {
		t.Errorf("the preview through the API: %v %s", err, body)
	}
	if code, _ := s.get(s.city[objector], "/api/v1/objections/1/preview"); code != http.StatusForbidden {
		t.Errorf("a city previews: %d", code)
	}
	// Then accepts and finalises.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/review?period=2024Q1"),
		chromedp.WaitVisible(chromedp.CSS("#objection-1 form")),
		chromedp.Click(chromedp.CSS(`#objection-1 input[value=accept]`)),
		chromedp.SendKeys(chromedp.CSS(`#objection-1 input[name=reason]`), "经核实，原数据含重复登记"),
		chromedp.Submit(chromedp.CSS(`#objection-1 form`)),
		chromedp.WaitVisible(chromedp.CSS("#objection-1 strong")), // the decision, shown once made
		chromedp.WaitVisible(chromedp.CSS("#finalise")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, confirmAll); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#finalise")), chromedp.WaitVisible(chromedp.CSS(`#editions a[href$="/final/report.html"]`))); err != nil {
		t.Fatal(err)
	}
	if state := text(t, ctx, "#issue-state"); !strings.Contains(state, "定稿（第1版）") {
		t.Errorf("after 定稿 the review page says %q", state)
	}
	finalHref, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#editions a[href$="/final/report.html"]').getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	code, report := s.login(s.reviewer).get(finalHref)
	if code != 200 || !strings.Contains(report, "异议处理情况") || !strings.Contains(report, "经核实，原数据含重复登记") || !strings.Contains(report, "I1 ") {
		t.Errorf("the final report (%d) has no appendix with the decision and I1's change", code)
	}
	if _, list := s.login(s.city[objector]).get("/uploads"); !strings.Contains(list, "异议 1 的更正数据·经异议采纳") {
		t.Error("the city's ledger does not mark the corrected extract 经异议采纳")
	}
	pub, err := issuing.Current(context.Background(), s.db, flexemp.Period{Year: 2024, Quarter: 1})
	if err != nil || pub.Final == nil {
		t.Fatalf("no final: %v", err)
	}
	// After 定稿 the final is what every page shows first, labelled; the
	// draft only below it, labelled as one.
	if text(t, ctx, "#issued-title") == "" || !strings.Contains(text(t, ctx, "#draft-title"), "草稿（未公示，不作为考核结果）") {
		t.Errorf("the review page after 定稿: %q above %q", text(t, ctx, "#issued-title"), text(t, ctx, "#draft-title"))
	}
	finalRanking, _ := issuing.Ranking(context.Background(), s.db, pub, true)
	var objectorIndex string
	for _, c := range finalRanking.Cities {
		if c.Code == objector {
			objectorIndex = fmt.Sprintf("综合指数 %.2f", *c.Index)
		}
	}
	_, home := s.login(s.city[objector]).get("/?period=2024Q1")
	stamp, draft := strings.Index(home, `id="issued-stamp"`), strings.Index(home, `id="draft-scorecard"`)
	if stamp < 0 || draft < stamp || !strings.Contains(home[stamp:draft], "定稿（第1版）") || !strings.Contains(home[stamp:draft], objectorIndex) {
		t.Errorf("the city's page after 定稿 does not show the final (%s) first", objectorIndex)
	}

	published, _ := issuing.Ranking(context.Background(), s.db, pub, false)
	final, _ := issuing.Ranking(context.Background(), s.db, pub, true)
	before, after := i1Of(published, objector), i1Of(final, objector)
	if !(after < before) || i1Of(final, other) != i1Of(published, other) {
		t.Errorf("I1: %s %v → %v, %s %v → %v: the correction lowers the objector's alone", objector, before, after, other, i1Of(published, other), i1Of(final, other))
	}

	// GET /api/v1/publications: the state, the hashes, the objections'
	// counts (a city its own).
	for token, total := range map[string]float64{s.reviewer: 1, s.city[objector]: 1, s.city[other]: 0} {
		code, got := s.do(mustReq("GET", s.ts.URL+"/api/v1/publications/2024Q1", token))
		counts, _ := got["objections"].(map[string]any)
		hashes, _ := got["hashes"].(map[string]any)
		finals, _ := hashes["final"].(map[string]any)
		if code != 200 || got["state"] != "final" || counts["total"] != total || finals["rank.json"] != pub.Final.SHA256 {
			t.Errorf("GET publication: %d %v", code, got)
		}
	}

	// Every city downloads the issued files byte for byte: their SHA-256 is
	// the one published.
	hashes, _ := issuing.Hashes(context.Background(), s.db, pub.ID)
	for _, stage := range []string{"published", "final"} {
		for name, want := range hashes[stage] {
			resp, err := http.DefaultClient.Do(mustReq("GET", s.ts.URL+"/api/v1/publications/2024Q1/files/"+stage+"/"+name, s.city[other]))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if sum := sha256.Sum256(b); resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != want {
				t.Errorf("%s %s for another city: %d, not the issued bytes", stage, name, resp.StatusCode)
			}
		}
	}
	if code, _ := s.do(mustReq("GET", s.ts.URL+"/api/v1/publications/2024Q1/files/draft/rank.json", s.city[other])); code != 404 {
		t.Errorf("a draft's file: %d", code)
	}

	// The mail: every city at publication and at 定稿, the objector at the
	// decision, the province both times.
	got := map[string][]string{}
	for _, m := range mb.Messages() {
		p := smtptest.Parse(t, m.Raw)
		got[m.To[0]] = append(got[m.To[0]], p.Subject)
		if m.To[0] == cityMail(other) && strings.Contains(p.HTML, "重复") {
			t.Error("another city's mail tells of the objection")
		}
	}
	for _, c := range flexemp.Cities {
		want := 2
		if c.Code == objector {
			want = 3
		}
		if subjects := got[cityMail(c.Code)]; len(subjects) != want {
			t.Errorf("%s received %v", c.Name, subjects)
		}
	}
	if subjects := strings.Join(got["province@hrss.example"], "|"); !strings.Contains(subjects, "公示") || !strings.Contains(subjects, "定稿") {
		t.Errorf("the province received %v", subjects)
	}
	// The reviewer's list of every period's objections, by decision.
	if _, page := s.login(s.reviewer).get("/objections?status=" + url.QueryEscape(issuing.Accept)); !strings.Contains(page, `id="listed-objection-1"`) {
		t.Error("the accepted objection is not in the reviewer's list")
	}
	if _, page := s.login(s.reviewer).get("/objections?status=" + url.QueryEscape(issuing.Undecided)); strings.Contains(page, `id="listed-objection-1"`) {
		t.Error("a decided objection is listed as undecided")
	}
	if code, _ := s.login(s.city[objector]).get("/objections"); code != http.StatusForbidden {
		t.Errorf("a city lists every objection: %d", code)
	}
	// The API's scorecard carries the city's entry in the final beside the draft's explanation.
	if code, got := s.do(mustReq("GET", s.ts.URL+"/api/v1/cities/"+objector+"/scorecard/2024Q1", s.city[objector])); code != 200 ||
		got["issued"] == nil || got["issued"].(map[string]any)["state"] != "final" || got["issued"].(map[string]any)["sha256"] != pub.Final.SHA256 {
		t.Errorf("the API scorecard after 定稿: %d %v", code, got["issued"])
	}
	// The monthly report mails the final: every city its own entry as
	// issued, the province the final's files.
	mailed := len(mb.Messages())
	period := flexemp.Period{Year: 2024, Quarter: 1}
	env.ReportPeriod, env.ReportsDir = &period, t.TempDir()
	for _, j := range env.Jobs(schedules.Specs{}) {
		if j.Name == schedules.JobReport {
			if _, err := j.Run(context.Background(), clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, m := range mb.Messages()[mailed:] {
		p := smtptest.Parse(t, m.Raw)
		switch {
		case m.To[0] == cityMail(objector) && (!strings.Contains(p.Subject, "定稿") || !strings.Contains(p.HTML, "定稿（第1版）") || !strings.Contains(p.HTML, objectorIndex)):
			t.Errorf("the objector's report mail after 定稿: %s", p.Subject)
		case m.To[0] == "province@hrss.example" && (!strings.Contains(p.Subject, "定稿") || !strings.Contains(p.HTML, pub.Final.SHA256)):
			t.Errorf("the province's report mail after 定稿: %s", p.Subject)
		}
	}
	if len(mb.Messages()) == mailed {
		t.Error("the report job mailed no one")
	}
}

// i1Of is a city's I1 in an issued ranking.
func i1Of(r *metrics.Ranking, code string) float64 {
	for _, c := range r.Cities {
		if c.Code == code && c.Indicators["I1"] != nil {
			return *c.Indicators["I1"]
		}
	}
	return -1
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// multipartForm is an objection's form as an API client sends it.
type multipartForm struct {
	body        *bytes.Buffer
	contentType string
}

func objectionForm(t *testing.T, period, subject, statement string) multipartForm {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("period", period)
	mw.WriteField("subject", subject)
	mw.WriteField("statement", statement)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return multipartForm{&b, mw.FormDataContentType()}
}

// A publication and a final are rendered outside the write lock: an upload
// sent while the PDF prints is stored at once; a reassessment meanwhile
// makes the publication refuse to commit what it rendered from the older
// draft.
func TestPublishRendersOutsideTheLock(t *testing.T) {
	t.Parallel()
	clock := testclock.New(testclock.Shanghai("2024-04-20 09:00"))
	var st *store.Store
	printing, proceed := make(chan struct{}), make(chan struct{})
	pdf := func(ctx context.Context, html []byte) ([]byte, error) {
		select {
		case printing <- struct{}{}: // the first print waits for the test
			<-proceed
		default:
		}
		return reports.PDF(ctx, html)
	}
	var is *issuing.Issuer
	s := newSite(t, server.Options{Now: clock.Now}, func(sto *store.Store, o *server.Options) {
		st = sto
		is = &issuing.Issuer{Store: sto, PDF: pdf}
		o.Issuer = is
	})
	ctx := context.Background()
	var april []ingest.Request
	for _, c := range flexemp.Cities {
		for key, f := range s.files[c.Code] {
			at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
			m, _ := flexemp.ParseMonth(f.Month)
			req := ingest.Request{Path: filepath.Join(s.data, f.Path), City: c.Code, Kind: f.Kind, Month: m, ReceivedAt: at}
			if strings.HasSuffix(key, "2024-04") {
				april = append(april, req)
				continue
			}
			if _, err := s.g.Ingest(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
	}
	q1 := flexemp.Period{Year: 2024, Quarter: 1}
	// printed starts a step and waits until it prints its PDF.
	printed := func(step func() error) chan error {
		done := make(chan error, 1)
		go func() { done <- step() }()
		<-printing
		return done
	}
	publish := func() chan error {
		return printed(func() error {
			_, err := is.Publish(ctx, q1, issuing.PublishOptions{At: clock.Now()})
			return err
		})
	}
	if _, err := st.Assess(ctx, q1, time.Date(2024, 4, 20, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// A reassessment while the first publication prints: it is refused.
	// meanwhile runs a write while a publication prints: it must not wait.
	meanwhile := func(what string, write func() error) {
		t.Helper()
		finished := make(chan error, 1)
		go func() { finished <- write() }()
		select {
		case err := <-finished:
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s waited for the publication's rendering", what)
		}
	}
	done := publish()
	meanwhile("a reassessment", func() error {
		_, err := st.Assess(ctx, q1, time.Date(2024, 4, 20, 0, 0, 0, 0, time.UTC))
		return err
	})
	close(proceed)
	if err := <-done; err == nil || !strings.Contains(flexemp.ErrorMessage(err), "发布过程中有变化") {
		t.Errorf("a publication rendered from a replaced draft: %v", err)
	}
	// An upload while the next one prints: stored at once, and the
	// publication commits.
	proceed = make(chan struct{})
	done = publish()
	meanwhile("an upload", func() error {
		req := april[0]
		req.ReceivedAt = time.Date(2024, 5, 5, 10, 0, 0, 0, flexemp.Shanghai)
		_, err := st.Ingest(ctx, req)
		return err
	})
	close(proceed)
	if err := <-done; err != nil {
		t.Fatalf("the publication: %v", err)
	}
	// The final too: an upload while its PDF prints is stored at once, and
	// the final commits.
	clock.Set(testclock.Shanghai("2024-05-10 09:00"))
	proceed = make(chan struct{})
	finalised := printed(func() error {
		_, err := is.Finalise(ctx, q1, clock.Now())
		return err
	})
	meanwhile("an upload", func() error {
		req := april[1]
		req.ReceivedAt = time.Date(2024, 5, 10, 9, 0, 0, 0, flexemp.Shanghai)
		_, err := st.Ingest(ctx, req)
		return err
	})
	close(proceed)
	if err := <-finalised; err != nil {
		t.Errorf("the final: %v", err)
	}
	if r, err := issuing.RankingIn(ctx, st.DB(), q1, ""); err != nil || r.State != issuing.Final {
		t.Errorf("after the final rank is %+v %v", r, err)
	}
}
