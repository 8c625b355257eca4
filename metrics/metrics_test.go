package metrics

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

// Excel's SKEW and KURT by another route: from the population moments,
// SKEW = √(n(n−1))/(n−2)·m3/m2^1.5 and KURT = ((n+1)·g2 + 6)(n−1)/((n−2)(n−3))
// with g2 = m4/m2² − 3.
func TestSkewnessKurtosisMatchExcel(t *testing.T) {
	for _, xs := range [][]float64{{1, 2, 3, 4, 100}, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}, {0.2, 0.25, 0.21, 0.9, 0.22, 0.23}} {
		n := float64(len(xs))
		var mean float64
		for _, x := range xs {
			mean += x / n
		}
		var m2, m3, m4 float64
		for _, x := range xs {
			d := x - mean
			m2 += d * d / n
			m3 += d * d * d / n
			m4 += d * d * d * d / n
		}
		skew := math.Sqrt(n*(n-1)) / (n - 2) * m3 / math.Pow(m2, 1.5)
		g2 := m4/(m2*m2) - 3
		kurt := ((n+1)*g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
		if !near(Skewness(xs), skew) || !near(Kurtosis(xs), kurt) {
			t.Errorf("%v: skew %v kurt %v, want %v %v", xs, Skewness(xs), Kurtosis(xs), skew, kurt)
		}
	}
}

func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 1 + float64(i)/10
	}
	return xs
}

func TestWinsorise(t *testing.T) {
	// No outlier: untouched.
	flat := seq(14)
	if out, idx := Winsorise(flat, 2); len(idx) != 0 || !reflect.DeepEqual(out, flat) {
		t.Errorf("treated a vector without outliers: %v", idx)
	}
	// One high outlier: set to the next value, 2.2, and then the rule passes.
	one := append(seq(13), 50)
	out, idx := Winsorise(one, 2)
	if !reflect.DeepEqual(idx, []int{13}) || out[13] != 2.2 || needsTreatment(out) {
		t.Errorf("one outlier: %v → %v", idx, out[13])
	}
	// Two tied at the top move together in one step.
	two := append(seq(12), 50, 50)
	if _, idx := Winsorise(two, 2); !reflect.DeepEqual(idx, []int{12, 13}) {
		t.Errorf("tied outliers: %v", idx)
	}
	// Outliers 300 and 1000 above a tight cluster, with a cap of 1 city:
	// step 1 sets 1000 → 300 and the rule still holds (skewness 2.29,
	// kurtosis 3.79); step 2 would move both 300s, bringing the treated
	// cities to 2 counted over all steps, above the cap: it stops.
	capped := append(seq(10), 3, 3, 300, 1000)
	out, idx = Winsorise(capped, 1)
	if !reflect.DeepEqual(idx, []int{13}) || out[13] != 300 || out[12] != 300 || !needsTreatment(out) {
		t.Errorf("capped: %v %v", idx, out[10:])
	}
	// With the default cap of 2 the second step is taken and the rule passes.
	out, idx = Winsorise(capped, 2)
	if !reflect.DeepEqual(idx, []int{12, 13}) || out[13] != 3 || needsTreatment(out) {
		t.Errorf("cap 2: %v %v", idx, out[10:])
	}
	// A low outlier (negative skew) is raised to the next lowest value.
	low := append([]float64{-50}, seq(13)...)
	if out, idx := Winsorise(low, 2); !reflect.DeepEqual(idx, []int{0}) || out[0] != 1 {
		t.Errorf("low outlier: %v %v", idx, out[0])
	}
}

func TestCompetitionRanks(t *testing.T) {
	got := CompetitionRanks([]float64{90.001, 80, 90.004, math.NaN(), 70, 80})
	if want := []int{1, 3, 1, 0, 5, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("ranks %v, want %v", got, want)
	}
}

// table builds cities × the declared indicators.
func table(vals [][]float64) Table {
	t := Table{Values: vals, Indicators: flexemp.Indicators}
	for i := range vals {
		t.Cities = append(t.Cities, string(rune('a'+i)))
	}
	return t
}

func row(v float64) []float64 {
	r := make([]float64, len(flexemp.Indicators))
	for i := range r {
		r[i] = v + float64(i%3)
	}
	return r
}

