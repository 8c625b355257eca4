package schedules_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp/internal/smtptest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// openStore is a store over a new database that takes no uploads.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	db, err := transform.Open(context.Background(), filepath.Join(t.TempDir(), "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store.New(db, nil, metrics.AssessOptions{})
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
