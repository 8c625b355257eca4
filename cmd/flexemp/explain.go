package main

import (
	"context"
	"io"

	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", stderr)
	var d dbFlags
	d.register(fs)
	period := fs.String("period", "", "考核期：年度（2024）或季度（2024Q3）")
	cityName := fs.String("city", "", "城市代码或名称")
	format := fs.String("format", "table", "输出格式：table 或 json")
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
	city, err := cityFlag(*cityName)
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
	if *format == "json" {
		return writeJSON(stdout, e)
	}
	return reports.WriteExplanation(stdout, e)
}
