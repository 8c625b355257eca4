package schedules_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/smtptest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// openStore is a store over a new database.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	db, err := transform.Open(context.Background(), filepath.Join(t.TempDir(), "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store.New(db, &ingest.Ingester{DB: db, Key: []byte("schedules-test-key-not-secret")}, metrics.AssessOptions{})
}

var clock = time.Date(2024, 4, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newMailer(t *testing.T, mb *smtptest.Mailbox) (*schedules.Mailer, *[]time.Duration) {
	var slept []time.Duration
	return &schedules.Mailer{
		Config: schedules.MailConfig{Host: "127.0.0.1", Port: mb.Port, TLS: "none", From: "考核系统 <flexemp@hrss.example>"},
		Store:  openStore(t), Now: func() time.Time { return clock },
		Sleep: func(d time.Duration) { slept = append(slept, d) },
	}, &slept
}

func outgoing(to string) schedules.Outgoing {
	return schedules.Outgoing{Key: "report:2024:2024-03", To: to, Subject: "辽宁省支持灵活就业政策落实考核月报（2024年）",
		Text: "排名见附件", HTML: `<p>排名</p><img src="cid:ranking.png">`,
		Inline:      []schedules.Part{{Name: "ranking.png", ContentType: "image/png", Data: []byte("\x89PNG fake image")}},
		Attachments: []schedules.Part{{Name: "考核报告-2024.html", ContentType: "text/html", Data: []byte("<html>报告</html>")}}}
}

// A message arrives as written: recipient, Chinese subject and attachment
// name, the image the HTML refers to inline, the stable Message-ID.
func TestMailContents(t *testing.T) {
	mb := smtptest.Start(t)
	m, _ := newMailer(t, mb)
	o := outgoing("shenyang@city.example")
	if rep, err := m.Send(context.Background(), []schedules.Outgoing{o}); err != nil || rep.Sent != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	msgs := mb.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "shenyang@city.example" {
		t.Fatalf("received %+v", msgs)
	}
	p := smtptest.Parse(t, msgs[0].Raw)
	if p.Subject != o.Subject || p.MessageID != "<"+schedules.MessageID(o.Key, o.To)+">" {
		t.Errorf("subject %q, Message-ID %q", p.Subject, p.MessageID)
	}
	if !strings.Contains(p.HTML, `src="cid:ranking.png"`) || string(p.Inline["ranking.png"]) != "\x89PNG fake image" {
		t.Errorf("inline image: html %q, parts %v", p.HTML, p.Inline)
	}
	if string(p.Attachments["考核报告-2024.html"]) != "<html>报告</html>" || p.Text != "排名见附件" {
		t.Errorf("attachments %v, text %q", p.Attachments, p.Text)
	}
}

// Across a crash between the server's acceptance and the record, and a
// refused recipient: no delivery is lost, none recorded as sent is sent
// again, and the one that may repeat keeps its Message-ID.
func TestMailSurvivesCrashAndRetry(t *testing.T) {
	mb := smtptest.Start(t)
	m, slept := newMailer(t, mb)
	ctx := context.Background()
	a, b, c, bad := outgoing("a@x.example"), outgoing("b@x.example"), outgoing("c@x.example"), outgoing("bad@x.example")
	all := []schedules.Outgoing{a, b, c, bad}
	mb.Refuse("bad@x.example", true)
	crash := schedules.MessageID(b.Key, b.To)
	m.AfterAccept = func(id string) error {
		if id == crash {
			return context.Canceled // the process dies here
		}
		return nil
	}
	if _, err := m.Send(ctx, all); err == nil {
		t.Fatal("the crash did not stop the run")
	}
	count := func() map[string]int {
		n := map[string]int{}
		for _, r := range mb.Messages() {
			n[r.To[0]]++
		}
		return n
	}
	if got := count(); got["a@x.example"] != 1 || got["b@x.example"] != 1 || got["c@x.example"] != 0 {
		t.Fatalf("before the crash: %v", got)
	}
	status := func(to string) string {
		var s string
		m.Store.DB().QueryRow(`SELECT status FROM mail_deliveries WHERE recipient = ?`, to).Scan(&s)
		return s
	}
	if status("a@x.example") != "sent" || status("b@x.example") != "pending" || status("c@x.example") != "" {
		t.Fatalf("records after the crash: a %s b %s c %s", status("a@x.example"), status("b@x.example"), status("c@x.example"))
	}

	// The restarted run: b once more (same Message-ID), c, and bad refused three times with backoff.
	m.AfterAccept = nil
	rep, err := m.Send(ctx, all)
	if err != nil || rep.Sent != 2 || rep.AlreadySent != 1 || rep.Failed != 1 {
		t.Fatalf("retry: %+v %v", rep, err)
	}
	if got := count(); got["a@x.example"] != 1 || got["b@x.example"] != 2 || got["c@x.example"] != 1 || got["bad@x.example"] != 0 {
		t.Errorf("after the retry: %v", got)
	}
	var ids []string
	for _, r := range mb.Messages() {
		if r.To[0] == "b@x.example" {
			ids = append(ids, smtptest.Parse(t, r.Raw).MessageID)
		}
	}
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("b's Message-IDs %v", ids)
	}
	if len(*slept) != 2 || (*slept)[0] != time.Second || (*slept)[1] != 2*time.Second {
		t.Errorf("backoff %v", *slept)
	}
	var attempts int
	var lastErr string
	m.Store.DB().QueryRow(`SELECT attempts, last_error FROM mail_deliveries WHERE recipient = 'bad@x.example'`).Scan(&attempts, &lastErr)
	if status("bad@x.example") != "failed" || attempts != 3 || !strings.Contains(lastErr, "550") {
		t.Errorf("bad: %s, %d attempts, %q", status("bad@x.example"), attempts, lastErr)
	}

	// The mailbox is fixed: the next run sends only what is still owed.
	mb.Refuse("bad@x.example", false)
	rep, err = m.Send(ctx, all)
	if err != nil || rep.Sent != 1 || rep.AlreadySent != 3 {
		t.Fatalf("third run: %+v %v", rep, err)
	}
	if got := count(); got["a@x.example"] != 1 || got["b@x.example"] != 2 || got["c@x.example"] != 1 || got["bad@x.example"] != 1 {
		t.Errorf("in the end: %v", got)
	}
}

