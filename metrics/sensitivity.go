package metrics

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/liaoning-hrss/flexemp"
)

// Band is one city's ranks over the sensitivity draws.
type Band struct {
	Median  int
	P5, P95 int     // the 90% rank interval
	OutTop  float64 // share of draws in which it fell below the 优秀 places
}

// Sensitivity reruns normalise → aggregate → rank on the treated values of
// r with, in each of draws seeded draws: every dimension and indicator
// weight scaled by a factor in [0.75, 1.25] (then renormalised by the
// aggregation), min–max or z-score normalisation, and arithmetic or
// geometric aggregation. Screening and treatment stay as computed. The same
// seed gives the same bands.
func Sensitivity(r *Result, draws int, seed uint64) []Band {
	rng := rand.New(rand.NewPCG(seed, 0x5e45))
	n := len(r.Table.Cities)
	ranks := make([][]int, n)
	top, _ := r.Settings.places(r.Rank)
	for range draws {
		s := r.Settings
		s.DimensionWeights = map[string]float64{}
		for _, d := range flexemp.Dimensions {
			s.DimensionWeights[string(d)] = r.Settings.DimensionWeights[string(d)] * (0.75 + 0.5*rng.Float64())
		}
		s.IndicatorWeights = map[string]float64{}
		for _, ind := range r.Table.Indicators {
			s.IndicatorWeights[ind.ID] = r.Settings.indicatorWeight(ind) * (0.75 + 0.5*rng.Float64())
		}
		s.Normalisation = []string{MinMax, ZScore}[rng.IntN(2)]
		s.Aggregation = []string{Arithmetic, Geometric}[rng.IntN(2)]
		norm := normalise(r.Treated, r.Ranked, r.Table, s)
		_, index, _ := aggregate(norm, r.Ranked, r.Table.Indicators, s)
		for c, rk := range CompetitionRanks(index) {
			if rk > 0 {
				ranks[c] = append(ranks[c], rk)
			}
		}
	}
	bands := make([]Band, n)
	for c, rs := range ranks {
		if len(rs) == 0 {
			continue
		}
		out := 0
		for _, rk := range rs {
			if rk > top {
				out++
			}
		}
		sort.Ints(rs)
		bands[c] = Band{Median: percentile(rs, 50), P5: percentile(rs, 5), P95: percentile(rs, 95), OutTop: float64(out) / float64(len(rs))}
	}
	return bands
}

// places are how many ranks are 优秀 and how many 优秀 or 良好: ⌈share × n⌉
// of the n ranked cities.
func (s Settings) places(ranks []int) (top, good int) {
	s = s.withDefaults()
	n := 0
	for _, r := range ranks {
		if r > 0 {
			n++
		}
	}
	return int(math.Ceil(s.ExcellentShare * float64(n))), int(math.Ceil(s.GoodShare * float64(n)))
}

// Grades gives each ranked city its 等次 by its place — 优秀 within ⌈0.2 n⌉,
// 良好 within ⌈0.6 n⌉ (shares from the settings), else 一般 — and 数据不足
// to a city not ranked. A city's place counts the cities tied with it (its
// rank plus its ties minus one), so a tie that straddles a band's edge falls
// to the next grade: thirteen cities tied at rank 2 are not all 优秀.
// Priority marks the 优秀 cities whose whole 90% band lies within the 优秀
// places: those recommended for the entrepreneurial-city programme.
func (s Settings) Grades(ranks []int, bands []Band) (grades []string, priority []bool) {
	top, good := s.places(ranks)
	ties := map[int]int{}
	for _, r := range ranks {
		ties[r]++
	}
	grades, priority = make([]string, len(ranks)), make([]bool, len(ranks))
	for c, r := range ranks {
		place := r + ties[r] - 1
		switch {
		case r == 0:
			grades[c] = flexemp.GradeInsufficient
		case place <= top:
			grades[c] = flexemp.GradeExcellent
			priority[c] = bands != nil && bands[c].P95 > 0 && bands[c].P95 <= top
		case place <= good:
			grades[c] = flexemp.GradeGood
		default:
			grades[c] = flexemp.GradeFair
		}
	}
	return grades, priority
}
