package main

import (
	"context"
	"io"
	"os"

	"github.com/liaoning-hrss/flexemp/bench"
)

// runBench measures whole-pipeline figures with this binary (package bench).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	o := bench.Flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := oneOf("suite", o.Suite, bench.Suites...); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return bench.Run(ctx, self, o, stdout, stderr)
}
