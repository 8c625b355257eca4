package ingest_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
)

// Every generated file, ingested, gives exactly the manifest's counts, row
// by row and reason by reason.
func TestGeneratedProvinceMatchesManifest(t *testing.T) {
	dir := t.TempDir()
	man, err := gen.Generate(dir, gen.Options{Seed: 7, From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer ingest.ForceArrowSink()()
	g := newIngester(t)
	ctx := context.Background()
	formats := map[string]int{}
	for _, f := range man.Files {
		month, _ := flexemp.ParseMonth(f.Month)
		received, _ := time.Parse(time.RFC3339, f.ReceivedAt)
		res, err := g.Ingest(ctx, ingest.Request{Path: filepath.Join(dir, f.Path), City: f.City, Kind: f.Kind, Month: month, ReceivedAt: received})
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if res.Status != ingest.StatusAccepted || res.Rows != f.Rows || res.Accepted != f.Accepted || res.Rejected != f.Rejected {
			t.Errorf("%s (%s): got %s rows=%d accepted=%d rejected=%d %v %q; manifest rows=%d accepted=%d rejected=%d %v",
				f.Path, f.Format, res.Status, res.Rows, res.Accepted, res.Rejected, res.Reasons, res.Error, f.Rows, f.Accepted, f.Rejected, f.Bad)
			for _, s := range res.Samples {
				t.Logf("  %+v", s)
			}
			continue
		}
		for code, n := range f.Bad {
			if got := res.Reasons[flexemp.Reasons[code]]; got != n {
				t.Errorf("%s: reason %s: got %d, manifest %d", f.Path, code, got, n)
			}
		}
		formats[f.Format]++
	}
	if len(formats) != 5 {
		t.Errorf("want all five formats among the files, got %v", formats)
	}
	var want int
	for _, f := range man.Files {
		want += f.Accepted
	}
	got := 0
	for _, k := range flexemp.Kinds {
		got += count(t, g.DB, "SELECT count(*) FROM "+string(k))
	}
	if got != want {
		t.Errorf("stored rows: got %d, want %d", got, want)
	}
	// No Arrow view is left in the database file: a later process would
	// fail on it.
	const ledgerViews = `('current_uploads', 'upload_receipts')`
	if n := count(t, g.DB, `SELECT count(*) FROM duckdb_views() WHERE NOT internal AND database_name = current_database() AND view_name NOT IN `+ledgerViews); n != 0 || count(t, g.DB, `SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND view_name IN `+ledgerViews) != 2 {
		t.Errorf("%d stray views in the database file", n)
	}
}

// Files of one kind prepared at once, each through the Arrow sink, keep
// their batches apart (the inbox prepares one file while another commits,
// and the server takes many uploads at once): every file is stored whole.
func TestPreparedTogether(t *testing.T) {
	defer ingest.ForceArrowSink()()
	g := newIngester(t)
	ctx := context.Background()
	dir := t.TempDir()
	var wg sync.WaitGroup
	var loading sync.Mutex // Load is one at a time, as the store has it
	want := 0
	for i, city := range flexemp.Cities {
		path := filepath.Join(dir, city.Code+".csv")
		rows := 2000 + i
		if err := gen.Registrations(path, rows, uint64(i), city, flexemp.Month{Year: 2024, Month: time.May}); err != nil {
			t.Fatal(err)
		}
		want += rows
		wg.Add(1)
		go func() {
			defer wg.Done()
			prep, res, err := g.Prepare(ctx, ingest.Request{Path: path, City: city.Code, Kind: flexemp.Registrations})
			if err != nil || prep == nil {
				t.Errorf("%s: %v %+v", city.Code, err, res)
				return
			}
			loading.Lock()
			defer loading.Unlock()
			if res, err := g.Load(ctx, prep); err != nil || res.Status != ingest.StatusAccepted {
				t.Errorf("%s: load: %v %+v", city.Code, err, res)
			}
		}()
	}
	wg.Wait()
	if got := count(t, g.DB, "SELECT count(*) FROM registrations"); got != want {
		t.Errorf("%d rows stored, want %d", got, want)
	}
}
