package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
)

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", stderr)
	out := fs.String("out", "", "output folder")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same bytes")
	scale := fs.Float64("scale", gen.DefaultScale, "1 ≈ one real province-year of rows")
	from := fs.String("from", "2024-01", "first month, YYYY-MM")
	to := fs.String("to", "2025-12", "last month, YYYY-MM")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var months [2]flexemp.Month
	for i, v := range []struct{ name, value string }{{"from", *from}, {"to", *to}} {
		m, err := flexemp.ParseMonth(v.value)
		if err != nil {
			return usagef("--%s: %s", v.name, flexemp.ErrorMessage(err))
		}
		months[i] = m
	}
	if months[1].First().Before(months[0].First()) {
		return usagef("--to 不能早于 --from")
	}
	if err := required("out", *out); err != nil {
		return err
	}
	if *scale <= 0 || *scale > 10 {
		return usagef("--scale 应在 (0, 10] 之间")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	man, err := gen.Generate(*out, gen.Options{Seed: *seed, Scale: *scale, From: months[0], To: months[1]})
	if err != nil {
		return err
	}
	rows, rejected := 0, 0
	for _, f := range man.Files {
		rows += f.Rows
		rejected += f.Rejected
	}
	fmt.Fprintf(stdout, "%s: %d files, %d rows (%d planted bad rows), %d extracts never sent; manifest.json written\n",
		*out, len(man.Files), rows, rejected, len(man.Missing))
	return nil
}

func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("template", stderr)
	kind := fs.String("kind", "", "registrations, subsidies, trainings or services")
	out := fs.String("out", "", "FILE.xlsx")
	monthFlag := fs.String("month", "", "the month the template is for, YYYY-MM (default this month): its contract version's columns")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	month := flexemp.MonthOf(time.Now().In(flexemp.Shanghai))
	if *monthFlag != "" {
		m, err := flexemp.ParseMonth(*monthFlag)
		if err != nil {
			return usagef("--month: %s", flexemp.ErrorMessage(err))
		}
		month = m
	}
	k, ok := flexemp.ParseKind(*kind)
	if !ok {
		return usagef("--kind 应为 registrations、subsidies、trainings 或 services（也可用中文名）")
	}
	if !strings.HasSuffix(strings.ToLower(*out), ".xlsx") {
		return usagef("--out 应以 .xlsx 结尾")
	}
	if err := writeFile(*out, func(w io.Writer) error { return ingest.WriteTemplate(w, k, month) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s上传模板（%s，第%d版）\n", *out, k.Title(), month, flexemp.ContractOf(k).VersionAt(month))
	return nil
}