// The arithmetic index by plain arithmetic: min–max scores, equal weights in
// a dimension, SPEC's dimension weights.
func TestArithmeticIndexByHand(t *testing.T) {
	vals := [][]float64{row(1), row(2), row(4), row(3)}
	vals[1][0] = 10 // city b best on IA
	r, err := Compute(table(vals), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	dimIdx := map[flexemp.Dimension][]int{}
	for i, ind := range r.Table.Indicators {
		dimIdx[ind.Dimension] = append(dimIdx[ind.Dimension], i)
	}
	for c := range vals {
		var index float64
		// SPEC's default dimension weights, written out.
		for d, w := range map[flexemp.Dimension]float64{"规模结构": 20, "服务效能": 25, "政策落实": 25, "权益保障": 15, "规范管理": 15} {
			var sum float64
			for _, i := range dimIdx[d] {
				lo, hi := math.Inf(1), math.Inf(-1)
				for k := range vals {
					lo, hi = math.Min(lo, vals[k][i]), math.Max(hi, vals[k][i])
				}
				sum += (vals[c][i] - lo) / (hi - lo) * 100
			}
			index += w / 100 * sum / float64(len(dimIdx[d]))
		}
		if !near(r.Index[c], index) {
			t.Errorf("city %d: index %v, want %v", c, r.Index[c], index)
		}
		var contrib float64
		for _, x := range r.Contributions[c] {
			contrib += x
		}
		if !near(contrib, index) {
			t.Errorf("city %d: contributions add to %v, not %v", c, contrib, index)
		}
	}
	// c (row 4) leads every indicator but IA; b's IA lead is worth 20/3 points.
	if r.Rank[2] != 1 || r.Rank[0] != 4 {
		t.Errorf("ranks %v", r.Rank)
	}
}

// The geometric index: scores mapped onto 1–100, then weighted geometric
// means, by hand.
func TestGeometricIndexByHand(t *testing.T) {
	vals := [][]float64{row(1), row(2), row(5)}
	r, err := Compute(table(vals), Settings{Aggregation: Geometric})
	if err != nil {
		t.Fatal(err)
	}
	// Every indicator orders the cities the same way: a = 1, b = 1 + 99·(1/4), c = 100.
	scores := []float64{1, 1 + 99*0.25, 100}
	for c, s := range scores {
		if !near(r.Index[c], s) { // a geometric mean of equal scores is the score
			t.Errorf("city %d: %v, want %v", c, r.Index[c], s)
		}
	}
}

func TestScreeningAndMissing(t *testing.T) {
	vals := [][]float64{row(1), row(2), row(3), row(4)}
	n := len(flexemp.Indicators)
	// More than a third 无数据, no dimension emptied: every other
	// indicator from the second on.
	over := n/3 + 1
	for k := range over {
		vals[0][1+2*k] = math.NaN()
	}
	// A third or fewer: ranked, flagged, left out of its dimension means.
	for k := range n / 3 {
		vals[1][1+2*k] = math.NaN()
	}
	// Every indicator of 规范管理 无数据: an empty dimension, not ranked.
	for i, ind := range flexemp.Indicators {
		if ind.Dimension == flexemp.DimGovernance {
			vals[2][i] = math.NaN()
		}
	}
	r, err := Compute(table(vals), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.EmptyDimensions[0]) != 0 || len(r.Missing[0]) != over {
		t.Fatalf("fixture: %v empty, %d missing", r.EmptyDimensions[0], len(r.Missing[0]))
	}
	if r.Ranked[0] || !r.Ranked[1] || r.Ranked[2] || !r.Ranked[3] || r.Rank[0] != 0 || !math.IsNaN(r.Index[0]) {
		t.Errorf("screening: ranked %v rank %v", r.Ranked, r.Rank)
	}
	if len(r.Missing[1]) != n/3 || math.IsNaN(r.Index[1]) {
		t.Errorf("city with a third missing: %v %v", r.Missing[1], r.Index[1])
	}
	if len(r.EmptyDimensions[2]) != 1 || r.EmptyDimensions[2][0] != flexemp.DimGovernance {
		t.Errorf("empty dimensions %v", r.EmptyDimensions[2])
	}
}

// A 未报送 indicator, and one whose denominator is 0 from the city's own
// data (无数据·计最低), scores the lowest under every normalisation and
// aggregation — 0 under min–max and goalposts, the lowest z-score, 1 on the
// geometric scale — counts as present (the city is ranked, nothing is
// renormalised), and never scores above a city that sent its data, even
// the worst or where all others are equal.
func TestWithheldScoresLowest(t *testing.T) {
	for _, zero := range []bool{false, true} {
		floorScoresLowest(t, zero)
	}
}

func floorScoresLowest(t *testing.T, zero bool) {
	vals := [][]float64{row(3), row(1), row(2), row(5)}
	held := make([][]bool, len(vals))
	for c := range held {
		held[c] = make([]bool, len(vals[c]))
	}
	// City a withholds I1 (it would have been the best) and I6 (where the
	// others are all equal).
	i1, i6 := flexemp.IndicatorIndex("I1"), flexemp.IndicatorIndex("I6")
	for _, i := range []int{i1, i6} {
		vals[0][i] = math.NaN()
		held[0][i] = true
	}
	for c := 1; c < len(vals); c++ {
		vals[c][i6] = 7
	}
	tbl := table(vals)
	if zero {
		tbl.ZeroFloor = held
	} else {
		tbl.Withheld = held
	}
	goalposts := map[string][2]float64{}
	for _, ind := range flexemp.Indicators {
		goalposts[ind.ID] = [2]float64{0, 10}
	}
	for _, s := range []Settings{{}, {Normalisation: ZScore}, {Normalisation: Goalposts, Goalposts: goalposts},
		{Aggregation: Geometric}, {Normalisation: ZScore, Aggregation: Geometric}} {
		r, err := Compute(tbl, s)
		if err != nil {
			t.Fatal(err)
		}
		floored := r.Withheld[0]
		if zero {
			floored = r.ZeroFloored[0]
		}
		if !r.Ranked[0] || len(floored) != 2 || len(r.Withheld[0])+len(r.ZeroFloored[0]) != 2 || len(r.Missing[0]) != 0 {
			t.Fatalf("%+v: ranked %v, withheld %v, zero %v, missing %v", s, r.Ranked[0], r.Withheld[0], r.ZeroFloored[0], r.Missing[0])
		}
		for _, i := range []int{i1, i6} {
			got := r.Normalised[0][i]
			for c := 1; c < len(vals); c++ {
				if got >= r.Normalised[c][i] && !(s.Normalisation == ZScore && got == r.Normalised[c][i]) {
					t.Errorf("%+v %s: withheld %v not below city %d's %v", s, flexemp.Indicators[i].ID, got, c, r.Normalised[c][i])
				}
			}
			want := 0.0
			if s.Aggregation == Geometric {
				want = 1
			}
			if s.Normalisation != ZScore && got != want {
				t.Errorf("%+v %s: withheld scores %v, want %v", s, flexemp.Indicators[i].ID, got, want)
			}
			if math.IsNaN(r.Contributions[0][i]) {
				t.Errorf("%+v %s: withheld left out of the index", s, flexemp.Indicators[i].ID)
			}
		}
	}
	// The lowest z-score is the lowest of the column: imputing the floor 0
	// puts the withholder at or below every city that sent data.
	r, _ := Compute(tbl, Settings{Normalisation: ZScore})
	lowest := math.Inf(1)
	for c := range vals {
		lowest = math.Min(lowest, r.Normalised[c][i1])
	}
	if r.Normalised[0][i1] != lowest {
		t.Errorf("z-score: withheld %v, lowest %v", r.Normalised[0][i1], lowest)
	}
}

// An indicator no city can compute is left out of the period's framework;
// one a single city computes stays.
func TestFramework(t *testing.T) {
	vals := [][]float64{row(1), row(2), row(3)}
	gone, kept := flexemp.IndicatorIndex("I19"), flexemp.IndicatorIndex("I21")
	for c := range vals {
		vals[c][gone] = math.NaN()
		if c > 0 {
			vals[c][kept] = math.NaN()
		}
	}
	f, out := table(vals).Framework()
	if len(out) != 1 || out[0] != "I19" || len(f.Indicators) != len(flexemp.Indicators)-1 || len(f.Values[0]) != len(f.Indicators) {
		t.Fatalf("left out %v, %d indicators", out, len(f.Indicators))
	}
	for _, ind := range f.Indicators {
		if ind.ID == "I19" {
			t.Error("I19 kept")
		}
	}
}

func TestAllCitiesEqual(t *testing.T) {
	vals := [][]float64{row(1), row(1), row(1)}
	for _, s := range []Settings{{}, {Normalisation: ZScore}, {Aggregation: Geometric}} {
		r, err := Compute(table(vals), s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Rank, []int{1, 1, 1}) {
			t.Errorf("%+v: ranks %v", s, r.Rank)
		}
	}
	r, _ := Compute(table(vals), Settings{})
	if r.Index[0] != 100 {
		t.Errorf("all equal under min–max: %v, want 100", r.Index[0])
	}
}

func TestWeights(t *testing.T) {
	// a is best on 规模结构 only, b on the rest: weighting 规模结构 heavily puts a first.
	vals := [][]float64{row(1), row(1)}
	for i := range vals[0] {
		if i < 3 {
			vals[0][i] += 1
		} else {
			vals[1][i] += 1
		}
	}
	r, _ := Compute(table(vals), Settings{})
	heavy, _ := Compute(table(vals), Settings{DimensionWeights: map[string]float64{"规模结构": 90, "服务效能": 2.5, "政策落实": 2.5, "权益保障": 2.5, "规范管理": 2.5}})
	if r.Rank[1] != 1 || heavy.Rank[0] != 1 || !near(heavy.Index[0], 90) {
		t.Errorf("default %v, heavy %v %v", r.Rank, heavy.Rank, heavy.Index)
	}
}

func TestSensitivityAndGrades(t *testing.T) {
	var vals [][]float64
	for c := range 14 {
		vals = append(vals, row(float64(c)))
	}
	vals[13] = row(100) // far ahead
	r, _ := Compute(table(vals), Settings{})
	a, b := Sensitivity(r, 200, 7), Sensitivity(r, 200, 7)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different bands")
	}
	if a[13].P5 != 1 || a[13].P95 != 1 || a[0].Median != 14 {
		t.Errorf("bands %+v … %+v", a[0], a[13])
	}
	grades, priority := r.Settings.Grades(r.Rank, a)
	// 14 ranked: 优秀 within ⌈2.8⌉ = 3 places, 良好 within ⌈8.4⌉ = 9.
	counts := map[string]int{}
	for _, g := range grades {
		counts[g]++
	}
	if counts["优秀"] != 3 || counts["良好"] != 6 || counts["一般"] != 5 || !priority[13] {
		t.Errorf("grades %v priority %v", counts, priority)
	}
	// Configured shares: 优秀 within ⌈0.1 × 14⌉ = 2, 良好 within ⌈0.5 × 14⌉ = 7.
	grades, _ = Settings{ExcellentShare: 0.1, GoodShare: 0.5}.Grades(r.Rank, a)
	counts = map[string]int{}
	for _, g := range grades {
		counts[g]++
	}
	if counts["优秀"] != 2 || counts["良好"] != 5 || counts["一般"] != 7 {
		t.Errorf("shares 0.1/0.5: grades %v", counts)
	}
}

