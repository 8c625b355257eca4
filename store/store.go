// Package store owns the DuckDB file in the process that holds it. Every
// write — an upload, an assessment, a token, a job run, a mail delivery —
// goes through its one lock, so concurrent requests and jobs wait their turn
// instead of failing with a write conflict. Reads go to DB directly.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/sqltext"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// Store is one open database with its write lock.
type Store struct {
	db       *sql.DB
	ingester *ingest.Ingester
	assess   metrics.AssessOptions

	computes sync.Mutex // the transform's scratch database: one assessment at a time
	writes   sync.Mutex
	pending  []AuditRecord  // uploads' records written before their commit, under writes
	later    sync.WaitGroup // records written once the lock is free; Close waits for them

	uploads *prometheus.CounterVec // by status: accepted, unchanged, refused
	rows    *prometheus.CounterVec // by result: accepted, rejected
}

// New makes a store over db; g loads uploads (nil for a store that takes
// none) and o are the settings of its assessments.
func New(db *sql.DB, g *ingest.Ingester, o metrics.AssessOptions) *Store {
	s := &Store{db: db, ingester: g, assess: o,
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flexemp_uploads_total",
			Help: "Uploaded files by outcome."}, []string{"status"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flexemp_rows_total",
			Help: "Rows of uploaded files, accepted or rejected."}, []string{"result"}),
	}
	if g != nil {
		// An accepted upload's audit record commits with it, at no extra
		// commit's cost; Ingest tells the chain's head once it did.
		g.BeforeCommit = func(ctx context.Context, conn *sql.Conn, reqs []ingest.Request, res []*ingest.Result) error {
			entries := make([]auditEntry, len(reqs))
			for i, req := range reqs {
				entries[i] = auditEntry{"upload", fmt.Sprintf("%s %s %s upload %d (%s)", req.City, req.Kind, res[i].Month, res[i].UploadID, ingest.StatusAccepted), nil}
			}
			var err error
			s.pending, err = appendAudits(ctx, headOf(db), db, conn, entries)
			return err
		}
	}
	return s
}

// DB is the database, for reads.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	s.later.Wait()
	heads.Delete(s.db)
	ingest.Forget(s.db)
	return s.db.Close()
}

// Collectors are the store's counters, for /metrics.
func (s *Store) Collectors() []prometheus.Collector { return []prometheus.Collector{s.uploads, s.rows} }

// Write runs f alone among the store's writes.
func (s *Store) Write(f func() error) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	return f()
}

// bulkCheckpoint is the WAL size at which a commit folds the WAL into the
// file while Bulk runs. Under DuckDB's 16MB, a backfill of many small
// uploads compresses each row group again every few uploads: a province's
// two years through the inbox take 30 s instead of 25 s. The rest of the
// time uploads keep the configured threshold ([duckdb]
// checkpoint_threshold, by default DuckDB's 16MB), because the commit that
// meets it waits for the fold: at 256MB that is a 1-2 s upload now and then.
const bulkCheckpoint = "256MB"

// Compute runs f alone among the store's assessments: the transform builds
// its models in one scratch database per process, so an assessment that
// stores what it computed later (an issued final, rendered between) holds
// it from the computation to the commit, and the write lock only to
// commit. A caller that writes takes Compute first, then Write.
func (s *Store) Compute(f func() error) error {
	s.computes.Lock()
	defer s.computes.Unlock()
	return f()
}

// Bulk runs f, many uploads in a row (the inbox job) prepared by workers at
// once, with a larger WAL before each fold into the file and DuckDB's
// threads shared among the workers, then folds what f left behind under
// the write lock, so that no later upload waits for it. A fold that finds
// an upload still being prepared is left to the next commit.
//
// Shared threads: each upload's statements are small, and DuckDB running
// each of them on every core while the workers' own statements and
// validation want the same cores spent more on handing work between
// threads than on the work: a province's two years through the inbox took
// 28–29 s of CPU and 18.5–20 s with DuckDB's two threads, 22–23 s and
// 16–17 s with one a worker (BENCHMARKS).
func (s *Store) Bulk(ctx context.Context, workers int, f func()) error {
	var threshold string
	var threads int
	if err := s.db.QueryRowContext(ctx, `SELECT current_setting('checkpoint_threshold'), current_setting('threads')`).Scan(&threshold, &threads); err != nil {
		return err
	}
	set := func(ctx context.Context, threshold string, threads int) error {
		_, err := s.db.ExecContext(ctx, fmt.Sprintf(`SET GLOBAL checkpoint_threshold = %s; SET GLOBAL threads = %d`, sqltext.String(threshold), threads))
		return err
	}
	if err := set(ctx, bulkCheckpoint, max(1, threads/max(1, workers))); err != nil {
		return err
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		set(ctx, threshold, threads)
		s.Write(func() error {
			s.db.ExecContext(ctx, `CHECKPOINT`)
			return nil
		})
	}()
	f()
	return nil
}

