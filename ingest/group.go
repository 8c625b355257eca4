package ingest

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
)

// A Group commits several uploads in one transaction: a backfill of a
// thousand small files pays one ledger INSERT, one audit INSERT and one
// COMMIT for each group instead of each file (BENCHMARKS). Each file is
// still atomic as readers and the ledger see it: a file is read and
// validated whole before it joins, so a refused file never touches the
// group's transaction, and the group's files are kept together or not at
// all. When the group's transaction fails, or a file turns out unchanged or
// a second version of a month already in the group, the whole group is
// rolled back and every file in it is to be ingested again alone
// (GroupFailed).
type Group struct {
	g       *Ingester
	conn    *sql.Conn // nil until the first file joins
	members []*Prepared
	reqs    []Request // the members' requests as given, to ingest again alone
	bytes   int64
}

// A group takes files up to groupFileBytes, up to groupMembers of them and
// groupBytes in all: a larger file is its own transaction anyway, and a
// group holds its files' rows in an open transaction until it commits.
const (
	groupFileBytes = 4 << 20
	groupMembers   = 64
	groupBytes     = 32 << 20
)

// GroupFailed says that a group was rolled back: none of its files is
// stored, and each of Requests must be ingested again alone.
type GroupFailed struct {
	Requests []Request
	Err      error
}

func (e *GroupFailed) Error() string {
	return fmt.Sprintf("ingest: a group of %d uploads rolled back: %v", len(e.Requests), e.Err)
}

func (e *GroupFailed) Unwrap() error { return e.Err }

// errRetryAlone is why a group whose commit found a file to be answered on
// its own (unchanged, an empty file over data, a month twice) is rolled
// back: alone, each file gets the answer Load gives it.
var errRetryAlone = errors.New("a file of the group needs its own answer")

// NewGroup starts an empty group.
func (g *Ingester) NewGroup() *Group { return &Group{g: g} }

// Fits says whether req may join the group: a small file, while the group
// has room. A file that does not fit goes alone (Ingest, or Prepare and
// Load), after the group committed if it Shares a member's month.
func (gr *Group) Fits(req Request) bool {
	info, err := os.Stat(req.Path)
	return err == nil && info.Size() <= groupFileBytes && !gr.Full()
}

// Full says that the group should commit before another file joins.
func (gr *Group) Full() bool {
	return len(gr.members) >= groupMembers || gr.bytes >= groupBytes
}

// Len is the number of files in the group.
func (gr *Group) Len() int { return len(gr.members) }

// Shares says whether a member may be a version of req's city, kind and
// month: req must then wait for the group's commit, which gives the
// member its version first (a month read from the rows is not known
// before).
func (gr *Group) Shares(req Request) bool {
	month := req.Month
	if month.IsZero() {
		month, _ = MonthInName(cmp.Or(req.FileName, filepath.Base(req.Path)))
	}
	for _, m := range gr.members {
		if m.req.City == req.City && m.req.Kind == req.Kind && (month.IsZero() || m.month == month) {
			return true
		}
	}
	return false
}

