package metrics

import (
	"math/rand/v2"
	"testing"

	"github.com/liaoning-hrss/flexemp"
)

// fourteen cities × the declared indicators of spread values, as a real period.
func benchTable() Table {
	rng := rand.New(rand.NewPCG(1, 2))
	var vals [][]float64
	for range 14 {
		r := make([]float64, len(flexemp.Indicators))
		for i := range r {
			r[i] = rng.Float64()
		}
		vals = append(vals, r)
	}
	return table(vals)
}

func BenchmarkCompute(b *testing.B) {
	t := benchTable()
	for b.Loop() {
		if _, err := Compute(t, Settings{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The default sensitivity analysis: 1,000 draws over 14 cities.
func BenchmarkSensitivity1000(b *testing.B) {
	r, err := Compute(benchTable(), Settings{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Sensitivity(r, 1000, 1)
	}
}
