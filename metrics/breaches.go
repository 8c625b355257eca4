package metrics

import (
	"context"

	"github.com/liaoning-hrss/flexemp"
)

// Breach is one payment that broke a subsidy rule.
type Breach struct {
	UploadID    int64         `json:"upload_id"`
	RowNo       int           `json:"row_no"`
	City        string        `json:"city"`
	SubsidyType string        `json:"subsidy_type"`
	Rule        string        `json:"rule"`
	PaidOn      *flexemp.Date `json:"paid_on"`
	PersonGroup string        `json:"person_group"`
	Limit       *int64        `json:"limit"` // fen for money rules, else months
	Value       *int64        `json:"value"`
	LimitText   string        `json:"limit_text"`
	ValueText   string        `json:"value_text"`
}

// Breaches reads a period's stored breaches, of one city when city is not
// empty, in upload and row order.
func Breaches(ctx context.Context, db Querier, p flexemp.Period, city string) ([]Breach, error) {
	rows, err := db.QueryContext(ctx, `SELECT upload_id, row_no, city_code, subsidy_type, rule, paid_on, coalesce(person_group, ''),
		limit_num, value_num, coalesce(limit_text, ''), coalesce(value_text, '')
		FROM subsidy_breaches WHERE period = ? AND (? = '' OR city_code = ?) ORDER BY city_code, upload_id, row_no, rule`,
		p.String(), city, city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Breach
	for rows.Next() {
		var b Breach
		if err := rows.Scan(&b.UploadID, &b.RowNo, &b.City, &b.SubsidyType, &b.Rule, &b.PaidOn, &b.PersonGroup,
			&b.Limit, &b.Value, &b.LimitText, &b.ValueText); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