// A reminder fits its date: before the deadline it names the deadline;
// after it, it says the data is late, as a new message even where the
// first reminder went out. Both point to the web upload, never to the
// server's inbox folder, and end with the system's address.
func TestReminderFitsItsDate(t *testing.T) {
	mb := smtptest.Start(t)
	m, _ := newMailer(t, mb)
	m.Config.Cities = map[string][]string{"210100": {"shenyang@city.example"}}
	m.Config.Link = "https://flexemp.hrss.example/"
	if err := m.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	now := clock
	env := &schedules.Env{Store: m.Store, Mailer: m, Now: func() time.Time { return now }}
	var reminder schedules.Job
	for _, j := range env.Jobs(schedules.Specs{}) {
		if j.Name == schedules.JobReminder {
			reminder = j
		}
	}
	cst := clock.Location()
	for _, planned := range []time.Time{
		time.Date(2024, 4, 10, 9, 0, 0, 0, cst),
		time.Date(2024, 4, 12, 9, 0, 0, 0, cst),
		time.Date(2024, 4, 12, 9, 5, 0, 0, cst), // a rerun sends nothing new
	} {
		now = planned
		if _, err := reminder.Run(context.Background(), planned); err != nil {
			t.Fatal(err)
		}
	}
	msgs := mb.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the reminder and the late one", len(msgs))
	}
	onTime, late := smtptest.Parse(t, msgs[0].Raw), smtptest.Parse(t, msgs[1].Raw)
	if !strings.HasPrefix(onTime.Subject, "【提醒】沈阳市2024年3月") || !strings.Contains(onTime.Text, "报送截止时间为 2024年4月10日 24:00") {
		t.Errorf("on time: %q\n%s", onTime.Subject, onTime.Text)
	}
	if !strings.HasPrefix(late.Subject, "【逾期】沈阳市2024年3月") || !strings.Contains(late.Subject, "已过截止时间") ||
		!strings.Contains(late.Text, "截至 2024年4月12日 09:00") || !strings.Contains(late.Text, "2024年4月10日 24:00（北京时间）已过") ||
		strings.Contains(late.Text, "逾期将计入") {
		t.Errorf("late: %q\n%s", late.Subject, late.Text)
	}
	for _, p := range []*smtptest.Parsed{onTime, late} {
		if strings.Contains(p.Text, "收件目录") || !strings.Contains(p.Text, "数据上传") ||
			!strings.Contains(p.Text, "考核系统：https://flexemp.hrss.example/") ||
			!strings.Contains(p.HTML, `<a href="https://flexemp.hrss.example/">`) {
			t.Errorf("%q does not point to the web upload and the system:\n%s", p.Subject, p.Text)
		}
	}
}

