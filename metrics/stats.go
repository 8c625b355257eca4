// Package metrics turns the indicator table into the composite index as
// named steps whose every result is kept — screen, treat outliers,
// normalise, weight, aggregate, rank — and measures how robust the ranks
// are by rerunning the steps with perturbed settings (after the OECD/JRC
// Handbook and JRC's COINr).
package metrics

import (
	"math"
	"sort"
)

// mean and sampleSD of the non-NaN values.
func meanSD(xs []float64) (mean, sd float64, n int) {
	for _, x := range xs {
		if !math.IsNaN(x) {
			mean += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	mean /= float64(n)
	if n < 2 {
		return mean, 0, n
	}
	for _, x := range xs {
		if !math.IsNaN(x) {
			sd += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(sd / float64(n-1)), n
}

// Skewness is the sample skewness as Excel's SKEW computes it:
// n/((n−1)(n−2)) Σ((x−x̄)/s)³. NaN values are left out; fewer than 3 values
// or no spread give NaN.
func Skewness(xs []float64) float64 {
	m, s, n := meanSD(xs)
	if n < 3 || s == 0 {
		return math.NaN()
	}
	fn := float64(n)
	return fn / ((fn - 1) * (fn - 2)) * zPowerSum(xs, m, s, 3)
}

// Kurtosis is the sample excess kurtosis as Excel's KURT computes it:
// n(n+1)/((n−1)(n−2)(n−3)) Σ((x−x̄)/s)⁴ − 3(n−1)²/((n−2)(n−3)). Fewer than 4
// values or no spread give NaN.
func Kurtosis(xs []float64) float64 {
	m, s, n := meanSD(xs)
	if n < 4 || s == 0 {
		return math.NaN()
	}
	sum := zPowerSum(xs, m, s, 4)
	fn := float64(n)
	return fn*(fn+1)/((fn-1)*(fn-2)*(fn-3))*sum - 3*(fn-1)*(fn-1)/((fn-2)*(fn-3))
}

// zPowerSum is Σ((x−m)/s)^p over the non-NaN values.
func zPowerSum(xs []float64, m, s float64, p int) float64 {
	var sum float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			z := (x - m) / s
			term := 1.0
			for range p {
				term *= z
			}
			sum += term
		}
	}
	return sum
}

// needsTreatment is the outlier rule: |skewness| > 2 and kurtosis > 3.5.
func needsTreatment(xs []float64) bool {
	s, k := Skewness(xs), Kurtosis(xs)
	return !math.IsNaN(s) && !math.IsNaN(k) && math.Abs(s) > 2 && k > 3.5
}

// Winsorise treats one indicator across cities: while the outlier rule
// holds, it takes the direction from the current skewness and sets the
// highest value (skewness ≥ 0) or the lowest (< 0) — every city tied there
// together — to the next distinct value. It stops when the rule no longer
// holds, or when one more step would bring the number of treated cities
// above maxTreated (counted over all steps). It returns the treated values
// and the indexes of the cities it changed.
func Winsorise(xs []float64, maxTreated int) ([]float64, []int) {
	out := append([]float64(nil), xs...)
	treated := map[int]bool{}
	for needsTreatment(out) {
		high := Skewness(out) >= 0
		var distinct []float64
		for _, x := range out {
			if !math.IsNaN(x) {
				distinct = append(distinct, x)
			}
		}
		sort.Float64s(distinct)
		distinct = uniq(distinct)
		if len(distinct) < 2 {
			break
		}
		extreme, next := distinct[0], distinct[1]
		if high {
			extreme, next = distinct[len(distinct)-1], distinct[len(distinct)-2]
		}
		var at []int
		for i, x := range out {
			if x == extreme {
				at = append(at, i)
			}
		}
		newly := 0
		for _, i := range at {
			if !treated[i] {
				newly++
			}
		}
		if len(treated)+newly > maxTreated {
			break
		}
		for _, i := range at {
			out[i] = next
			treated[i] = true
		}
	}
	idx := make([]int, 0, len(treated))
	for i := range treated {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return out, idx
}

func uniq(sorted []float64) []float64 {
	out := sorted[:0]
	for i, x := range sorted {
		if i == 0 || x != sorted[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// CompetitionRanks ranks scores from high to low as 1, 2, 2, 4 after
// rounding each to 2 decimals; NaN scores get rank 0 (not ranked).
func CompetitionRanks(scores []float64) []int {
	rounded := make([]float64, len(scores))
	for i, s := range scores {
		rounded[i] = math.Round(s*100) / 100
	}
	ranks := make([]int, len(scores))
	for i, s := range rounded {
		if math.IsNaN(s) {
			continue
		}
		r := 1
		for j, o := range rounded {
			if j != i && !math.IsNaN(o) && o > s {
				r++
			}
		}
		ranks[i] = r
	}
	return ranks
}

// percentile is the nearest-rank percentile (p in 0…100) of sorted ints.
func percentile(sorted []int, p float64) int {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p / 100 * float64(len(sorted))))
	k = min(max(k, 1), len(sorted))
	return sorted[k-1]
}

// Median is the middle of xs (the mean of the two middle values for an even
// count); xs is not changed.
func Median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
