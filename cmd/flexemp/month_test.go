package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/smtptest"
	"github.com/liaoning-hrss/flexemp/internal/testclock"
	"github.com/liaoning-hrss/flexemp/schedules"
)

// A served instance walks through April 2024 on an injected clock: March's
// files dropped into the inbox are picked up (one city sends nothing, one
// file is broken), the reminder on the 10th goes to the cities still
// missing an extract, the assessment runs every night, and on the 15th the
// report is written and mailed; every run is in `flexemp jobs`.
func TestServedMonth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	mb := smtptest.Start(t)
	data := filepath.Join(dir, "data")
	man, err := gen.Generate(data, gen.Options{Seed: 11, Scale: 0.003,
		From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 3}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Default()
	cfg.DB = filepath.Join(dir, "flexemp.db")
	cfg.Schedules.Inbox = filepath.Join(dir, "inbox")
	cfg.Schedules.Specs.Inbox = "0 */6 * * *"
	cfg.Mail = schedules.MailConfig{Host: "127.0.0.1", Port: mb.Port, TLS: "none", From: "考核系统 <flexemp@hrss.example>",
		Province: []string{"chief@hrss.example", "office@hrss.example"}, Cities: map[string][]string{}}
	for _, c := range flexemp.Cities {
		cfg.Mail.Cities[c.Code] = []string{c.Code + "@city.example"}
	}
	clock := testclock.New(testclock.Shanghai("2024-04-01 00:00"))
	svc, err := app.New(ctx, cfg, clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(svc.Server.Handler())
	defer ts.Close()

	// January and February arrived on time; March is dropped into the
	// inbox on 3 April, except by 葫芦岛, and 沈阳 also drops a broken file.
	const silent = "211400"
	dropped := testclock.Shanghai("2024-04-03 10:00")
	inMarch := map[string]int{} // city → kinds sent for March and accepted
	refusedFiles := 2           // the broken workbook, the file in the inbox root; and any file with over 5% bad rows

	for _, f := range man.Files {
		src := filepath.Join(data, f.Path)
		if f.Month != "2024-03" {
			month, _ := flexemp.ParseMonth(f.Month)
			at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
			if _, err := svc.Store.Ingest(ctx, ingest.Request{Path: src, City: f.City, Kind: f.Kind, Month: month, ReceivedAt: at}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if f.City == silent {
			continue
		}
		if float64(f.Rejected) > 0.05*float64(f.Rows) {
			refusedFiles++
		} else {
			inMarch[f.City]++
		}
		dropInto(t, filepath.Join(cfg.Schedules.Inbox, f.City, string(f.Kind)), src, dropped)
	}
	dropInto(t, filepath.Join(cfg.Schedules.Inbox, "沈阳", "registrations"), filepath.Join(testdata, "truncated.xlsx"), dropped)
	// A file dropped in the inbox's root is not ingested, and not ignored:
	// it goes to rejected/ with the reason.
	dropInto(t, cfg.Schedules.Inbox, filepath.Join(testdata, "registrations_gbk.csv"), dropped)

	for _, d := range svc.Sched.Due(clock.Now(), testclock.Shanghai("2024-04-15 23:59")) {
		clock.Set(d.At)
		if _, err := svc.Sched.Trigger(d.Job); err != nil {
			t.Fatal(err)
		}
	}
	if resp, err := http.Get(ts.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v", err)
	}

	// The inbox: every March file archived, the broken one rejected with its reason.
	archived := countFiles(t, filepath.Join(dir, "archive"))
	want := 0
	for _, n := range inMarch {
		want += n
	}
	if archived != want {
		t.Errorf("%d files archived, %d dropped", archived, want)
	}
	if n := countFiles(t, filepath.Join(dir, "rejected")); n != 2*refusedFiles {
		t.Errorf("%d files in rejected/, want %d refused files with their reasons", n, refusedFiles)
	}
	reason, _ := filepath.Glob(filepath.Join(dir, "rejected", "沈阳", "registrations", "*-truncated.xlsx.reason.txt"))
	if len(reason) != 1 {
		t.Fatalf("rejected: %v", reason)
	}
	if b, _ := os.ReadFile(reason[0]); !strings.Contains(string(b), "损坏或不完整") {
		t.Errorf("reason file: %s", b)
	}
	if root, _ := filepath.Glob(filepath.Join(dir, "rejected", "*-registrations_gbk.csv.reason.txt")); len(root) != 1 {
		t.Errorf("the file dropped in the inbox root: %v", root)
	} else if b, _ := os.ReadFile(root[0]); !strings.Contains(string(b), "子目录") {
		t.Errorf("its reason: %s", b)
	}
	if left := countFiles(t, cfg.Schedules.Inbox); left != 0 {
		t.Errorf("%d files left in the inbox", left)
	}

	// The mail: reminders to the cities missing a March extract on the
	// 10th, then the report to the province and every city on the 15th.
	late := map[string]bool{silent: true}
	for _, c := range flexemp.Cities {
		if c.Code != silent && inMarch[c.Code] < len(flexemp.Kinds) {
			late[c.Code] = true
		}
	}
	var reminded, reported []string
	for _, m := range mb.Messages() {
		p := smtptest.Parse(t, m.Raw)
		switch {
		case strings.HasPrefix(p.Subject, "【提醒】"):
			reminded = append(reminded, m.To[0])
			if !strings.Contains(p.Subject, "2024年3月") || !strings.Contains(p.Text, "2024年4月10日 24:00") {
				t.Errorf("reminder %q: %s", p.Subject, p.Text)
			}
		case strings.Contains(p.Subject, "考核月报"):
			reported = append(reported, m.To[0])
			if len(p.Attachments) != 2 || p.Attachments["考核报告-2024.html"] == nil || p.Attachments["考核排名-2024.xlsx"] == nil {
				t.Errorf("province mail attachments: %v", keys(p.Attachments))
			}
			if !strings.Contains(p.HTML, "cid:ranking.png") || len(p.Inline["ranking.png"]) < 1000 {
				t.Errorf("province mail has no ranking chart image")
			}
			// The report of the 15th covers 2024 to March, as of 15 April: the
			// quarter is finished, the year is running.
			if !strings.Contains(p.Subject, "2024年，截至 2024-04-15") || !strings.Contains(p.Text, "数据核查：") {
				t.Errorf("province mail %q: no 截至 or no integrity line:\n%s", p.Subject, p.Text)
			}
		case strings.Contains(p.Subject, "记分卡"):
			reported = append(reported, m.To[0])
			code := strings.TrimSuffix(m.To[0], "@city.example")
			city, _ := flexemp.CityByCode(code)
			other := flexemp.Cities[0].Name
			if code == flexemp.Cities[0].Code {
				other = flexemp.Cities[1].Name
			}
			if !strings.Contains(p.Subject, city.Name) || strings.Contains(p.HTML, other) || len(p.Attachments) != 0 {
				t.Errorf("%s scorecard mail: %q, shows another city or attachments", code, p.Subject)
			}
		default:
			t.Errorf("unexpected mail %q", p.Subject)
		}
	}
	var wantReminded []string
	for code := range late {
		wantReminded = append(wantReminded, code+"@city.example")
	}
	sort.Strings(reminded)
	sort.Strings(wantReminded)
	if strings.Join(reminded, ",") != strings.Join(wantReminded, ",") {
		t.Errorf("reminded %v, want %v", reminded, wantReminded)
	}
	if len(reported) != 2+14 {
		t.Errorf("%d report mails, want 2 for the province and 14 scorecards", len(reported))
	}
	if _, err := os.Stat(filepath.Join(dir, "reports", "2024", "report.html")); err != nil {
		t.Error(err)
	}

	// Every run is listed by `flexemp jobs`, and every one went well.
	svc.Store.Close()
	code, out, e := runCmd(t, "jobs", "--db", cfg.DB, "--limit", "0")
	if code != 0 {
		t.Fatal(e)
	}
	runs := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		runs[f[1]]++
		// A province without targets has no bulletin to send: skipped, saying so.
		if f[1] == "bulletin" && strings.Contains(line, " 跳过 ") && strings.Contains(line, "尚无调度目标") {
			continue
		}
		if outcome := f[len(f)-1]; !strings.Contains(line, " 成功 ") {
			t.Errorf("run not ok: %s (%s)", line, outcome)
		}
	}
	if runs["inbox"] != 3+14*4 || runs["assess"] != 15 || runs["reminder"] != 1 || runs["report"] != 1 || runs["bulletin"] != 1 {
		t.Errorf("runs %v", runs)
	}
}

func dropInto(t *testing.T, dir, src string, at time.Time) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, at, at); err != nil {
		t.Fatal(err)
	}
}

