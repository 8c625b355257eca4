package main

import (
	"context"
	"testing"

	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

// On 1 January the daily job assesses a new year with no data yet: 14 ×
// 数据不足. The period shown by default stays the latest one with ranked
// cities; the new year is only listed.
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
	if code, out, e := runCmd(t, "assess", "--db", db, "--period", "2026", "--as-of", "2026-02-11"); code != 0 {
		t.Fatalf("assess an empty year: %s %s", out, e)
	}
	if after := latest(); after != before {
		t.Errorf("after an empty year was assessed, the default period is %s, was %s", after, before)
	}
}
