package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/liaoning-hrss/flexemp"
)

// TargetsFile is the name of the dispatch targets table Generate writes.
const TargetsFile = "targets.csv"

// tally counts a city's dispatch tasks (SPEC "Dispatch") by year from the
// rows it sent, as a province sets next year's targets from this year's
// results: roughly (a spoiled row counts too), which is all a target needs.
type tally struct {
	persons map[string]map[int]map[string]bool // T1, T3: distinct IDs by year
	counts  map[string]map[int]int64           // T2, T4–T6 by year
}

func newTally() *tally {
	return &tally{persons: map[string]map[int]map[string]bool{}, counts: map[string]map[int]int64{}}
}

// add counts one sent extract's rows.
func (t *tally) add(kind flexemp.Kind, m flexemp.Month, rows [][]any) {
	cols := flexemp.ContractOf(kind).ColumnsAt(m)
	at := func(name string) int {
		return slices.IndexFunc(cols, func(c flexemp.Column) bool { return c.Name == name })
	}
	field := func(row []any, i int) string {
		if i < 0 || i >= len(row) || row[i] == nil {
			return ""
		}
		return fmt.Sprint(row[i])
	}
	person := func(task string, row []any) {
		if t.persons[task] == nil {
			t.persons[task] = map[int]map[string]bool{}
		}
		if t.persons[task][m.Year] == nil {
			t.persons[task][m.Year] = map[string]bool{}
		}
		t.persons[task][m.Year][field(row, at("id_number"))] = true
	}
	count := func(task string, n int64) {
		if t.counts[task] == nil {
			t.counts[task] = map[int]int64{}
		}
		t.counts[task][m.Year] += n
	}
	for _, row := range rows {
		switch kind {
		case flexemp.Registrations:
			if field(row, at("reg_type")) == flexemp.RegFlexible {
				person("T1", row)
			}
		case flexemp.Subsidies:
			if field(row, at("subsidy_type")) == flexemp.SubsidySocialInsurance {
				person("T3", row)
			}
		case flexemp.Trainings:
			if field(row, at("flexible_worker")) == "是" {
				count("T2", 1)
			}
		case flexemp.Services:
			for task, col := range map[string]string{"T4": "gig_matches", "T5": "loans_applied", "T6": "publicity_events"} {
				if n, err := strconv.ParseInt(field(row, at(col)), 10, 64); err == nil {
					count(task, n)
				}
			}
		}
	}
}

// of is a task's count in a year.
func (t *tally) of(task string, year int) int64 {
	if set := t.persons[task][year]; set != nil {
		return int64(len(set))
	}
	return t.counts[task][year]
}

// writeTargets writes each city's targets for year: its previous year's
// count (this year's when the generator made no previous year) × a growth
// of −3% to +5%, and for three cities drawn from the seed 45–70% more, set too
// high, so a dispatch has cities 滞后 and 严重滞后. A task the city counted
// nothing for has no target.
func writeTargets(path string, seed uint64, year, base int, tallies map[string]*tally) error {
	rng := rand.New(rand.NewPCG(seed, 0x7a96e7))
	codes := make([]string, 0, len(flexemp.Cities))
	for _, c := range flexemp.Cities {
		codes = append(codes, c.Code)
	}
	high := map[string]bool{}
	for _, i := range rng.Perm(len(codes))[:3] {
		high[codes[i]] = true
	}
	var b strings.Builder
	b.WriteString("year,city_code,task,target\n")
	for _, code := range codes {
		for _, task := range flexemp.Tasks {
			n := tallies[code].of(task.ID, base)
			if n <= 0 {
				continue
			}
			growth := 0.97 + 0.08*rng.Float64()
			if high[code] {
				growth = 1.45 + 0.25*rng.Float64()
			}
			fmt.Fprintf(&b, "%d,%s,%s,%d\n", year, code, task.ID, int64(math.Ceil(float64(n)*growth)))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
