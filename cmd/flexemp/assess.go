package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
)

func runAssess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("assess", stderr)
	var d dbFlags
	d.register(fs)
	period := fs.String("period", "", "a year (2024) or a quarter (2024Q3)")
	seed := fs.Uint64("seed", 1, "sensitivity seed")
	draws := fs.Int("draws", 1000, "sensitivity draws")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := periodFlag(*period)
	if err != nil {
		return err
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := metrics.Assess(ctx, db, p, metrics.AssessOptions{Draws: *draws, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, a.Summary())
	return nil
}

// rankCity is one city in `rank --format json`, as SPEC defines it.
type rankCity struct {
	Code         string              `json:"code"`
	Name         string              `json:"name"`
	Rank         *int                `json:"rank"`
	Index        *float64            `json:"index"`
	RankInterval *[2]int             `json:"rank_interval"`
	Grade        string              `json:"grade"`
	Priority     bool                `json:"priority"`
	Dimensions   map[string]*float64 `json:"dimensions"`
	Indicators   map[string]*float64 `json:"indicators"`
	Flags        []string            `json:"flags"`
}

type ranking struct {
	Period string     `json:"period"`
	Cities []rankCity `json:"cities"`
}

func runRank(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rank", stderr)
	var d dbFlags
	d.register(fs)
	period := fs.String("period", "", "a year (2024) or a quarter (2024Q3)")
	format := fs.String("format", "table", "table, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := periodFlag(*period)
	if err != nil {
		return err
	}
	if err := oneOf("format", *format, "table", "json", "csv"); err != nil {
		return err
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT city_code, ranked, index_value, rank, rank_p5, rank_p95, grade, priority, dimensions, flags
		FROM city_results WHERE period = ?`, p.String())
	if err != nil {
		return err
	}
	out := ranking{Period: p.String()}
	for rows.Next() {
		var c rankCity
		var ranked bool
		var index *float64
		var rank, lo, hi int
		var dims, flags string
		if err := rows.Scan(&c.Code, &ranked, &index, &rank, &lo, &hi, &c.Grade, &c.Priority, &dims, &flags); err != nil {
			rows.Close()
			return err
		}
		city, _ := flexemp.CityByCode(c.Code)
		c.Name = city.Name
		if ranked {
			r := rank
			c.Rank, c.RankInterval = &r, &[2]int{lo, hi}
			v := math.Round(*index*100) / 100
			c.Index = &v
		}
		json.Unmarshal([]byte(dims), &c.Dimensions)
		json.Unmarshal([]byte(flags), &c.Flags)
		c.Indicators = map[string]*float64{}
		out.Cities = append(out.Cities, c)
	}
	rows.Close()
	if len(out.Cities) == 0 {
		return fmt.Errorf("%s 尚未考核：请先运行 flexemp assess --period %s", p, p)
	}
	iv, err := db.QueryContext(ctx, `SELECT city_code, indicator, value FROM indicator_values WHERE period = ?`, p.String())
	if err != nil {
		return err
	}
	byCode := map[string]*rankCity{}
	for i := range out.Cities {
		byCode[out.Cities[i].Code] = &out.Cities[i]
	}
	for iv.Next() {
		var code, id string
		var v *float64
		if err := iv.Scan(&code, &id, &v); err != nil {
			iv.Close()
			return err
		}
		byCode[code].Indicators[id] = v
	}
	iv.Close()
	sort.SliceStable(out.Cities, func(i, j int) bool {
		a, b := out.Cities[i], out.Cities[j]
		switch {
		case a.Rank == nil || b.Rank == nil:
			return b.Rank == nil && a.Rank != nil
		case *a.Rank != *b.Rank:
			return *a.Rank < *b.Rank
		}
		return a.Code < b.Code
	})
	switch *format {
	case "json":
		return writeJSON(stdout, out)
	case "csv":
		w := csv.NewWriter(stdout)
		header := []string{"code", "name", "rank", "index", "rank_lo", "rank_hi", "grade", "priority"}
		header = append(header, metrics.Dimensions...)
		header = append(header, metrics.IndicatorIDs...)
		w.Write(header)
		for _, c := range out.Cities {
			rec := []string{c.Code, c.Name, optInt(c.Rank), optFloat(c.Index), "", "", c.Grade, strconv.FormatBool(c.Priority)}
			if c.RankInterval != nil {
				rec[4], rec[5] = strconv.Itoa(c.RankInterval[0]), strconv.Itoa(c.RankInterval[1])
			}
			for _, d := range metrics.Dimensions {
				rec = append(rec, optFloat(c.Dimensions[d]))
			}
			for _, id := range metrics.IndicatorIDs {
				rec = append(rec, optFloat(c.Indicators[id]))
			}
			w.Write(rec)
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s 排名\n名次\t城市\t指数\t90%%区间\t等次\t优先\n", p)
	for _, c := range out.Cities {
		band, prio := "", ""
		if c.RankInterval != nil {
			band = fmt.Sprintf("%d–%d", c.RankInterval[0], c.RankInterval[1])
		}
		if c.Priority {
			prio = "推荐"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", optInt(c.Rank), c.Name, optFloat(c.Index), band, c.Grade, prio)
	}
	return tw.Flush()
}

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func optFloat(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// periodFlag reads --period; a bad one is a usage error.
func periodFlag(s string) (flexemp.Period, error) {
	p, err := flexemp.ParsePeriod(s)
	if err != nil {
		return p, usagef("--period: %s", flexemp.ErrorMessage(err))
	}
	return p, nil
}
