package cli

import (
	"bytes"
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp"
)

// Flags come before or after the positional arguments; each is read into
// its domain type as it is parsed.
func TestParseReadsDomainFlagsAnywhere(t *testing.T) {
	f := New("ingest", &bytes.Buffer{})
	p, city, kind, month := f.Period(), f.City("城市", true), f.Kind("类型"), f.Month("month", "月份")
	format := f.Format("table", "json")
	if err := f.Parse([]string{"a.csv", "--period", "2025Q3", "--city", "沈阳市", "b.csv", "--kind", flexemp.Registrations.Title(), "--month=2025-07"}); err != nil {
		t.Fatal(err)
	}
	if p.String() != "2025Q3" || city.Code != "210100" || *kind != flexemp.Registrations || month.String() != "2025-07" || *format != "table" {
		t.Errorf("read %v %v %v %v %v", p, city, *kind, month, *format)
	}
	if got := strings.Join(f.Args(), " "); got != "a.csv b.csv" {
		t.Errorf("positional: %q", got)
	}
}

// Every mistake is a UsageError in Chinese, naming the flag.
func TestMistakesInChinese(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "没有参数 --bogus"},
		{[]string{"--period"}, "--period 需要一个值"},
		{[]string{"--period", "2025Q5"}, "--period："},
		{[]string{"--period", "2025", "--city", "北京"}, "不是辽宁省的城市"},
		{[]string{"--period", "2025", "--limit", "x"}, `--limit 的值 "x" 无效`},
		{[]string{"--period", "2025", "--json=maybe"}, `--json 的值 "maybe" 无效`},
		{[]string{"--period", "2025", "--format", "xml"}, "--format 应为 table、json 之一"},
		{[]string{"--period", "2025", "--at", "tomorrow"}, "--at 应为 RFC3339 时间"},
		{[]string{"--city", "沈阳"}, "缺少 --period"},
	} {
		f := New("rank", &bytes.Buffer{})
		f.Period()
		f.City("城市", false)
		f.Int("limit", 0, "条数")
		f.Bool("json", false, "JSON")
		f.Format("table", "json")
		f.Instant("at", "时间")
		err := f.Parse(tc.args)
		var ue UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tc.want) || !han.MatchString(ue.Msg) {
			t.Errorf("%v: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}

// -h writes the help in Chinese, defaults included, and is flag.ErrHelp.
func TestHelp(t *testing.T) {
	var help bytes.Buffer
	f := New("report", &help)
	f.Period()
	f.Int("draws", 1000, "模拟次数")
	if err := f.Parse([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	if out := help.String(); !strings.HasPrefix(out, "用法：flexemp report [参数]") || !strings.Contains(out, "模拟次数（默认 1000）") || strings.Contains(out, "(default") {
		t.Errorf("help: %q", out)
	}
}
