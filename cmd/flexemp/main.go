// Command flexemp is the assessment of Liaoning's flexible-employment
// measures on the command line: ingest, assess, rank, explain, report,
// serve (with the scheduler), tokens, jobs, templates, the generator, the
// demo and the benchmarks. It reads flags and flexemp.toml and wires the
// packages; the work is theirs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit status without a message of its own (the command
// has already said what happened).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"ingest":    {"validate and load city extracts", runIngest},
	"uploads":   {"list the upload ledger", runUploads},
	"rejects":   {"export one upload's rejected rows", runRejects},
	"template":  {"write an upload template", runTemplate},
	"gen":       {"generate a synthetic province", runGen},
	"demo":      {"generate a synthetic province and ingest it", runDemo},
	"bench":     {"measure whole-pipeline ingest figures", runBench},
	"assess":    {"compute the indicators, index, ranks and their bands for a period", runAssess},
	"rank":      {"print a period's ranking", runRank},
	"explain":   {"explain one city's result for a period, step by step", runExplain},
	"report":    {"write a period's report.html and ranking.xlsx", runReport},
	"integrity": {"list a period's integrity findings (数据核查) with their evidence", runIntegrity},
	"backup":    {"make a consistent copy of the database (through serve when it runs)", runBackup},
	"restore":   {"make a new database file from a backup", runRestore},
	"serve":     {"serve uploads, review pages and the API over one database", runServe},
	"token":     {"add or revoke a city's or a reviewer's access token", runToken},
	"jobs":      {"list the scheduled jobs' runs", runJobs},
	"run-job":   {"run one scheduled job now: inbox, assess, report or reminder", runRunJob},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "flexemp: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "flexemp %s: %s\n", args[0], ue.msg)
		return 2
	case errors.As(err, &ee):
		return int(ee)
	}
	fmt.Fprintf(stderr, "flexemp %s: %v\n", args[0], err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: flexemp COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
}

// newFlags makes a command's flag set; parse errors become usage errors.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("flexemp "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	// Allow flags after positional arguments: flexemp ingest FILE --db DB.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// oneOf checks a flag's value against the values it may take.
func oneOf(flag, val string, allowed ...string) error {
	for _, a := range allowed {
		if val == a {
			return nil
		}
	}
	return usagef("--%s must be %s", flag, strings.Join(allowed, ", "))
}

// writeJSON prints v indented, with Chinese and <, > as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFile creates path and writes it with write, reporting a failed close.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func required(name, val string) error {
	if strings.TrimSpace(val) == "" {
		return usagef("--%s is required", name)
	}
	return nil
}