func TestSettingsValidate(t *testing.T) {
	bad := map[string]Settings{
		"normalisation": {Normalisation: "rank"},
		"aggregation":   {Aggregation: "median"},
		"dimension":     {DimensionWeights: map[string]float64{"其他": 1}},
		"negative":      {IndicatorWeights: map[string]float64{"I3": -1}},
		"indicator":     {IndicatorWeights: map[string]float64{"I99": 1}},
		"goalposts":     {Goalposts: map[string][2]float64{"I1": {5, 5}}},
		"no goalposts":  {Normalisation: Goalposts},
		"shares":        {ExcellentShare: 0.7, GoodShare: 0.6},
	}
	for name, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: %+v accepted", name, s)
		}
		if _, err := Compute(table([][]float64{row(1), row(2)}), s); err == nil {
			t.Errorf("%s: Compute accepted %+v", name, s)
		}
	}
	if err := (Settings{Normalisation: Goalposts, Goalposts: map[string][2]float64{"I1": {0, 500}}}).Validate(); err != nil {
		t.Error(err)
	}
}

// Grades count ties: of 14 ranked cities 3 places are 优秀 and 9 优秀 or 良好
// (⌈0.2 × 14⌉, ⌈0.6 × 14⌉). Three tied at rank 1 reach place 3 and are
// 优秀; four tied there reach place 4 and fall to 良好 together; a tie at
// rank 8 reaching place 10 straddles 良好's edge and falls to 一般.
func TestGradesCountTies(t *testing.T) {
	rank := func(rs ...int) []int { return rs }
	for _, c := range []struct {
		ranks []int
		want  string // grades in order: E 优秀, G 良好, F 一般
	}{
		{rank(1, 1, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14), "EEEGGGGGGFFFFF"},
		{rank(1, 1, 1, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14), "GGGGGGGGGFFFFF"},
		{rank(1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 11, 12, 13, 14), "EEEGGGGFFFFFFF"},
		{rank(1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2), "EFFFFFFFFFFFFF"},
	} {
		grades, _ := Settings{}.Grades(c.ranks, nil)
		var got strings.Builder
		for _, g := range grades {
			got.WriteString(map[string]string{flexemp.GradeExcellent: "E", flexemp.GradeGood: "G", flexemp.GradeFair: "F"}[g])
		}
		if got.String() != c.want {
			t.Errorf("ranks %v: grades %s, want %s", c.ranks, got.String(), c.want)
		}
	}
}

// A stored configuration gives back the options it was taken from: an
// issued ranking recomputed after flexemp.toml changed uses its own.
func TestConfigRoundTrip(t *testing.T) {
	o := AssessOptions{Draws: 200, Seed: 7, GraduateExtension: map[string]int{"210100": 3}}
	o.DimensionWeights = map[string]float64{"规模结构": 30, "服务保障": 20, "权益保障": 20, "培训成效": 15, "数据质量": 15}
	back, err := ParseConfig(o.Config())
	if err != nil {
		t.Fatal(err)
	}
	if back.ConfigHash() != o.ConfigHash() || string(back.Config()) != string(o.Config()) {
		t.Errorf("config %s came back as %s", o.Config()[:200], back.Config()[:200])
	}
	if (AssessOptions{}).ConfigHash() == o.ConfigHash() {
		t.Error("different settings, same hash")
	}
}
