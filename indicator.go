package flexemp

import "slices"

// Dimension is one of the five dimensions the indicators are grouped in.
type Dimension string

// The dimensions, as SPEC names them.
const (
	DimScale      Dimension = "规模结构"
	DimService    Dimension = "服务效能"
	DimPolicy     Dimension = "政策落实"
	DimRights     Dimension = "权益保障"
	DimGovernance Dimension = "规范管理"
)

// Dimensions are the five dimensions in report order.
var Dimensions = []Dimension{DimScale, DimService, DimPolicy, DimRights, DimGovernance}

// DefaultDimensionWeights are SPEC's default weights of the dimensions.
var DefaultDimensionWeights = map[Dimension]float64{
	DimScale: 20, DimService: 25, DimPolicy: 25, DimRights: 15, DimGovernance: 15,
}

// Grades (等次) of a ranked city, and the word for a city not ranked.
const (
	GradeExcellent    = "优秀"
	GradeGood         = "良好"
	GradeFair         = "一般"
	GradeInsufficient = "数据不足"
)

// Unit says what an indicator's value is and how users read it.
type Unit int

// Units of indicators.
const (
	UnitShare     Unit = iota // a fraction, shown as a percentage
	UnitPerCapita             // per Scale residents
	UnitRatio                 // one count per another (matches per posting)
)

// String is the unit's name in the database and the API: share, per_capita
// or ratio.
func (u Unit) String() string {
	switch u {
	case UnitPerCapita:
		return "per_capita"
	case UnitRatio:
		return "ratio"
	}
	return "share"
}

// Indicator is one assessment indicator, declared once: the SQL joins this
// declaration, the index weighs by it, and the reports and API read its
// words.
type Indicator struct {
	ID        string
	Dimension Dimension
	Title     string
	Measures  []int // the policy measures (1–18) it puts a number on
	Unit      Unit
	Scale     float64 // numerator ÷ denominator × Scale; 1 for shares and ratios
	Cap       float64 // the value is at most Cap; 0 for no cap
	Sources   []Kind  // the extract kinds it is computed from: a city that sent none of one is 未报送
	Version   int     // the contract version its columns came in; 0 and 1 are the first
	// LowerIsBetter marks an indicator the index would turn before
	// normalising; SPEC declares every indicator today higher-is-better.
	LowerIsBetter bool
	Weight        float64 // default weight within its dimension; 0 means 1
	// ByCounty marks an indicator of person rows, also computed for each
	// county of a city (SPEC "Counties"); counties are never ranked.
	ByCounty bool
}

