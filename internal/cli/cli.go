// Package cli reads a command's flags the way flexemp's users meet them:
// each flag checked as it is parsed, into the domain's own types (a
// period, a city by code or name, a kind, a month), the flag package's
// words said in Chinese, flags before or after the positional arguments,
// required flags named when missing, and the help listed in Chinese.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// UsageError is a mistake in the command line: the command exits 2.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// Usagef is a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Sprintf(format, args...)} }

// Flags are a command's flags.
type Flags struct {
	*flag.FlagSet
	// Synopsis is the first line of help; default "用法：flexemp NAME [参数]".
	Synopsis string
	need     []string
}

// New makes the flags of the command name, its help written to help.
func New(name string, help io.Writer) *Flags {
	f := &Flags{FlagSet: flag.NewFlagSet("flexemp "+name, flag.ContinueOnError), Synopsis: "用法：flexemp " + name + " [参数]"}
	f.SetOutput(io.Discard) // the flag package's words are said in Chinese by Parse
	f.FlagSet.Usage = func() {
		fmt.Fprintf(help, "%s\n参数：\n", f.Synopsis)
		f.PrintDefaults(help)
	}
	return f
}

// PrintDefaults lists the flags as flag.PrintDefaults does, with the
// defaults said in Chinese.
func (f *Flags) PrintDefaults(w io.Writer) {
	f.VisitAll(func(fl *flag.Flag) {
		kind, usage := flag.UnquoteUsage(fl)
		line := "  -" + fl.Name
		if kind != "" {
			line += " " + kind
		}
		line += "\n    \t" + usage
		if d := fl.DefValue; d != "" && d != "0" && d != "false" && d != "[]" {
			line += "（默认 " + d + "）"
		}
		fmt.Fprintln(w, line)
	})
}

// flagErrors are the flag package's errors, in the user's words.
var flagErrors = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^flag provided but not defined: -(.*)$`), "没有参数 --$1"},
	{regexp.MustCompile(`^flag needs an argument: -(.*)$`), "--$1 需要一个值"},
	{regexp.MustCompile(`^invalid value .* for flag -[^:]*: (.*\p{Han}.*)$`), "$1"},
	{regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-([^:]*): .*$`), "--$2 的值 $1 无效"},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "参数写法有误：$1"},
}

// Parse reads args, flags before or after the positional arguments
// (flexemp ingest FILE --db DB), and checks the required flags are given.
// A mistake is a UsageError in Chinese; -h is flag.ErrHelp, the help
// written.
func (f *Flags) Parse(args []string) error {
	var pos []string
	for {
		if err := f.FlagSet.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			msg := err.Error()
			for _, e := range flagErrors {
				if e.re.MatchString(msg) {
					msg = e.re.ReplaceAllString(msg, e.zh)
					break
				}
			}
			return UsageError{msg}
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	if err := f.FlagSet.Parse(append([]string{"--"}, pos...)); err != nil {
		return err
	}
	for _, n := range f.need {
		if !f.Given(n) {
			return Usagef("缺少 --%s", n)
		}
	}
	return nil
}

// Given tells whether a flag was on the command line.
func (f *Flags) Given(name string) bool {
	found := false
	f.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// Require marks flags that must be given.
func (f *Flags) Require(names ...string) { f.need = append(f.need, names...) }

// Value registers a flag Parse reads into *v with parse, whose error, a
// sentence in Chinese, is the usage error; need makes it required.
func Value[T any](f *Flags, name, usage string, need bool, parse func(string) (T, error)) *T {
	v := new(T)
	f.Func(name, usage, func(s string) (err error) {
		*v, err = parse(s)
		return err
	})
	if need {
		f.Require(name)
	}
	return v
}

// said wraps a domain error's message with the flag it came from.
func said[T any](name string, parse func(string) (T, error)) func(string) (T, error) {
	return func(s string) (T, error) {
		v, err := parse(s)
		if err != nil {
			err = fmt.Errorf("--%s：%s", name, flexemp.ErrorMessage(err))
		}
		return v, err
	}
}

// Period is --period, which must be given.
func (f *Flags) Period() *flexemp.Period {
	return Value(f, "period", "考核期：年度（2024）或季度（2024Q3）", true, said("period", flexemp.ParsePeriod))
}

// OptionalPeriod is a --period that may be left out: nil then.
func (f *Flags) OptionalPeriod(usage string) func() *flexemp.Period {
	p := Value(f, "period", usage, false, said("period", flexemp.ParsePeriod))
	return func() *flexemp.Period {
		if f.Given("period") {
			return p
		}
		return nil
	}
}

// City is --city, a code or a name (沈阳, 沈阳市, 210100, or a county code
// of the city); left out, the zero City.
func (f *Flags) City(usage string, need bool) *flexemp.City {
	return Value(f, "city", usage, need, func(s string) (flexemp.City, error) {
		c, ok := flexemp.ResolveCity(strings.TrimSpace(s))
		if !ok {
			return c, fmt.Errorf("--city：%q 不是辽宁省的城市（可用代码如 210100，或名称如 沈阳）", s)
		}
		return c, nil
	})
}

// Kind is --kind, which must be given.
func (f *Flags) Kind(usage string) *flexemp.Kind {
	return Value(f, "kind", usage, true, func(s string) (flexemp.Kind, error) {
		k, ok := flexemp.ParseKind(s)
		if !ok {
			return k, fmt.Errorf("--kind 应为 registrations、subsidies、trainings 或 services（也可用中文名），收到 %q", s)
		}
		return k, nil
	})
}

// Month is a month flag YYYY-MM.
func (f *Flags) Month(name, usage string) *flexemp.Month {
	return Value(f, name, usage, false, said(name, flexemp.ParseMonth))
}

// Date is a date flag YYYY-MM-DD.
func (f *Flags) Date(name, usage string) *time.Time {
	return Value(f, name, usage, false, said(name, flexemp.ParseDate))
}

// Instant is a time flag in RFC3339.
func (f *Flags) Instant(name, usage string) *time.Time {
	return Value(f, name, usage, false, func(s string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			err = fmt.Errorf("--%s 应为 RFC3339 时间，如 2025-01-20T10:00:00+08:00", name)
		}
		return t, err
	})
}

// Format is --format, one of formats, the first by default.
func (f *Flags) Format(formats ...string) *string {
	v := formats[0]
	f.Func("format", "输出格式："+strings.Join(formats, "、")+"（默认 "+v+"）", func(s string) error {
		if !slices.Contains(formats, s) {
			return fmt.Errorf("--format 应为 %s 之一", strings.Join(formats, "、"))
		}
		v = s
		return nil
	})
	return &v
}

// Out is --out, which must be given.
func (f *Flags) Out(usage string) *string {
	f.Require("out")
	return f.String("out", "", usage)
}
