// Package gen writes a synthetic province: every city's monthly extracts of
// every kind, spread over the formats cities really send, with realistic bad
// rows, and a manifest of what ingesting each file must give.
package gen

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Options say what to generate. Zero values take the defaults.
type Options struct {
	Seed  uint64
	Scale float64       // 1 is about one real province-year (1–3 million rows a year); default DefaultScale
	From  flexemp.Month // default 2024-01
	To    flexemp.Month // default 2025-12
}

// Withholding is a city's extracts of one kind that the generator never
// sends for a whole period, planted so the demo and the tests show 未报送.
type Withholding struct {
	City   string         `json:"city"`
	Kind   flexemp.Kind   `json:"kind"`
	Period flexemp.Period `json:"period"`
}

// Withheld is the planted withholding: 锦州 sends no services extract for
// 2025Q2 (when the generated months reach it).
var Withheld = Withholding{City: "210700", Kind: flexemp.Services, Period: flexemp.Period{Year: 2025, Quarter: 2}}

// Plant is an integrity case (数据核查) the generator plants in a named
// city, so tests can require that it is found, and nothing where nothing
// was planted.
type Plant struct {
	Check   string        `json:"check"`             // K1, K4–K12
	Subject string        `json:"subject,omitempty"` // K8: "limit" for completions moved to the limit
	City    string        `json:"city"`              // the city it is planted in
	Other   string        `json:"other,omitempty"`   // K1: the other city the persons are registered in
	Month   flexemp.Month `json:"month"`
	Kind    flexemp.Kind  `json:"kind"`
	Count   int           `json:"count,omitempty"` // K1: persons
	// Quarter: the case needs every month of Month's quarter sent (K5
	// bunches Month itself; the others are planted in all three).
	Quarter bool `json:"quarter,omitempty"`
	// Periods are the assessment periods it shows in: the month's quarter
	// and year, unless the case shows in its quarter only.
	Periods []flexemp.Period `json:"periods"`
	// Also are other checks the case trips, in the periods named: the same
	// persons registered in two quarters of a year are repeats within it (K2).
	Also []Sign `json:"also,omitempty"`
}

// Sign is a check a plant trips in a period.
type Sign struct {
	Period flexemp.Period `json:"period"`
	Check  string         `json:"check"`
}

// Plants are the planted integrity cases, each when the generated months
// reach it:
//   - K1: three of 沈阳's March 2025 灵活就业登记 persons registered in 大连 too;
//   - K4: 阜新's services of September 2025 report hr_served_flex 2.5 × as
//     high as its own months before;
//   - K5: 辽阳's December 2025 registrations doubled and all its 灵活就业登记
//     applied in the last ten days, so over 40% of 2025Q4's fall there (the
//     doubled month is a spike, K4, too);
//   - K6: 鞍山's subsidy rows of August 2025 fall 10% short of the
//     province's finance ledger (funds.csv paid_yuan);
//   - K7: 营口's services extract of May 2025, sent on time, replaced on
//     1 July with every count 25% higher;
//   - K8: 大连's 失业登记 of 2025Q3 all completed the day after they were
//     applied for, against about half within a working day before;
//   - K8 (limit): 鞍山's late 失业登记 of 2025Q2 completed on the 5th–7th
//     working day, within the limit, where before they took weeks;
//   - K9: 大连's trainings of October 2025 sent as an empty extract;
//   - K10: 朝阳 pays five recipients of a 社会保险补贴 again in June 2025
//     with months_received not risen from their last payment;
//   - K11: 铁岭 registers, over 2025Q3, 35% as many of 2025Q2's persons
//     again (a repeat within 2025, K2, too);
//   - K12: 沈阳's uncertified trainees of 2025Q4 marked 否 for
//     flexible_worker.
var Plants = []Plant{
	{Check: "K1", City: "210100", Other: "210200", Month: flexemp.Month{Year: 2025, Month: time.March}, Kind: flexemp.Registrations, Count: 3},
	{Check: "K4", City: "210900", Month: flexemp.Month{Year: 2025, Month: time.September}, Kind: flexemp.Services},
	{Check: "K5", City: "211000", Month: flexemp.Month{Year: 2025, Month: time.December}, Kind: flexemp.Registrations, Quarter: true,
		Also: []Sign{{flexemp.Period{Year: 2025, Quarter: 4}, "K4"}, {flexemp.Period{Year: 2025}, "K4"}}},
	{Check: "K6", City: "210300", Month: flexemp.Month{Year: 2025, Month: time.August}, Kind: flexemp.Subsidies},
	{Check: "K7", City: "210800", Month: flexemp.Month{Year: 2025, Month: time.May}, Kind: flexemp.Services},
	{Check: "K8", City: "210200", Month: flexemp.Month{Year: 2025, Month: time.July}, Kind: flexemp.Registrations, Quarter: true},
	{Check: "K8", Subject: "limit", City: "210300", Month: flexemp.Month{Year: 2025, Month: time.April}, Kind: flexemp.Registrations, Quarter: true},
	{Check: "K9", City: "210200", Month: flexemp.Month{Year: 2025, Month: time.October}, Kind: flexemp.Trainings},
	{Check: "K10", City: "211300", Month: flexemp.Month{Year: 2025, Month: time.June}, Kind: flexemp.Subsidies},
	{Check: "K11", City: "211200", Month: flexemp.Month{Year: 2025, Month: time.July}, Kind: flexemp.Registrations, Quarter: true,
		Periods: []flexemp.Period{{Year: 2025, Quarter: 3}}, Also: []Sign{{flexemp.Period{Year: 2025}, "K2"}}},
	{Check: "K12", City: "210100", Month: flexemp.Month{Year: 2025, Month: time.October}, Kind: flexemp.Trainings, Quarter: true,
		Periods: []flexemp.Period{{Year: 2025, Quarter: 4}}},
}

