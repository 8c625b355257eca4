package metrics

import (
	"fmt"
	"math"
	"slices"

	"github.com/liaoning-hrss/flexemp"
)

// Normalisation and aggregation methods.
const (
	MinMax     = "minmax"
	ZScore     = "zscore"
	Goalposts  = "goalposts"
	Arithmetic = "arithmetic"
	Geometric  = "geometric"
)

// Table is the raw indicator values of one period: Values[city][indicator],
// NaN where an indicator is missing for a city. Withheld[city][indicator]
// (nil: none) marks the NaNs that are 未报送 — the city has no extract of a
// source kind for a due month — and ZeroFloor (nil: none) those whose
// denominator is 0 from the city's own data (无数据·计最低), rather than
// 无数据: both are scored lowest, never left out.
type Table struct {
	Cities     []string
	Indicators []flexemp.Indicator
	Values     [][]float64
	Withheld   [][]bool
	ZeroFloor  [][]bool
}

// withheld tells whether city c's indicator i is 未报送.
func (t Table) withheld(c, i int) bool { return t.Withheld != nil && t.Withheld[c][i] }

// zeroFloor tells whether city c's indicator i is 无数据·计最低.
func (t Table) zeroFloor(c, i int) bool { return t.ZeroFloor != nil && t.ZeroFloor[c][i] }

// floored tells whether city c's indicator i takes the floor: 未报送 or
// 无数据·计最低.
func (t Table) floored(c, i int) bool { return t.withheld(c, i) || t.zeroFloor(c, i) }

// Framework leaves out the indicators no city can compute in the period (a
// version-2 column before 2025, say): the period's framework is the rest.
// It returns the table of the rest and the IDs left out.
func (t Table) Framework() (Table, []string) {
	var keep []int
	var out []string
	for i, ind := range t.Indicators {
		computed := false
		for c := range t.Cities {
			computed = computed || !math.IsNaN(t.Values[c][i])
		}
		if computed {
			keep = append(keep, i)
		} else {
			out = append(out, ind.ID)
		}
	}
	if len(out) == 0 {
		return t, nil
	}
	f := Table{Cities: t.Cities}
	for _, i := range keep {
		f.Indicators = append(f.Indicators, t.Indicators[i])
	}
	for c := range t.Cities {
		var vals []float64
		var held, zero []bool
		for _, i := range keep {
			vals = append(vals, t.Values[c][i])
			held = append(held, t.withheld(c, i))
			zero = append(zero, t.zeroFloor(c, i))
		}
		f.Values = append(f.Values, vals)
		f.Withheld = append(f.Withheld, held)
		f.ZeroFloor = append(f.ZeroFloor, zero)
	}
	return f, out
}

// Settings choose how the index is built, as [assess] in flexemp.toml. Zero
// values take the defaults.
type Settings struct {
	Normalisation    string                `toml:"normalisation"`     // minmax (default), zscore, goalposts
	Aggregation      string                `toml:"aggregation"`       // arithmetic (default), geometric
	DimensionWeights map[string]float64    `toml:"dimension_weights"` // 规模结构 = 20 …; default flexemp.DefaultDimensionWeights
	IndicatorWeights map[string]float64    `toml:"indicator_weights"` // I1 = 1 … within a dimension; default each indicator's declared weight
	Goalposts        map[string][2]float64 `toml:"goalposts"`         // I1 = [low, high], for goalposts
	MaxMissingShare  float64               `toml:"max_missing_share"` // a city missing more than this share is not ranked; default 1/3
	MaxTreated       int                   `toml:"max_treated"`       // most cities winsorised per indicator; default 2
	ExcellentShare   float64               `toml:"excellent_share"`   // 优秀 within ⌈share × n⌉ ranks; default 0.2
	GoodShare        float64               `toml:"good_share"`        // 良好 within ⌈share × n⌉ ranks; default 0.6
}

func (s Settings) withDefaults() Settings {
	if s.Normalisation == "" {
		s.Normalisation = MinMax
	}
	if s.Aggregation == "" {
		s.Aggregation = Arithmetic
	}
	if s.DimensionWeights == nil {
		s.DimensionWeights = map[string]float64{}
		for d, w := range flexemp.DefaultDimensionWeights {
			s.DimensionWeights[string(d)] = w
		}
	}
	if s.MaxMissingShare == 0 {
		s.MaxMissingShare = 1.0 / 3
	}
	if s.MaxTreated == 0 {
		s.MaxTreated = 2
	}
	if s.ExcellentShare == 0 {
		s.ExcellentShare = 0.2
	}
	if s.GoodShare == 0 {
		s.GoodShare = 0.6
	}
	return s
}

