package main

import (
	"context"
	"io"

	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// runIntegrity prints a period's integrity findings (数据核查) with their
// evidence, as stored by assess.
func runIntegrity(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	p, format, err := periodFlags("integrity", d.registerFlags, args, stderr, tableJSONCSV, nil)
	if err != nil {
		return err
	}
	db, _, err := d.openAssessed(ctx, p)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	found, err := metrics.Integrity(ctx, db, p, "")
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return writeJSON(stdout, reports.FindingsOf(p, found))
	case "csv":
		return reports.WriteFindingsCSV(stdout, p, found)
	}
	return reports.WriteFindings(stdout, p, found)
}