func init() {
	for i := range Plants {
		pl := &Plants[i]
		if pl.Periods == nil {
			q := flexemp.Period{Year: pl.Month.Year, Quarter: (int(pl.Month.Month)-1)/3 + 1}
			pl.Periods = []flexemp.Period{q, {Year: pl.Month.Year}}
		}
	}
}

// ledgerShort is K6's plant: the city's rows sum to this share of what the
// province's finance ledger paid.
const ledgerShort = 0.9

// k7Replaced is when the K7 plant's replacement is sent: after the deadline.
var k7Replaced = time.Date(2025, time.July, 1, 10, 0, 0, 0, flexemp.Shanghai)

// DefaultScale is small enough for tests and the demo.
const DefaultScale = 0.01

// File formats the generator writes.
const (
	FormatCSVUTF8    = "csv-utf8"
	FormatCSVUTF8BOM = "csv-utf8-bom"
	FormatCSVGBK     = "csv-gbk"
	FormatXLSX       = "xlsx"
	FormatParquet    = "parquet"
)

// File is one generated extract and what ingesting it must give.
type File struct {
	Path       string         `json:"path"` // relative to the output folder: <city>/<kind>/<file>
	City       string         `json:"city"`
	Kind       flexemp.Kind   `json:"kind"`
	Month      string         `json:"month"`
	Format     string         `json:"format"`
	ReceivedAt string         `json:"received_at"` // when the city sent it (RFC3339, +08:00)
	Rows       int            `json:"rows"`
	Accepted   int            `json:"accepted"`
	Rejected   int            `json:"rejected"`
	Bad        map[string]int `json:"bad,omitempty"` // reject reason code → rows made bad that way
}

// CityProfile is how well a city was made to implement the measures: every
// indicator improves with Quality, so the ranking should follow it.
type CityProfile struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Quality float64 `json:"quality"` // 0 worst … 1 best
}

// Manifest describes a generated province.
type Manifest struct {
	Seed    uint64        `json:"seed"`
	Scale   float64       `json:"scale"`
	From    string        `json:"from"`
	To      string        `json:"to"`
	Cities  []CityProfile `json:"cities"`
	Files   []File        `json:"files"`
	Missing []File        `json:"missing"` // extracts a city never sent (Path empty)
	// Withheld are the planted periods a city sent no extract of a kind in;
	// their extracts are in Missing too.
	Withheld []Withholding `json:"withheld,omitempty"`
	// Planted are the integrity cases planted, of Plants those the months
	// reach.
	Planted []Plant `json:"planted,omitempty"`
	// Funds is the province's own funds table (reference/funds.csv's
	// format) written beside the extracts: each city's monthly allocation
	// and what the finance ledger paid out as its subsidies.
	Funds string `json:"funds"`
	// Targets is the dispatch targets table (reference/targets.csv's
	// format) for the last year written: each city's previous year and a
	// growth, a few cities' set too high.
	Targets string `json:"targets"`
}

// Summary is one line on what was written.
func (m *Manifest) Summary() string {
	rows, rejected := 0, 0
	for _, f := range m.Files {
		rows += f.Rows
		rejected += f.Rejected
	}
	return fmt.Sprintf("%d 个文件，%d 行（其中预置错误行 %d 行），%d 份数据未报送；已写出 manifest.json", len(m.Files), rows, rejected, len(m.Missing))
}

// FundsFile is the name of the funds table Generate writes.
const FundsFile = "funds.csv"

// plantsIn tells whether an extract is one a planted case lives in: it is
// always sent.
func (man *Manifest) plantsIn(city string, kind flexemp.Kind, m flexemp.Month) bool {
	for _, p := range man.Planted {
		sameMonth := p.Month == m || p.Quarter && quarter(p.Month) == quarter(m)
		if p.Kind == kind && sameMonth && (p.City == city || p.Other == city) {
			return true
		}
	}
	return false
}

// plant returns the planted case of a check in the city and month, if any.
func (man *Manifest) plant(check, city string, kind flexemp.Kind, m flexemp.Month) (Plant, bool) {
	for _, p := range man.Planted {
		if p.Check == check && p.City == city && p.Kind == kind && p.Month == m {
			return p, true
		}
	}
	return Plant{}, false
}