// Ingest loads one file and counts it: the way in for the upload form, the
// API and the inbox. The checks that only read — the hash against the
// ledger, the format, the header — run outside the write lock, so a
// hostile or unchanged file is answered at once, whoever holds the lock.
func (s *Store) Ingest(ctx context.Context, req ingest.Request) (*ingest.Result, error) {
	prep, res, err := s.ingester.Prepare(ctx, req)
	if prep == nil {
		return s.answered(ctx, req, res, err)
	}
	object := uploadObject(req)
	err = s.Write(func() error {
		var err error
		res, err = s.ingester.Load(ctx, prep)
		s.tookPending(err == nil && res.Status == ingest.StatusAccepted)
		switch {
		case err != nil:
			return errors.Join(err, s.audit(ctx, "upload", object, err))
		case res.Status == ingest.StatusRefused:
			return s.audit(ctx, "upload", object, refusalOf(res))
		case res.Status == ingest.StatusUnchanged:
			return s.audit(ctx, "upload", fmt.Sprintf("%s upload %d (%s)", object, res.UploadID, res.Status), nil)
		}
		return nil // accepted: its record committed with it (New's BeforeCommit)
	})
	return s.counted(res, err)
}

// uploadObject names an upload on the audit trail.
func uploadObject(req ingest.Request) string {
	return fmt.Sprintf("%s %s %s", req.City, req.Kind, req.Month)
}

// tookPending tells the chain's head the records written before a commit,
// once the commit is known to have kept them.
func (s *Store) tookPending(committed bool) {
	if n := len(s.pending); n > 0 && committed {
		s.committed(nil, s.pending[n-1])
	}
	s.pending = nil
}

// answered records and counts a file answered without a commit of its own:
// refused, unchanged, or failed before its rows were read.
func (s *Store) answered(ctx context.Context, req ingest.Request, res *ingest.Result, err error) (*ingest.Result, error) {
	object := uploadObject(req)
	switch {
	case res.Status == ingest.StatusRefused:
		s.Write(func() error {
			s.ingester.RecordRefusal(ctx, req, res)
			return s.audit(ctx, "upload", object, refusalOf(res))
		})
	case res.Status == ingest.StatusUnchanged && err == nil:
		// The same bytes again: answered at once, whoever holds the lock,
		// and recorded like any upload — now when the lock is free, else
		// as soon as it is.
		object := fmt.Sprintf("%s upload %d (%s)", object, res.UploadID, res.Status)
		if s.writes.TryLock() {
			s.audit(ctx, "upload", object, nil)
			s.writes.Unlock()
		} else {
			s.later.Go(func() { s.Audit(context.WithoutCancel(ctx), "upload", object, nil) })
		}
	case err != nil:
		s.Audit(ctx, "upload", object, err)
	}
	return s.counted(res, err)
}

// counted counts an upload's outcome for /metrics.
func (s *Store) counted(res *ingest.Result, err error) (*ingest.Result, error) {
	if err != nil {
		return nil, err
	}
	s.uploads.WithLabelValues(res.Status).Inc()
	if res.Status == ingest.StatusAccepted {
		s.rows.WithLabelValues("accepted").Add(float64(res.Accepted))
		s.rows.WithLabelValues("rejected").Add(float64(res.Rejected))
	}
	return res, nil
}

// A Batch ingests many files in a row, as the inbox does, committing small
// ones in groups (ingest.Group): one transaction, one ledger INSERT and one
// audit INSERT for up to 64 files. Each file's result is handed to done once
// its fate is known: at once for a refused or unchanged file or one that
// goes alone, at its group's commit for the others. A Batch is used by one
// goroutine; Flush commits what it holds.
type Batch struct {
	s    *Store
	gr   *ingest.Group
	done func(ingest.Request, *ingest.Result, error)
}

