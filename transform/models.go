package transform

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/liaoning-hrss/flexemp"
)

//go:embed models/*.sql
var modelFiles embed.FS

//go:embed tests/*.sql
var testFiles embed.FS

// Guards are queries whose rows stop an assessment: each row's message says
// in Chinese what the operator must fix (a year missing from the holiday
// table, a payment before the first minimum-wage row). They run before the
// models, on the staged data.
//
//go:embed guards/*.sql
var guardFiles embed.FS

// Model is one SQL model: a SELECT materialised as the table scratch.<Name>,
// or for a staging model the view scratch.<Name>: the staging models only
// select the period's current rows, which each later model reads straight
// from the compressed extract tables.
type Model struct {
	Name string
	SQL  string
	Deps []string // models it reads, found by name in its SQL
}

// Models returns the embedded models in dependency order: staging,
// intermediate, marts, each after the models it reads.
func Models() ([]Model, error) {
	names, err := fs.Glob(modelFiles, "models/*.sql")
	if err != nil {
		return nil, err
	}
	byName := map[string]*Model{}
	for _, n := range names {
		b, err := modelFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(n, "models/"), ".sql")
		byName[name] = &Model{Name: name, SQL: string(b)}
	}
	ref := regexp.MustCompile(`scratch\.([a-z_0-9]+)`)
	for _, m := range byName {
		for _, r := range ref.FindAllStringSubmatch(m.SQL, -1) {
			if _, ok := byName[r[1]]; ok && r[1] != m.Name && !slices.Contains(m.Deps, r[1]) {
				m.Deps = append(m.Deps, r[1])
			}
		}
		sort.Strings(m.Deps)
	}
	var order []Model
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("models: cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range byName[n].Deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[n] = 2
		order = append(order, *byName[n])
		return nil
	}
	keys := make([]string, 0, len(byName))
	for k := range byName {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return layer(keys[i]) < layer(keys[j]) || layer(keys[i]) == layer(keys[j]) && keys[i] < keys[j]
	})
	for _, k := range keys {
		if err := visit(k); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func layer(name string) int {
	switch {
	case strings.HasPrefix(name, "stg_"):
		return 0
	case strings.HasPrefix(name, "int_"):
		return 1
	}
	return 2
}

// Params are what one transform run depends on besides the uploads.
type Params struct {
	Period flexemp.Period
	// AsOf is the date the assessment is made as of: only the period's months
	// due by then count, and pending cases are judged at the earlier of the
	// period's end and AsOf. Zero means today in Asia/Shanghai.
	AsOf      time.Time
	Reference flexemp.Reference
	// GraduateExtension is the months a city adds to the 24-month cap of
	// 社会保险补贴 for 高校毕业生 (0 to 6).
	GraduateExtension map[string]int
	Integrity         Integrity
	// Lake, when set, is a folder written by flexemp export: the models read
	// its Parquet files (read_parquet) instead of the database's extract
	// tables and ledger. See sources.
	Lake string
	// AcceptedZeros are the city × indicator pairs whose zero denominator a
	// reviewer accepted through an objection: those are left out of their
	// dimension mean (无数据) instead of scored lowest (无数据·计最低).
	AcceptedZeros []CityIndicator
	// Issued, when set, pins the run to a ranking issued earlier (公示 and
	// 定稿): only the uploads the ledger held when it was published, plus
	// the corrections reviewers admitted through objections.
	Issued *Issued
	// Dispatch builds the dispatch models (dispatch_*) and the models they
	// read instead of the assessment's.
	Dispatch bool
}

// Issued pins a run to what a published ranking read, so that its final and
// every later recomputation read exactly the same versions.
type Issued struct {
	// LastUpload is the ledger's last upload ID when the ranking was
	// published: a version recorded later — a backfill with an earlier
	// receipt included — is not read.
	LastUpload int64
	// Corrections are the corrected extracts admitted through objections,
	// each in place of the version it corrects.
	Corrections []Correction
	// Publication is the publication the run computes; the run records it.
	Publication int64
}

// Correction is an admitted corrected extract: Upload counts in place of
// Corrects (0 when the month had no version) and keeps its timeliness, and
// it is no K7 finding.
type Correction struct {
	Upload   int64 `json:"upload"`
	Corrects int64 `json:"corrects"`
}

// CityIndicator names one indicator of one city.
type CityIndicator struct {
	City      string `json:"city"`
	Indicator string `json:"indicator"`
}

// TrainingLag is how far I11's window lies behind the period: trainings
// that ended in the window of the period's length ending this many months
// before the period's end, so six months on their outcome is known.
const TrainingLag = 6

// HistoryPeriods is how many earlier periods of the same length K8 holds a
// period's completion times against.
const HistoryPeriods = 4

// Integrity are the thresholds of the integrity checks (数据核查), as
// [integrity] in flexemp.toml; zero values take SPEC's defaults. The models
// read them from scratch.integrity_params, a column each by its toml name.
type Integrity struct {
	InstantShare  float64 `toml:"instant_share"`  // K3: a city's share of 失业登记 completed the day applied above this…; default 0.9
	InstantMedian float64 `toml:"instant_median"` // K3: …while the province's median city share is below this; default 0.5
	SpikeFactor   float64 `toml:"spike_factor"`   // K4: a month above this × the city's median of the previous 12; default 1.5
	DropFactor    float64 `toml:"drop_factor"`    // K4: or below this × that median; default ⅔
	SpikeHistory  int     `toml:"spike_history"`  // K4: months of those 12 sent, needed to judge a month by its own history; default 3
	SpikeProvince float64 `toml:"spike_province"` // K4: …while the province's median city moved by less than this share of the city's move; default 0.5
	SpikeAbove    float64 `toml:"spike_above"`    // K4, with less history: per head above this × the province's median city's; default 2.5
	SpikeBelow    float64 `toml:"spike_below"`    // K4, with less history: or below this; default 0.4
	SpikeMinimum  int     `toml:"spike_minimum"`  // K4: a month whose count and reference are both under this is never a finding; default 20
	SpikeNoise    float64 `toml:"spike_noise"`    // K4: nor one within this × √reference of its reference (counting noise); default 4
	BunchingShare float64 `toml:"bunching_share"` // K5: a quarter's share applied in its last days above this; default 0.4
	BunchingDays  int     `toml:"bunching_days"`  // K5: the last days; default 10
	FundFactor    float64 `toml:"fund_factor"`    // K6: payments above the province's allocation × this; default 1.2
	LedgerGap     float64 `toml:"ledger_gap"`     // K6: a month's payment rows this far from the finance ledger's paid_yuan; default 0.02
	AllocationGap float64 `toml:"allocation_gap"` // K6: a reported fund_allocated this far from the province's allocation; default 0.01
	LateIncrease  float64 `toml:"late_increase"`  // K7: deprecated name of late_change
	LateChange    float64 `toml:"late_change"`    // K7: a replacement after the deadline changing this share of rows or a count this much; default 0.1
	ShiftRise     float64 `toml:"shift_rise"`     // K8: the share completed within 1 working day this much above the previous periods'; default 0.3
	ShiftCases    int     `toml:"shift_cases"`    // K8: cases needed in the period and each earlier one; default 30
	ShiftLimit    float64 `toml:"shift_limit"`    // K8: the share completed on the 5th–7th working day above this × the previous periods'; default 2
	EmptyMedian   int     `toml:"empty_median"`   // K9: an empty month where the city's median of the previous 12 is at least this; default 20
	HistoryChange float64 `toml:"history_change"` // K10: a person's contribution changing by more than this share between payments; default 0.2
	UnruledRise   float64 `toml:"unruled_rise"`   // K10: a type without rules whose share of the amount rose by more than this…; default 0.2
	UnruledCases  int     `toml:"unruled_cases"`  // K10: …with at least this many payments of it in the period; default 20
	// RegisteredAgain is K11's: the share of persons registered in the
	// previous period too, this much above the province's median city's;
	// default 0.2.
	RegisteredAgain float64 `toml:"registered_again"`
	LabelGap        float64 `toml:"label_gap"`    // K12: the flexible-worker share of certified above uncertified trainings by more than this…; default 0.3
	LabelMedian     float64 `toml:"label_median"` // K12: …while the rest of the province's difference (its other cities' trainings together) is below this; default 0.1
	LabelCases      int     `toml:"label_cases"`  // K12: trainings needed in each group; default 30
}

// WithDefaults fills the thresholds left zero with SPEC's defaults.
func (t Integrity) WithDefaults() Integrity {
	def(&t.InstantShare, 0.9)
	def(&t.InstantMedian, 0.5)
	def(&t.SpikeFactor, 1.5)
	def(&t.DropFactor, 2.0/3)
	def(&t.SpikeHistory, 3)
	def(&t.SpikeProvince, 0.5)
	def(&t.SpikeAbove, 2.5)
	def(&t.SpikeBelow, 0.4)
	def(&t.SpikeMinimum, 20)
	def(&t.SpikeNoise, 4)
	def(&t.BunchingShare, 0.4)
	def(&t.BunchingDays, 10)
	def(&t.FundFactor, 1.2)
	def(&t.LedgerGap, 0.02)
	def(&t.AllocationGap, 0.01)
	def(&t.LateChange, t.LateIncrease)
	def(&t.LateChange, 0.1)
	t.LateIncrease = t.LateChange
	def(&t.ShiftRise, 0.3)
	def(&t.ShiftCases, 30)
	def(&t.ShiftLimit, 2)
	def(&t.EmptyMedian, 20)
	def(&t.HistoryChange, 0.2)
	def(&t.UnruledRise, 0.2)
	def(&t.UnruledCases, 20)
	def(&t.RegisteredAgain, 0.2)
	def(&t.LabelGap, 0.3)
	def(&t.LabelMedian, 0.1)
	def(&t.LabelCases, 30)
	return t
}

// def sets a threshold left zero to its default.
func def[T float64 | int](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// columns are the thresholds as scratch.integrity_params has them: each
// field's toml name, SQL type and value.
func (t Integrity) columns() (defs []string, vals []any) {
	v := reflect.ValueOf(t)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		typ := "DOUBLE"
		if f.Type.Kind() == reflect.Int {
			typ = "INTEGER"
		}
		defs = append(defs, f.Tag.Get("toml")+" "+typ)
		vals = append(vals, v.Field(i).Interface())
	}
	return defs, vals
}

// DataTestError names the data tests that failed.
type DataTestError struct {
	Failed map[string]int // test → failing rows
}

func (e *DataTestError) Error() string {
	var parts []string
	for name, n := range e.Failed {
		parts = append(parts, fmt.Sprintf("%s (%d rows)", name, n))
	}
	sort.Strings(parts)
	return "data tests failed: " + strings.Join(parts, ", ")
}

// BuildStats is what a build of the models did.
type BuildStats struct {
	Models    []string
	ModelTook []time.Duration // per model, in Models order
	Tests     []string
	Took      time.Duration
	TestsTook time.Duration
}

// TookBy is the time the models whose names start with prefix took
// together: "int_integrity_" and "mart_integrity" are the integrity checks.
func (s *BuildStats) TookBy(prefixes ...string) time.Duration {
	var d time.Duration
	for i, m := range s.Models {
		for _, p := range prefixes {
			if strings.HasPrefix(m, p) {
				d += s.ModelTook[i]
			}
		}
	}
	return d
}

// attachScratch gives the models a database of their own in memory, named
// scratch: what they build serves one assessment (metrics stores its
// results), so it is never written to the file, its WAL or a backup. It is
// shared by the process's connections and held within DuckDB's memory
// limit (assessing a scale-1 year peaks at about 400 MiB under 256MB).
const attachScratch = `ATTACH IF NOT EXISTS ':memory:' AS scratch`

// Build loads the reference data, the period's parameters and the source
// views into the scratch database, materialises every model in order, then
// runs every data test; a failing test fails the run, naming it. It runs on
// one connection, each model committed as it is built: a model reads the
// ones before it from committed, compressed tables, which made a year's
// build 8–10% faster than one transaction whose later models read the
// earlier ones' uncommitted rows (BENCHMARKS). One build at a time uses the
// scratch database (store.Compute), and its readers read it only after
// their own build succeeded; a build that fails detaches it, so nothing
// half-built is left behind for anyone.
func Build(ctx context.Context, db *sql.DB, p Params) (*BuildStats, error) {
	start := time.Now()
	if p.AsOf.IsZero() {
		p.AsOf = flexemp.DateOf(time.Now())
	}
	models, err := Models()
	if err != nil {
		return nil, err
	}
	models = productModels(models, p.Dispatch)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, attachScratch); err != nil {
		return nil, err
	}
	built := false
	defer func() {
		if !built {
			conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE IF EXISTS scratch")
		}
	}()
	if err := loadReference(ctx, conn, p); err != nil {
		return nil, fmt.Errorf("参考数据：%w", err)
	}
	if err := loadSources(ctx, conn, p.Lake); err != nil {
		return nil, err
	}
	stats := &BuildStats{}
	for _, m := range models {
		began := time.Now()
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE %s scratch.%s AS\n%s", m.object(), m.Name, m.SQL)); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		stats.Models = append(stats.Models, m.Name)
		stats.ModelTook = append(stats.ModelTook, time.Since(began))
		if m.Name == lastStaging(models) {
			if err := runGuards(ctx, conn); err != nil {
				return nil, err
			}
		}
	}
	stats.Took = time.Since(start)
	testsStart := time.Now()
	failed, names, err := runDataTests(ctx, conn, stats.Models)
	if err != nil {
		return nil, err
	}
	stats.Tests, stats.TestsTook = names, time.Since(testsStart)
	if len(failed) > 0 {
		return stats, &DataTestError{Failed: failed}
	}
	built = true
	return stats, nil
}