// Add reads and validates req whole and, when it is to be stored, appends
// its rows and rejects to the group's transaction: it joins the group, and
// its result comes at Commit. A refused or unchanged file comes back at once
// with its final result (pass a refusal to RecordRefusal) and never joins.
// A *GroupFailed error means the group's transaction failed: the group is
// rolled back, and its members and req must be ingested again alone.
func (gr *Group) Add(ctx context.Context, req Request) (*Result, error) {
	st, res, err := gr.g.stage(ctx, req)
	if st == nil {
		return res, err
	}
	defer st.src.Close()
	p := st.start(ctx, gr.g.Key)
	defer p.stop()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for p.reader.Next() {
		b := p.reader.RecordBatch()
		b.Retain()
		batches = append(batches, b)
	}
	if err := st.validated(gr.g, p.wait(), p); err != nil {
		_, res, err := st.fail(err)
		return res, err
	}
	// The file is whole and valid: it joins.
	if gr.conn == nil {
		conn, err := gr.g.DB.Conn(ctx)
		if err != nil {
			return nil, gr.failed(&req, err)
		}
		gr.conn = conn
		if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
			return nil, gr.failed(&req, err)
		}
	}
	// The batches go to DuckDB through a reader that lets go of each once
	// read, the last included: the group keeps each file's scan registered
	// until it commits, and 64 files' last batches held for that long were
	// 40 MB more of Go's heap a worker.
	in := make(chan arrow.RecordBatch, len(batches))
	for _, b := range batches {
		in <- b
	}
	close(in)
	batches = nil // the reader's now
	rr := newBatchReader(storageSchema(st.contract), in, func() error { return nil })
	defer func() {
		rr.Release()
		for b := range in { // what DuckDB did not read
			b.Release()
		}
	}()
	sk, err := newSink(ctx, gr.conn, string(req.Kind), StorageColumns(st.contract), rr, st.size)
	if err != nil {
		return nil, gr.failed(&req, err)
	}
	gr.members = append(gr.members, &Prepared{req: st.req, res: res, city: st.city, sum: st.sum, month: res.Month, uploadID: st.uploadID, conn: gr.conn, sink: sk})
	gr.reqs = append(gr.reqs, req)
	gr.bytes += st.size
	if err := sk.insert(ctx); err != nil {
		return nil, gr.failed(nil, err)
	}
	if err := appendRejects(gr.conn, "rejects", st.uploadID, *st.rejects); err != nil {
		return nil, gr.failed(nil, err)
	}
	return nil, nil
}

// Commit gives the group's files their versions and commits them with
// their ledger rows in one transaction; it writes the ledger, so the
// caller holds the store's write lock. The results are in the order the
// files joined. A *GroupFailed error means none was kept: each of its
// Requests must be ingested again alone.
func (gr *Group) Commit(ctx context.Context) ([]*Result, error) {
	if len(gr.members) == 0 {
		return nil, nil
	}
	seen := map[slot]bool{}
	for _, m := range gr.members {
		s := slot{m.city.Code, m.req.Kind, m.month}
		latest, err := gr.g.newest(ctx, s.city, s.kind, s.month)
		switch {
		case err != nil:
			return nil, gr.failed(nil, err)
		case seen[s] || latest.sum == m.sum || m.emptyOverData(latest):
			return nil, gr.failed(nil, errRetryAlone)
		}
		seen[s] = true
		m.res.Version = latest.version + 1
	}
	if err := gr.g.commit(ctx, gr.conn, gr.members); err != nil {
		return nil, gr.failed(nil, err)
	}
	out := make([]*Result, len(gr.members))
	for i, m := range gr.members {
		out[i] = m.res
	}
	gr.reset()
	return out, nil
}

// Rollback drops the group's files, stored nothing; it returns their
// requests.
func (gr *Group) Rollback() []Request {
	reqs := gr.reqs
	if gr.conn != nil {
		gr.conn.ExecContext(context.Background(), "ROLLBACK")
	}
	gr.reset()
	return reqs
}

// failed rolls the group back for err: its members, and req if it was
// joining, are to be ingested again alone.
func (gr *Group) failed(req *Request, err error) error {
	reqs := gr.Rollback()
	if req != nil {
		reqs = append(reqs, *req)
	}
	return &GroupFailed{Requests: reqs, Err: err}
}

// reset ends the group's transaction's resources and empties it.
func (gr *Group) reset() {
	for _, m := range gr.members {
		if m.sink != nil {
			m.sink.close()
		}
	}
	if gr.conn != nil {
		gr.conn.Close()
	}
	gr.conn, gr.members, gr.reqs, gr.bytes = nil, nil, nil, 0
}

// Requests are the group's files as given, in the order they joined.
func (gr *Group) Requests() []Request { return gr.reqs }