// NewBatch starts a batch whose results go to done.
func (s *Store) NewBatch(done func(ingest.Request, *ingest.Result, error)) *Batch {
	return &Batch{s: s, gr: s.ingester.NewGroup(), done: done}
}

// Ingest takes one file: into the group when it fits, else alone. A file
// that may be a later version of a month in the group waits for the group's
// commit, so that versions keep the order files come in.
func (b *Batch) Ingest(ctx context.Context, req ingest.Request) {
	if b.gr.Shares(req) {
		b.Flush(ctx)
	}
	if !b.gr.Fits(req) {
		b.Flush(ctx)
		res, err := b.s.Ingest(ctx, req)
		b.done(req, res, err)
		return
	}
	res, err := b.gr.Add(ctx, req)
	var failed *ingest.GroupFailed
	switch {
	case errors.As(err, &failed):
		b.alone(ctx, failed.Requests)
	case res != nil:
		res, err := b.s.answered(ctx, req, res, err)
		b.done(req, res, err)
	case err != nil:
		b.done(req, nil, err)
	case b.gr.Full():
		b.Flush(ctx)
	}
}

// Flush commits the group under the write lock; a group that could not be
// committed is ingested again file by file.
func (b *Batch) Flush(ctx context.Context) {
	if b.gr.Len() == 0 {
		return
	}
	reqs := b.gr.Requests()
	var results []*ingest.Result
	err := b.s.Write(func() error {
		var err error
		results, err = b.gr.Commit(ctx)
		b.s.tookPending(err == nil)
		return err
	})
	var failed *ingest.GroupFailed
	switch {
	case errors.As(err, &failed):
		b.alone(ctx, failed.Requests)
	case err != nil:
		for _, req := range reqs {
			b.done(req, nil, err)
		}
	default:
		for i, res := range results {
			res, err := b.s.counted(res, nil)
			b.done(reqs[i], res, err)
		}
	}
}

// alone ingests each of a rolled-back group's files by itself.
func (b *Batch) alone(ctx context.Context, reqs []ingest.Request) {
	for _, req := range reqs {
		res, err := b.s.Ingest(ctx, req)
		b.done(req, res, err)
	}
}

// refusalOf is a refused upload's outcome for the audit trail, with the
// refusal's own code (too_large, unsupported, invalid).
func refusalOf(res *ingest.Result) error {
	return flexemp.Errorf(cmp.Or(res.Code, flexemp.EINVALID), "refused")
}

// Assess runs and stores an assessment of a period as of a date (zero:
// today by the store's clock) with the store's settings.
func (s *Store) Assess(ctx context.Context, period flexemp.Period, asOf time.Time) (*metrics.Assessment, error) {
	o := s.assess
	o.AsOf = asOf
	return s.AssessWith(ctx, period, o)
}

// AssessWith runs and stores an assessment with settings of the caller's
// (an operator's --seed, --draws).
func (s *Store) AssessWith(ctx context.Context, period flexemp.Period, o metrics.AssessOptions) (*metrics.Assessment, error) {
	var a *metrics.Assessment
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	today := flexemp.DateOf(now())
	if o.AsOf.IsZero() {
		o.AsOf = today // the record names the real date
	}
	err := s.Compute(func() error {
		return s.Write(func() error {
			if o.AsOf.After(today) {
				err := flexemp.Errorf(flexemp.EINVALID, "考核截至日期 %s 晚于今天 %s：只能考核已经到来的日期", o.AsOf.Format("2006-01-02"), today.Format("2006-01-02"))
				return errors.Join(err, s.audit(ctx, "assess", period.String()+" as of "+o.AsOf.Format("2006-01-02"), err))
			}
			if o.Lake != "" {
				// A database with uploads of its own would have its assessment
				// of the period replaced by one of other data.
				var n int
				if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM uploads`).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return flexemp.Errorf(flexemp.ECONFLICT, "该数据库已有 %d 次上传：考核 Parquet 目录的结果请存入单独的数据库文件（--db 新文件），以免替换该库自己的考核结果", n)
				}
			}
			var err error
			a, err = metrics.Assess(ctx, s.db, period, o)
			return errors.Join(err, s.audit(ctx, "assess", period.String()+" as of "+o.AsOf.Format("2006-01-02"), err))
		})
	})
	return a, err
}