func countFiles(t *testing.T, root string) int {
	n := 0
	filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Without a browser the report mail still goes, with the tables only, and
// the run is recorded as a warning; it names the cities behind their
// targets; run-job runs a job by hand. A year
// nobody has sent anything for yet is skipped, and says why.
func TestReportMailWithoutBrowser(t *testing.T) {
	t.Setenv("CHROMIUM", filepath.Join(t.TempDir(), "no-such-browser"))
	mb := smtptest.Start(t)
	dir, db := demoCopy(t)
	config := filepath.Join(dir, "flexemp.toml")
	os.WriteFile(config, []byte(`db = "flexemp.db"
[mail]
host = "127.0.0.1"
port = `+strconv.Itoa(mb.Port)+`
tls = "none"
from = "flexemp@hrss.example"
province = ["chief@hrss.example"]
[reference]
targets = `+strconv.Quote(filepath.Join(sharedDemo(t), "data", "targets.csv"))+`
`), 0o644)
	// This year (the demo's data ends in 2025): nothing to assess or report,
	// and each run is recorded as skipped with the refusal, never as a
	// ranking of what is left.
	for _, job := range []string{"assess", "report"} {
		if code, out, e := runCmd(t, "run-job", "--config", config, "--db", db, job); code != 0 || !strings.Contains(out, job+"（运行 ") || !strings.Contains(out, "：跳过") ||
			!strings.Contains(out, "尚无城市报送") || len(mb.Messages()) != 0 {
			t.Fatalf("run-job %s for a year nobody sent anything for: exit %d %q %s, %d messages", job, code, out, e, len(mb.Messages()))
		}
	}
	code, out, e := runCmd(t, "run-job", "--config", config, "--db", db, "--period", "2025", "report")
	if code != 0 || !strings.Contains(out, "：警告") || !strings.Contains(out, "无法生成图表图片") {
		t.Fatalf("run-job: exit %d %q %s", code, out, e)
	}
	msgs := mb.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	p := smtptest.Parse(t, msgs[0].Raw)
	if !strings.Contains(p.Subject, "考核年度报告（2025年）") {
		t.Errorf("a finished year's mail is headed %q", p.Subject)
	}
	// With the province's targets, the mail names the cities behind.
	if !regexp.MustCompile(`调度：2025年截至 \d{4}-\d\d-\d\d（1—12月，时序进度 100.0%）(严重滞后|滞后)：\S+市（T\d`).MatchString(p.Text) {
		t.Errorf("the report mail does not name the cities behind:\n%s", p.Text)
	}
	if len(p.Inline) != 0 || strings.Contains(p.HTML, "cid:") || !strings.Contains(p.HTML, "<table") || len(p.Attachments) != 2 {
		t.Errorf("mail without images: inline %v, attachments %v", keys(p.Inline), keys(p.Attachments))
	}
	// The province's mail carries the audit trail's head, which audit verify
	// then accepts (TestAuditTrail shows a rewritten chain failing it).
	head := regexp.MustCompile(`审计日志链头 (\d+:[0-9a-f]{64})`).FindStringSubmatch(p.Text)
	if head == nil {
		t.Fatalf("no audit head in the province's mail:\n%s", p.Text)
	}
	if code, out, e := runCmd(t, "audit", "verify", "--db", db, "--head", head[1]); code != 0 {
		t.Errorf("audit verify --head %s: exit %d %s %s", head[1], code, out, e)
	}
	if code, _, _ := runCmd(t, "run-job", "--config", config, "--db", db, "payroll"); code != 2 {
		t.Errorf("unknown job: exit %d, want 2", code)
	}
	// Again: already sent, nothing new. With --resend: a new mailing. With
	// --period: that period's report.
	runCmd(t, "run-job", "--config", config, "--db", db, "--period", "2025", "report")
	if n := len(mb.Messages()); n != 1 {
		t.Errorf("a second run sent again: %d messages", n)
	}
	if code, _, e := runCmd(t, "run-job", "--config", config, "--db", db, "--period", "2025", "--resend", "report"); code != 0 || len(mb.Messages()) != 2 {
		t.Errorf("--resend: exit %d, %d messages %s", code, len(mb.Messages()), e)
	}
	if code, _, e := runCmd(t, "run-job", "--config", config, "--db", db, "--period", "2025Q3", "report"); code != 0 || len(mb.Messages()) != 3 ||
		!strings.Contains(smtptest.Parse(t, mb.Messages()[2].Raw).Subject, "2025年第3季度") {
		t.Errorf("--period 2025Q3: exit %d, %d messages %s", code, len(mb.Messages()), e)
	}
}