// Validate reports settings that cannot build an index, in the words of the
// config file.
func (s Settings) Validate() error {
	s = s.withDefaults()
	switch s.Normalisation {
	case MinMax, ZScore, Goalposts:
	default:
		return fmt.Errorf("normalisation %q: want minmax, zscore or goalposts", s.Normalisation)
	}
	switch s.Aggregation {
	case Arithmetic, Geometric:
	default:
		return fmt.Errorf("aggregation %q: want arithmetic or geometric", s.Aggregation)
	}
	for d, w := range s.DimensionWeights {
		if !slices.Contains(flexemp.Dimensions, flexemp.Dimension(d)) {
			return fmt.Errorf("dimension_weights: unknown dimension %q (want one of %v)", d, flexemp.Dimensions)
		}
		if w < 0 || math.IsNaN(w) {
			return fmt.Errorf("dimension_weights.%s: weight %v is negative", d, w)
		}
	}
	known := func(id string) bool { _, ok := flexemp.IndicatorByID(id); return ok }
	for id, w := range s.IndicatorWeights {
		if !known(id) {
			return fmt.Errorf("indicator_weights: unknown indicator %q", id)
		}
		if w < 0 || math.IsNaN(w) {
			return fmt.Errorf("indicator_weights.%s: weight %v is negative", id, w)
		}
	}
	for id, g := range s.Goalposts {
		if !known(id) {
			return fmt.Errorf("goalposts: unknown indicator %q", id)
		}
		if !(g[1] > g[0]) {
			return fmt.Errorf("goalposts.%s: high %v must exceed low %v", id, g[1], g[0])
		}
	}
	if s.Normalisation == Goalposts && len(s.Goalposts) == 0 {
		return fmt.Errorf("normalisation goalposts needs [assess.goalposts]")
	}
	if !(s.ExcellentShare > 0 && s.ExcellentShare <= s.GoodShare && s.GoodShare <= 1) {
		return fmt.Errorf("grade shares %v and %v: want 0 < excellent ≤ good ≤ 1", s.ExcellentShare, s.GoodShare)
	}
	if s.MaxMissingShare < 0 || s.MaxMissingShare >= 1 || s.MaxTreated < 0 {
		return fmt.Errorf("max_missing_share must be in [0, 1) and max_treated not negative")
	}
	return nil
}

func (s Settings) indicatorWeight(ind flexemp.Indicator) float64 {
	if w, ok := s.IndicatorWeights[ind.ID]; ok {
		return w
	}
	return ind.Weight
}

// Result keeps every step's output for one period, so a reviewer can open any
// stage and see why a city ranks where it does.
type Result struct {
	Table    Table
	Settings Settings

	// Screen: cities missing more than the allowed share, or every
	// indicator of a dimension, are not ranked (数据不足).
	Ranked   []bool
	Missing  [][]string // per city: the indicators it has no data for (无数据), left out of its dimension means
	Withheld [][]string // per city: the indicators it sent no extract for (未报送), scored lowest
	// ZeroFloored are, per city, the indicators whose denominator is 0 from
	// its own data (无数据·计最低), scored lowest.
	ZeroFloored [][]string
	// EmptyDimensions are, per city, the dimensions in which nothing is
	// left.
	EmptyDimensions [][]flexemp.Dimension

	// Treat: values after winsorisation, and which cities each indicator treated.
	Treated       [][]float64
	TreatedCities map[string][]string

	// Normalise: scores per city and indicator (NaN: missing or not ranked).
	Normalised [][]float64

	// Aggregate: dimension scores per city (in flexemp.Dimensions order) and the index.
	DimensionScores [][]float64
	Index           []float64

	// Rank: competition ranks on the index rounded to 2 decimals (0: not ranked).
	Rank []int

	// Explain: each indicator's contribution to the city's index.
	Contributions [][]float64
}

// Compute builds the index: screen → treat → normalise → weight and
// aggregate → rank → explain.
func Compute(t Table, s Settings) (*Result, error) {
	s = s.withDefaults()
	if err := check(t, s); err != nil {
		return nil, err
	}
	r := &Result{Table: t, Settings: s}
	r.screen()
	r.treat()
	r.Normalised = normalise(r.Treated, r.Ranked, t, s)
	r.DimensionScores, r.Index, r.Contributions = aggregate(r.Normalised, r.Ranked, t.Indicators, s)
	r.Rank = CompetitionRanks(r.Index)
	return r, nil
}

