package issuing

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Preview is what an objection's corrected extract would change, shown to
// the reviewer before the decision (SPEC "Integrity checks"): its rows (or
// services counts) against the version it corrects, and the objecting
// city's standing as the final would compute it without and with the
// correction (the other objections accepted so far in both). Nothing of it
// is stored.
type Preview struct {
	Objection int64 `json:"objection"`
	Upload    int64 `json:"upload"`
	// Corrects is the version the publication read for the month; absent
	// when it read none.
	Corrects int64                `json:"corrects,omitempty"`
	Rows     *RowChanges          `json:"rows,omitempty"`   // a person kind
	Counts   []CountChange        `json:"counts,omitempty"` // services
	Without  *metrics.RankingCity `json:"without"`
	With     *metrics.RankingCity `json:"with"`
}

// ObjectionPreview is an objection with its preview (objections --format
// json: undecided objections with a corrected extract).
type ObjectionPreview struct {
	*Objection
	Preview *Preview `json:"preview,omitempty"`
}

// RowChanges counts a person kind's rows before and after, compared as
// whole rows: a changed row is a person's row that differs in some field.
type RowChanges struct {
	Before  int `json:"before"`
	After   int `json:"after"`
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
}

// CountChange is one services count before → after (money in fen).
type CountChange struct {
	Column string `json:"column"`
	Header string `json:"header"`
	Before *int64 `json:"before"`
	After  *int64 `json:"after"`
}

// Preview computes what objection id's corrected extract would change. It
// runs the final's computation twice at most (once when no other objection
// was accepted: the publication stands for "without"), storing nothing:
// uploads go on meanwhile.
func (is *Issuer) Preview(ctx context.Context, id int64) (*Preview, error) {
	var out *Preview
	err := is.Store.Compute(func() error {
		db := is.Store.DB()
		o, err := ObjectionByID(ctx, db, id)
		if err != nil {
			return err
		}
		if o.UploadID == 0 {
			return flexemp.Errorf(flexemp.ENOTFOUND, "异议 %d 未附更正数据，无可预览的变化", id)
		}
		pubs, err := Publications(ctx, db, o.Period)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(pubs, func(p *Publication) bool { return p.ID == o.Publication })
		if i < 0 {
			return flexemp.Errorf(flexemp.ENOTFOUND, "异议 %d 的公示不存在", id)
		}
		pub := pubs[i]
		objections, err := listObjections(ctx, db, "o.publication_id = ?", pub.ID)
		if err != nil {
			return err
		}
		published, err := Ranking(ctx, db, pub, false)
		if err != nil {
			return err
		}
		// The others accepted so far, then the same with this one accepted.
		var others, with []*Objection
		for _, x := range objections {
			switch {
			case x.ID == o.ID:
				accepted := *x
				accepted.Decision = Accept
				with = append(with, &accepted)
			case x.Decision == Accept:
				others = append(others, x)
				with = append(with, x)
			}
		}
		out = &Preview{Objection: o.ID, Upload: o.UploadID}
		standing := func(list []*Objection) (*metrics.RankingCity, []transform.Correction, error) {
			fixes, zeros, err := admitted(ctx, db, pub, list, published)
			if err != nil || len(fixes)+len(zeros) == 0 {
				return cityOf(published, o.City), fixes, err
			}
			opt, err := is.options(ctx, db, pub, fixes, zeros)
			if err != nil {
				return nil, nil, err
			}
			pr, err := metrics.Recompute(ctx, db, o.Period, opt)
			if err != nil {
				return nil, nil, err
			}
			r := pr.Ranking()
			return cityOf(&r, o.City), fixes, nil
		}
		if out.Without, _, err = standing(others); err != nil {
			return err
		}
		var fixes []transform.Correction
		if out.With, fixes, err = standing(with); err != nil {
			return err
		}
		for _, f := range fixes {
			if f.Upload == o.UploadID {
				out.Corrects = f.Corrects
			}
		}
		if o.Kind == flexemp.Services {
			out.Counts, err = countChanges(ctx, db, out.Corrects, o.UploadID)
		} else {
			out.Rows, err = rowChanges(ctx, db, o.Kind, out.Corrects, o.UploadID)
		}
		return err
	})
	return out, err
}

// rowChanges compares two versions of a person kind as whole rows (every
// field but the upload, row number and masked ID): rows both share are the
// same; of the rest, a person's row on each side is one changed row, the
// others added or removed. before is 0 when there was no version.
func rowChanges(ctx context.Context, db *sql.DB, kind flexemp.Kind, before, after int64) (*RowChanges, error) {
	var c RowChanges
	err := db.QueryRowContext(ctx, fmt.Sprintf(`WITH v AS (
			SELECT upload_id, person_id, hash(*COLUMNS(* EXCLUDE (upload_id, row_no, id_masked))) AS h FROM %s WHERE upload_id IN (?, ?)
		),
		tally AS (
			SELECT person_id, h, count(*) FILTER (upload_id = ?) AS b, count(*) FILTER (upload_id = ?) AS a FROM v GROUP BY ALL
		),
		per AS (
			SELECT sum(b) AS b, sum(a) AS a, sum(greatest(b - a, 0)) AS gone, sum(greatest(a - b, 0)) AS came FROM tally GROUP BY person_id
		)
		SELECT coalesce(sum(b), 0), coalesce(sum(a), 0), coalesce(sum(came - least(gone, came)), 0), coalesce(sum(gone - least(gone, came)), 0),
			coalesce(sum(least(gone, came)), 0)
		FROM per`, string(kind)), before, after, before, after).Scan(&c.Before, &c.After, &c.Added, &c.Removed, &c.Changed)
	return &c, err
}

// countChanges sets each services count of the version corrected beside
// the correction's.
func countChanges(ctx context.Context, db *sql.DB, before, after int64) ([]CountChange, error) {
	read := func(id int64) (map[string]*int64, []string, error) {
		rows, err := db.QueryContext(ctx, `SELECT * EXCLUDE (upload_id, row_no, city_code, area_code, month) FROM services WHERE upload_id = ?`, id)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return nil, nil, err
		}
		out := map[string]*int64{}
		for rows.Next() {
			vals := make([]sql.NullInt64, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return nil, nil, err
			}
			for i, c := range cols {
				if vals[i].Valid {
					out[c] = &vals[i].Int64
				}
			}
		}
		return out, cols, rows.Err()
	}
	b, _, err := read(before)
	if err != nil {
		return nil, err
	}
	a, cols, err := read(after)
	if err != nil {
		return nil, err
	}
	var out []CountChange
	for _, c := range cols {
		header := c
		if col, _, ok := flexemp.ContractOf(flexemp.Services).Column(strings.TrimSuffix(c, "_fen")); ok {
			header = col.Header
		}
		if b[c] != nil || a[c] != nil {
			out = append(out, CountChange{Column: c, Header: header, Before: b[c], After: a[c]})
		}
	}
	return out, nil
}
