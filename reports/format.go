package reports

import (
	"math"
	"strconv"
	"strings"

	"github.com/liaoning-hrss/flexemp"
)

// Numbers as Chinese readers expect them: percentages with one decimal,
// counts with thousands separators, missing values as a dash.

const dash = "—"

// Percent writes a fraction as a percentage with one decimal: 0.7221 → 72.2%.
func Percent(x float64) string { return strconv.FormatFloat(x*100, 'f', 1, 64) + "%" }

// Count writes an integer with thousands separators: 1897 → 1,897.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Fixed writes x with the given decimals, or a dash for nil.
func Fixed(x *float64, decimals int) string {
	if x == nil || math.IsNaN(*x) {
		return dash
	}
	return strconv.FormatFloat(*x, 'f', decimals, 64)
}

// IsRatio tells whether an indicator is a share shown as a percentage; the
// others are rates (per 10,000 or 100,000 people, matches per posting).
func IsRatio(id string) bool {
	ind, ok := flexemp.IndicatorByID(id)
	return ok && ind.IsShare()
}

// Indicator writes an indicator's raw value as users read it.
func Indicator(id string, v *float64) string {
	if v == nil {
		return dash
	}
	if IsRatio(id) {
		return Percent(*v)
	}
	return Fixed(v, 2)
}

// Signed writes a change with its sign, as a percentage-point change for a
// ratio indicator.
func Signed(id string, v *float64) string {
	if v == nil {
		return dash
	}
	x, decimals, unit := *v, 2, ""
	if IsRatio(id) {
		x, decimals, unit = x*100, 1, "个百分点"
	}
	return signedFixed(x, decimals) + unit
}

// signedFixed writes x with its sign and the given decimals; a change that
// rounds to nothing is "+0.00", never "-0.00".
func signedFixed(x float64, decimals int) string {
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}
