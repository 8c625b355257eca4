// Package schedules runs the monthly rhythm inside `flexemp serve`: picking
// up files from the inbox folder, the nightly assessment, the monthly report
// and mail on the 15th, and the reminder on the 10th. Every run is recorded
// in job_runs; a run missed while the process was down is caught up once at
// start.
package schedules

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/store"
)

// Outcomes of a job run.
const (
	Running = "running"
	OK      = "ok"
	Warning = "warning" // done, with something the operator should know
	Failed  = "failed"
	Skipped = "skipped" // the previous run was still going, or there was nothing to do

	// StillRunning is the reason of a run skipped because the last one
	// was still going.
	StillRunning = "上一次运行尚未结束，本次跳过"
)

// Result is what a job run reports: a line of detail, a warning that makes
// the outcome Warning, and a reason that makes it Skipped.
type Result struct {
	Detail  string
	Warning string
	Skip    string
}

// Job is one scheduled job.
type Job struct {
	Name string
	Spec string // standard five-field cron spec, in Asia/Shanghai
	Run  func(ctx context.Context, planned time.Time) (Result, error)
}

// Scheduler runs jobs on their schedules and records every run.
type Scheduler struct {
	Store   *store.Store // job runs are recorded through it
	Now     func() time.Time
	Log     *slog.Logger
	Timeout time.Duration // longest a run may take; default 1 hour

	mu      sync.Mutex
	runs    *prometheus.CounterVec // by job and outcome
	entries map[string]*entry
	order   []string
	cron    *cron.Cron
	ctx     context.Context
	stopped chan struct{}
}

