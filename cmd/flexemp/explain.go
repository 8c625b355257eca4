package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

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
	return writeExplanation(stdout, e)
}

func writeExplanation(w io.Writer, e *metrics.Explanation) error {
	c := e.City
	fmt.Fprintf(w, "%s（%s）%s考核说明\n", c.Name, c.Code, e.Period.Label())
	if c.Ranked {
		fmt.Fprintf(w, "名次 %d，90%% 区间 %d–%d（中位 %d），指数 %.2f，等次 %s", c.Rank, c.RankP5, c.RankP95, c.MedianRank, *c.Index, c.Grade)
		if c.Priority {
			fmt.Fprint(w, "，"+reports.Priority)
		} else if c.Grade == flexemp.GradeExcellent {
			fmt.Fprintf(w, "，排名不稳健（%.0f%% 的模拟中落出优秀名次）", c.OutTop*100)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "数据不足，未参与排名\n")
	}
	ch := e.Change
	fmt.Fprintln(w, reports.ChangeText(ch, &c))
	var dims []string
	for _, d := range flexemp.Dimensions {
		dims = append(dims, string(d)+" "+num(c.Dimensions[d], 1))
	}
	fmt.Fprintf(w, "维度得分：%s\n", strings.Join(dims, "，"))
	if len(c.Flags) > 0 {
		fmt.Fprintf(w, "标记：%s\n", strings.Join(c.Flags, "，"))
	}
	leader := "第1名"
	if e.Leader != nil {
		leader = e.Leader.Name
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "指标\t名称\t分子\t分母\t原值\t缩尾后\t标准化\t贡献\t与%s差距\t较上期\n", leader)
	for _, ind := range c.Indicators {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ind.ID, ind.Title,
			num(ind.Numerator, -1), num(ind.Denominator, -1), num(ind.Value, 4), num(ind.Treated, 4),
			num(ind.Normalised, 1), num(ind.Contribution, 2), num(e.Gaps[ind.ID], 2), signed(ch.Indicators[ind.ID], 4))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(e.Breaches) == 0 {
		fmt.Fprintln(w, "补贴合规：本期无违规发放")
	} else {
		byRule := map[string]int{}
		for _, b := range e.Breaches {
			byRule[metrics.RuleNames[b.Rule]]++
		}
		var parts []string
		for r, n := range byRule {
			parts = append(parts, fmt.Sprintf("%s %d 条", r, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "补贴违规 %d 条：%s\n", len(e.Breaches), strings.Join(parts, "，"))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "上传\t行\t补贴类型\t发放日期\t人员类别\t规则\t限额\t实际")
		for _, b := range e.Breaches {
			paid := ""
			if b.PaidOn != nil {
				paid = b.PaidOn.Format("2006-01-02")
			}
			limit, value := b.Describe()
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", b.UploadID, b.RowNo, b.SubsidyType, paid, b.PersonGroup, metrics.RuleNames[b.Rule], limit, value)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n考核批次 %d，配置摘要 %s，随机种子 %d，模拟 %d 次，生成于 %s\n", e.Run.ID, e.Run.ConfigHash, e.Run.Seed, e.Run.Draws,
		e.Run.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	return err
}

// num formats an optional number with the given decimals (-1: as short as
// exact); an empty cell for a missing one.
func num(p *float64, decimals int) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', decimals, 64)
}

func signed(p *float64, decimals int) string {
	if p == nil {
		return "—"
	}
	s := strconv.FormatFloat(*p, 'f', decimals, 64)
	if *p >= 0 {
		s = "+" + s
	}
	return s
}
