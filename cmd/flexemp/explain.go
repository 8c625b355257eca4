package main

import (
	"context"
	"io"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", stderr)
	var d dbFlags
	d.register(fs)
	period := fs.String("period", "", "a year (2024) or a quarter (2024Q3)")
	cityFlag := fs.String("city", "", "city code or name")
	format := fs.String("format", "table", "table or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := periodFlag(*period)
	if err != nil {
		return err
	}
	if err := oneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	city, ok := flexemp.ResolveCity(*cityFlag)
	if !ok {
		return usagef("--city: %q is not a Liaoning city", *cityFlag)
	}
	db, _, err := d.openAssessed(ctx, p)
	if err != nil {
		return err
	}
	defer db.Close()
	e, err := metrics.Explain(ctx, db, p, city.Code)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(stdout, e)
	}
	return reports.WriteExplanation(stdout, e)
}
