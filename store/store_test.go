package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/testfiles"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

func open(t *testing.T) *store.Store {
	t.Helper()
	db, err := transform.Open(context.Background(), filepath.Join(t.TempDir(), "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, &ingest.Ingester{DB: db, Key: []byte("store-test-key-0123456789")}, metrics.AssessOptions{Draws: 50})
	t.Cleanup(func() { st.Close() })
	return st
}

// Every city's uploads and assessments at once, from many goroutines, all go
// through the one lock: none conflicts, every file is stored once, and the
// counters count them.
func TestConcurrentWritesTakeTurns(t *testing.T) {
	st := open(t)
	dir := t.TempDir()
	man, err := gen.Generate(dir, gen.Options{Seed: 3, Scale: 0.002,
		From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 3}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(man.Files)+3)
	for _, f := range man.Files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := flexemp.ParseMonth(f.Month)
			at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
			res, err := st.Ingest(ctx, ingest.Request{Path: filepath.Join(dir, f.Path), City: f.City, Kind: f.Kind, Month: m, ReceivedAt: at})
			if err == nil && res.Status != ingest.StatusAccepted {
				t.Errorf("%s: %s %s", f.Path, res.Status, res.Error)
			}
			errs <- err
		}()
	}
	for q := 1; q <= 3; q++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Assess(ctx, flexemp.Period{Year: 2024, Quarter: 1}, time.Time{})
			if errors.Is(err, metrics.ErrNothingSent) {
				err = nil // it ran before the uploads of some kind: refused, as it should be
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var uploads int
	st.DB().QueryRow(`SELECT count(*) FROM uploads`).Scan(&uploads)
	if uploads != len(man.Files) {
		t.Errorf("%d uploads stored, want %d", uploads, len(man.Files))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(st.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()+" "+m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	if got["flexemp_uploads_total accepted"] != float64(len(man.Files)) || got["flexemp_rows_total accepted"] == 0 {
		t.Errorf("counters %v, want %d accepted uploads", got, len(man.Files))
	}
}

// A token is shown once, found by its hash, and dead once revoked; a name
// that is not a city is refused.
func TestTokens(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Now()
	tok, err := st.AddToken(ctx, "210200", "", now)
	if err != nil {
		t.Fatal(err)
	}
	p, ok, err := st.LookupToken(ctx, tok)
	if err != nil || !ok || p.Role != flexemp.RoleCity || p.City != "210200" || !p.CanRead("210200") || p.CanRead("210100") {
		t.Fatalf("lookup: %+v %v %v", p, ok, err)
	}
	var stored int
	st.DB().QueryRow(`SELECT count(*) FROM tokens WHERE hash = ?`, tok).Scan(&stored)
	if stored != 0 {
		t.Error("the token itself is stored")
	}
	if n, err := st.RevokeTokens(ctx, "210200", "", now); err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if _, ok, _ := st.LookupToken(ctx, tok); ok {
		t.Error("a revoked token still works")
	}
	if _, err := st.AddToken(ctx, "沈阳", "", now); flexemp.ErrorCode(err) != flexemp.EINVALID {
		t.Errorf("a city name as a code: %v", err)
	}
}

// The checks that only read answer without the write lock: while another
// write holds it, the same file again is answered unchanged, and a file with
// 25,000 columns is refused, at once; the refusal is recorded once the lock
// is free.
func TestReadOnlyChecksSkipTheQueue(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	dir := t.TempDir()
	man, err := gen.Generate(dir, gen.Options{Seed: 4, Scale: 0.002,
		From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 1}})
	if err != nil {
		t.Fatal(err)
	}
	f := man.Files[0]
	m, _ := flexemp.ParseMonth(f.Month)
	req := ingest.Request{Path: filepath.Join(dir, f.Path), City: f.City, Kind: f.Kind, Month: m}
	if res, err := st.Ingest(ctx, req); err != nil || res.Status != ingest.StatusAccepted {
		t.Fatalf("%v %+v", err, res)
	}
	hostile := filepath.Join(dir, "wide.csv")
	os.WriteFile(hostile, []byte(strings.Repeat("x,", 25000)+"\n"), 0o644)

	held, release := make(chan struct{}), make(chan struct{})
	go st.Write(func() error { close(held); <-release; return nil })
	<-held
	answered := make(chan *ingest.Result, 1)
	go func() {
		res, _ := st.Ingest(ctx, req)
		answered <- res
	}()
	select {
	case res := <-answered:
		if res.Status != ingest.StatusUnchanged {
			t.Errorf("the same file again: %s", res.Status)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an unchanged file waited for the write lock")
	}
	refused := make(chan *ingest.Result, 1)
	go func() {
		res, _ := st.Ingest(ctx, ingest.Request{Path: hostile, City: f.City, Kind: flexemp.Registrations, Month: m})
		refused <- res
	}()
	close(release)
	if res := <-refused; res.Status != ingest.StatusRefused || !strings.Contains(res.Error, "512") {
		t.Errorf("25,000 columns: %+v", res)
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM refusals`).Scan(&n)
	if n != 1 {
		t.Errorf("%d refusals recorded", n)
	}
	// The unchanged upload is recorded too, once the lock was free; the
	// refusal with its own code.
	deadline := time.Now().Add(10 * time.Second)
	for n = 0; n == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'upload' AND object LIKE '%(unchanged)'`).Scan(&n)
	}
	if n != 1 {
		t.Error("the unchanged upload left no record")
	}
	st.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'upload' AND outcome = 'refused' AND code = 'invalid'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d refused uploads recorded with their code", n)
	}
}

// A bulk run folds the WAL into the file less often while it runs and
// shares DuckDB's threads among its workers, puts both settings back after,
// and leaves no WAL for a later upload to fold.
func TestBulkFoldsItsWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flexemp.db")
	db, err := transform.Open(ctx, path, transform.Settings{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, &ingest.Ingester{DB: db, Key: []byte("store-test-key-0123456789")}, metrics.AssessOptions{})
	defer st.Close()
	setting := func() string {
		var v string
		var threads int
		if err := db.QueryRow(`SELECT current_setting('checkpoint_threshold'), current_setting('threads')`).Scan(&v, &threads); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s, %d threads", v, threads)
	}
	before := setting()
	file := filepath.Join(t.TempDir(), "march.csv")
	if err := gen.Registrations(file, 5000, 1, flexemp.Cities[0], flexemp.Month{Year: 2024, Month: 3}); err != nil {
		t.Fatal(err)
	}
	var during string
	var walDuring int64
	if err := st.Bulk(ctx, 2, func() {
		res, err := st.Ingest(ctx, ingest.Request{Path: file, City: flexemp.Cities[0].Code, Kind: flexemp.Registrations})
		if err != nil || res.Status != ingest.StatusAccepted {
			t.Errorf("%v %+v", err, res)
		}
		during = setting()
		if info, err := os.Stat(path + ".wal"); err == nil {
			walDuring = info.Size()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if before != "16.0 MiB, 4 threads" || during != "244.1 MiB, 2 threads" || setting() != before {
		t.Errorf("%s before, %s during, %s after; want 16.0 MiB, 4 threads before and after, 244.1 MiB (256MB), 2 threads during", before, during, setting())
	}
	if walDuring == 0 {
		t.Error("no WAL while the bulk run went on")
	}
	if info, err := os.Stat(path + ".wal"); err == nil && info.Size() > 0 {
		t.Errorf("a WAL of %d bytes left after the bulk run", info.Size())
	}
}

// The audit chain holds through every kind of write, the head learnt from
// commits rather than read back: accepted, unchanged and refused uploads
// (concurrently), a step whose work fails, plain records; and a store
// opened again on the file goes on from the chain's end.
func TestAuditChainThroughEveryWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flexemp.db")
	ctx := context.Background()
	openAt := func() *store.Store {
		db, err := transform.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return store.New(db, &ingest.Ingester{DB: db, Key: []byte("store-test-key-0123456789")}, metrics.AssessOptions{Draws: 50})
	}
	st := openAt()
	dir := t.TempDir()
	man, err := gen.Generate(dir, gen.Options{Seed: 5, Scale: 0.002, From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, f := range man.Files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kind := f.Kind
			if i%5 == 0 {
				kind = flexemp.Services // the wrong kind: refused
			}
			st.Ingest(ctx, ingest.Request{Path: filepath.Join(dir, f.Path), City: f.City, Kind: kind, Month: flexemp.Month{Year: 2024, Month: 1}})
		}()
	}
	wg.Wait()
	f := man.Files[1] // again: unchanged
	st.Ingest(ctx, ingest.Request{Path: filepath.Join(dir, f.Path), City: f.City, Kind: f.Kind, Month: flexemp.Month{Year: 2024, Month: 1}})
	st.Write(func() error {
		return st.Commit(ctx, "test.step", "x", func(tx *sql.Tx) error { return errors.New("the step fails") })
	})
	st.Audit(ctx, "test.note", "y", nil)
	verify := func(want string) int64 {
		t.Helper()
		seq, _, err := store.VerifyAudit(ctx, st.DB(), "")
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		var n int64
		st.DB().QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n)
		if seq != n || n < int64(len(man.Files))+2 {
			t.Fatalf("%s: head %d of %d records", want, seq, n)
		}
		return n
	}
	n := verify("after the writes")
	st.Close()
	st = openAt()
	defer st.Close()
	st.Audit(ctx, "test.note", "z", nil)
	if verify("after reopening") != n+1 {
		t.Error("the reopened store did not go on from the chain's end")
	}
}

// A backup's record stands where its snapshot was taken: an upload that
// committed after the snapshot (not in the backup) is recorded after it,
// one in the backup before it.
func TestBackupRecordAtItsSnapshot(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	dir := t.TempDir()
	man, err := gen.Generate(filepath.Join(dir, "data"), gen.Options{Seed: 4, Scale: 0.002,
		From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 1}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(f gen.File) {
		m, _ := flexemp.ParseMonth(f.Month)
		if res, err := st.Ingest(ctx, ingest.Request{Path: filepath.Join(dir, "data", f.Path), City: f.City, Kind: f.Kind, Month: m}); err != nil || res.Status != ingest.StatusAccepted {
			t.Errorf("%v %+v", err, res)
		}
	}
	send(man.Files[0])
	var info *store.BackupInfo
	var wg sync.WaitGroup
	wg.Go(func() { send(man.Files[1]) })
	wg.Go(func() {
		var err error
		if info, err = st.Backup(ctx, filepath.Join(dir, "backup")); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if info == nil {
		return
	}
	var backupSeq, uploadSeq int64
	st.DB().QueryRow(`SELECT seq FROM audit_log WHERE action = 'backup'`).Scan(&backupSeq)
	st.DB().QueryRow(`SELECT max(seq) FROM audit_log WHERE action = 'upload'`).Scan(&uploadSeq)
	if inBackup := info.Uploads == 2; inBackup != (uploadSeq < backupSeq) {
		t.Errorf("the second upload is in the backup: %v, yet recorded at %d against the backup's %d", inBackup, uploadSeq, backupSeq)
	}
}

// A batch commits small files in groups: nothing of a group is visible
// before its commit, every file is then stored whole with its ledger row
// and audit record, a file refused after all its rows were read never
// joins, a later version of a month waits for the group holding the
// earlier one, and a group whose file someone else committed meanwhile is
// rolled back and ingested again file by file.
func TestBatchCommitsInGroups(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	dir := t.TempDir()
	man, err := gen.Generate(dir, gen.Options{Seed: 5, Scale: 0.002,
		From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 2}})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		res *ingest.Result
		err error
	}
	got := map[string]outcome{}
	b := st.NewBatch(func(req ingest.Request, res *ingest.Result, err error) { got[req.Path] = outcome{res, err} })
	request := func(f gen.File) ingest.Request {
		m, _ := flexemp.ParseMonth(f.Month)
		return ingest.Request{Path: filepath.Join(dir, f.Path), City: f.City, Kind: f.Kind, Month: m, Uploader: "inbox"}
	}
	var reqs []ingest.Request
	for _, f := range man.Files[:10] { // at least one a UTF-8 CSV
		reqs = append(reqs, request(f))
	}
	for _, req := range reqs {
		b.Ingest(ctx, req)
	}
	var stored int
	st.DB().QueryRow(`SELECT count(*) FROM uploads`).Scan(&stored)
	if stored != 0 || len(got) != 0 {
		t.Fatalf("before the group's commit: %d uploads stored, %d answered", stored, len(got))
	}
	// Refused once every row was read: answered at once, never in the group.
	refused := ingest.Request{Path: filepath.Join("..", "testdata", "registrations_reasons.csv"), City: "210100", Kind: flexemp.Registrations,
		Month: flexemp.Month{Year: 2024, Month: 3}}
	b.Ingest(ctx, refused)
	if o := got[refused.Path]; o.err != nil || o.res == nil || o.res.Status != ingest.StatusRefused || o.res.RefusalID == 0 {
		t.Fatalf("the refused file: %+v", o)
	}
	// A second version of a month in the group: the group commits first.
	first := 0
	for man.Files[first].Format != gen.FormatCSVUTF8 {
		first++
	}
	second := reqs[first]
	second.Path = filepath.Join(t.TempDir(), "second.csv")
	body, err := os.ReadFile(reqs[first].Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second.Path, append(body, '\n'), 0o600); err != nil { // other bytes, the same rows
		t.Fatal(err)
	}
	b.Ingest(ctx, second)
	if len(got) != 11 {
		t.Fatalf("%d answered after a second version of a grouped month, want the group's 10 and the refusal: %+v", len(got), got[second.Path].res)
	}
	b.Flush(ctx)
	for _, req := range reqs {
		if o := got[req.Path]; o.err != nil || o.res.Status != ingest.StatusAccepted || o.res.Version != 1 {
			t.Errorf("%s: %+v %v", req.Path, o.res, o.err)
		}
	}
	if o := got[second.Path]; o.err != nil || o.res.Status != ingest.StatusAccepted || o.res.Version != 2 {
		t.Errorf("the second version: %+v %v", o.res, o.err)
	}

	// A group holding a file that another upload commits meanwhile is
	// rolled back and ingested again file by file: that file is unchanged.
	clear(got)
	var more []ingest.Request
	for _, f := range man.Files[10:14] {
		more = append(more, request(f))
		b.Ingest(ctx, more[len(more)-1])
	}
	if res, err := st.Ingest(ctx, more[1]); err != nil || res.Status != ingest.StatusAccepted {
		t.Fatalf("the same file alone: %+v %v", res, err)
	}
	b.Flush(ctx)
	for i, req := range more {
		want := ingest.StatusAccepted
		if i == 1 {
			want = ingest.StatusUnchanged
		}
		if o := got[req.Path]; o.err != nil || o.res.Status != want {
			t.Errorf("%s: %+v %v, want %s", req.Path, o.res, o.err, want)
		}
	}

	// Every upload whole: its rows are its accepted count, no row belongs
	// to no upload, the refused file left nothing, and the chain verifies
	// with one record an upload.
	uploads, broken, err := testfiles.Whole(st.DB())
	if err != nil {
		t.Fatal(err)
	}
	var refusals int
	st.DB().QueryRow(`SELECT count(*) FROM refusals`).Scan(&refusals)
	if uploads != 15 || len(broken) > 0 || refusals != 1 {
		t.Errorf("%d uploads (want 15), broken: %v; %d refusals", uploads, broken, refusals)
	}
	if _, _, err := store.VerifyAudit(ctx, st.DB(), ""); err != nil {
		t.Errorf("audit chain: %v", err)
	}
}
