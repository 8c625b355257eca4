package ingest

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Uploads lists the ledger, newest first; city "" lists every city.
func Uploads(ctx context.Context, db *sql.DB, city string) ([]flexemp.Upload, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT u.upload_id, u.city_code, u.kind, u.month, u.version, u.sha256, u.file_name, u.format, u.uploader,
		       u.received_at, u.received_zone, u.rows, u.accepted, u.rejected, c.upload_id IS NOT NULL
		FROM uploads u LEFT JOIN current_uploads c USING (upload_id)
		WHERE ? = '' OR u.city_code = ?
		ORDER BY u.upload_id DESC`, city, city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []flexemp.Upload
	for rows.Next() {
		var u flexemp.Upload
		var kind, zone string
		var month time.Time
		if err := rows.Scan(&u.ID, &u.City, &kind, &month, &u.Version, &u.SHA256, &u.FileName, &u.Format, &u.Uploader,
			&u.ReceivedAt, &zone, &u.Rows, &u.Accepted, &u.Rejected, &u.Current); err != nil {
			return nil, err
		}
		u.Kind, u.Month = flexemp.Kind(kind), flexemp.MonthOf(month)
		u.ReceivedAt = inZone(u.ReceivedAt, zone)
		out = append(out, u)
	}
	return out, rows.Err()
}

// inZone shows a stored instant in the zone it was received in.
func inZone(t time.Time, zone string) time.Time {
	if loc, err := time.LoadLocation(zone); err == nil && strings.Contains(zone, "/") {
		return t.In(loc)
	}
	if z, err := time.Parse("-07:00", zone); err == nil {
		_, off := z.Zone()
		return t.In(time.FixedZone(zone, off))
	}
	return t
}

// Rejects returns one upload's rejected rows in file order.
func Rejects(ctx context.Context, db *sql.DB, uploadID int64) ([]flexemp.Reject, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM uploads WHERE upload_id = ?`, uploadID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, flexemp.Errorf(flexemp.ENOTFOUND, "没有编号为 %d 的上传记录", uploadID)
	}
	rows, err := db.QueryContext(ctx, `SELECT row_no, column_name, value, reason_code, reason
		FROM rejects WHERE upload_id = ? ORDER BY row_no, column_name`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []flexemp.Reject
	for rows.Next() {
		var r flexemp.Reject
		if err := rows.Scan(&r.Row, &r.Column, &r.Value, &r.Code, &r.Reason); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