func check(t Table, s Settings) error {
	if len(t.Values) != len(t.Cities) {
		return fmt.Errorf("metrics: %d value rows for %d cities", len(t.Values), len(t.Cities))
	}
	for i, row := range t.Values {
		if len(row) != len(t.Indicators) {
			return fmt.Errorf("metrics: city %s has %d values for %d indicators", t.Cities[i], len(row), len(t.Indicators))
		}
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

func (r *Result) screen() {
	t := r.Table
	n := len(t.Indicators)
	r.Ranked = make([]bool, len(t.Cities))
	r.Missing = make([][]string, len(t.Cities))
	r.Withheld = make([][]string, len(t.Cities))
	r.ZeroFloored = make([][]string, len(t.Cities))
	r.EmptyDimensions = make([][]flexemp.Dimension, len(t.Cities))
	for c, row := range t.Values {
		present := map[flexemp.Dimension]int{}
		for i, v := range row {
			id := t.Indicators[i].ID
			switch {
			case t.withheld(c, i):
				r.Withheld[c] = append(r.Withheld[c], id)
				present[t.Indicators[i].Dimension]++
			case t.zeroFloor(c, i):
				r.ZeroFloored[c] = append(r.ZeroFloored[c], id)
				present[t.Indicators[i].Dimension]++
			case math.IsNaN(v):
				r.Missing[c] = append(r.Missing[c], id)
			default:
				present[t.Indicators[i].Dimension]++
			}
		}
		for _, d := range flexemp.Dimensions {
			if present[d] == 0 && slices.ContainsFunc(t.Indicators, func(ind flexemp.Indicator) bool { return ind.Dimension == d }) {
				r.EmptyDimensions[c] = append(r.EmptyDimensions[c], d)
			}
		}
		r.Ranked[c] = float64(len(r.Missing[c])) <= r.Settings.MaxMissingShare*float64(n) && len(r.EmptyDimensions[c]) == 0
	}
}

// treat winsorises each indicator across the ranked cities.
func (r *Result) treat() {
	r.Treated = make([][]float64, len(r.Table.Cities))
	for c := range r.Treated {
		r.Treated[c] = append([]float64(nil), r.Table.Values[c]...)
	}
	r.TreatedCities = map[string][]string{}
	for i, ind := range r.Table.Indicators {
		col, cities := r.column(r.Treated, i)
		out, changed := Winsorise(col, r.Settings.MaxTreated)
		for k, c := range cities {
			r.Treated[c][i] = out[k]
		}
		for _, k := range changed {
			r.TreatedCities[ind.ID] = append(r.TreatedCities[ind.ID], r.Table.Cities[cities[k]])
		}
	}
}

// column returns indicator i's values over the ranked cities, with their
// city indexes.
func (r *Result) column(m [][]float64, i int) ([]float64, []int) {
	var col []float64
	var cities []int
	for c := range m {
		if r.Ranked[c] {
			col = append(col, m[c][i])
			cities = append(cities, c)
		}
	}
	return col, cities
}

// normalise puts each indicator on a common scale across the ranked cities.
// A 未报送 or 无数据·计最低 cell takes the floor every indicator has, 0, so it
// scores the lowest: 0 under min–max and goalposts, the lowest z-score, 1 on the
// geometric scale. Imputing the floor, rather than scoring it apart, keeps
// the others' range as wide as if the city had sent its data: withholding
// never lifts a city above another.
func normalise(treated [][]float64, ranked []bool, t Table, s Settings) [][]float64 {
	inds := t.Indicators
	vals := treated
	if t.Withheld != nil || t.ZeroFloor != nil {
		vals = make([][]float64, len(treated))
		for c := range treated {
			vals[c] = append([]float64(nil), treated[c]...)
			for i := range vals[c] {
				if t.floored(c, i) {
					vals[c][i] = 0
				}
			}
		}
	}
	out := make([][]float64, len(vals))
	for c := range out {
		out[c] = make([]float64, len(inds))
		for i := range out[c] {
			out[c][i] = math.NaN()
		}
	}
	for i, ind := range inds {
		lo, hi := math.Inf(1), math.Inf(-1)
		var col []float64
		for c := range vals {
			if v := vals[c][i]; ranked[c] && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				col = append(col, v)
			}
		}
		mean, sd, _ := meanSD(col)
		if s.Normalisation == Goalposts {
			if g, ok := s.Goalposts[ind.ID]; ok {
				lo, hi = g[0], g[1]
			}
		}
		for c := range vals {
			v := vals[c][i]
			if !ranked[c] || math.IsNaN(v) {
				continue
			}
			switch s.Normalisation {
			case ZScore:
				if sd > 0 {
					out[c][i] = (v - mean) / sd
				} else {
					out[c][i] = 0
				}
			default: // min–max, and goalposts clamped to their range
				if hi > lo {
					out[c][i] = math.Min(100, math.Max(0, (v-lo)/(hi-lo)*100))
				} else {
					out[c][i] = 100
				}
			}
		}
	}
	if s.Normalisation != ZScore {
		for c := range out {
			for i := range out[c] {
				if ranked[c] && t.floored(c, i) {
					out[c][i] = 0 // the lowest, even where every city that sent data is equal
				}
			}
		}
	}
	if s.Aggregation == Geometric {
		rescale(out, ranked, inds)
	}
	return out
}

// rescale maps every indicator's scores onto 1–100 across the ranked cities,
// so a geometric mean never meets zero or a negative score.
func rescale(m [][]float64, ranked []bool, inds []flexemp.Indicator) {
	for i := range inds {
		lo, hi := math.Inf(1), math.Inf(-1)
		for c := range m {
			if v := m[c][i]; ranked[c] && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		for c := range m {
			if v := m[c][i]; ranked[c] && !math.IsNaN(v) {
				if hi > lo {
					m[c][i] = 1 + 99*(v-lo)/(hi-lo)
				} else {
					m[c][i] = 100
				}
			}
		}
	}
}

// aggregate weighs indicators into dimension scores and dimensions into the
// index, leaving out what a city lacks (its weights renormalised over what
// it has). Contributions split each index into its indicators' shares.
func aggregate(norm [][]float64, ranked []bool, inds []flexemp.Indicator, s Settings) (dims [][]float64, index []float64, contrib [][]float64) {
	dims = make([][]float64, len(norm))
	index = make([]float64, len(norm))
	contrib = make([][]float64, len(norm))
	for c := range norm {
		dims[c] = make([]float64, len(flexemp.Dimensions))
		contrib[c] = make([]float64, len(inds))
		index[c] = math.NaN()
		for i := range contrib[c] {
			contrib[c][i] = math.NaN()
		}
		if !ranked[c] {
			for d := range dims[c] {
				dims[c][d] = math.NaN()
			}
			continue
		}
		// Per dimension: the weighted mean of its present indicators.
		share := make([]float64, len(inds)) // indicator weight within its dimension, renormalised
		var dimW, dimSum float64
		for d, dim := range flexemp.Dimensions {
			var w, sum float64
			for i, ind := range inds {
				if ind.Dimension == dim && !math.IsNaN(norm[c][i]) {
					w += s.indicatorWeight(ind)
				}
			}
			for i, ind := range inds {
				if ind.Dimension != dim || math.IsNaN(norm[c][i]) || w == 0 {
					continue
				}
				share[i] = s.indicatorWeight(ind) / w
				if s.Aggregation == Geometric {
					sum += share[i] * math.Log(norm[c][i])
				} else {
					sum += share[i] * norm[c][i]
				}
			}
			if w == 0 {
				dims[c][d] = math.NaN()
				continue
			}
			if s.Aggregation == Geometric {
				dims[c][d] = math.Exp(sum)
			} else {
				dims[c][d] = sum
			}
			dimW += s.DimensionWeights[string(dim)]
		}
		if dimW == 0 {
			continue
		}
		for d, dim := range flexemp.Dimensions {
			if math.IsNaN(dims[c][d]) {
				continue
			}
			w := s.DimensionWeights[string(dim)] / dimW
			if s.Aggregation == Geometric {
				dimSum += w * math.Log(dims[c][d])
			} else {
				dimSum += w * dims[c][d]
			}
			for i, ind := range inds {
				if ind.Dimension == dim && !math.IsNaN(norm[c][i]) {
					if s.Aggregation == Geometric {
						contrib[c][i] = w * share[i] * math.Log(norm[c][i]) // in log points; scaled below
					} else {
						contrib[c][i] = w * share[i] * norm[c][i]
					}
				}
			}
		}
		if s.Aggregation == Geometric {
			index[c] = math.Exp(dimSum)
			// Share the index out in proportion to each indicator's log points.
			if dimSum != 0 {
				for i := range contrib[c] {
					if !math.IsNaN(contrib[c][i]) {
						contrib[c][i] = index[c] * contrib[c][i] / dimSum
					}
				}
			}
		} else {
			index[c] = dimSum
		}
	}
	return dims, index, contrib
}
