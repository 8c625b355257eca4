package metrics

import (
	"context"
	"database/sql"

	"github.com/liaoning-hrss/flexemp"
)

// Integrity checks (数据核查). The SQL models beside the indicators find
// them; an assessment stores them; they never change the index.
const (
	CheckCrossCity = "K1"  // a person registered in two or more cities
	CheckRepeats   = "K2"  // a person registered more than once in a city
	CheckInstant   = "K3"  // 失业登记 completed the day applied
	CheckSpike     = "K4"  // a month far above the city's usual
	CheckBunching  = "K5"  // a quarter's registrations in its last days
	CheckAggregate = "K6"  // aggregates against records
	CheckLate      = "K7"  // changed after the deadline
	CheckShift     = "K8"  // completion times moved
	CheckEmpty     = "K9"  // a month left empty (空报)
	CheckHistory   = "K10" // subsidy histories that disagree with themselves
	CheckAgain     = "K11" // the previous period's persons registered again
	CheckLabelling = "K12" // weak trainees labelled out of I9–I11
)

// Checks are the integrity checks in order.
var Checks = []string{CheckCrossCity, CheckRepeats, CheckInstant, CheckSpike, CheckBunching, CheckAggregate, CheckLate, CheckShift,
	CheckEmpty, CheckHistory, CheckAgain, CheckLabelling}

// Finding is one city's integrity finding in a period: a check, the figure
// against its threshold, and the evidence. Evidence names uploads and rows
// (IDs masked) or months, never a pseudonym.
type Finding struct {
	ID        int        `json:"id"`
	City      string     `json:"city"`
	Check     string     `json:"check"`
	Subject   string     `json:"subject"` // the kind checked, a services column (K4), pension / ledger / allocation / funds (K6), limit (K8), history or a subsidy type (K10)
	Key       string     `json:"key"`     // the month, quarter or extract; "" for the whole period
	Figure    float64    `json:"figure"`
	Threshold float64    `json:"threshold"`
	Reference *float64   `json:"reference"` // what the figure is set against: the median (K3, K4), persons (K1, K2), the figure before (K7), the funds (K6)
	Cases     int        `json:"cases"`
	Evidence  []Evidence `json:"evidence"`
}

// Evidence is one row, month or extract behind a finding.
type Evidence struct {
	UploadID    *int64        `json:"upload_id"`
	Row         *int          `json:"row"`
	Month       *flexemp.Date `json:"month"` // the first day of the month
	IDMasked    string        `json:"id_masked,omitempty"`
	OtherCity   string        `json:"other_city,omitempty"`   // K1: the other city
	OtherUpload *int64        `json:"other_upload,omitempty"` // K1: the other city's upload; K7: the version that counts; K10: the person's payment before
	OtherRow    *int          `json:"other_row,omitempty"`
}

// storeIntegrity replaces the period's findings with the transform's, in
// the assessment's transaction.
func storeIntegrity(ctx context.Context, tx *sql.Tx, period string) error {
	for _, tbl := range []string{"integrity_findings", "integrity_evidence"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+tbl+" WHERE period = ?", period); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO integrity_findings
		SELECT DISTINCT ?, finding_id, city_code, check_id, subject, finding_key, figure, threshold, reference, cases
		FROM scratch.mart_integrity`, period); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO integrity_evidence
		SELECT ?, finding_id, upload_id, row_no, month, id_masked, other_city, other_upload, other_row
		FROM scratch.mart_integrity`, period)
	return err
}

// Integrity reads a period's stored findings with their evidence, of one
// city when city is not empty, by city and check.
func Integrity(ctx context.Context, db Querier, p flexemp.Period, city string) ([]Finding, error) {
	rows, err := db.QueryContext(ctx, `SELECT finding_id, city_code, check_id, subject, finding_key, figure, threshold, reference, cases
		FROM integrity_findings WHERE period = ? AND (? = '' OR city_code = ?) ORDER BY city_code, check_id, subject, finding_key`,
		p.String(), city, city)
	if err != nil {
		return nil, err
	}
	var out []Finding
	at := map[int]int{}
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.ID, &f.City, &f.Check, &f.Subject, &f.Key, &f.Figure, &f.Threshold, &f.Reference, &f.Cases); err != nil {
			rows.Close()
			return nil, err
		}
		at[f.ID] = len(out)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ev, err := db.QueryContext(ctx, `SELECT e.finding_id, e.upload_id, e.row_no, e.month, coalesce(e.id_masked, ''), coalesce(e.other_city, ''),
		e.other_upload, e.other_row
		FROM integrity_evidence e JOIN integrity_findings f USING (period, finding_id)
		WHERE e.period = ? AND (? = '' OR f.city_code = ?) ORDER BY e.finding_id, e.upload_id, e.row_no, e.month, e.other_city`,
		p.String(), city, city)
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	for ev.Next() {
		var id int
		var e Evidence
		if err := ev.Scan(&id, &e.UploadID, &e.Row, &e.Month, &e.IDMasked, &e.OtherCity, &e.OtherUpload, &e.OtherRow); err != nil {
			return nil, err
		}
		if i, ok := at[id]; ok {
			out[i].Evidence = append(out[i].Evidence, e)
		}
	}
	return out, ev.Err()
}
