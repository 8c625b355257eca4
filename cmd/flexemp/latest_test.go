package main

import (
	"context"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Early in a new year nobody has sent anything yet: assessing the year is
// refused, naming the kinds and the month, and nothing is stored, so the
// period shown by default stays the latest one with ranked cities.
func TestLatestPeriodWithData(t *testing.T) {
	_, db := demoCopy(t)
	ctx := context.Background()
	latest := func() string {
		sqlDB, err := transform.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer sqlDB.Close()
		ps, err := metrics.AssessedPeriods(ctx, sqlDB)
		if err != nil {
			t.Fatal(err)
		}
		p, err := metrics.LatestWithData(ctx, sqlDB, ps)
		if err != nil {
			t.Fatal(err)
		}
		return p.String()
	}
	before := latest()
	if before == "2026" {
		t.Fatal("the demo assessed 2026")
	}
	// The demo's data ends in 2025; in February 2026 January is due.
	if code, out, e := runCmd(t, "assess", "--db", db, "--period", "2026", "--as-of", "2026-02-11"); code != 1 ||
		!strings.Contains(e, "2026：尚无城市报送 就业失业登记、公共服务月报、补贴发放、职业培训（2026-01），不予考核") {
		t.Fatalf("assess an empty year: exit %d %s %s", code, out, e)
	}
	if after := latest(); after != before {
		t.Errorf("after an empty year was assessed, the default period is %s, was %s", after, before)
	}
}
