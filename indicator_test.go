package flexemp

import (
	"slices"
	"testing"
)

// Every one of measures 1–17 has an indicator (measure 18 is the assessment
// itself, and I16); every indicator has a dimension, a title, a source or
// the ledger, and a unique ID.
func TestIndicatorsCoverEveryMeasure(t *testing.T) {
	covered := map[int]bool{}
	seen := map[string]bool{}
	for _, ind := range Indicators {
		if seen[ind.ID] || ind.Title == "" || !slices.Contains(Dimensions, ind.Dimension) || len(ind.Measures) == 0 {
			t.Errorf("%+v", ind)
		}
		seen[ind.ID] = true
		for _, m := range ind.Measures {
			covered[m] = true
		}
	}
	for m := 1; m <= 18; m++ {
		if !covered[m] {
			t.Errorf("measure %d has no indicator", m)
		}
	}
	for _, d := range Dimensions {
		if DefaultDimensionWeights[d] <= 0 || len(slices.DeleteFunc(slices.Clone(Indicators), func(i Indicator) bool { return i.Dimension != d })) == 0 {
			t.Errorf("dimension %s: weight %v or no indicator", d, DefaultDimensionWeights[d])
		}
	}
}
