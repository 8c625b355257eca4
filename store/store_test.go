package store_test

import (
	"context"
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
}