// productModels are the models one product builds, in order: the
// assessment's all but the dispatch models (dispatch_*); dispatch's those
// and the models they read.
func productModels(models []Model, dispatch bool) []Model {
	isDispatch := func(m Model) bool { return strings.HasPrefix(m.Name, "dispatch_") }
	if !dispatch {
		return slices.DeleteFunc(slices.Clone(models), isDispatch)
	}
	needed := map[string]bool{}
	for i := len(models) - 1; i >= 0; i-- { // dependents come after what they read
		if m := models[i]; isDispatch(m) || needed[m.Name] {
			needed[m.Name] = true
			for _, d := range m.Deps {
				needed[d] = true
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(models), func(m Model) bool { return !needed[m.Name] })
}

// lastStaging is the last staging model in build order: the guards run
// after it, before anything is computed.
func lastStaging(models []Model) string {
	last := ""
	for _, m := range models {
		if layer(m.Name) == 0 {
			last = m.Name
		}
	}
	return last
}

// runGuards fails with every guard's messages, if any has rows.
func runGuards(ctx context.Context, conn *sql.Conn) error {
	names, err := fs.Glob(guardFiles, "guards/*.sql")
	if err != nil {
		return err
	}
	var msgs []string
	for _, n := range names {
		b, err := guardFiles.ReadFile(n)
		if err != nil {
			return err
		}
		rows, err := conn.QueryContext(ctx, string(b))
		if err != nil {
			return fmt.Errorf("guard %s: %w", n, err)
		}
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return err
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return flexemp.Errorf(flexemp.EINVALID, "%s", strings.Join(msgs, "；"))
}

func runDataTests(ctx context.Context, conn *sql.Conn, built []string) (map[string]int, []string, error) {
	names, err := fs.Glob(testFiles, "tests/*.sql")
	if err != nil {
		return nil, nil, err
	}
	all, err := Models()
	if err != nil {
		return nil, nil, err
	}
	ref := regexp.MustCompile(`scratch\.([a-z_0-9]+)`)
	failed := map[string]int{}
	var ran []string
	for _, n := range names {
		b, err := testFiles.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		// A test of a model this build did not make is another product's.
		if slices.ContainsFunc(ref.FindAllStringSubmatch(string(b), -1), func(r []string) bool {
			return slices.ContainsFunc(all, func(m Model) bool { return m.Name == r[1] }) && !slices.Contains(built, r[1])
		}) {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(n, "tests/"), ".sql")
		var rows int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM (%s)", b)).Scan(&rows); err != nil {
			return nil, nil, fmt.Errorf("data test %s: %w", name, err)
		}
		if rows > 0 {
			failed[name] = rows
		}
		ran = append(ran, name)
	}
	return failed, ran, nil
}

// nothingDue refuses a period with no month due as of the date.
func nothingDue(p flexemp.Period, asOf time.Time) error {
	first := p.Months()[0]
	return flexemp.Errorf(flexemp.EINVALID, "%s截至 %s 尚无到期月份（%s的数据截止于 %s），无法考核",
		p.Label(), asOf.Format("2006-01-02"), first, first.DeadlineText())
}

// loadReference writes the reference tables and the period's parameters:
// period_start to period_end spans the months due as of the date,
// last_month is the last of them, cutoff the day pending cases are judged,
// as_of_end the instant after which no upload is known (the end of the
// as-of date in Asia/Shanghai), lag_start to lag_end I11's window, and
// shift_start the first day of the periods K8 compares with.
func loadReference(ctx context.Context, conn *sql.Conn, p Params) error {
	months := p.Period.DueMonths(p.AsOf)
	if len(months) == 0 {
		return nothingDue(p.Period, p.AsOf)
	}
	first, last := months[0], months[len(months)-1]
	end := last.Next().First().AddDate(0, 0, -1)
	lagStart := first.First().AddDate(0, -TrainingLag, 0)
	lagEnd := last.Next().First().AddDate(0, -TrainingLag, -1)
	shiftStart := p.Period.Start().AddDate(0, -HistoryPeriods*len(p.Period.Months()), 0)
	spikeStart := p.Period.Start().AddDate(-1, 0, 0)
	historyStart := shiftStart
	for _, d := range []time.Time{spikeStart, lagStart} {
		if d.Before(historyStart) {
			historyStart = d
		}
	}
	asOfEnd := time.Date(p.AsOf.Year(), p.AsOf.Month(), p.AsOf.Day()+1, 0, 0, 0, 0, flexemp.Shanghai)
	stmts := []string{
		`CREATE OR REPLACE TABLE scratch.params (period VARCHAR, period_start DATE, period_end DATE, last_month DATE, months INTEGER, as_of DATE, cutoff DATE,
			as_of_end TIMESTAMPTZ, lag_start DATE, lag_end DATE, shift_start DATE, period_months INTEGER)`,
		`CREATE OR REPLACE TABLE scratch.ref_cities (code VARCHAR PRIMARY KEY, name VARCHAR, short_name VARCHAR, population BIGINT, graduate_extension INTEGER)`,
		`CREATE OR REPLACE TABLE scratch.ref_holidays (day DATE PRIMARY KEY, kind VARCHAR, name VARCHAR)`,
		`CREATE OR REPLACE TABLE scratch.ref_min_wage (city_code VARCHAR, valid_from DATE, monthly_fen BIGINT, hourly_fen BIGINT, status VARCHAR)`,
		`CREATE OR REPLACE TABLE scratch.ref_funds (city_code VARCHAR, month DATE, allocated_fen BIGINT, paid_fen BIGINT, PRIMARY KEY (city_code, month))`,
		`CREATE OR REPLACE TABLE scratch.ref_kinds (kind VARCHAR PRIMARY KEY, title VARCHAR)`,
		// ref_months are the period's due months; ref_deadlines every month
		// the models read, the history included.
		`CREATE OR REPLACE TABLE scratch.ref_months (month DATE PRIMARY KEY, deadline TIMESTAMPTZ)`,
		`CREATE OR REPLACE TABLE scratch.ref_deadlines (month DATE PRIMARY KEY, deadline TIMESTAMPTZ)`,
		`CREATE OR REPLACE TABLE scratch.ref_indicators (indicator VARCHAR PRIMARY KEY, ordinal INTEGER, dimension VARCHAR, title VARCHAR, unit VARCHAR, scale DOUBLE, cap DOUBLE, by_county BOOLEAN)`,
		`CREATE OR REPLACE TABLE scratch.ref_counties (code VARCHAR PRIMARY KEY, city_code VARCHAR, name VARCHAR, population BIGINT)`,
		`CREATE OR REPLACE TABLE scratch.ref_indicator_sources (indicator VARCHAR, kind VARCHAR)`,
		`CREATE OR REPLACE TABLE scratch.accepted_zeros (city_code VARCHAR, indicator VARCHAR)`,
		`CREATE OR REPLACE TABLE scratch.corrections (upload_id BIGINT PRIMARY KEY, corrects BIGINT)`,
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO scratch.params VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Period.String(), p.Period.Start(), end, last.First(), len(months),
		p.AsOf, p.Period.Cutoff(p.AsOf), asOfEnd, lagStart, lagEnd, shiftStart, len(p.Period.Months())); err != nil {
		return err
	}
	// The same bounds as the connection's variables, which DuckDB folds
	// into constants when it binds a query: a scan of an extract table
	// filtered by them skips the row groups outside them (a join with
	// scratch.params cannot). spike_start opens the 12 months K4 needs,
	// previous_start the previous period of the same length (K11),
	// history_start everything any model reads.
	previousStart := p.Period.Start().AddDate(0, -len(p.Period.Months()), 0)
	for name, day := range map[string]time.Time{"period_start": p.Period.Start(), "period_end": end, "spike_start": spikeStart,
		"previous_start": previousStart, "lag_start": lagStart, "lag_end": lagEnd, "shift_start": shiftStart, "history_start": historyStart} {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SET VARIABLE %s = DATE '%s'`, name, day.Format("2006-01-02"))); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SET VARIABLE as_of_end = TIMESTAMPTZ '%s'`, asOfEnd.Format(time.RFC3339))); err != nil {
		return err
	}
	lastUpload := int64(math.MaxInt64)
	var corrections []Correction
	if p.Issued != nil {
		lastUpload, corrections = p.Issued.LastUpload, slices.Clone(p.Issued.Corrections)
	}
	// Every run reads the corrections admitted through objections by its
	// as-of date, among the uploads it reads, as a final does: an admitted
	// correction counts (the latest of a month's, int_counting_versions), in
	// a later draft as much as in the final, and is no K7 finding.
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT upload_id FROM objections
		WHERE decision = '采纳' AND upload_id IS NOT NULL AND decided_at < ? AND upload_id <= ?`, asOfEnd, lastUpload)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c Correction
		if err := rows.Scan(&c.Upload); err != nil {
			rows.Close()
			return err
		}
		if !slices.ContainsFunc(corrections, func(x Correction) bool { return x.Upload == c.Upload }) {
			corrections = append(corrections, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SET VARIABLE last_upload = %d::BIGINT`, lastUpload)); err != nil {
		return err
	}
	defs, vals := p.Integrity.WithDefaults().columns()
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE scratch.integrity_params (`+strings.Join(defs, ", ")+`)`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO scratch.integrity_params VALUES (?`+strings.Repeat(", ?", len(vals)-1)+`)`, vals...); err != nil {
		return err
	}
	return conn.Raw(func(dc any) error {
		appendRows := func(table string, rows [][]driver.Value) error {
			a, err := duckdb.NewAppender(dc.(driver.Conn), "scratch", "main", table)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := a.AppendRow(r...); err != nil {
					a.Close()
					return err
				}
			}
			return a.Close()
		}
		var cities, counties, holidays, wages, funds, indicators, sources, kinds, due, deadlines, zeros [][]driver.Value
		for _, c := range p.Reference.Cities {
			ext := int32(p.GraduateExtension[c.Code])
			cities = append(cities, []driver.Value{c.Code, c.Name, c.ShortName, p.Reference.PopulationOf(c, p.Period.Year), ext})
		}
		for _, c := range p.Reference.Counties {
			var pop any
			if c.Population > 0 {
				pop = c.Population
			}
			counties = append(counties, []driver.Value{c.Code, c.City, c.Name, pop})
		}
		for _, h := range p.Reference.Holidays {
			kind := "holiday"
			if h.Workday {
				kind = "workday"
			}
			holidays = append(holidays, []driver.Value{h.Date, kind, h.Name})
		}
		for _, w := range p.Reference.MinWages {
			wages = append(wages, []driver.Value{w.City, w.ValidFrom, w.MonthlyFen, w.HourlyFen, w.Status})
		}
		for i, ind := range flexemp.Indicators {
			var cap any
			if ind.Cap > 0 {
				cap = ind.Cap
			}
			indicators = append(indicators, []driver.Value{ind.ID, int32(i + 1), string(ind.Dimension), ind.Title, ind.Unit.String(), ind.Scale, cap, ind.ByCounty})
			for _, k := range ind.Sources {
				sources = append(sources, []driver.Value{ind.ID, string(k)})
			}
		}
		for _, k := range flexemp.Kinds {
			kinds = append(kinds, []driver.Value{string(k), k.Title()})
		}
		for _, m := range months {
			due = append(due, []driver.Value{m.First(), m.Deadline()})
		}
		for m := flexemp.MonthOf(historyStart); !last.First().Before(m.First()); m = m.Next() {
			deadlines = append(deadlines, []driver.Value{m.First(), m.Deadline()})
		}
		for _, f := range p.Reference.Funds {
			var paid any
			if f.HasPaid {
				paid = f.PaidFen
			}
			funds = append(funds, []driver.Value{f.City, f.Month.First(), f.AllocatedFen, paid})
		}
		for _, z := range p.AcceptedZeros {
			zeros = append(zeros, []driver.Value{z.City, z.Indicator})
		}
		var fixes [][]driver.Value
		for _, c := range corrections {
			var corrects any
			if c.Corrects != 0 {
				corrects = c.Corrects
			}
			fixes = append(fixes, []driver.Value{c.Upload, corrects})
		}
		for table, rows := range map[string][][]driver.Value{
			"ref_cities": cities, "ref_counties": counties, "ref_holidays": holidays, "ref_min_wage": wages, "ref_indicators": indicators,
			"ref_indicator_sources": sources, "ref_kinds": kinds, "ref_months": due, "ref_deadlines": deadlines,
			"ref_funds": funds, "accepted_zeros": zeros, "corrections": fixes,
		} {
			if err := appendRows(table, rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// object is what a model is materialised as.
func (m Model) object() string {
	if layer(m.Name) == 0 {
		return "VIEW"
	}
	return "TABLE"
}
