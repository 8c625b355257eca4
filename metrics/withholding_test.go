package metrics_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
	"github.com/liaoning-hrss/flexemp/walkthrough"
)

// Missing data is never an advantage: on the generator's province, for every
// city and every kind, taking that city's extracts of that kind for the
// quarter out of the ledger never raises its index, never lifts its rank,
// and never makes it unranked.
func TestWithholdingNeverPays(t *testing.T) {
	t.Parallel() // each test plays on its own copy of the province's database
	ctx := context.Background()
	dir := t.TempDir()
	man, err := gen.Generate(filepath.Join(dir, "data"), gen.Options{Seed: 5, Scale: 0.003,
		From: flexemp.Month{Year: 2025, Month: 1}, To: flexemp.Month{Year: 2025, Month: 3}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := transform.Open(ctx, filepath.Join(dir, "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := walkthrough.Load(ctx, &ingest.Ingester{DB: db, Key: []byte("withholding-test-key")}, filepath.Join(dir, "data"), man, io.Discard); err != nil || n.Refused > 0 {
		t.Fatalf("%v %+v", err, n)
	}
	p := flexemp.Period{Year: 2025, Quarter: 1}
	o := metrics.AssessOptions{Draws: 1}
	base, err := metrics.Assess(ctx, db, p, o)
	if err != nil {
		t.Fatal(err)
	}
	at := func(a *metrics.Assessment, city string) int {
		for c, code := range a.Result.Table.Cities {
			if code == city {
				return c
			}
		}
		t.Fatalf("no %s", city)
		return -1
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	withheldSeen := 0
	for _, city := range flexemp.Cities {
		for _, kind := range flexemp.Kinds {
			where := `city_code = ? AND kind = ? AND month BETWEEN ? AND ?`
			args := []any{city.Code, string(kind), p.Start(), p.End()}
			exec(`CREATE OR REPLACE TEMP TABLE withheld AS SELECT * FROM uploads WHERE `+where, args...)
			exec(`DELETE FROM uploads WHERE `+where, args...)
			a, err := metrics.Assess(ctx, db, p, o)
			exec(`INSERT INTO uploads SELECT * FROM withheld`)
			if err != nil {
				t.Fatal(err)
			}
			b, w := at(base, city.Code), at(a, city.Code)
			if !base.Result.Ranked[b] {
				continue
			}
			if len(a.Result.Withheld[w]) > 0 {
				withheldSeen++
			}
			before, after := metrics.Round2(base.Result.Index[b]), metrics.Round2(a.Result.Index[w])
			switch {
			case !a.Result.Ranked[w]:
				t.Errorf("%s without its %s: not ranked (was %d)", city.Name, kind, base.Result.Rank[b])
			case after > before || a.Result.Rank[w] < base.Result.Rank[b]:
				t.Errorf("%s without its %s: index %.2f → %.2f, rank %d → %d", city.Name, kind, before, after, base.Result.Rank[b], a.Result.Rank[w])
			}
		}
	}
	if withheldSeen < len(flexemp.Cities)*len(flexemp.Kinds)/2 {
		t.Errorf("only %d of the withholdings were scored 未报送", withheldSeen)
	}
}
