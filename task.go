package flexemp

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Task is one of the year's tasks the province sets each city (年度目标任务,
// SPEC "Dispatch"): a count over the year's months, from one kind of
// extract.
type Task struct {
	ID    string // T1 … T6
	Title string // 新增灵活就业登记人数 …
	Kind  Kind   // the extract it is counted from
	Unit  string // 人, 人次, 笔, 场
}

// Tasks are the dispatch tasks in order.
var Tasks = []Task{
	{"T1", "新增灵活就业登记人数", Registrations, "人"},
	{"T2", "灵活就业人员培训人次", Trainings, "人次"},
	{"T3", "社会保险补贴发放人数", Subsidies, "人"},
	{"T4", "零工对接服务人次", Services, "人次"},
	{"T5", "创业担保贷款受理笔数", Services, "笔"},
	{"T6", "政策宣传场次", Services, "场"},
}

// TaskByID finds a task.
func TaskByID(id string) (Task, bool) {
	for _, t := range Tasks {
		if t.ID == id {
			return t, true
		}
	}
	return Task{}, false
}

// Target is a city's target for a task in a year (reference/targets.csv).
type Target struct {
	Year   int
	City   string
	Task   string
	Target int64
}

//go:embed reference/targets.csv
var targetsCSV []byte

// Targets is the embedded targets table: empty until the province gives
// its own ([reference] targets).
var Targets = mustParse(targetsCSV, ParseTargets)

// ParseTargets reads year,city_code,task,target: a city's task once a
// year, a positive whole target. A header with no rows is a valid, empty
// table. A bad line is refused with its number and why, in Chinese.
func ParseTargets(r io.Reader) ([]Target, error) {
	recs, err := readHeaded(r, "targets", "year,city_code,task,target")
	if err != nil {
		return nil, err
	}
	out := []Target{}
	seen := map[string]int{}
	for i, rec := range recs {
		line := i + 2
		bad := func(format string, a ...any) error {
			return fmt.Errorf("targets 第%d行：%s", line, fmt.Sprintf(format, a...))
		}
		if len(rec) != 4 {
			return nil, bad("应有 4 列（year,city_code,task,target），实有 %d 列", len(rec))
		}
		year, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || year < 2000 || year > 2100 {
			return nil, bad("年份 %q 不是 2000–2100 之间的年份", rec[0])
		}
		city := strings.TrimSpace(rec[1])
		if _, ok := CityByCode(city); !ok {
			return nil, bad("%q 不是辽宁省的城市代码", city)
		}
		task := strings.ToUpper(strings.TrimSpace(rec[2]))
		if _, ok := TaskByID(task); !ok {
			return nil, bad("任务 %q 不是 T1–T6 之一", rec[2])
		}
		target, err := strconv.ParseInt(strings.TrimSpace(rec[3]), 10, 64)
		if err != nil || target <= 0 {
			return nil, bad("目标 %q 应为正整数", rec[3])
		}
		key := fmt.Sprint(year, city, task)
		if first, ok := seen[key]; ok {
			return nil, bad("%d 年 %s 的 %s 已在第%d行给出", year, city, task, first)
		}
		seen[key] = line
		out = append(out, Target{Year: year, City: city, Task: task, Target: target})
	}
	return out, nil
}

// Region is a group of neighbouring cities shown side by side (measure
// 17), from reference/regions.csv.
type Region struct {
	Name   string
	Cities []string // codes, in the table's order
}

//go:embed reference/regions.csv
var regionsCSV []byte

// Regions is the embedded regions table: empty ([reference] regions).
var Regions = mustParse(regionsCSV, ParseRegions)

// ParseRegions reads region,city_code: a city in at most one region.
func ParseRegions(r io.Reader) ([]Region, error) {
	recs, err := readHeaded(r, "regions", "region,city_code")
	if err != nil {
		return nil, err
	}
	out := []Region{}
	at := map[string]int{}
	in := map[string]int{}
	for i, rec := range recs {
		line := i + 2
		if len(rec) != 2 || strings.TrimSpace(rec[0]) == "" {
			return nil, fmt.Errorf("regions 第%d行：应为 region,city_code 两列且区域名不为空", line)
		}
		name, city := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if _, ok := CityByCode(city); !ok {
			return nil, fmt.Errorf("regions 第%d行：%q 不是辽宁省的城市代码", line, city)
		}
		if first, ok := in[city]; ok {
			return nil, fmt.Errorf("regions 第%d行：%s 已在第%d行归入一个区域，一个城市至多属于一个区域", line, city, first)
		}
		in[city] = line
		j, ok := at[name]
		if !ok {
			j = len(out)
			at[name] = j
			out = append(out, Region{Name: name})
		}
		out[j].Cities = append(out[j].Cities, city)
	}
	return out, nil
}

// RegionOf is the name of the region a city is in, or "".
func RegionOf(regions []Region, city string) string {
	for _, r := range regions {
		for _, c := range r.Cities {
			if c == city {
				return r.Name
			}
		}
	}
	return ""
}

// readHeaded reads a reference CSV whose first line must be header,
// followed by the optional columns in order, as many as it has (a BOM
// allowed), and returns the rows after it; no rows is an empty table.
func readHeaded(r io.Reader, what, header string, optional ...string) ([][]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s：不是有效的 CSV：%w", what, err)
	}
	var first string
	if len(recs) > 0 {
		first = strings.TrimPrefix(strings.Join(recs[0], ","), "\ufeff")
	}
	want, said := header, header
	ok := first == want
	for _, o := range optional {
		want, said = want+","+o, said+"[,"+o+"]"
		ok = ok || first == want
	}
	if !ok {
		return nil, fmt.Errorf("%s：第1行应为表头 %s", what, said)
	}
	return recs[1:], nil
}