// Generate writes the province under dir and returns its manifest, also
// written as dir/manifest.json. The same options give the same bytes.
func Generate(dir string, opt Options) (*Manifest, error) {
	if opt.Scale <= 0 {
		opt.Scale = DefaultScale
	}
	if opt.From.IsZero() {
		opt.From = flexemp.Month{Year: 2024, Month: 1}
	}
	if opt.To.IsZero() {
		opt.To = flexemp.Month{Year: 2025, Month: 12}
	}
	man := &Manifest{Seed: opt.Seed, Scale: opt.Scale, From: opt.From.String(), To: opt.To.String()}
	man.Cities = profiles(opt.Seed)
	w := Withheld
	if first := w.Period.Months()[0]; !first.First().Before(opt.From.First()) && !opt.To.First().Before(w.Period.Months()[2].First()) {
		man.Withheld = append(man.Withheld, w)
	}
	within := func(m flexemp.Month) bool {
		return !m.First().Before(opt.From.First()) && !opt.To.First().Before(m.First())
	}
	for _, pl := range Plants {
		if within(pl.Month) {
			man.Planted = append(man.Planted, pl)
		}
	}
	flexByCity := map[string]map[flexemp.Month][]person{} // each city's 灵活就业登记 persons by month, for K1
	var funds []flexemp.Fund
	tallies := map[string]*tally{} // each city's dispatch tasks by year, for its targets
	for _, p := range man.Cities {
		c := newCityGen(p, opt)
		c.bunch = func(m flexemp.Month) bool { _, ok := man.plant("K5", p.Code, flexemp.Registrations, m); return ok }
		c.atLimit = func(m flexemp.Month) bool { return man.has("K8", "limit", p.Code, m) }
		c.quick = func(m flexemp.Month) bool { return man.has("K8", "", p.Code, m) }
		c.mustSend = func(kind flexemp.Kind, m flexemp.Month) bool { return man.plantsIn(p.Code, kind, m) }
		c.plants = man
		c.warmUp()
		tallies[p.Code] = newTally()
		for m := opt.From; !opt.To.First().Before(m.First()); m = m.Next() {
			for _, kind := range flexemp.Kinds {
				f, rows := c.extract(kind, m)
				if man.withholds(p.Code, kind, m) {
					f.Path, f.Format, f.ReceivedAt, f.Rows, f.Accepted, f.Rejected, f.Bad = "", "", "", 0, 0, 0, nil
				}
				for _, pl := range man.Planted {
					if pl.Check == "K1" && pl.Other == p.Code && pl.Month == m && kind == flexemp.Registrations && f.Path != "" {
						rows = c.registerAgain(rows, flexByCity[pl.City][m], pl.Count, m)
						f.Rows, f.Accepted = len(rows), len(rows)-f.Rejected
					}
				}
				if f.Path != "" {
					rows = c.planted(&f, kind, m, rows)
				}
				if _, ok := man.plant("K7", p.Code, kind, m); ok && f.Path != "" {
					f.ReceivedAt = m.Next().First().AddDate(0, 0, 4).In(flexemp.Shanghai).Add(9 * time.Hour).Format(time.RFC3339)
					if err := write(dir, &f, rows, c.rng); err != nil {
						return nil, err
					}
					man.Files = append(man.Files, f)
					f, rows = c.improved(f, rows)
				}
				if f.Path == "" {
					man.Missing = append(man.Missing, f)
					continue
				}
				if err := write(dir, &f, rows, c.rng); err != nil {
					return nil, err
				}
				man.Files = append(man.Files, f)
				tallies[p.Code].add(kind, m, rows)
			}
		}
		flexByCity[p.Code] = c.flexByMonth
		for _, f := range c.funds {
			if _, ok := man.plant("K6", p.Code, flexemp.Subsidies, f.Month); ok {
				f.PaidFen = int64(math.Round(float64(f.PaidFen) / ledgerShort))
			}
			funds = append(funds, f)
		}
	}
	man.Funds = FundsFile
	if err := writeFunds(filepath.Join(dir, FundsFile), funds); err != nil {
		return nil, err
	}
	man.Targets = TargetsFile
	if err := writeTargets(filepath.Join(dir, TargetsFile), opt.Seed, opt.To.Year, max(opt.From.Year, opt.To.Year-1), tallies); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	return man, os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}

// has tells whether a check (with its subject) is planted in the city's
// month m (in any month of its quarter for a quarter's plant).
func (man *Manifest) has(check, subject, city string, m flexemp.Month) bool {
	for _, p := range man.Planted {
		if p.Check == check && p.Subject == subject && p.City == city && (p.Month == m || p.Quarter && quarter(p.Month) == quarter(m)) {
			return true
		}
	}
	return false
}

// quarter numbers a month's quarter, the same for its three months.
func quarter(m flexemp.Month) int { return m.Year*4 + (int(m.Month)-1)/3 }

