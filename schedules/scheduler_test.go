package schedules_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/testclock"
	"github.com/liaoning-hrss/flexemp/schedules"
)

func newScheduler(t *testing.T, clock *testclock.Clock, jobs ...schedules.Job) *schedules.Scheduler {
	s := &schedules.Scheduler{Store: openStore(t), Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, j := range jobs {
		if err := s.Add(j); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func noop(context.Context, time.Time) (schedules.Result, error) { return schedules.Result{}, nil }

// The default schedules fall at their times in Asia/Shanghai, whatever the
// machine's zone.
func TestSchedulesInShanghai(t *testing.T) {
	clock := testclock.New(time.Time{})
	var jobs []schedules.Job
	for _, j := range (&schedules.Env{}).Jobs(schedules.Specs{Inbox: "0 * * * *"}) {
		j.Run = noop
		jobs = append(jobs, j)
	}
	s := newScheduler(t, clock, jobs...)
	due := s.Due(testclock.Shanghai("2024-04-01 00:00"), testclock.Shanghai("2024-04-30 23:59"))
	byJob := map[string][]time.Time{}
	for _, d := range due {
		byJob[d.Job] = append(byJob[d.Job], d.At)
	}
	if r := byJob["report"]; len(r) != 1 || !r[0].Equal(time.Date(2024, 4, 15, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("report %v, want 2024-04-15 09:00 +08:00 = 01:00 UTC", r)
	}
	if r := byJob["reminder"]; len(r) != 1 || !r[0].Equal(testclock.Shanghai("2024-04-10 09:00")) {
		t.Errorf("reminder %v", r)
	}
	if a := byJob["assess"]; len(a) != 30 || !a[0].Equal(testclock.Shanghai("2024-04-01 02:30")) || a[0].UTC().Hour() != 18 {
		t.Errorf("assess: %d runs, first %v", len(a), a[0])
	}
	if n := len(byJob["inbox"]); n != 30*24-1 {
		t.Errorf("%d inbox runs", n)
	}
	for i := 1; i < len(due); i++ {
		if due[i].At.Before(due[i-1].At) {
			t.Fatal("due runs out of order")
		}
	}
}

// A run that starts while the last one is still going is skipped, and the
// skip is recorded; a panic is recorded as a failure and does not block the
// next run.
func TestOverlapSkippedAndPanicRecorded(t *testing.T) {
	clock := testclock.New(testclock.Shanghai("2024-04-02 02:30"))
	release := make(chan struct{})
	started := make(chan struct{})
	var calls int
	var mu sync.Mutex
	slow := schedules.Job{Name: "slow", Spec: "30 2 * * *", Run: func(ctx context.Context, planned time.Time) (schedules.Result, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			close(started)
			<-release
		}
		if n == 2 {
			panic("boom")
		}
		return schedules.Result{Detail: "done"}, nil
	}}
	s := newScheduler(t, clock, slow)
	done := make(chan struct{})
	go func() { s.Trigger("slow"); close(done) }()
	<-started
	s.Trigger("slow") // overlaps: skipped at once
	close(release)
	<-done
	s.Trigger("slow") // panics
	s.Trigger("slow") // still runs
	runs, err := schedules.Runs(context.Background(), s.Store.DB(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for i := len(runs) - 1; i >= 0; i-- {
		outcomes = append(outcomes, runs[i].Outcome)
	}
	// By recording: the first run's row is written when it starts.
	want := []string{schedules.OK, schedules.Skipped, schedules.Failed, schedules.OK}
	if len(outcomes) != len(want) {
		t.Fatalf("outcomes %v, want %v (in order of recording)", outcomes, want)
	}
	for i := range want {
		if outcomes[i] != want[i] {
			t.Errorf("outcomes %v, want %v", outcomes, want)
			break
		}
	}
	for _, r := range runs {
		if !r.Planned.Equal(testclock.Shanghai("2024-04-02 02:30")) {
			t.Errorf("run %d planned %v", r.ID, r.Planned)
		}
		if r.Outcome == schedules.Failed && r.Error != "panic: boom" {
			t.Errorf("failure recorded as %q", r.Error)
		}
	}
	if calls != 3 {
		t.Errorf("%d calls", calls)
	}
}

// A run missed while the process was down is caught up once at start, for
// the latest scheduled time only.
func TestMissedRunCaughtUpOnce(t *testing.T) {
	clock := testclock.New(testclock.Shanghai("2024-04-18 12:00"))
	var order []string
	var planned []time.Time
	report := schedules.Job{Name: "report", Spec: "0 9 15 * *", Run: func(ctx context.Context, p time.Time) (schedules.Result, error) {
		planned = append(planned, p)
		order = append(order, "report")
		return schedules.Result{}, nil
	}}
	failing := schedules.Job{Name: "assess", Spec: "30 2 * * *", Run: func(context.Context, time.Time) (schedules.Result, error) {
		order = append(order, "assess")
		return schedules.Result{}, errors.New("no data")
	}}
	s := newScheduler(t, clock, report, failing)
	// A new database has missed nothing.
	if err := s.CatchUp(context.Background()); err != nil || len(order) != 0 {
		t.Fatalf("a new database caught up %v (%v)", order, err)
	}
	ranBefore(t, s, testclock.Shanghai("2024-04-01 06:00"))
	for range 2 {
		if err := s.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(planned) != 1 || !planned[0].Equal(testclock.Shanghai("2024-04-15 09:00")) {
		t.Errorf("caught up %v, want once for 2024-04-15 09:00", planned)
	}
	// In the order they were due: the report of the 15th before last night's assessment.
	if strings.Join(order, ",") != "report,assess" {
		t.Errorf("caught up in the order %v", order)
	}
	runs, _ := schedules.Runs(context.Background(), s.Store.DB(), 0)
	if len(runs) != 3 {
		t.Fatalf("%d runs recorded", len(runs))
	}
	// A failed run counts as run: it shows in the list, it is not repeated.
	for _, r := range runs {
		if r.Job == "assess" && (r.Outcome != schedules.Failed || r.Error != "no data" || !r.Planned.Equal(testclock.Shanghai("2024-04-18 02:30"))) {
			t.Errorf("assess run %+v", r)
		}
	}
	// The next month the process was up: nothing to catch up.
	clock.Set(testclock.Shanghai("2024-05-15 09:00"))
	s.Trigger("report")
	s.Trigger("assess")
	clock.Set(testclock.Shanghai("2024-05-15 10:00"))
	s.CatchUp(context.Background())
	if len(planned) != 2 {
		t.Errorf("report ran %d times", len(planned))
	}
}

// A started scheduler catches up in the background; at shutdown a run in
// progress sees its context end, and Wait returns once it is recorded.
func TestStartAndWait(t *testing.T) {
	clock := testclock.New(testclock.Shanghai("2024-04-18 12:00"))
	running := make(chan struct{})
	job := schedules.Job{Name: "assess", Spec: "30 2 * * *", Run: func(ctx context.Context, _ time.Time) (schedules.Result, error) {
		close(running)
		<-ctx.Done()
		return schedules.Result{}, ctx.Err()
	}}
	s := newScheduler(t, clock, job)
	ranBefore(t, s, testclock.Shanghai("2024-04-01 06:00"))
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	<-running
	cancel()
	s.Wait()
	runs, _ := schedules.Runs(context.Background(), s.Store.DB(), 0)
	if len(runs) != 2 || runs[0].Outcome != schedules.Failed || runs[0].Ended == nil || runs[0].Error != "context canceled" {
		t.Errorf("runs %+v", runs)
	}
}

// ranBefore records a run of an inbox at a time: the scheduler was up then.
func ranBefore(t *testing.T, s *schedules.Scheduler, at time.Time) {
	t.Helper()
	if _, err := s.Store.DB().Exec(`INSERT INTO job_runs (run_id, job, planned_at, started_at, ended_at, outcome)
		SELECT coalesce(max(run_id), 0) + 1, 'inbox', ?, ?, ?, 'ok' FROM job_runs`, at, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestMonthInName(t *testing.T) {
	for name, want := range map[string]string{
		"211100_trainings_2024-03.csv": "2024-03", "沈阳2024年3月登记.xlsx": "2024-03", "registrations_202411.csv": "2024-11",
		"subsidies-2024.7.parquet": "2024-07", "2024_12_services.csv": "2024-12", "登记.csv": "", "report-2024Q1.csv": "",
	} {
		m, ok := ingest.MonthInName(name)
		if got := m.String(); ok != (want != "") || ok && got != want {
			t.Errorf("%s: %s %v, want %q", name, got, ok, want)
		}
	}
}

// Trigger answers with the run it started, though another job's run was
// recorded after it began (the inbox firing meanwhile), and with the skip
// it recorded when the job was still running.
func TestTriggerAnswersItsOwnRun(t *testing.T) {
	clock := testclock.New(testclock.Shanghai("2024-04-02 02:30"))
	var s *schedules.Scheduler
	release, started := make(chan struct{}), make(chan struct{})
	report := schedules.Job{Name: "report", Spec: "0 9 15 * *", Run: func(ctx context.Context, planned time.Time) (schedules.Result, error) {
		if _, err := s.Trigger("inbox"); err != nil { // another job's run, recorded meanwhile
			return schedules.Result{}, err
		}
		close(started)
		<-release
		return schedules.Result{Detail: "report sent"}, nil
	}}
	inbox := schedules.Job{Name: "inbox", Spec: "*/5 * * * *", Run: func(ctx context.Context, planned time.Time) (schedules.Result, error) {
		return schedules.Result{Detail: "nothing new"}, nil
	}}
	s = newScheduler(t, clock, report, inbox)
	done := make(chan *schedules.Run)
	go func() {
		r, err := s.Trigger("report")
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-started
	skipped, err := s.Trigger("report")
	if err != nil || skipped == nil || skipped.Job != "report" || skipped.Outcome != schedules.Skipped || skipped.Error != schedules.StillRunning {
		t.Errorf("a trigger while the job runs: %+v %v", skipped, err)
	}
	close(release)
	r := <-done
	if r == nil || r.Job != "report" || r.Outcome != schedules.OK || r.Detail != "report sent" {
		t.Errorf("the trigger answered %+v, want the report run it started", r)
	}
	if _, err := s.Trigger("nosuch"); flexemp.ErrorCode(err) != flexemp.ENOTFOUND || !strings.Contains(flexemp.ErrorMessage(err), "没有任务") {
		t.Errorf("an unknown job: %v", err)
	}
}

// A report caught up after the nightly assessment ran (serve was down on
// the 15th) shows the newer assessment instead of reassessing as of its own
// earlier date: the ranking never goes back in time.
func TestCaughtUpReportNeverGoesBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	man, err := gen.Generate(filepath.Join(dir, "data"), gen.Options{Seed: 5, Scale: 0.002,
		From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 3}})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	for _, f := range man.Files {
		at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
		m, _ := flexemp.ParseMonth(f.Month)
		if _, err := st.Ingest(ctx, ingest.Request{Path: filepath.Join(dir, "data", f.Path), City: f.City, Kind: f.Kind, Month: m, ReceivedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	now := testclock.Shanghai("2024-04-18 12:00")
	env := &schedules.Env{Store: st, Now: func() time.Time { return now }, ReportsDir: filepath.Join(dir, "reports")}
	jobs := map[string]schedules.Job{}
	for _, j := range env.Jobs(schedules.Specs{}) {
		jobs[j.Name] = j
	}
	if _, err := jobs[schedules.JobAssess].Run(ctx, testclock.Shanghai("2024-04-18 02:30")); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs[schedules.JobReport].Run(ctx, testclock.Shanghai("2024-04-15 09:00")); err != nil {
		t.Fatal(err)
	}
	var runs int
	var asOf time.Time
	if err := st.DB().QueryRow(`SELECT count(*), max(as_of) FROM assessment_runs WHERE period = '2024'`).Scan(&runs, &asOf); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || asOf.Format("2006-01-02") != "2024-04-18" {
		t.Errorf("%d assessments of 2024, the latest as of %s: want the one as of 2024-04-18 alone", runs, asOf.Format("2006-01-02"))
	}
	if _, err := os.Stat(filepath.Join(dir, "reports", "2024", "report.html")); err != nil {
		t.Error(err)
	}
}
