package flexemp

import (
	"strings"
	"testing"
)

// A targets or regions table with a bad line is refused, naming the line
// and why; a header with no rows is an empty table.
func TestTargetsAndRegionsRefuseBadLines(t *testing.T) {
	if got, err := ParseTargets(strings.NewReader("year,city_code,task,target\n")); err != nil || len(got) != 0 {
		t.Errorf("an empty table: %v %v", got, err)
	}
	good := "year,city_code,task,target\n2025,210100,T1,1200\n2025,210200,t2,300\n"
	if got, err := ParseTargets(strings.NewReader(good)); err != nil || len(got) != 2 || got[1].Task != "T2" || got[0].Target != 1200 {
		t.Errorf("a good table: %+v %v", got, err)
	}
	for body, want := range map[string]string{
		"2025,219900,T1,10\n":                    "第2行：\"219900\" 不是辽宁省的城市代码",
		"2025,210100,T9,10\n":                    "第2行：任务 \"T9\" 不是 T1–T6 之一",
		"2025,210100,T1,0\n":                     "第2行：目标 \"0\" 应为正整数",
		"2025,210100,T1,-5\n":                    "第2行：目标 \"-5\" 应为正整数",
		"25,210100,T1,10\n":                      "第2行：年份 \"25\" 不是",
		"2025,210100,T1,10\n2025,210100,T1,12\n": "第3行：2025 年 210100 的 T1 已在第2行给出",
		"2025,210100,T1\n":                       "第2行：应有 4 列",
	} {
		_, err := ParseTargets(strings.NewReader("year,city_code,task,target\n" + body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	if _, err := ParseTargets(strings.NewReader("city,task\n")); err == nil || !strings.Contains(err.Error(), "表头") {
		t.Errorf("a wrong header: %v", err)
	}
	regions, err := ParseRegions(strings.NewReader("region,city_code\n辽中南,210100\n辽中南,210300\n辽西,211400\n"))
	if err != nil || len(regions) != 2 || RegionOf(regions, "210300") != "辽中南" || RegionOf(regions, "210200") != "" {
		t.Errorf("regions: %+v %v", regions, err)
	}
	if _, err := ParseRegions(strings.NewReader("region,city_code\n甲,210100\n乙,210100\n")); err == nil || !strings.Contains(err.Error(), "第3行") {
		t.Errorf("a city in two regions: %v", err)
	}
	// The funds table shares the reader: its optional last column, and a
	// wrong header named.
	for _, head := range []string{"city_code,month,allocated_yuan\n", "\ufeffcity_code,month,allocated_yuan,paid_yuan\n"} {
		if _, err := ParseFunds(strings.NewReader(head + "210100,2025-01,100.50\n")); err != nil {
			t.Errorf("funds with the header %q: %v", head, err)
		}
	}
	if _, err := ParseFunds(strings.NewReader("city,month,yuan\n")); err == nil || !strings.Contains(err.Error(), "city_code,month,allocated_yuan[,paid_yuan]") {
		t.Errorf("funds with a wrong header: %v", err)
	}
}
