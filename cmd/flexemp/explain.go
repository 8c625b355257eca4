package main

import (
	"context"
	"flag"
	"io"

	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	var cityName string
	p, format, err := periodFlags("explain", d.registerFlags, args, stderr, []string{"table", "json"}, func(fs *flag.FlagSet) {
		fs.StringVar(&cityName, "city", "", "城市代码或名称")
	})
	if err != nil {
		return err
	}
	city, err := cityFlag(cityName)
	if err != nil {
		return err
	}
	db, _, err := d.openAssessed(ctx, p)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	e, err := metrics.Explain(ctx, db, p, city.Code)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(stdout, e)
	}
	return reports.WriteExplanation(stdout, e)
}
