package ingest_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Uploads prepared at once on a fresh database each register their batches
// as a view of their own inside their transaction: none is refused for a
// view or catalog of another's. (An inbox backfill's first file once was,
// when the views shared a catalog attached on first use.)
func TestUploadsPreparedAtOnce(t *testing.T) {
	defer ingest.ForceArrowSink()()
	for round := range 10 {
		g := newIngester(t)
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				prep, res, err := g.Prepare(context.Background(), ingest.Request{Path: filepath.Join(testdata, "registrations_gbk.csv"),
					City: "210100", Kind: flexemp.Registrations, Month: march2024})
				switch {
				case err != nil:
					errs <- err.Error()
				case prep == nil:
					errs <- res.Error
				default:
					prep.Close()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("round %d: %s", round, e)
		}
	}
}

// The ledger's newest versions, read once and then kept from each commit,
// number and recognise uploads as the ledger itself would: the same bytes
// prepared eight times at once are stored once; other bytes make the next
// version; bytes that are no longer the newest make a new one; a month read
// from the rows finds the bytes last sent; a reopened database reads it all
// back from the file.
func TestLedgerKeptAcrossUploads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	var g *ingest.Ingester
	open := func() {
		if g != nil {
			ingest.Forget(g.DB)
			g.DB.Close()
		}
		db, err := transform.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		g = &ingest.Ingester{DB: db, Key: testKey}
	}
	gbk, bom := filepath.Join(testdata, "registrations_gbk.csv"), filepath.Join(testdata, "registrations_bom.csv")
	upload := func(g *ingest.Ingester, file string, month flexemp.Month) *ingest.Result {
		t.Helper()
		res, err := g.Ingest(context.Background(), ingest.Request{Path: file, City: "210100", Kind: flexemp.Registrations, Month: month})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	expect := func(res *ingest.Result, status string, version int) {
		t.Helper()
		if res.Status != status || res.Version != version {
			t.Errorf("%s: %s version %d, want %s version %d", res.File, res.Status, res.Version, status, version)
		}
	}
	open()
	var wg sync.WaitGroup
	var loading sync.Mutex // Load is one at a time per database (the store's write lock)
	results := make(chan *ingest.Result, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prep, res, err := g.Prepare(context.Background(), ingest.Request{Path: gbk, City: "210100", Kind: flexemp.Registrations, Month: march2024})
			if prep != nil {
				loading.Lock()
				res, err = g.Load(context.Background(), prep)
				loading.Unlock()
			}
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	wg.Wait()
	close(results)
	statuses := map[string]int{}
	for res := range results {
		statuses[res.Status]++
		expect(res, res.Status, 1)
	}
	if statuses[ingest.StatusAccepted] != 1 || statuses[ingest.StatusUnchanged] != 7 {
		t.Errorf("the same bytes eight times at once: %v, want one accepted and seven unchanged", statuses)
	}
	expect(upload(g, bom, march2024), ingest.StatusAccepted, 2)
	expect(upload(g, gbk, march2024), ingest.StatusAccepted, 3)
	expect(upload(g, gbk, march2024), ingest.StatusUnchanged, 3)
	expect(upload(g, gbk, flexemp.Month{}), ingest.StatusUnchanged, 3)

	open() // as another process would: the ledger read from the file
	expect(upload(g, gbk, march2024), ingest.StatusUnchanged, 3)
	expect(upload(g, bom, flexemp.Month{}), ingest.StatusAccepted, 4)
	expect(upload(g, gbk, flexemp.Month{}), ingest.StatusAccepted, 5)
	if n := count(t, g.DB, `SELECT count(*) FROM uploads`); n != 5 {
		t.Errorf("%d uploads in the ledger, want 5", n)
	}
}