// Indicators are the assessment indicators in report order (SPEC's table).
var Indicators = []Indicator{
	{ID: "I1", Dimension: DimScale, Title: "灵活就业登记人数/万人", Measures: []int{1}, Unit: UnitPerCapita, Scale: 10000, Sources: []Kind{Registrations}, ByCounty: true},
	{ID: "I2", Dimension: DimScale, Title: "新就业形态占比", Measures: []int{1, 4}, Sources: []Kind{Registrations}, ByCounty: true},
	{ID: "I3", Dimension: DimScale, Title: "重点群体占比", Measures: []int{2, 11}, Sources: []Kind{Registrations}, ByCounty: true},
	{ID: "I4", Dimension: DimService, Title: "失业登记7个工作日办结率", Measures: []int{9}, Sources: []Kind{Registrations}, ByCounty: true},
	{ID: "I5", Dimension: DimService, Title: "线上办理占比", Measures: []int{9, 15}, Sources: []Kind{Registrations}, ByCounty: true},
	{ID: "I6", Dimension: DimService, Title: "零工对接人次/岗位信息", Measures: []int{3, 7}, Unit: UnitRatio, Sources: []Kind{Services}},
	{ID: "I7", Dimension: DimService, Title: "零工市场数/十万人", Measures: []int{3}, Unit: UnitPerCapita, Scale: 100000, Sources: []Kind{Services}},
	{ID: "I17", Dimension: DimService, Title: "人力资源服务灵活就业人次/万人", Measures: []int{6}, Unit: UnitPerCapita, Scale: 10000, Sources: []Kind{Services}, Version: 2},
	{ID: "I8", Dimension: DimPolicy, Title: "社保补贴覆盖率", Measures: []int{11}, Sources: []Kind{Registrations, Subsidies}, ByCounty: true},
	{ID: "I9", Dimension: DimPolicy, Title: "培训取证率", Measures: []int{5}, Sources: []Kind{Trainings}, ByCounty: true},
	{ID: "I10", Dimension: DimPolicy, Title: "新职业培训占比", Measures: []int{4, 5}, Sources: []Kind{Trainings}, ByCounty: true},
	{ID: "I11", Dimension: DimPolicy, Title: "培训后就业率", Measures: []int{5}, Sources: []Kind{Trainings}, ByCounty: true},
	{ID: "I12", Dimension: DimPolicy, Title: "创业担保贷款线上受理率", Measures: []int{8}, Sources: []Kind{Services}},
	{ID: "I18", Dimension: DimPolicy, Title: "参训灵活就业人员培训补贴落实率", Measures: []int{5}, Sources: []Kind{Trainings, Subsidies}, ByCounty: true},
	{ID: "I19", Dimension: DimPolicy, Title: "灵活就业人员职称评审通过率", Measures: []int{12}, Sources: []Kind{Services}, Version: 2},
	{ID: "I20", Dimension: DimPolicy, Title: "扶持资金执行率", Measures: []int{17}, Cap: 1, Sources: []Kind{Subsidies, Services}, Version: 2},
	{ID: "I13", Dimension: DimRights, Title: "灵活就业人员参保率", Measures: []int{10}, Cap: 1, Sources: []Kind{Services}, Version: 2},
	{ID: "I14", Dimension: DimRights, Title: "投诉办结率", Measures: []int{14}, Cap: 1, Sources: []Kind{Services}},
	{ID: "I21", Dimension: DimRights, Title: "非全日制用工书面协议签订率", Measures: []int{13}, Sources: []Kind{Services}, Version: 2},
	{ID: "I15", Dimension: DimGovernance, Title: "补贴合规率", Measures: []int{1, 2, 11}, Sources: []Kind{Subsidies}, ByCounty: true},
	// I16 reads the upload ledger of every kind, not rows of one: a missing
	// extract counts against it directly, so it has no source kind to be
	// 未报送 for.
	{ID: "I16", Dimension: DimGovernance, Title: "数据报送及时率", Measures: []int{18}},
	{ID: "I22", Dimension: DimGovernance, Title: "政策宣传场次/十万人", Measures: []int{16}, Unit: UnitPerCapita, Scale: 100000, Sources: []Kind{Services}, Version: 2},
}

func init() {
	for i := range Indicators {
		ind := &Indicators[i]
		if ind.Scale == 0 {
			ind.Scale = 1
		}
		if ind.Weight == 0 {
			ind.Weight = 1
		}
	}
}

// IndicatorByID returns the declared indicator with that ID.
func IndicatorByID(id string) (Indicator, bool) {
	if i := IndicatorIndex(id); i >= 0 {
		return Indicators[i], true
	}
	return Indicator{}, false
}

// IndicatorIndex is the indicator's place in report order, or -1 for an ID
// not declared.
func IndicatorIndex(id string) int {
	for i, ind := range Indicators {
		if ind.ID == id {
			return i
		}
	}
	return -1
}

// IndicatorIDs are the declared indicators' IDs in report order.
func IndicatorIDs() []string {
	ids := make([]string, len(Indicators))
	for i, ind := range Indicators {
		ids[i] = ind.ID
	}
	return ids
}

// IsShare tells whether the indicator is a fraction shown as a percentage.
func (ind Indicator) IsShare() bool { return ind.Unit == UnitShare }

// IndicatorsFrom are the indicators computed from a kind's extracts, in
// report order.
func IndicatorsFrom(k Kind) []Indicator {
	var out []Indicator
	for _, ind := range Indicators {
		if slices.Contains(ind.Sources, k) {
			out = append(out, ind)
		}
	}
	return out
}
