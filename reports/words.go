package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// The sentences and table lines that the report, the pages, the mail and
// the command line say alike about a city's result.

// Priority is what a city recommended for priority is marked with.
const Priority = "推荐优先纳入创业型城市创建范围"

// RankRow is one city's line of a ranking table, formatted.
type RankRow struct {
	Code, Name, Rank, Index, Band, Grade string
	Priority                             bool
	Note                                 string // priority, or why a 优秀 is not robust
}

// RankRows are a period's ranking lines in rank order.
func RankRows(pr *metrics.PeriodResult) []RankRow {
	var out []RankRow
	for _, c := range pr.Cities {
		row := RankRow{Code: c.Code, Name: c.Name, Rank: dash, Index: Fixed(c.Index, 2), Band: dash, Grade: c.Grade, Priority: c.Priority}
		if c.Ranked {
			row.Rank, row.Band = strconv.Itoa(c.Rank), fmt.Sprintf("%d–%d", c.RankP5, c.RankP95)
		}
		row.Note = Note(&c)
		out = append(out, row)
	}
	return out
}

// PeriodText names an assessed period as every report, page and mail does:
// with "截至" its as-of date when the period was still running then, so a
// running quarter is never read as a finished one.
func PeriodText(p flexemp.Period, run metrics.Stamp) string {
	if p.Running(run.AsOf.Time) {
		return fmt.Sprintf("%s，截至 %s", p.Label(), run.AsOfText())
	}
	return p.Label()
}

// LeftOutText says which indicators no city could compute in the period and
// were left out of its framework, or "" when none was.
func LeftOutText(run metrics.Stamp) string {
	if len(run.LeftOut) == 0 {
		return ""
	}
	var names []string
	for _, id := range run.LeftOut {
		ind, _ := flexemp.IndicatorByID(id)
		names = append(names, id+" "+ind.Title)
	}
	return "本期没有城市能够计算、未纳入指标体系的指标：" + strings.Join(names, "、") + "（多为2025年起月报第2版新增栏目）。"
}

// Withheld is what an indicator shows for a city that sent no extract of
// one of its source kinds.
const Withheld = "未报送"

// WithheldText says in one line that a city's indicators were scored 未报送
// in a period.
func WithheldText(p flexemp.Period, city string, ids []string) string {
	name := city
	if c, ok := flexemp.CityByCode(city); ok {
		name = c.Name
	}
	named := make([]string, len(ids))
	for i, id := range ids {
		named[i] = id
		if ind, ok := flexemp.IndicatorByID(id); ok {
			named[i] = id + " " + ind.Title
		}
	}
	return fmt.Sprintf("%s：%s 未报送 %s 所需数据，按最低分计入", p.Label(), name, strings.Join(named, "、"))
}

// ZeroFloor is what an indicator shows for a city whose own data leaves
// it nothing to divide by: scored lowest.
const ZeroFloor = "无数据·计最低"

// IndicatorCell writes a city's indicator as tables show it: its raw value,
// 未报送, 无数据·计最低, or a dash for 无数据.
func IndicatorCell(ind metrics.IndicatorResult) string {
	switch {
	case ind.Withheld:
		return Withheld
	case ind.ZeroFloor:
		return ZeroFloor
	}
	return Indicator(ind.ID, ind.Value)
}

// IssuedCell is an indicator's value in an issued ranking, as IndicatorCell
// writes a stored one.
func IssuedCell(c *metrics.RankingCity, id string) string {
	switch {
	case slices.Contains(c.Flags, id+metrics.FlagWithheld):
		return Withheld
	case slices.Contains(c.Flags, id+metrics.FlagZeroFloor):
		return ZeroFloor
	}
	return Indicator(id, c.Indicators[id])
}

// IssuedTable is an issued ranking's province table, which 公示 makes
// public: each city's rank, name, index, rank interval, grade and 推荐.
func IssuedTable(r *metrics.Ranking) [][]string {
	var rows [][]string
	for _, c := range r.Cities {
		row := []string{dash, c.Name, dash, dash, c.Grade, ""}
		if c.Rank != nil {
			row[0] = strconv.Itoa(*c.Rank)
		}
		if c.Index != nil {
			row[2] = Fixed(c.Index, 2)
		}
		if c.RankInterval != nil {
			row[3] = fmt.Sprintf("%d–%d", c.RankInterval[0], c.RankInterval[1])
		}
		if c.Priority {
			row[5] = "推荐"
		}
		rows = append(rows, row)
	}
	return rows
}

