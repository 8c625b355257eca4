package ingest_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
)

// Uploads prepared at once on a fresh database each register their batches
// in the shared scratch catalog: none is refused for the catalog another
// one attached at the same moment. (An inbox backfill's first file was,
// once in three runs; the race is too narrow for this test to hit it
// reliably, so it guards the concurrent path, not the fix alone.)
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
