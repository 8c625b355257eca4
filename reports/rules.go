package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/liaoning-hrss/flexemp/metrics"
)

// ruleNames are the subsidy rules (int_subsidy_breaches' codes) as users
// read them.
var ruleNames = map[string]string{
	"si_group":                 "社会保险补贴对象不符",
	"si_two_thirds":            "社会保险补贴超过缴费额的三分之二",
	"si_months_hard_to_employ": "就业困难人员社保补贴超过36个月",
	"si_months_graduate":       "高校毕业生社保补贴超过期限",
	"venue_months":             "创业场地补贴超过24个月",
	"public_post_wage":         "公益性岗位补贴超过工时×小时最低工资",
	"si_after_retirement":      "达到退休年龄后仍发放社会保险补贴",
}

// RuleName is a subsidy rule as users read it.
func RuleName(code string) string {
	if n, ok := ruleNames[code]; ok {
		return n
	}
	return code
}

// RuleNames are every subsidy rule's name, sorted.
func RuleNames() []string {
	var out []string
	for _, n := range ruleNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// moneyRule tells whether a rule's limit and value are amounts in fen.
func moneyRule(code string) bool { return code == "si_two_thirds" || code == "public_post_wage" }

// Describe puts a breach's limit and value in words: 限额 and 实际.
func Describe(b metrics.Breach) (limit, value string) {
	f := func(n *int64, text string) string {
		switch {
		case n == nil:
			return text
		case moneyRule(b.Rule):
			return FormatFen(*n)
		}
		return fmt.Sprintf("%d 个月", *n)
	}
	return f(b.Limit, b.LimitText), f(b.Value, b.ValueText)
}

// FormatFen writes an amount in fen as yuan with two decimals.
func FormatFen(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d 元", sign, fen/100, fen%100)
}

// BreachSummary says how many breaches there are, by rule, in one line.
func BreachSummary(bs []metrics.Breach) string {
	if len(bs) == 0 {
		return "补贴合规：本期无违规发放"
	}
	byRule := map[string]int{}
	for _, b := range bs {
		byRule[RuleName(b.Rule)]++
	}
	var parts []string
	for _, name := range RuleNames() {
		if n := byRule[name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d 条", name, n))
		}
	}
	return fmt.Sprintf("补贴违规 %d 条：%s", len(bs), strings.Join(parts, "，"))
}