// writeFunds writes the province's funds table as reference/funds.csv
// has it.
func writeFunds(path string, funds []flexemp.Fund) error {
	var b strings.Builder
	b.WriteString("city_code,month,allocated_yuan,paid_yuan\n")
	for _, f := range funds {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", f.City, f.Month, text(fen(f.AllocatedFen), ""), text(fen(f.PaidFen), ""))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// withholds tells whether a planted withholding covers the city's extract.
func (man *Manifest) withholds(city string, kind flexemp.Kind, m flexemp.Month) bool {
	for _, w := range man.Withheld {
		if w.City == city && w.Kind == kind && slices.Contains(w.Period.Months(), m) {
			return true
		}
	}
	return false
}

// profiles gives each city a quality in 0…1, in an order drawn from the
// seed. The qualities are seeded draws, not an even spread: some cities are
// close and some far apart, as in a real province.
func profiles(seed uint64) []CityProfile {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	order := rng.Perm(len(flexemp.Cities))
	levels := make([]float64, len(flexemp.Cities))
	for i := range levels {
		levels[i] = rng.Float64()
	}
	sort.Float64s(levels)
	out := make([]CityProfile, len(flexemp.Cities))
	for i, c := range flexemp.Cities {
		out[i] = CityProfile{Code: c.Code, Name: c.Name, Quality: levels[order[i]]}
	}
	return out
}

// person is one resident in a city's pool.
type person struct {
	id    string
	group string
	birth time.Time
}

// cityGen generates one city's extracts month by month, keeping the people
// it has registered so later subsidies and trainings find them.
type cityGen struct {
	p        CityProfile
	city     flexemp.City
	opt      Options
	rng      *rand.Rand
	pool     []person
	flexYear map[string]bool   // distinct 灵活就业登记 persons this year, for pension enrolment
	planned  map[string][]plan // month → subsidies and trainings planned for registrants
	wageFen  int64             // hourly minimum wage in fen
	paidFen  int64             // the month's subsidy payments, for the funds allocated (I20)
	// allocatedFen is the month's allocation by the province, set with its
	// services row.
	allocatedFen int64
	stock        int64           // flexible workers on the register at month end (flex_registered)
	ids          map[string]bool // every ID made, so no two persons share one
	counties     []flexemp.County
	// flexByMonth are the 灵活就业登记 persons of each month, for K1's plant.
	flexByMonth map[flexemp.Month][]person
	// bunch, if set, tells the months whose 灵活就业登记 are planted in the
	// last ten days (K5).
	bunch func(flexemp.Month) bool
	// mustSend, if set, tells the extracts a plant lives in: never left unsent.
	mustSend func(flexemp.Kind, flexemp.Month) bool
	// quick, if set, tells the months whose 失业登记 are all completed the
	// next day (K8).
	quick func(flexemp.Month) bool
	// atLimit, if set, tells the months whose late 失业登记 are completed
	// on the 5th–7th working day instead (K8's limit).
	atLimit func(flexemp.Month) bool
	// funds are the province's records of the city: each month's
	// allocation and what its finance ledger paid (the rows that are
	// accepted, summed).
	funds []flexemp.Fund
	// paid is each person's history of each subsidy type: a history agrees
	// with itself (months_received rising, the same contribution and group).
	paid map[string]*history
	// insured are the persons paid a 社会保险补贴, in the order first paid.
	insured []person
	// plants are the cases planted (K4, K8's limit, K9–K12 act here).
	plants *Manifest
}

// history is what a person has been paid of one subsidy type so far.
type history struct {
	months       int64
	contribution int64
	group        string
	last         flexemp.Month
}

// warmUp makes the four months before the first: their registrations and
// trainings plan the first months' subsidies and trainings (training
// subsidies two steps on), as a province's earlier months would have, so
// the first months are not a ramp from nothing. Their rows are not sent.
func (c *cityGen) warmUp() {
	m := c.opt.From
	before := flexemp.MonthOf(m.First().AddDate(0, -4, 0))
	for ; before != m; before = before.Next() {
		c.registrations(before)
		c.subsidies(before)
		c.trainings(before)
	}
}

type plan struct {
	who     person
	kind    flexemp.Kind
	subsidy string // for a planned subsidy: its type; default 社会保险补贴
}

func newCityGen(p CityProfile, opt Options) *cityGen {
	h := fnv.New64a()
	h.Write([]byte(p.Code))
	city, _ := flexemp.CityByCode(p.Code)
	return &cityGen{
		p: p, city: city, opt: opt, counties: flexemp.CountiesOf(flexemp.Counties, p.Code),
		rng:         rand.New(rand.NewPCG(opt.Seed, h.Sum64())),
		flexYear:    map[string]bool{},
		planned:     map[string][]plan{},
		wageFen:     hourlyWageFen(p.Code),
		ids:         map[string]bool{},
		flexByMonth: map[flexemp.Month][]person{},
		paid:        map[string]*history{},
		stock:       int64(float64(city.Population) / 400 * opt.Scale / DefaultScale * (0.7 + 0.6*p.Quality)),
	}
}

// q scales a rate from its worst city value to its best by the city's
// quality, shifted by the city's own strength or weakness in that rate
// (up to ±0.2 of quality, the same every month), with a little noise. So
// cities of close quality differ in profile, and their ranks depend on the
// weights: the uncertainty the sensitivity analysis measures. It may exceed
// 1 where the measure does (matches per posting).
func (c *cityGen) q(worst, best float64) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s %g %g", c.p.Code, worst, best)
	strength := (float64(h.Sum64()%1000)/999 - 0.5) * 0.4
	quality := math.Min(1, math.Max(0, c.p.Quality+strength))
	noise := (c.rng.Float64() - 0.5) * 0.04
	return math.Max(0, worst+(best-worst)*quality+noise)
}

func (c *cityGen) chance(p float64) bool { return c.rng.Float64() < p }

func (c *cityGen) pick(vals []string) string { return vals[c.rng.IntN(len(vals))] }

// volume is the expected rows per month for a kind at scale 1 for the whole
// province, shared out by population.
func (c *cityGen) volume(perMonth float64) int {
	share := float64(c.city.Population) / 42591407
	v := perMonth * share * c.opt.Scale * (0.7 + 0.6*c.p.Quality)
	n := int(v)
	if c.rng.Float64() < v-float64(n) {
		n++
	}
	return n
}

// extract makes one (kind, month) extract: its rows and manifest entry.
// Path is left empty when the city does not send it.
func (c *cityGen) extract(kind flexemp.Kind, m flexemp.Month) (File, [][]any) {
	if m.Month == time.January && kind == flexemp.Registrations {
		clear(c.flexYear)
	}
	f := File{City: c.p.Code, Kind: kind, Month: m.String(), Bad: map[string]int{}}
	var rows [][]any
	switch kind {
	case flexemp.Registrations:
		rows = c.registrations(m)
	case flexemp.Subsidies:
		rows = c.subsidies(m)
	case flexemp.Trainings:
		rows = c.trainings(m)
	case flexemp.Services:
		rows = c.services(m)
	}
	if kind == flexemp.Services {
		c.funds[len(c.funds)-1].AllocatedFen = c.allocatedFen
	}
	if c.chance(0.01*(1-c.p.Quality)) && (c.mustSend == nil || !c.mustSend(kind, m)) {
		if kind == flexemp.Subsidies {
			c.ledger(m, rows, nil)
		}
		return f, nil // never sent
	}
	f.Format = c.pickFormat()
	if kind != flexemp.Services {
		spoiled := c.spoil(&f, kind, m, rows)
		if kind == flexemp.Subsidies {
			c.ledger(m, rows, spoiled)
		}
	}
	f.Rows = len(rows)
	f.Accepted = f.Rows - f.Rejected
	if len(f.Bad) == 0 {
		f.Bad = nil
	}
	f.ReceivedAt = c.receivedAt(m).Format(time.RFC3339)
	ext := map[string]string{FormatXLSX: "xlsx", FormatParquet: "parquet"}[f.Format]
	if ext == "" {
		ext = "csv"
	}
	f.Path = filepath.ToSlash(filepath.Join(c.p.Code, string(kind), fmt.Sprintf("%s_%s_%s.%s", c.p.Code, kind, m, ext)))
	return f, rows
}

// ledger records the finance ledger's payments of the month: the rows
// that are accepted (not spoiled), summed. The allocation is set when the
// month's services row is made.
func (c *cityGen) ledger(m flexemp.Month, rows [][]any, spoiled map[int]bool) {
	var paid int64
	for i, r := range rows {
		if !spoiled[i] {
			paid += int64(r[4].(fen))
		}
	}
	c.funds = append(c.funds, flexemp.Fund{City: c.p.Code, Month: m, PaidFen: paid, HasPaid: true})
}

func (c *cityGen) pickFormat() string {
	r := c.rng.Float64()
	switch {
	case r < 0.30:
		return FormatCSVUTF8
	case r < 0.45:
		return FormatCSVUTF8BOM
	case r < 0.65:
		return FormatCSVGBK
	case r < 0.90:
		return FormatXLSX
	}
	return FormatParquet
}

// receivedAt is when the city sent the month's extract: by the 10th of the
// next month for most, later for some, the better cities more punctual.
func (c *cityGen) receivedAt(m flexemp.Month) time.Time {
	n := m.Next()
	day := 1 + c.rng.IntN(10)
	if !c.chance(c.q(0.55, 0.99)) {
		day = 11 + c.rng.IntN(15)
	}
	return time.Date(n.Year, n.Month, day, 9+c.rng.IntN(9), c.rng.IntN(60), c.rng.IntN(60), 0, flexemp.Shanghai)
}

// dayIn is a random calendar date in month m.
func (c *cityGen) dayIn(m flexemp.Month) time.Time {
	last := m.Next().First().AddDate(0, 0, -1).Day()
	return m.First().AddDate(0, 0, c.rng.IntN(last))
}

// newPerson is a new resident of this city aged 18 to 50 on date d, with an
// ID no other person of the city has: a shared ID would be one person
// registered twice (K2).
func (c *cityGen) newPerson(d time.Time, group string) person {
	for {
		birth := d.AddDate(-18-c.rng.IntN(33), 0, -c.rng.IntN(365))
		area := c.p.Code[:4] + fmt.Sprintf("%02d", 2+c.rng.IntN(10))
		id := ID(area, birth, c.rng.IntN(100), c.chance(0.5))
		if !c.ids[id] {
			c.ids[id] = true
			return person{id: id, group: group, birth: birth}
		}
	}
}

// registerAgain adds 灵活就业登记 rows for n of another city's persons
// registered in month m (K1's plant): the same persons in two cities.
func (c *cityGen) registerAgain(rows [][]any, others []person, n int, m flexemp.Month) [][]any {
	for i := 0; i < n && i < len(others); i++ {
		p := others[i]
		applied := c.dayIn(m)
		rows = append(rows, []any{p.id, c.cityCell(), flexemp.RegFlexible, "新就业形态", p.group, applied, applied, "线上"})
	}
	return rows
}

// planted applies the plants that live in a city's extract as sent (the
// city's own workings stay as they were): K4's inflated services count,
// K9's empty extract, K11's persons of the quarter before registered again,
// K12's uncertified trainees marked not flexible.
func (c *cityGen) planted(f *File, kind flexemp.Kind, m flexemp.Month, rows [][]any) [][]any {
	switch {
	case kind == flexemp.Services && c.plants.has("K4", "", c.p.Code, m):
		_, j, _ := flexemp.ContractOf(kind).Column("hr_served_flex")
		rows[0][j] = rows[0][j].(int64) * 5 / 2
	case kind == flexemp.Trainings && c.plants.has("K9", "", c.p.Code, m):
		rows = nil
		f.Rows, f.Accepted, f.Rejected, f.Bad = 0, 0, 0, nil
	case kind == flexemp.Registrations && c.plants.has("K11", "", c.p.Code, m):
		// A third of 35% of the quarter before's persons each month.
		var before []person
		first := flexemp.MonthOf(m.First().AddDate(0, -(int(m.Month)-1)%3, 0)) // the quarter's first month
		for b := flexemp.MonthOf(first.First().AddDate(0, -3, 0)); b != first; b = b.Next() {
			before = append(before, c.flexByMonth[b]...)
		}
		start := (int(m.Month) - 1) % 3 * len(before) * 35 / 300
		for _, p := range before[start : start+len(before)*35/300] {
			applied := c.dayIn(m)
			rows = append(rows, []any{p.id, c.cityCell(), flexemp.RegFlexible, "其他灵活就业", p.group, applied, applied, "线下"})
		}
		f.Rows, f.Accepted = len(rows), len(rows)-f.Rejected
	case kind == flexemp.Trainings && c.plants.has("K12", "", c.p.Code, m):
		for _, r := range rows {
			if r[8] == "否" {
				r[4] = "否"
			}
		}
	}
	return rows
}

// improved is K7's plant: the extract sent again after its deadline with
// every count 25% higher.
func (c *cityGen) improved(f File, rows [][]any) (File, [][]any) {
	var out [][]any
	for _, r := range rows {
		nr := append([]any(nil), r...)
		for j, v := range nr {
			switch v := v.(type) {
			case int64:
				nr[j] = v * 5 / 4
			case fen:
				nr[j] = v * 5 / 4
			}
		}
		out = append(out, nr)
	}
	f.ReceivedAt = k7Replaced.Format(time.RFC3339)
	ext := path.Ext(f.Path)
	f.Path = strings.TrimSuffix(f.Path, ext) + "_corrected" + ext
	return f, out
}

var (
	flexForms     = []string{"个体经营", "非全日制", "新就业形态", "其他灵活就业"}
	keyGroups     = []string{"高校毕业生", "农民工", "就业困难人员", "脱贫人口"}
	otherGroups   = []string{"退役军人", "其他"}
	trainingTypes = []string{"创业培训", "职业技能培训"}
	otherSubsidy  = []string{flexemp.SubsidyTraining, "培训期间生活费补贴", "创业担保贷款贴息"}
)

func (c *cityGen) group(keyShare float64) string {
	if c.chance(keyShare) {
		return c.pick(keyGroups)
	}
	return c.pick(otherGroups)
}

func (c *cityGen) registrations(m flexemp.Month) [][]any {
	n := c.volume(100000)
	rows := make([][]any, 0, n)
	online, newForm, keyShare, onTime := c.q(0.3, 0.85), c.q(0.15, 0.45), c.q(0.45, 0.8), c.q(0.6, 0.98)
	coverage, trained := c.q(0.15, 0.75), c.q(0.1, 0.4)
	bunched := c.bunch != nil && c.bunch(m)
	if bunched {
		n = n * 22 / 10
	}
	for range n {
		applied := c.dayIn(m)
		p := c.newPerson(applied, c.group(keyShare))
		regType, form := flexemp.RegFlexible, ""
		var completed any = applied.AddDate(0, 0, c.rng.IntN(4))
		switch r := c.rng.Float64(); {
		case r < 0.6:
			form = c.pick(flexForms[:2])
			if c.chance(newForm) {
				form = "新就业形态"
			} else if c.chance(0.3) {
				form = c.pick([]string{"个体经营", "其他灵活就业"})
			}
			c.flexYear[p.id] = true
			c.stock++
			c.flexByMonth[m] = append(c.flexByMonth[m], p)
			if bunched { // all in the month's last ten days
				last := m.Next().First().AddDate(0, 0, -1)
				applied = last.AddDate(0, 0, -c.rng.IntN(10))
				completed = applied
			}
			if (p.group == flexemp.GroupGraduate || p.group == flexemp.GroupHardToEmp) && c.chance(coverage) {
				c.planLater(m, plan{who: p, kind: flexemp.Subsidies})
			}
			if c.chance(trained) {
				c.planLater(m, plan{who: p, kind: flexemp.Trainings})
			}
		case r < 0.85:
			regType = flexemp.RegUnemployed
			switch {
			case c.chance(0.05):
				completed = nil // pending
			case !c.chance(onTime):
				completed = applied.AddDate(0, 0, 21+c.rng.IntN(20)) // three weeks or more: beyond the limit, whatever the holidays
				if c.atLimit != nil && c.atLimit(m) {
					completed = applied.AddDate(0, 0, 8) // K8's limit: moved to the 5th–7th working day
				}
			}
			if c.quick != nil && c.quick(m) { // K8: every one completed the next day
				completed = applied.AddDate(0, 0, 1)
			}
		default:
			regType = flexemp.RegEmployed
		}
		channel := "线下"
		if c.chance(online) {
			channel = "线上"
		}
		c.pool = append(c.pool, p)
		rows = append(rows, []any{p.id, c.cityCell(), regType, form, p.group, applied, completed, channel})
	}
	return rows
}

// planLater plans a subsidy or training for a registrant one or two months
// on (into the next year too: a province's payments do not start from
// nothing each January).
func (c *cityGen) planLater(m flexemp.Month, p plan) {
	later := m.Next()
	if c.chance(0.5) {
		later = later.Next()
	}
	c.planned[later.String()] = append(c.planned[later.String()], p)
}

// cityCell is the row's city as cities write it: mostly one of its real
// county codes (the county table), some the city code or name, and a few
// a code of the city's range the table does not hold (a retired or
// mistyped county), which county figures count under 市本级/未分区县.
func (c *cityGen) cityCell() string {
	switch r := c.rng.Float64(); {
	case r < 0.685:
		return c.counties[c.rng.IntN(len(c.counties))].Code
	case r < 0.7:
		return c.p.Code[:4] + fmt.Sprintf("%02d", 90+c.rng.IntN(10))
	case r < 0.9:
		return c.p.Code
	}
	return c.city.Name
}

func (c *cityGen) someone() person {
	if len(c.pool) == 0 {
		return c.newPerson(c.opt.From.First(), c.group(0.5))
	}
	return c.pool[c.rng.IntN(len(c.pool))]
}

func (c *cityGen) subsidies(m flexemp.Month) [][]any {
	breach := c.q(0.15, 0.01)
	var rows [][]any
	for _, p := range c.planned[m.String()] {
		switch {
		case p.kind != flexemp.Subsidies:
		case p.subsidy == flexemp.SubsidyTraining:
			if h, _ := c.history(p.who, flexemp.SubsidyTraining, m, 1); h != nil {
				rows = append(rows, []any{p.who.id, c.cityCell(), flexemp.SubsidyTraining, h.group, fen(80000 + 1000*c.rng.Int64N(120)), nil, h.months, nil, c.dayIn(m)})
			}
		default:
			if r := c.socialInsurance(m, p.who, breach); r != nil {
				rows = append(rows, r)
			}
		}
	}
	defer func() {
		c.paidFen = 0
		for _, r := range rows {
			c.paidFen += int64(r[4].(fen))
		}
	}()
	for range c.volume(15000) {
		p := c.someone()
		paid := c.dayIn(m)
		switch r := c.rng.Float64(); {
		case r < 0.25:
			if r := c.socialInsurance(m, p, breach); r != nil {
				rows = append(rows, r)
			}
		case r < 0.45:
			start := 1 + c.rng.IntN(24)
			if c.chance(breach) {
				start = 25 + c.rng.IntN(6)
			}
			if h, _ := c.history(p, flexemp.SubsidyVenue, m, start); h != nil {
				rows = append(rows, []any{p.id, c.cityCell(), flexemp.SubsidyVenue, h.group, fen(50000 + 1000*c.rng.Int64N(250)), nil, h.months, nil, paid})
			}
		case r < 0.7:
			hours := int64(4000 + 50*c.rng.IntN(120)) // hundredths: 40.00 … 99.50
			limit := hours * c.wageFen / 100
			amount := limit * int64(85+c.rng.IntN(16)) / 100
			if c.chance(breach) {
				amount = limit + 100 + c.rng.Int64N(5000)
			}
			if h, _ := c.history(p, flexemp.SubsidyPublicPost, m, 1+c.rng.IntN(12)); h != nil {
				rows = append(rows, []any{p.id, c.cityCell(), flexemp.SubsidyPublicPost, h.group, fen(amount), nil, h.months, hours100(hours), paid})
			}
		default:
			typ := c.pick(otherSubsidy)
			if h, _ := c.history(p, typ, m, 1+c.rng.IntN(12)); h != nil {
				rows = append(rows, []any{p.id, c.cityCell(), typ, h.group, fen(20000 + 100*c.rng.Int64N(3000)), nil, h.months, nil, paid})
			}
		}
	}
	if c.plants.has("K10", "", c.p.Code, m) { // K10: five recipients paid again with months_received not risen
		for _, p := range c.insured[max(0, len(c.insured)-5):] {
			h := c.paid[p.id+" "+flexemp.SubsidySocialInsurance]
			rows = append(rows, []any{p.id, c.cityCell(), flexemp.SubsidySocialInsurance, h.group, fen(h.contribution * 2 / 3), fen(h.contribution), h.months, nil, c.dayIn(m)})
		}
	}
	return rows
}

// history is the person's payment of a subsidy type in month m: the next in
// their history (months_received one more, the same group), or the first
// (first), starting at start months. nil when they were already paid that
// type this month (a second payment would have no order of its own).
func (c *cityGen) history(p person, typ string, m flexemp.Month, start int) (h *history, first bool) {
	key := p.id + " " + typ
	h = c.paid[key]
	switch {
	case h == nil:
		h, first = &history{months: int64(start), group: p.group}, true
		c.paid[key] = h
	case h.last == m:
		return nil, false
	default:
		h.months++
	}
	h.last = m
	return h, first
}

// socialInsurance is a 社会保险补贴 payment: at most ⅔ of the contribution
// (exactly ⅔ for some), within the month caps, unless made a breach. The
// person's history holds the contribution (within 3% from one payment to
// the next), the months and the group paid under; nil when they were paid
// one this month already.
func (c *cityGen) socialInsurance(m flexemp.Month, p person, breach float64) []any {
	maxMonths := 24
	if p.group == flexemp.GroupHardToEmp {
		maxMonths = 36
	}
	// A breach of the month cap is drawn for a first payment only (and
	// kept by the history from then on).
	_, paidBefore := c.paid[p.id+" "+flexemp.SubsidySocialInsurance]
	start := 1 + c.rng.IntN(maxMonths)
	if !paidBefore && c.chance(breach/3) {
		start = maxMonths + 1 + c.rng.IntN(4)
	}
	h, first := c.history(p, flexemp.SubsidySocialInsurance, m, start)
	if h == nil {
		return nil
	}
	if first {
		c.insured = append(c.insured, p)
		h.contribution = 3 * (25000 + c.rng.Int64N(25000)) // fen, divisible by 3
		if h.group != flexemp.GroupGraduate && h.group != flexemp.GroupHardToEmp {
			h.group = flexemp.GroupHardToEmp // paid as the group it qualifies under
		}
		if c.chance(breach / 3) {
			h.group = "农民工" // a breach of the groups, kept by the person's history
		}
	} else {
		h.contribution = h.contribution * int64(97+c.rng.IntN(7)) / 100 / 3 * 3 // a contribution base moves a little
	}
	contribution := h.contribution
	amount := contribution * 2 / 3
	if !c.chance(0.3) {
		amount -= c.rng.Int64N(5000)
	}
	if c.chance(breach / 3) {
		amount = contribution*2/3 + 1 + c.rng.Int64N(3000)
	}
	return []any{p.id, c.cityCell(), flexemp.SubsidySocialInsurance, h.group, fen(amount), fen(contribution), h.months, nil, c.dayIn(m)}
}

func (c *cityGen) trainings(m flexemp.Month) [][]any {
	cert, newJob, employed, subsidised := c.q(0.45, 0.9), c.q(0.05, 0.35), c.q(0.35, 0.8), c.q(0.3, 0.9)
	var people []person
	for _, p := range c.planned[m.String()] {
		if p.kind == flexemp.Trainings {
			people = append(people, p.who)
		}
	}
	for range c.volume(8000) {
		people = append(people, c.someone())
	}
	rows := make([][]any, 0, len(people))
	for _, p := range people {
		ended := c.dayIn(m)
		started := ended.AddDate(0, 0, -5-c.rng.IntN(55))
		typ := c.pick(trainingTypes)
		if c.chance(newJob) {
			typ = "新职业培训"
		}
		completed, certified, emp := "是", "否", "未知"
		if c.chance(0.08) {
			completed = "否"
		} else {
			if c.chance(cert) {
				certified = "是"
			}
			if c.chance(0.85) {
				emp = "否"
				if c.chance(employed) {
					emp = "是"
				}
			}
		}
		flex := "否"
		if c.chance(0.6) {
			flex = "是"
		}
		if flex == "是" && completed == "是" && c.chance(subsidised) {
			c.planLater(m, plan{who: p, kind: flexemp.Subsidies, subsidy: flexemp.SubsidyTraining})
		}
		rows = append(rows, []any{p.id, c.cityCell(), typ, c.pick([]string{"线上", "线下", "线上线下结合"}), flex, started, ended, completed, certified, emp})
	}
	return rows
}

// services is the month's row. Cities differ by their quality, but no
// count per head lies beyond 2.5 × or under 0.4 × the province's median
// city's (K4 holds a city's first months against the province so): the
// best city's rate is at most about 2.5 × the worst's.
func (c *cityGen) services(m flexemp.Month) [][]any {
	pop := float64(c.city.Population)
	markets := int64(math.Round(pop / 100000 * c.q(0.8, 2.0)))
	postings := int64(pop / 2000 * (0.8 + 0.4*c.rng.Float64()))
	matches := int64(float64(postings) * c.q(0.7, 1.9))
	loans := int64(pop / 40000 * (0.8 + 0.4*c.rng.Float64()))
	online := int64(float64(loans) * c.q(0.4, 0.95))
	pension := int64(float64(c.stock) * c.q(0.45, 0.8))
	complaints := int64(pop / 100000 * (0.8 + 0.4*c.rng.Float64()))
	closed := int64(float64(complaints) * c.q(0.7, 1.0))
	row := []any{c.cityCell6(), m.First(), markets, postings, matches, loans, online, pension, complaints, closed}
	if flexemp.ContractOf(flexemp.Services).VersionAt(m) < 2 {
		c.allocatedFen = c.paidFen * 3 / 2 // what the province allocated; the city does not report it yet
		return [][]any{row}
	}
	// Version 2 (from 2025): every measure has its count.
	around := func(x float64) int64 { return int64(math.Round(x * (0.8 + 0.4*c.rng.Float64()))) }
	agencies := around(pop / 200000 * c.q(1, 2.5))
	served := around(pop / 2000 * c.q(0.5, 1.2))
	titles := around(pop / 250000 * 4)
	passed := int64(float64(titles) * c.q(0.3, 0.85))
	checked := around(pop / 100000 * c.q(2, 4))
	written := int64(float64(checked) * c.q(0.6, 0.98))
	events := around(pop / 500000 * c.q(2.5, 6))
	fund := int64(float64(c.paidFen) / math.Max(0.3, c.q(0.55, 0.98)))
	c.allocatedFen = fund // the province's allocation, which the city reports as it is
	return [][]any{append(row, c.stock, agencies, served, titles, passed, checked, written, events, fen(fund))}
}

func (c *cityGen) cityCell6() string {
	if c.chance(0.8) {
		return c.p.Code
	}
	return c.city.Name
}

// Bad-row reasons the generator plants; each makes exactly one reject.
var badKinds = []string{
	flexemp.ReasonIDCheckDigit, flexemp.ReasonIDExcel, flexemp.ReasonOutsideMonth,
	flexemp.ReasonEnum, flexemp.ReasonCityMismatch, flexemp.ReasonAge,
}

// spoil plants realistic bad rows in 1–2% of rows, never so many that the
// file would be refused (at most 4%), and returns which rows it spoiled.
func (c *cityGen) spoil(f *File, kind flexemp.Kind, m flexemp.Month, rows [][]any) map[int]bool {
	want := int(math.Round(float64(len(rows)) * (0.01 + 0.01*c.rng.Float64())))
	want = min(want, len(rows)*4/100)
	contract := flexemp.ContractOf(kind)
	_, dateCol, _ := contract.Column(contract.MonthField)
	spoiled := map[int]bool{}
	for _, i := range c.rng.Perm(len(rows))[:want] {
		spoiled[i] = true
		row := rows[i]
		reason := c.pick(badKinds)
		if reason == flexemp.ReasonAge && kind != flexemp.Registrations {
			reason = flexemp.ReasonIDCheckDigit
		}
		switch reason {
		case flexemp.ReasonIDCheckDigit:
			row[0] = WrongCheckDigit(row[0].(string))
		case flexemp.ReasonIDExcel:
			mangled, ok := ExcelMangled(row[0].(string))
			if !ok {
				reason = flexemp.ReasonIDCheckDigit
				row[0] = WrongCheckDigit(row[0].(string))
				break
			}
			row[0] = excelNumber(mangled)
		case flexemp.ReasonOutsideMonth:
			d := row[dateCol].(time.Time)
			row[dateCol] = d.AddDate(0, 1, 0)
			if kind == flexemp.Registrations && row[6] != nil {
				row[6] = row[dateCol].(time.Time).AddDate(0, 0, 1)
			}
		case flexemp.ReasonEnum:
			_, j, _ := contract.Column(enumColumn[kind])
			row[j] = enumTypo[kind]
		case flexemp.ReasonCityMismatch:
			other := flexemp.Cities[(c.rng.IntN(13)+indexOf(c.p.Code)+1)%14]
			row[1] = other.Code
		case flexemp.ReasonAge:
			applied := row[5].(time.Time)
			young := c.newPerson(applied, row[4].(string))
			birth := applied.AddDate(-15, 0, -c.rng.IntN(300))
			row[0] = ID(young.id[:6], birth, 7, c.chance(0.5))
		}
		f.Bad[reason]++
		f.Rejected++
	}
	return spoiled
}

var enumColumn = map[flexemp.Kind]string{flexemp.Registrations: "channel", flexemp.Subsidies: "subsidy_type", flexemp.Trainings: "training_type"}
var enumTypo = map[flexemp.Kind]string{flexemp.Registrations: "网上", flexemp.Subsidies: "社保补贴", flexemp.Trainings: "技能培训"}

func indexOf(code string) int {
	for i, c := range flexemp.Cities {
		if c.Code == code {
			return i
		}
	}
	return 0
}

// fen is an amount of money in fen; writers render it in yuan.
type fen int64

// hours100 is hours in hundredths.
type hours100 int64

// excelNumber is an ID that Excel stored as a number.
type excelNumber string

func hourlyWageFen(code string) int64 {
	for _, w := range flexemp.MinWages {
		if w.City == code {
			return w.HourlyFen
		}
	}
	return 1590
}
