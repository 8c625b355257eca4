package metrics

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/transform"
)

// AssessOptions are an assessment's settings, as [assess] in flexemp.toml
// (the index's Settings inline). Zero values take the defaults.
type AssessOptions struct {
	Settings
	Draws int    `toml:"draws"` // sensitivity draws; default 1,000
	Seed  uint64 `toml:"seed"`  // sensitivity seed; default (and 0) 1
	// GraduateExtension is the months each city adds to the 24-month cap of
	// 社会保险补贴 for 高校毕业生 (0 to 6), by city code.
	GraduateExtension map[string]int `toml:"graduate_extension"`
	// Integrity are the integrity checks' thresholds ([integrity] in
	// flexemp.toml).
	Integrity transform.Integrity `toml:"-"`
	Reference flexemp.Reference   `toml:"-"` // default the embedded reference tables
	Now       func() time.Time    `toml:"-"`
	// AsOf is the date the assessment is made as of (see flexemp.Period's
	// DueMonths); zero means the clock's today in Asia/Shanghai. It is not
	// a setting: it is stored with the run, outside the config hash.
	AsOf time.Time `toml:"-"`
	// Lake, when set, is a Parquet folder written by flexemp export that
	// the models read instead of the database's extracts (assess --source).
	// Like AsOf it is a source, not a setting: outside the config hash.
	Lake string `toml:"-"`
	// AcceptedZeros are the zero denominators reviewers accepted through
	// objections: those indicators are left out (无数据) for those cities
	// instead of scored lowest. Empty until a ranking is issued.
	AcceptedZeros []transform.CityIndicator `toml:"-"`
	// Issued pins the run to a ranking issued earlier: the ledger as it was
	// published, and the corrections admitted through objections.
	Issued *transform.Issued `toml:"-"`
}

