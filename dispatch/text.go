package dispatch

import (
	"fmt"
	"io"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
)

// Title is the bulletin's title: 全省灵活就业政策落实情况调度通报（截至 M 月）.
func (r *Report) Title() string {
	return fmt.Sprintf("全省灵活就业政策落实情况调度通报（%d年，截至%d月）", r.Year, r.Months)
}

// Percent writes a fraction as a percentage with one decimal.
func Percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// Text is a task's completion rate with its counts: 44.9%（899/2003）.
func (p *Progress) Text() string { return rateText(p.Rate, p.Actual, p.Target) }

// Text is a total's completion rate with its counts: 44.9%（899/2003）.
func (t *Total) Text() string { return rateText(t.Rate, t.Actual, t.Target) }

func rateText(rate float64, actual, target int64) string {
	return fmt.Sprintf("%s（%d/%d）", Percent(rate), actual, target)
}

// Targeted are the tasks some city has a target for (those with a
// province total), in order: the columns of every dispatch table.
func Targeted(province map[string]*Total) []flexemp.Task {
	var out []flexemp.Task
	for _, t := range flexemp.Tasks {
		if province[t.ID] != nil {
			out = append(out, t)
		}
	}
	return out
}

// Named are the cities with a task in status, each with those tasks:
// "沈阳市（T1、T3）".
func (r *Report) Named(status string) []string {
	var out []string
	for _, c := range r.Cities {
		var tasks []string
		for _, t := range flexemp.Tasks {
			if p := c.Tasks[t.ID]; p != nil && p.Status == status {
				tasks = append(tasks, t.ID)
			}
		}
		if len(tasks) > 0 {
			out = append(out, fmt.Sprintf("%s（%s）", c.Name, strings.Join(tasks, "、")))
		}
	}
	return out
}

// BehindText is a sentence naming the cities 严重滞后 and 滞后 with their
// tasks, or that none is behind.
func (r *Report) BehindText() string {
	head := fmt.Sprintf("调度：%d年截至 %s（1—%d月，时序进度 %s）", r.Year, r.AsOf, r.Months, Percent(r.TimeProgress))
	severe, behind := r.Named(Severe), r.Named(Behind)
	if len(severe)+len(behind) == 0 {
		return head + "各市各项任务均未滞后。"
	}
	var parts []string
	if len(severe) > 0 {
		parts = append(parts, "严重滞后："+strings.Join(severe, "、"))
	}
	if len(behind) > 0 {
		parts = append(parts, "滞后："+strings.Join(behind, "、"))
	}
	return head + strings.Join(parts, "；") + "。"
}

// CityText is a sentence on one city's tasks behind, for its own mail.
func (r *Report) CityText(code string) string {
	for _, c := range r.Cities {
		if c.Code != code || len(c.Tasks) == 0 {
			continue
		}
		var behind []string
		for _, t := range flexemp.Tasks {
			if p := c.Tasks[t.ID]; p != nil && (p.Status == Behind || p.Status == Severe || p.Status == NotSent) {
				behind = append(behind, fmt.Sprintf("%s %s %s（完成率 %s）", t.ID, t.Title, p.Status, Percent(p.Rate)))
			}
		}
		head := fmt.Sprintf("本市调度（%d年截至 %s，时序进度 %s）：", r.Year, r.AsOf, Percent(r.TimeProgress))
		if len(behind) == 0 {
			return head + "各项任务均未滞后。"
		}
		return head + strings.Join(behind, "；") + "。"
	}
	return ""
}

// SevereLine is the demo's line on the dispatch, with the commands to see
// more.
func SevereLine(r *Report) string {
	if r == nil {
		return ""
	}
	return r.BehindText() + "查看与生成调度通报：flexemp dispatch / bulletin --year " + fmt.Sprint(r.Year)
}

// WriteTable writes the report as a table: a line per city, a column per
// task (完成率 and status), the province and the regions after.
func WriteTable(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "%s\n截至 %s，时序进度 %s（%d/12）\n\n", r.Title(), r.AsOf, Percent(r.TimeProgress), r.Months)
	tw := columns.NewWriter(w)
	tasks := Targeted(r.Province)
	head := []string{"城市", "区域"}
	for _, t := range tasks {
		head = append(head, t.ID+" "+t.Title)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, c := range r.Cities {
		row := []string{c.Name, orDash(c.Region)}
		for _, t := range tasks {
			if p := c.Tasks[t.ID]; p != nil {
				row = append(row, p.Text()+" "+p.Status)
			} else {
				row = append(row, "—")
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	total := func(t *Total) string {
		if t == nil {
			return "—"
		}
		return t.Text()
	}
	for _, reg := range r.Regions {
		row := []string{reg.Name + "小计", "—"}
		for _, t := range tasks {
			row = append(row, total(reg.Tasks[t.ID]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	row := []string{"全省", "—"}
	for _, t := range tasks {
		row = append(row, total(r.Province[t.ID]))
	}
	fmt.Fprintln(tw, strings.Join(row, "\t"))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range []string{Severe, Behind} {
		if named := r.Named(s); len(named) > 0 {
			fmt.Fprintf(w, "\n%s：%s", s, strings.Join(named, "、"))
		}
	}
	fmt.Fprintf(w, "\n预计全年完成率：%s，无上年完整数据的%s\n", Seasonal, Linear)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
