package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

func main() {
	ctx := context.Background()
	db, err := transform.Open(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	if os.Getenv("PIO") != "" {
		if _, err := db.Exec(`SET GLOBAL preserve_insertion_order = false`); err != nil {
			panic(err)
		}
	}
	sum := map[string]time.Duration{}
	var tests, total time.Duration
	for range 3 {
		a, err := metrics.Prepare(ctx, db, flexemp.Period{Year: 2025}, metrics.AssessOptions{AsOf: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			panic(err)
		}
		for i, m := range a.Transform.Models {
			sum[m] += a.Transform.ModelTook[i]
		}
		tests += a.Transform.TestsTook
		total += a.Transform.Took
	}
	var names []string
	for m := range sum {
		names = append(names, m)
	}
	sort.Slice(names, func(i, j int) bool { return sum[names[i]] > sum[names[j]] })
	for _, m := range names {
		fmt.Printf("%-32s %6.0f ms\n", m, float64(sum[m].Milliseconds())/3)
	}
	fmt.Printf("tests %6.0f ms, total %6.0f ms\n", float64(tests.Milliseconds())/3, float64(total.Milliseconds())/3)
}