func (o AssessOptions) withDefaults() AssessOptions {
	if o.Draws == 0 {
		o.Draws = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Reference.Cities == nil {
		o.Reference = flexemp.DefaultReference()
	}
	if o.AsOf.IsZero() {
		o.AsOf = flexemp.DateOf(o.Now())
	}
	return o
}

// config is everything besides the uploads that an assessment's numbers
// depend on: the index settings, the sensitivity draws and seed, the
// reference data, the graduate extensions and the integrity thresholds.
type config struct {
	S         Settings
	Draws     int
	Seed      uint64
	Reference flexemp.Reference
	Extension map[string]int
	Integrity transform.Integrity
}

// Config is the assessment's configuration as JSON: stored once per
// ConfigHash, so that a ranking issued with it can be recomputed after the
// operator changes flexemp.toml (ParseConfig). AsOf and the sources are
// not configuration: they are stored beside it.
func (o AssessOptions) Config() []byte {
	o = o.withDefaults()
	b, _ := json.Marshal(config{o.Settings.withDefaults(), o.Draws, o.Seed, o.Reference, o.GraduateExtension, o.Integrity.WithDefaults()})
	return b
}

// ConfigHash is a short SHA-256 of Config.
func (o AssessOptions) ConfigHash() string {
	sum := sha256.Sum256(o.Config())
	return hex.EncodeToString(sum[:8])
}

// ParseConfig is the options a stored Config describes.
func ParseConfig(b []byte) (AssessOptions, error) {
	var c config
	if err := json.Unmarshal(b, &c); err != nil {
		return AssessOptions{}, fmt.Errorf("stored configuration: %w", err)
	}
	return AssessOptions{Settings: c.S, Draws: c.Draws, Seed: c.Seed, Reference: c.Reference, GraduateExtension: c.Extension, Integrity: c.Integrity}, nil
}

// Flags a city's result carries, after an indicator ID or a dimension.
const (
	FlagWithheld       = "未报送"     // no extract of a source kind for a due month: scored lowest
	FlagZeroFloor      = "无数据·计最低" // a zero denominator from the city's own data: scored lowest
	FlagNoData         = "无数据"     // a zero from the province's tables, or accepted by a reviewer: left out of its dimension mean
	FlagEmptyDimension = "无可用指标"   // nothing left in the dimension: the city is not ranked
	FlagTreated        = "已缩尾处理"
)

// Assessment is what Assess computed and stored for a period.
type Assessment struct {
	Period     flexemp.Period
	AsOf       time.Time
	LeftOut    []string // indicators no city could compute in the period
	Result     *Result
	Bands      []Band
	Grades     []string
	Priority   []bool
	Draws      int
	Transform  *transform.BuildStats
	MetricTook time.Duration
	SensTook   time.Duration
	options    AssessOptions // as computed, for Store
}

// Assess runs the transform for a period, builds the index, measures its
// sensitivity and stores every step's output, stamped with the upload
// versions read and a hash of the settings.
func Assess(ctx context.Context, db *sql.DB, p flexemp.Period, o AssessOptions) (*Assessment, error) {
	a, tx, err := computeAndStore(ctx, db, p, o)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return a, tx.Commit()
}

// Recompute runs an assessment as Assess does and reads back what Assess
// would store, storing nothing: how an issued ranking is checked against
// its hash without touching the period's draft.
func Recompute(ctx context.Context, db *sql.DB, p flexemp.Period, o AssessOptions) (*PeriodResult, error) {
	_, tx, err := computeAndStore(ctx, db, p, o)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return Load(ctx, tx, p)
}

// Prepare computes an assessment as Assess does and stores nothing: Store
// stores it later, in a transaction of the caller's, which may hold more
// (an issued final's files and record). The assessment lives in the
// transform's scratch database until the next one is built, so the caller
// keeps other assessments out from Prepare to its last Store (the store's
// Compute).
func Prepare(ctx context.Context, db *sql.DB, p flexemp.Period, o AssessOptions) (*Assessment, error) {
	return compute(ctx, db, p, o.withDefaults())
}

// Store stores a prepared assessment in tx as Assess would: the period's
// results replaced and a run recorded.
func (a *Assessment) Store(ctx context.Context, tx *sql.Tx) error {
	return store(ctx, tx, a, a.options)
}

// computeAndStore computes an assessment and stores it in a transaction
// left open for the caller to commit or roll back.
func computeAndStore(ctx context.Context, db *sql.DB, p flexemp.Period, o AssessOptions) (*Assessment, *sql.Tx, error) {
	a, err := Prepare(ctx, db, p, o)
	if err != nil {
		return nil, nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := a.Store(ctx, tx); err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return a, tx, nil
}

// compute runs the transform, the index and its sensitivity.
func compute(ctx context.Context, db *sql.DB, p flexemp.Period, o AssessOptions) (*Assessment, error) {
	if err := o.Settings.Validate(); err != nil {
		return nil, err
	}
	for code, m := range o.GraduateExtension {
		if _, ok := flexemp.CityByCode(code); !ok || m < 0 || m > 6 {
			return nil, fmt.Errorf("graduate_extension: %s = %d: want a city code and 0–6 months", code, m)
		}
	}
	stats, err := transform.Build(ctx, db, transform.Params{Period: p, AsOf: o.AsOf, Reference: o.Reference,
		GraduateExtension: o.GraduateExtension, Integrity: o.Integrity, Lake: o.Lake, AcceptedZeros: o.AcceptedZeros, Issued: o.Issued})
	if err != nil {
		return nil, err
	}
	if err := nothingSent(ctx, db, p); err != nil {
		return nil, err
	}
	t, err := readTable(ctx, db)
	if err != nil {
		return nil, err
	}
	a := &Assessment{Period: p, AsOf: o.AsOf, Transform: stats, Draws: o.Draws, options: o}
	t, a.LeftOut = t.Framework()
	start := time.Now()
	if a.Result, err = Compute(t, o.Settings); err != nil {
		return nil, err
	}
	a.MetricTook = time.Since(start)
	start = time.Now()
	a.Bands = Sensitivity(a.Result, o.Draws, o.Seed)
	a.SensTook = time.Since(start)
	a.Grades, a.Priority = a.Result.Settings.Grades(a.Result.Rank, a.Bands)
	return a, nil
}

// ErrNothingSent is wrapped by the error Assess returns for a period in
// which no city has a version that counts of some kind for any due month:
// ranking everyone on what is left would reward nobody's work, so the
// period is not assessed (the nightly job records a skipped run).
var ErrNothingSent = errors.New("no city sent a kind for the period")

// nothingSent refuses a period in which no city has a version that counts
// of a kind for any due month, naming the kinds and the months.
func nothingSent(ctx context.Context, db *sql.DB, p flexemp.Period) error {
	rows, err := db.QueryContext(ctx, `SELECT k.kind, (SELECT string_agg(strftime(month, '%Y-%m'), '、' ORDER BY month) FROM scratch.ref_months)
		FROM scratch.ref_kinds k
		WHERE NOT EXISTS (SELECT 1 FROM scratch.int_counting_versions v JOIN scratch.ref_months USING (month) WHERE v.kind = k.kind)
		ORDER BY k.kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var kinds []string
	var months string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k, &months); err != nil {
			return err
		}
		kinds = append(kinds, flexemp.Kind(k).Title())
	}
	if err := rows.Err(); err != nil || len(kinds) == 0 {
		return err
	}
	return nothingSentError{flexemp.Errorf(flexemp.EINVALID, "%s：尚无城市报送 %s（%s），不予考核", p, strings.Join(kinds, "、"), months)}
}

// nothingSentError is the refusal of a period nobody sent a kind for: its
// user message alone, and errors.Is(err, ErrNothingSent).
type nothingSentError struct{ refusal *flexemp.Error }

func (e nothingSentError) Error() string        { return e.refusal.Message }
func (e nothingSentError) Unwrap() error        { return e.refusal }
func (e nothingSentError) Is(target error) bool { return target == ErrNothingSent }

func readTable(ctx context.Context, db *sql.DB) (Table, error) {
	rows, err := db.QueryContext(ctx, `SELECT city_code, indicator, value, withheld, zero_floor FROM scratch.mart_indicators ORDER BY city_code, ordinal`)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	var t Table
	seen := map[string]int{}
	for rows.Next() {
		var city, id string
		var v sql.NullFloat64
		var withheld, zero bool
		if err := rows.Scan(&city, &id, &v, &withheld, &zero); err != nil {
			return Table{}, err
		}
		c, ok := seen[city]
		if !ok {
			c = len(t.Cities)
			seen[city] = c
			t.Cities = append(t.Cities, city)
			t.Values = append(t.Values, nil)
			t.Withheld = append(t.Withheld, nil)
			t.ZeroFloor = append(t.ZeroFloor, nil)
		}
		if c == 0 {
			ind, ok := flexemp.IndicatorByID(id)
			if !ok {
				return Table{}, fmt.Errorf("mart_indicators: indicator %s is not declared", id)
			}
			t.Indicators = append(t.Indicators, ind)
		}
		x := math.NaN()
		if v.Valid {
			x = v.Float64
		}
		t.Values[c] = append(t.Values[c], x)
		t.Withheld[c] = append(t.Withheld[c], withheld)
		t.ZeroFloor[c] = append(t.ZeroFloor[c], zero)
	}
	return t, rows.Err()
}

func nullable(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

func store(ctx context.Context, tx *sql.Tx, a *Assessment, o AssessOptions) error {
	period := a.Period.String()
	for _, tbl := range []string{"indicator_values", "city_results", "subsidy_breaches", "assessment_versions", "county_values", "county_areas"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+tbl+" WHERE period = ?", period); err != nil {
			return err
		}
	}
	r := a.Result
	// The mart's counts with every step's value, in one statement.
	var steps []string
	var args []any
	for c, city := range r.Table.Cities {
		for i, ind := range r.Table.Indicators {
			steps = append(steps, "(?, ?, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE)")
			args = append(args, city, ind.ID, nullable(r.Treated[c][i]), nullable(r.Normalised[c][i]), nullable(r.Contributions[c][i]))
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_values
		(period, city_code, indicator, dimension, title, numerator, denominator, value, treated, normalised, contribution, withheld, zero_floor)
		SELECT ?, m.city_code, m.indicator, m.dimension, m.title, m.numerator, m.denominator, m.value, s.treated, s.normalised, s.contribution, m.withheld, m.zero_floor
		FROM scratch.mart_indicators m
		JOIN (VALUES `+strings.Join(steps, ", ")+`) AS s(city_code, indicator, treated, normalised, contribution)
		USING (city_code, indicator)`, append([]any{period}, args...)...); err != nil {
		return err
	}
	for c, city := range r.Table.Cities {
		dims := map[string]any{}
		for d, name := range flexemp.Dimensions {
			dims[string(name)] = nullable(r.DimensionScores[c][d])
		}
		flags := []string{}
		for _, id := range r.Withheld[c] {
			flags = append(flags, id+FlagWithheld)
		}
		for _, id := range r.ZeroFloored[c] {
			flags = append(flags, id+FlagZeroFloor)
		}
		for _, id := range r.Missing[c] {
			flags = append(flags, id+FlagNoData)
		}
		for _, d := range r.EmptyDimensions[c] {
			flags = append(flags, string(d)+FlagEmptyDimension)
		}
		for id, cities := range r.TreatedCities {
			for _, tc := range cities {
				if tc == city {
					flags = append(flags, id+FlagTreated)
				}
			}
		}
		dj, _ := json.Marshal(dims)
		fj, _ := json.Marshal(flags)
		b := a.Bands[c]
		if _, err := tx.ExecContext(ctx, `INSERT INTO city_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			period, city, r.Ranked[c], nullable(r.Index[c]), r.Rank[c], b.Median, b.P5, b.P95, b.OutTop, a.Grades[c], a.Priority[c], string(dj), string(fj)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO subsidy_breaches
		(period, upload_id, row_no, city_code, subsidy_type, rule, limit_num, value_num, limit_text, value_text, paid_on, person_group)
		SELECT ?, upload_id, row_no, city_code, subsidy_type, rule, limit_num, value_num, limit_text, value_text, paid_on, person_group
		FROM scratch.int_subsidy_breaches`, period); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_versions
		SELECT ?, city_code, kind, month, upload_id, received_at, on_time FROM scratch.int_extract_timeliness WHERE upload_id IS NOT NULL`, period); err != nil {
		return err
	}
	if err := storeIntegrity(ctx, tx, period); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO county_values
		SELECT ?, city_code, county_code, county_name, indicator, numerator, denominator, value FROM scratch.mart_county_indicators`, period); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO county_areas
		SELECT ?, city_code, coalesce(sum(rows_in_period) FILTER (area_code = city_code), 0), coalesce(sum(rows_in_period) FILTER (unknown), 0),
		       coalesce(string_agg(DISTINCT area_code, ',' ORDER BY area_code) FILTER (unknown AND rows_in_period > 0), '')
		FROM scratch.int_row_counties GROUP BY city_code`, period); err != nil {
		return err
	}
	var uploads string
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(string_agg(upload_id::VARCHAR, ',' ORDER BY upload_id), '') FROM scratch.int_counting_versions`).Scan(&uploads); err != nil {
		return err
	}
	// The ledger's last upload: a later one received before the as-of date
	// (a backfill) makes this run stale.
	// An issued run records its publication.
	lastUpload, publication := `(SELECT coalesce(max(upload_id), 0) FROM uploads)`, "NULL"
	if o.Issued != nil {
		lastUpload, publication = fmt.Sprint(o.Issued.LastUpload), fmt.Sprint(o.Issued.Publication)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_runs (run_id, period, created_at, config_hash, upload_ids, seed, draws, as_of, left_out, last_upload, publication_id)
		SELECT coalesce(max(run_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, `+lastUpload+`, `+publication+` FROM assessment_runs`,
		period, o.Now(), o.ConfigHash(), uploads, o.Seed, o.Draws, a.AsOf, strings.Join(a.LeftOut, ",")); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO assessment_configs VALUES (?, ?) ON CONFLICT DO NOTHING`, o.ConfigHash(), string(o.Config()))
	return err
}

// Summary is a short account of an assessment for the command line.
func (a *Assessment) Summary() string {
	var b strings.Builder
	ranked, noData, withheld, zero := 0, 0, 0, 0
	for c := range a.Result.Table.Cities {
		if a.Result.Ranked[c] {
			ranked++
		}
		if len(a.Result.Missing[c]) > 0 {
			noData++
		}
		if len(a.Result.Withheld[c]) > 0 {
			withheld++
		}
		if len(a.Result.ZeroFloored[c]) > 0 {
			zero++
		}
	}
	treated := 0
	for _, cs := range a.Result.TreatedCities {
		treated += len(cs)
	}
	fmt.Fprintf(&b, "%s（截至 %s）：%d 个指标、%d 个城市参与排名，%d 个城市有未报送数据，%d 个城市有分母为0按最低分计的指标，%d 个城市有无数据指标，%d 处缩尾处理\n",
		a.Period, a.AsOf.Format("2006-01-02"), len(a.Result.Table.Indicators), ranked, withheld, zero, noData, treated)
	if len(a.LeftOut) > 0 {
		fmt.Fprintf(&b, "本期无城市可计算、未纳入指标体系：%s\n", strings.Join(a.LeftOut, "、"))
	}
	fmt.Fprintf(&b, "数据检验 %d 项全部通过；转换 %.2f 秒（其中数据核查 %.2f 秒），指数 %.3f 秒，敏感性分析（%d 次）%.2f 秒\n",
		len(a.Transform.Tests), a.Transform.Took.Seconds(), a.Transform.TookBy("int_integrity_", "mart_integrity").Seconds(),
		a.MetricTook.Seconds(), a.Draws, a.SensTook.Seconds())
	return b.String()
}
