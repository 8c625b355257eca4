package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// WriteExplanation writes one city's explanation as `explain` prints it:
// the headline and change, the dimension scores, every indicator through
// every step, the breaches and the run stamp.
func WriteExplanation(w io.Writer, e *metrics.Explanation) error {
	c := e.City
	fmt.Fprintf(w, "%s（%s）考核说明：%s\n", c.Name, c.Code, PeriodText(e.Period, e.Run))
	if t := LeftOutText(e.Run); t != "" {
		fmt.Fprintln(w, t)
	}
	fmt.Fprintln(w, Headline(&c))
	if c.Ranked {
		fmt.Fprintf(w, "模拟名次中位数 %d\n", c.MedianRank)
	}
	ch := e.Change
	fmt.Fprintln(w, ChangeText(ch, &c))
	var dims []string
	for _, d := range flexemp.Dimensions {
		dims = append(dims, string(d)+" "+Fixed(c.Dimensions[d], 1))
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
	tw := columns.NewWriter(w)
	fmt.Fprintf(tw, "指标\t名称\t分子\t分母\t原值\t缩尾后\t标准化\t贡献\t与%s差距\t较上期\n", leader)
	for _, ind := range c.Indicators {
		value := IndicatorCell(ind) // 22.5% as everywhere else, or why it has none
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ind.ID, ind.Title,
			Fixed(ind.Numerator, -1), Fixed(ind.Denominator, -1), value, Indicator(ind.ID, ind.Treated),
			Fixed(ind.Normalised, 1), Fixed(ind.Contribution, 2), Fixed(e.Gaps[ind.ID], 2), Signed(ind.ID, ch.Indicators[ind.ID]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, BreachSummary(e.Breaches))
	if len(e.Breaches) > 0 {
		tw = columns.NewWriter(w)
		fmt.Fprintln(tw, "上传\t行\t补贴类型\t发放日期\t人员类别\t规则\t限额\t实际")
		for _, b := range e.Breaches {
			paid := ""
			if b.PaidOn != nil {
				paid = b.PaidOn.Format("2006-01-02")
			}
			limit, value := Describe(b)
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", b.UploadID, b.RowNo, b.SubsidyType, paid, b.PersonGroup, RuleName(b.Rule), limit, value)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n考核批次 %d，配置摘要 %s，随机种子 %d，模拟 %d 次，生成于 %s\n", e.Run.ID, e.Run.ConfigHash, e.Run.Seed, e.Run.Draws,
		e.Run.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	return err
}