// IssuedHeadline is a city's standing in an issued ranking, as Headline
// writes a stored one's.
func IssuedHeadline(c *metrics.RankingCity) string {
	if c.Rank == nil || c.Index == nil || c.RankInterval == nil {
		return "数据不足，未参与排名"
	}
	s := fmt.Sprintf("第 %d 名（90%%名次区间 %d–%d），综合指数 %.2f，等次 %s", *c.Rank, c.RankInterval[0], c.RankInterval[1], *c.Index, c.Grade)
	if c.Priority {
		s += "，" + Priority
	}
	return s
}

// Note marks a city recommended for priority, or says why a 优秀 city is
// not robust; other cities get none.
func Note(c *metrics.CityResult) string {
	switch {
	case c.Priority:
		return Priority
	case c.Grade == flexemp.GradeExcellent:
		return fmt.Sprintf("排名不稳健：%s的模拟落出优秀名次", Percent(c.OutTop))
	}
	return ""
}

// Headline is a city's result in one sentence.
func Headline(c *metrics.CityResult) string {
	if !c.Ranked || c.Index == nil {
		return "数据不足，未参与排名"
	}
	s := fmt.Sprintf("第 %d 名（90%%名次区间 %d–%d），综合指数 %.2f，等次 %s", c.Rank, c.RankP5, c.RankP95, *c.Index, c.Grade)
	if n := Note(c); n != "" {
		s += "，" + n
	}
	return s
}

// ChangeText is a city's change against the previous period in one
// sentence: its rank and index, or why they cannot be compared.
func ChangeText(ch metrics.Change, c *metrics.CityResult) string {
	switch {
	case ch.Before == nil:
		return fmt.Sprintf("上期（%s）尚未考核，无法比较。", ch.Previous.Label())
	case ch.IndexDelta == nil:
		return fmt.Sprintf("上期（%s）等次 %s；两期未同时参与排名，不作比较。", ch.Previous.Label(), ch.Before.Grade)
	}
	move := "名次不变"
	if r := *ch.RankDelta; r > 0 {
		move = fmt.Sprintf("上升 %d 位", r)
	} else if r < 0 {
		move = fmt.Sprintf("下降 %d 位", -r)
	}
	return fmt.Sprintf("较上期（%s）：名次 %d → %d，%s；综合指数 %s。", ch.Previous.Label(), ch.Before.Rank, c.Rank, move, signedFixed(*ch.IndexDelta, 2))
}

// WriteSummary writes a ranking in five lines: the top three, the last, and
// the grades with the cities recommended for priority.
func WriteSummary(w io.Writer, r *metrics.PeriodResult) error {
	var ranked []metrics.CityResult
	grades := map[string]int{}
	var priority []string
	for _, c := range r.Cities {
		grades[c.Grade]++
		if c.Priority {
			priority = append(priority, c.Name)
		}
		if c.Ranked {
			ranked = append(ranked, c)
		}
	}
	line := func(c metrics.CityResult) {
		fmt.Fprintf(w, "%2d  %s  指数 %.2f  90%%区间 %d–%d  %s\n", c.Rank, c.Name, *c.Index, c.RankP5, c.RankP95, c.Grade)
	}
	for i := 0; i < 3 && i < len(ranked); i++ {
		line(ranked[i])
	}
	if len(ranked) > 4 {
		fmt.Fprintf(w, "    …（第 4 至 %d 名从略，见报告）\n", len(ranked)-1)
	}
	if len(ranked) > 3 {
		line(ranked[len(ranked)-1])
	}
	if len(priority) == 0 {
		priority = []string{"无"}
	}
	_, err := fmt.Fprintf(w, "%s：%s %d、%s %d、%s %d、%s %d；%s：%s\n", r.Period.Label(),
		flexemp.GradeExcellent, grades[flexemp.GradeExcellent], flexemp.GradeGood, grades[flexemp.GradeGood],
		flexemp.GradeFair, grades[flexemp.GradeFair], flexemp.GradeInsufficient, grades[flexemp.GradeInsufficient],
		Priority, strings.Join(priority, "、"))
	return err
}