type entry struct {
	job      Job
	schedule cron.Schedule
	wrapped  cron.Job // the job behind cron's Recover and SkipIfStillRunning
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Add registers a job; its spec is read in Asia/Shanghai.
func (s *Scheduler) Add(j Job) error {
	sched, err := parser.Parse("CRON_TZ=Asia/Shanghai " + j.Spec)
	if err != nil {
		return fmt.Errorf("job %s: schedule %q: %w", j.Name, j.Spec, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = map[string]*entry{}
	}
	e := &entry{job: j, schedule: sched}
	// SkipIfStillRunning outside Recover, so a panic cannot leave the job
	// marked as running for ever. Both report through a logger that records.
	l := runLogger{s: s, job: j.Name}
	e.wrapped = cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(func() {
		s.run(s.context(), j, s.Now().In(flexemp.Shanghai).Truncate(time.Minute))
	}))
	s.entries[j.Name] = e
	s.order = append(s.order, j.Name)
	return nil
}

func (s *Scheduler) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// Jobs are the registered jobs' names in the order they were added.
func (s *Scheduler) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// Start catches up missed runs in the background, then runs the jobs on
// their schedules until ctx ends. A run in progress then sees its context
// cancelled; Wait returns once it has ended.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.stopped = make(chan struct{})
	s.cron = cron.New(cron.WithLocation(flexemp.Shanghai), cron.WithParser(parser))
	for _, name := range s.order {
		e := s.entries[name]
		s.cron.Schedule(e.schedule, e.wrapped)
	}
	s.mu.Unlock()
	go func() {
		defer close(s.stopped)
		if err := s.CatchUp(ctx); err != nil {
			s.log().Error("catching up missed runs", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		s.cron.Start()
		<-ctx.Done()
		<-s.cron.Stop().Done()
	}()
}

// Wait returns when a started scheduler has stopped and its runs have
// ended.
func (s *Scheduler) Wait() {
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped != nil {
		<-stopped
	}
}

// Trigger runs a job now as its schedule would: through cron's Recover and
// SkipIfStillRunning, planned at the current minute. It returns when the run
// ends, or at once when it is skipped, with the run it recorded — not a
// run of another job that ended meanwhile.
func (s *Scheduler) Trigger(name string) (*Run, error) {
	s.mu.Lock()
	e, ok := s.entries[name]
	s.mu.Unlock()
	if !ok {
		return nil, flexemp.Errorf(flexemp.ENOTFOUND, "没有任务“%s”（任务：%s）", name, strings.Join(s.Jobs(), "、"))
	}
	ctx := context.Background()
	var before int64
	if err := s.Store.DB().QueryRowContext(ctx, `SELECT coalesce(max(run_id), 0) FROM job_runs`).Scan(&before); err != nil {
		return nil, err
	}
	e.wrapped.Run()
	// The first run of this job recorded since: the one this call started,
	// or the skip it recorded while another run of the job was going.
	runs, err := queryRuns(ctx, s.Store.DB(), `WHERE job = ? AND run_id > ? ORDER BY run_id LIMIT 1`, name, before)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	return &runs[0], nil
}

// Due lists the scheduled times of every job in (from, to], in time order.
func (s *Scheduler) Due(from, to time.Time) []Due {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Due
	for _, name := range s.order {
		e := s.entries[name]
		for t := e.schedule.Next(from); !t.After(to); t = e.schedule.Next(t) {
			out = append(out, Due{Job: name, At: t})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Due is one scheduled run.
type Due struct {
	Job string
	At  time.Time
}

// CatchUp runs, once, each job whose latest scheduled time up to now has no
// recorded run while the scheduler had run before it: the process was down
// then. A database whose scheduler never ran (a new one) has missed
// nothing. The runs go in the order they were due, each planned at its own
// time.
func (s *Scheduler) CatchUp(ctx context.Context) error {
	now := s.Now()
	var first sql.NullTime
	if err := s.Store.DB().QueryRowContext(ctx, `SELECT min(planned_at) FROM job_runs`).Scan(&first); err != nil {
		return err
	}
	if !first.Valid {
		return nil
	}
	var due []Due
	for _, name := range s.Jobs() {
		s.mu.Lock()
		e := s.entries[name]
		s.mu.Unlock()
		last, ok := lastBefore(e.schedule, now)
		if !ok || !last.After(first.Time) {
			continue
		}
		var n int
		if err := s.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM job_runs WHERE job = ? AND planned_at >= ?`, name, last).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			due = append(due, Due{Job: name, At: last})
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].At.Before(due[j].At) })
	for _, d := range due {
		s.mu.Lock()
		e := s.entries[d.Job]
		s.mu.Unlock()
		s.log().Info("catching up a missed run", "job", d.Job, "planned", d.At)
		s.run(ctx, e.job, d.At)
	}
	return nil
}

// lastBefore is the schedule's latest time at or before now, looking back
// up to 40 days.
func lastBefore(sched cron.Schedule, now time.Time) (time.Time, bool) {
	var last time.Time
	for t := sched.Next(now.AddDate(0, 0, -40)); !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last, !last.IsZero()
}

// run runs a job once and records it: a row when it starts, completed when
// it ends, whatever happens.
func (s *Scheduler) run(ctx context.Context, j Job, planned time.Time) {
	started := s.Now()
	var id int64
	if err := s.Store.Write(func() error {
		return s.Store.DB().QueryRowContext(ctx, `INSERT INTO job_runs (run_id, job, planned_at, started_at, outcome)
			SELECT coalesce(max(run_id), 0) + 1, ?, ?, ?, ? FROM job_runs RETURNING run_id`, j.Name, planned, started, Running).Scan(&id)
	}); err != nil {
		s.log().Error("recording a job run", "job", j.Name, "err", err)
		return
	}
	outcome, errText, detail := Failed, "", ""
	defer func() {
		if r := recover(); r != nil {
			errText = fmt.Sprintf("panic: %v", r)
			s.finish(id, j.Name, Failed, errText, detail)
			panic(r) // for cron's Recover to log
		}
		s.finish(id, j.Name, outcome, errText, detail)
	}()
	timeout := s.Timeout
	if timeout == 0 {
		timeout = time.Hour
	}
	runCtx, cancel := context.WithTimeout(store.WithActor(ctx, &store.Actor{ID: "scheduler", Role: "scheduler"}), timeout)
	defer cancel()
	res, err := j.Run(runCtx, planned)
	detail = res.Detail
	switch {
	case err != nil:
		outcome, errText = Failed, err.Error()
	case res.Skip != "":
		outcome, errText = Skipped, res.Skip
	case res.Warning != "":
		outcome, errText = Warning, res.Warning
	default:
		outcome = OK
	}
}

func (s *Scheduler) finish(id int64, job, outcome, errText, detail string) {
	if err := s.Store.Write(func() error {
		_, err := s.Store.DB().Exec(`UPDATE job_runs SET ended_at = ?, outcome = ?, error = ?, detail = ? WHERE run_id = ?`,
			s.Now(), outcome, errText, detail, id)
		return err
	}); err != nil {
		s.log().Error("recording a job's end", "job", job, "err", err)
	}
	var jobErr error
	if outcome == Failed {
		jobErr = errors.New(errText)
	}
	ctx := store.WithActor(context.Background(), &store.Actor{ID: "scheduler", Role: "scheduler"})
	if err := s.Store.Audit(ctx, "job."+job, fmt.Sprintf("run %d: %s", id, outcome), jobErr); err != nil {
		s.log().Error("auditing a job run", "job", job, "err", err)
	}
	s.ran(job, outcome)
	level := slog.LevelInfo
	if outcome != OK {
		level = slog.LevelWarn
	}
	s.log().Log(context.Background(), level, "job run", "job", job, "outcome", outcome, "error", errText, "detail", detail)
}

// Collector is the scheduler's run counter, for /metrics.
func (s *Scheduler) Collector() prometheus.Collector { return s.counter() }

func (s *Scheduler) counter() *prometheus.CounterVec {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs == nil {
		s.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flexemp_job_runs_total",
			Help: "Scheduled job runs by job and outcome."}, []string{"job", "outcome"})
	}
	return s.runs
}

// ran counts a recorded run.
func (s *Scheduler) ran(job, outcome string) { s.counter().WithLabelValues(job, outcome).Inc() }

func (s *Scheduler) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// runLogger receives cron's messages about one job: a skipped run is
// recorded as such, a recovered panic logged.
type runLogger struct {
	s   *Scheduler
	job string
}

func (l runLogger) Info(msg string, kv ...any) {
	if msg != "skip" {
		return
	}
	s := l.s
	now := s.Now()
	if err := s.Store.Write(func() error {
		_, err := s.Store.DB().Exec(`INSERT INTO job_runs (run_id, job, planned_at, started_at, ended_at, outcome, error)
			SELECT coalesce(max(run_id), 0) + 1, ?, ?, ?, ?, ?, ? FROM job_runs`,
			l.job, now.In(flexemp.Shanghai).Truncate(time.Minute), now, now, Skipped, StillRunning)
		return err
	}); err != nil {
		s.log().Error("recording a skipped run", "job", l.job, "err", err)
	}
	s.ran(l.job, Skipped)
}

func (l runLogger) Error(err error, msg string, kv ...any) {
	l.s.log().Error(msg, append([]any{"job", l.job, "err", err}, kv...)...)
}

// Run is one recorded job run.
type Run struct {
	ID            int64
	Job           string
	Planned       time.Time
	Started       time.Time
	Ended         *time.Time
	Outcome       string
	Error, Detail string
}

// Runs lists the recorded runs, newest first; limit 0 lists all.
func Runs(ctx context.Context, db *sql.DB, limit int) ([]Run, error) {
	q := `ORDER BY run_id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return queryRuns(ctx, db, q)
}

func queryRuns(ctx context.Context, db *sql.DB, tail string, args ...any) ([]Run, error) {
	rows, err := db.QueryContext(ctx, `SELECT run_id, job, planned_at, started_at, ended_at, outcome, error, detail FROM job_runs `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		if err := rows.Scan(&r.ID, &r.Job, &r.Planned, &r.Started, &r.Ended, &r.Outcome, &r.Error, &r.Detail); err != nil {
			return nil, err
		}
		r.Planned, r.Started = r.Planned.In(flexemp.Shanghai), r.Started.In(flexemp.Shanghai)
		if r.Ended != nil {
			e := r.Ended.In(flexemp.Shanghai)
			r.Ended = &e
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Note is what a run says besides its outcome: its error or reason, and
// its detail when that says more.
func (r Run) Note() string {
	switch {
	case r.Error == "" || r.Detail == r.Error:
		return r.Detail
	case r.Detail == "":
		return r.Error
	}
	return r.Error + "；" + r.Detail
}

// WriteRuns writes recorded runs as `flexemp jobs` lists them.
func WriteRuns(w io.Writer, runs []Run) error {
	tw := columns.NewWriter(w)
	fmt.Fprintln(tw, "编号\t任务\t计划时间\t开始\t结束\t结果\t说明")
	const layout = "2006-01-02 15:04:05"
	for _, r := range runs {
		ended := ""
		if r.Ended != nil {
			ended = r.Ended.Format(layout)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Job, r.Planned.Format(layout), r.Started.Format(layout), ended, OutcomeText(r.Outcome), r.Note())
	}
	return tw.Flush()
}

// OutcomeText is a run's outcome in Chinese.
func OutcomeText(outcome string) string {
	if t, ok := map[string]string{Running: "运行中", OK: "成功", Warning: "警告", Failed: "失败", Skipped: "跳过"}[outcome]; ok {
		return t
	}
	return outcome
}