// A reminder planned before the deadline but caught up after it (serve
// was down on the 10th) is sent as overdue, dated when it is sent.
func TestCaughtUpReminderIsOverdue(t *testing.T) {
	mb := smtptest.Start(t)
	m, _ := newMailer(t, mb)
	m.Config.Cities = map[string][]string{"210100": {"shenyang@city.example"}}
	cst := clock.Location()
	sent := time.Date(2024, 4, 11, 8, 0, 0, 0, cst)
	env := &schedules.Env{Store: m.Store, Mailer: m, Now: func() time.Time { return sent }}
	for _, j := range env.Jobs(schedules.Specs{}) {
		if j.Name == schedules.JobReminder {
			if _, err := j.Run(context.Background(), time.Date(2024, 4, 10, 9, 0, 0, 0, cst)); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgs := mb.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if p := smtptest.Parse(t, msgs[0].Raw); !strings.HasPrefix(p.Subject, "【逾期】") || !strings.Contains(p.Text, "截至 2024年4月11日 08:00") {
		t.Errorf("a reminder caught up after the deadline: %q\n%s", p.Subject, p.Text)
	}
}

func TestMailLinkValidated(t *testing.T) {
	for _, link := range []string{"flexemp.hrss.example", "ftp://flexemp.hrss.example/", "https://"} {
		err := schedules.MailConfig{Link: link}.Validate()
		if err == nil || !strings.Contains(err.Error(), "[mail] link") {
			t.Errorf("link %q: %v", link, err)
		}
	}
}

// Withdrawing a publication mails every city and the province its time
// and reason.
func TestWithdrawalMailed(t *testing.T) {
	mb := smtptest.Start(t)
	m := provinceMailer(t, mb)
	env := &schedules.Env{Store: m.Store, Mailer: m, Now: func() time.Time { return clock }}
	pub := &issuing.Publication{ID: 3, Period: flexemp.Period{Year: 2024, Quarter: 1}, Edition: 2, SHA256: strings.Repeat("c", 64),
		Withdrawn: &issuing.Withdrawal{At: clock, By: "token:1", Reason: "大连数据有误，撤回重审"}}
	if err := env.Withdrawn(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, msg := range mb.Messages() {
		p := smtptest.Parse(t, msg.Raw)
		if !strings.Contains(p.Subject, "撤回") || !strings.Contains(p.Text, "大连数据有误，撤回重审") || !strings.Contains(p.Text, "2024-04-15 09:00") ||
			!strings.Contains(p.Text, issuing.Withdrawn) {
			t.Errorf("to %s: %q\n%s", msg.To[0], p.Subject, p.Text)
		}
		got[msg.To[0]] = true
	}
	if len(got) != 1+len(flexemp.Cities) || !got["province@hrss.example"] || !got["210200@city.example"] {
		t.Errorf("the withdrawal reached %d of %d", len(got), 1+len(flexemp.Cities))
	}
}

// A step's mail is owed from the step's own commit: mail cut off part way
// (here the process "dies" right after the server accepted the fifth
// message, before recording it) is finished by whoever runs next, and every
// recipient gets exactly one — the message caught at the crash at most
// twice, as README says.
func TestOwedMailResumed(t *testing.T) {
	mb := smtptest.Start(t)
	m := provinceMailer(t, mb)
	ctx := context.Background()
	// A withdrawn publication whose step committed, its mail owed.
	for _, q := range []string{
		`INSERT INTO publications (publication_id, period, edition, revision_reason, run_id, as_of, config_hash, seed, last_upload,
			published_at, published_by, window_end, withdrawn_at, withdrawn_by, withdraw_reason)
			VALUES (1, '2024Q1', 1, '', 1, DATE '2024-04-20', 'x', 1, 1, TIMESTAMPTZ '2024-04-21 10:00:00+08', 'token:1',
			TIMESTAMPTZ '2024-04-29 00:00:00+08', TIMESTAMPTZ '2024-04-22 10:00:00+08', 'token:1', '数据有误')`,
		`INSERT INTO issued_files VALUES (1, 'published', 'rank.json', 'c0ffee', '{}'::BLOB)`,
		`INSERT INTO owed_notices (notice_id, step, publication_id, created_at) VALUES (1, 'withdrawn', 1, TIMESTAMPTZ '2024-04-22 10:00:00+08')`,
	} {
		if _, err := m.Store.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	accepted := 0
	m.AfterAccept = func(string) error {
		if accepted++; accepted == 5 {
			return errors.New("killed")
		}
		return nil
	}
	crashed := &issuing.Issuer{Store: m.Store, Notify: &schedules.Env{Store: m.Store, Mailer: m, Now: func() time.Time { return clock }}}
	if _, err := crashed.ResumeNotices(ctx); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the cut-off mailing: %v", err)
	}
	if got := len(mb.Messages()); got != 5 {
		t.Fatalf("%d messages before the crash, want 5", got)
	}
	// The next process.
	m.AfterAccept = nil
	next := &issuing.Issuer{Store: m.Store, Notify: &schedules.Env{Store: m.Store, Mailer: m, Now: func() time.Time { return clock }}}
	if n, err := next.ResumeNotices(ctx); err != nil || n != 1 {
		t.Fatalf("resumed %d notices: %v", n, err)
	}
	if n, err := next.ResumeNotices(ctx); err != nil || n != 0 {
		t.Errorf("a done notice resumed again: %d %v", n, err)
	}
	count := map[string]int{}
	for _, msg := range mb.Messages() {
		count[msg.To[0]]++
	}
	twice := 0
	for _, to := range append([]string{"province@hrss.example"}, func() []string {
		var out []string
		for _, c := range flexemp.Cities {
			out = append(out, c.Code+"@city.example")
		}
		return out
	}()...) {
		switch count[to] {
		case 1:
		case 2:
			twice++
		default:
			t.Errorf("%s received %d", to, count[to])
		}
	}
	if twice > 1 {
		t.Errorf("%d recipients mailed twice, at most the one caught at the crash", twice)
	}
}

// provinceMailer is a mailer whose province and every city have one address:
// province@hrss.example and <code>@city.example.
func provinceMailer(t *testing.T, mb *smtptest.Mailbox) *schedules.Mailer {
	m, _ := newMailer(t, mb)
	m.Config.Province = []string{"province@hrss.example"}
	m.Config.Cities = map[string][]string{}
	for _, c := range flexemp.Cities {
		m.Config.Cities[c.Code] = []string{c.Code + "@city.example"}
	}
	return m
}
