package schedules_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/smtptest"
	"github.com/liaoning-hrss/flexemp/schedules"
)

// robot is a group-robot webhook on loopback: it keeps what is posted and
// answers as told (200 errcode 0 by default).
type robot struct {
	mu     sync.Mutex
	posts  []map[string]any
	answer func(n int) (status int, body string)
}

func (r *robot) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	var post map[string]any
	json.Unmarshal(b, &post)
	r.mu.Lock()
	r.posts = append(r.posts, post)
	n, answer := len(r.posts), r.answer
	r.mu.Unlock()
	status, body := 200, `{"errcode":0,"errmsg":"ok"}`
	if answer != nil {
		status, body = answer(n)
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (r *robot) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.posts)
}

// The bulletin job on the 12th: the year's dispatch as of the day, kept,
// mailed (HTML and PDF) to the province and every city — the same
// circular, every city's rates and statuses and nothing else — and posted
// once to the webhook in the robots' markdown format; a rerun sends and
// posts nothing new; a webhook answering 500 is retried with backoff and
// recorded, and posts on the next run without holding the mail back; a
// post a crash caught between the robot's answer and its record is not
// posted again.
func TestBulletinMailedAndPosted(t *testing.T) {
	mb := smtptest.Start(t)
	m := provinceMailer(t, mb)
	m.Config.Link = "https://flexemp.hrss.example/"
	ctx := context.Background()
	// 沈阳 sends its services for the first quarter of 2024; 大连 sends nothing.
	for i, month := range []string{"2024-01", "2024-02", "2024-03"} {
		mo, _ := flexemp.ParseMonth(month)
		path := filepath.Join(t.TempDir(), "s.csv")
		f, _ := os.Create(path)
		w := csv.NewWriter(f)
		var head []string
		for _, c := range flexemp.ContractOf(flexemp.Services).ColumnsAt(mo) {
			head = append(head, c.Header)
		}
		w.Write(head)
		w.Write([]string{"210100", month, "3", "500", fmt.Sprint(300 + 100*i), "20", "5", "10", "2", "2"})
		w.Flush()
		f.Close()
		if _, err := m.Store.Ingest(ctx, ingest.Request{Path: path, City: "210100", Kind: flexemp.Services, Month: mo, ReceivedAt: mo.Deadline().Add(-72 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	ref := flexemp.DefaultReference()
	ref.Targets = []flexemp.Target{{Year: 2024, City: "210100", Task: "T4", Target: 4000}, {Year: 2024, City: "210200", Task: "T4", Target: 3000}}
	now := time.Date(2024, 4, 12, 9, 0, 0, 0, flexemp.Shanghai)
	rb := &robot{}
	srv := httptest.NewServer(rb)
	defer srv.Close()
	var slept []time.Duration
	env := &schedules.Env{Store: m.Store, Mailer: m, Now: func() time.Time { return now }, ReportsDir: t.TempDir(),
		Dispatcher: &dispatch.Dispatcher{Store: m.Store, Reference: ref, Now: func() time.Time { return now }},
		Poster: &schedules.Poster{Config: schedules.NotifyConfig{WebhookURLs: []string{srv.URL + "/robot/send?key=robot-secret"}}, Store: m.Store,
			Now: func() time.Time { return now }, Sleep: func(d time.Duration) { slept = append(slept, d) }}}
	var job schedules.Job
	for _, j := range env.Jobs(schedules.Specs{}) {
		if j.Name == schedules.JobBulletin {
			job = j
		}
	}
	if job.Spec != "0 9 12 * *" {
		t.Fatalf("the bulletin job's schedule %q", job.Spec)
	}
	res, err := job.Run(ctx, now)
	if err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	msgs := mb.Messages()
	if len(msgs) != 15 || rb.count() != 1 {
		t.Fatalf("%d mails and %d posts, want 15 and 1: %+v", len(msgs), rb.count(), res)
	}
	title := "全省灵活就业政策落实情况调度通报（2024年，截至3月）"
	for _, raw := range msgs {
		p := smtptest.Parse(t, raw.Raw)
		pdf := p.Attachments["调度通报-2024-03.pdf"]
		html := string(p.Attachments["调度通报-2024-03.html"])
		if p.Subject != title || !strings.HasPrefix(string(pdf), "%PDF-") || !strings.Contains(html, title) {
			t.Fatalf("%s: subject %q, %d bytes of PDF, HTML has the title: %v", raw.To[0], p.Subject, len(pdf), strings.Contains(html, title))
		}
		// 沈阳 1200 of 4000 = 30.0% at 25% (3/12): 5 pp ahead, 超前; 大连
		// sent nothing: 未报送; the cities without targets are not listed.
		if !strings.Contains(p.Text, "30.0% 超前") || !strings.Contains(p.Text, "0.0% 未报送") || strings.Contains(p.Text, "鞍山") {
			t.Errorf("%s: the status table is missing:\n%s", raw.To[0], p.Text)
		}
		for _, leak := range []string{"指数", "I1", "核查", "名次"} {
			if strings.Contains(p.Text, leak) {
				t.Errorf("%s: the bulletin mail carries %q", raw.To[0], leak)
			}
		}
	}
	md := rb.posts[0]["markdown"].(map[string]any)
	if rb.posts[0]["msgtype"] != "markdown" || md["title"] != title || !strings.Contains(md["content"].(string), "零工对接服务人次：完成 1200 / 目标 7000") ||
		!strings.Contains(md["content"].(string), "(https://flexemp.hrss.example/dispatch)") {
		t.Errorf("the post: %v", rb.posts[0])
	}
	var kept int
	var host string
	m.Store.DB().QueryRow(`SELECT count(*) FROM bulletins`).Scan(&kept)
	m.Store.DB().QueryRow(`SELECT host FROM webhook_posts`).Scan(&host)
	if kept != 1 || strings.Contains(host, "robot-secret") {
		t.Errorf("%d bulletins kept; the webhook recorded as %q", kept, host)
	}

	// A rerun: nothing new.
	if _, err := job.Run(ctx, now); err != nil || len(mb.Messages()) != 15 || rb.count() != 1 {
		t.Fatalf("a rerun: %v, %d mails, %d posts", err, len(mb.Messages()), rb.count())
	}

	// The next month, the robot answers 500: three attempts with backoff,
	// recorded; the mail goes out all the same; the next run posts once.
	// From here chromium is gone: the bulletin goes as HTML, and says why.
	now = time.Date(2024, 5, 12, 9, 0, 0, 0, flexemp.Shanghai)
	rb.answer = func(int) (int, string) { return 500, "busy" }
	env.PDF = func(context.Context, []byte) ([]byte, error) { return nil, errors.New("no chromium") }
	res, err = job.Run(ctx, now)
	if p := smtptest.Parse(t, mb.Messages()[len(mb.Messages())-1].Raw); len(p.Attachments) != 1 || !strings.Contains(res.Warning, "无法打印 PDF") {
		t.Errorf("without a browser: attachments %v, warning %q", keys(p.Attachments), res.Warning)
	}
	if err == nil || !strings.Contains(err.Error(), "群机器人推送失败") || len(mb.Messages()) != 30 || rb.count() != 4 ||
		len(slept) != 2 || slept[0] != time.Second || slept[1] != 2*time.Second {
		t.Fatalf("a robot answering 500: %v, %d mails, %d posts, slept %v", err, len(mb.Messages()), rb.count(), slept)
	}
	var status, lastErr string
	m.Store.DB().QueryRow(`SELECT status, last_error FROM webhook_posts WHERE post_key = 'bulletin:2024-04'`).Scan(&status, &lastErr)
	if status != "failed" || lastErr != "HTTP 500" {
		t.Errorf("the failed post recorded as %s %q", status, lastErr)
	}
	rb.answer = nil
	if _, err := job.Run(ctx, now.Add(time.Hour)); err != nil || rb.count() != 5 || len(mb.Messages()) != 30 {
		t.Errorf("the retry: %v, %d posts, %d mails", err, rb.count(), len(mb.Messages()))
	}

	// A robot that hangs: each attempt gives up at the client's timeout,
	// the mail has gone out first, and the run ends.
	now = time.Date(2024, 7, 12, 9, 0, 0, 0, flexemp.Shanghai)
	hang := make(chan struct{})
	rb.answer = func(int) (int, string) { <-hang; return 200, `{"errcode":0}` }
	env.Poster.Client = &http.Client{Timeout: 200 * time.Millisecond}
	start := time.Now()
	if _, err := job.Run(ctx, now); err == nil || len(mb.Messages()) != 45 || rb.count() != 8 || time.Since(start) > time.Minute {
		t.Errorf("a hanging robot: %v, %d mails, %d posts", err, len(mb.Messages()), rb.count())
	}
	close(hang)
	rb.answer, env.Poster.Client = nil, nil
	now = time.Date(2024, 6, 12, 9, 0, 0, 0, flexemp.Shanghai)

	// A crash between the robot's answer and the record: the next run does
	// not post again (the group would see it twice) and says so.
	now = time.Date(2024, 6, 12, 9, 0, 0, 0, flexemp.Shanghai)
	env.Poster.AfterPost = func() error { return context.Canceled }
	posts := rb.count()
	if _, err := job.Run(ctx, now); err == nil || rb.count() != posts+1 {
		t.Fatalf("the crash: %v, %d posts", err, rb.count()-posts)
	}
	env.Poster.AfterPost = nil
	res, err = job.Run(ctx, now.Add(time.Hour))
	if err != nil || rb.count() != posts+1 || !strings.Contains(res.Warning, "可能已送达，未重发") {
		t.Errorf("after the crash: %v, %d posts, %+v", err, rb.count(), res)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
