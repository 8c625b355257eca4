package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// The upload ledger is read here and only here: the command line, the
// server's lists, the data status and the reminder all ask these functions.
// The SQL models read the uploads table itself, as of a date
// (transform/models/int_counting_versions.sql decides which version counts).

// FindUploads lists the ledger rows the filter chooses, newest first (none
// is an empty list, so JSON says []), and how many it chooses in all
// (before Offset and Limit).
func FindUploads(ctx context.Context, db *sql.DB, f flexemp.UploadFilter) ([]flexemp.Upload, int, error) {
	// The ledger's versions and, when asked, the refused attempts, as one
	// list newest first.
	refused := ""
	if f.Refused {
		refused = `UNION ALL
		SELECT NULL, r.city_code, r.kind, r.month, 0, coalesce(r.sha256, ''), r.file_name, '', r.uploader,
		       r.received_at, r.received_zone, 0, 0, 0, false, 'refused', r.reason, r.refusal_id,
		       (SELECT count(*) FROM refusal_rejects j WHERE j.refusal_id = r.refusal_id)
		FROM refusals r`
	}
	all := `
		SELECT u.upload_id, u.city_code, u.kind, u.month, u.version, u.sha256, u.file_name, u.format, u.uploader,
		       u.received_at, u.received_zone, u.rows, u.accepted, u.rejected, c.upload_id IS NOT NULL AS is_current, 'accepted' AS status, '' AS reason,
		       0 AS refusal_id, 0 AS refused_rejects
		FROM uploads u LEFT JOIN current_uploads c USING (upload_id) ` + refused
	where := `(? = '' OR city_code = ?) AND (? = '' OR kind = ?) AND (?::DATE IS NULL OR month = ?::DATE)
		AND (? = '' OR status = ? OR (? = 'current' AND is_current)) AND (? = '' OR contains(lower(file_name), lower(?)))`
	var month any
	if !f.Month.IsZero() {
		month = f.Month.First()
	}
	args := []any{f.City, f.City, string(f.Kind), string(f.Kind), month, month, f.Status, f.Status, f.Status, f.Search, f.Search}
	var total int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (`+all+`) WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = total
	}
	order := "upload_id DESC" // the ledger's own order
	if f.Refused {
		order = "received_at DESC, upload_id DESC NULLS LAST" // the history as it happened
	}
	rows, err := db.QueryContext(ctx, `SELECT * FROM (`+all+`) WHERE `+where+`
		ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []flexemp.Upload{}
	for rows.Next() {
		var u flexemp.Upload
		var id sql.NullInt64
		var kind, zone string
		var month sql.NullTime
		if err := rows.Scan(&id, &u.City, &kind, &month, &u.Version, &u.SHA256, &u.FileName, &u.Format, &u.Uploader,
			&u.ReceivedAt, &zone, &u.Rows, &u.Accepted, &u.Rejected, &u.Current, &u.Status, &u.Reason, &u.RefusalID, &u.Rejects); err != nil {
			return nil, 0, err
		}
		u.ID, u.Kind = id.Int64, flexemp.Kind(kind)
		if month.Valid {
			u.Month = flexemp.MonthOf(month.Time)
		}
		u.ReceivedAt = inZone(u.ReceivedAt, zone)
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// UploadByID is one version of the ledger; an unknown ID is ENOTFOUND.
func UploadByID(ctx context.Context, db *sql.DB, uploadID int64) (flexemp.Upload, error) {
	var u flexemp.Upload
	var kind, zone string
	var month time.Time
	err := db.QueryRowContext(ctx, `SELECT upload_id, city_code, kind, month, version, file_name, received_at, received_zone, rows, accepted, rejected
		FROM uploads WHERE upload_id = ?`, uploadID).Scan(&u.ID, &u.City, &kind, &month, &u.Version, &u.FileName, &u.ReceivedAt, &zone, &u.Rows, &u.Accepted, &u.Rejected)
	if errors.Is(err, sql.ErrNoRows) {
		return u, NoUpload(uploadID)
	}
	u.Kind, u.Month, u.ReceivedAt, u.Status = flexemp.Kind(kind), flexemp.MonthOf(month), inZone(u.ReceivedAt, zone), "accepted"
	return u, err
}

// NoUpload is the answer for an upload that does not exist — and, so that
// an ID's existence tells nothing, for one the asker may not see.
func NoUpload(id int64) error {
	return flexemp.Errorf(flexemp.ENOTFOUND, "没有编号为 %d 的上传记录", id)
}

// NoRefusal is NoUpload for a refused file.
func NoRefusal(id int64) error {
	return flexemp.Errorf(flexemp.ENOTFOUND, "没有编号为 %d 的拒收记录", id)
}

// UploadCity is the city an upload belongs to; an unknown ID is ENOTFOUND.
func UploadCity(ctx context.Context, db *sql.DB, uploadID int64) (string, error) {
	var city string
	err := db.QueryRowContext(ctx, `SELECT city_code FROM uploads WHERE upload_id = ?`, uploadID).Scan(&city)
	if errors.Is(err, sql.ErrNoRows) {
		return "", NoUpload(uploadID)
	}
	return city, err
}

// querier reads: a database, or a transaction whose own writes are read.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Receipts gives every city × kind × month from first to last (inclusive)
// what the ledger knows of it, in city, kind and month order.
func Receipts(ctx context.Context, db querier, first, last flexemp.Month) ([]flexemp.Receipt, error) {
	type key struct {
		city, kind string
		month      flexemp.Month
	}
	got := map[key]*flexemp.Receipt{}
	rows, err := db.QueryContext(ctx, `
		SELECT city_code, kind, month, first_received, versions, false FROM upload_receipts WHERE month BETWEEN ? AND ?
		UNION ALL
		SELECT DISTINCT city_code, kind, month, NULL, 0, true FROM refusals WHERE month BETWEEN ? AND ?`,
		first.First(), last.First(), first.First(), last.First())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var city, kind string
		var month time.Time
		var at sql.NullTime
		var versions int
		var refused bool
		if err := rows.Scan(&city, &kind, &month, &at, &versions, &refused); err != nil {
			return nil, err
		}
		k := key{city, kind, flexemp.MonthOf(month.UTC())}
		r := got[k]
		if r == nil {
			r = &flexemp.Receipt{City: city, Kind: flexemp.Kind(kind), Month: k.month}
			got[k] = r
		}
		if at.Valid {
			t := at.Time.In(flexemp.Shanghai)
			r.First, r.Versions = &t, versions
		}
		r.Refused = r.Refused || refused
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []flexemp.Receipt
	for _, c := range flexemp.Cities {
		for _, kind := range flexemp.Kinds {
			for m := first; !last.First().Before(m.First()); m = m.Next() {
				if r := got[key{c.Code, string(kind), m}]; r != nil {
					out = append(out, *r)
				} else {
					out = append(out, flexemp.Receipt{City: c.Code, Kind: kind, Month: m})
				}
			}
		}
	}
	return out, nil
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

// RefusalRejects returns a refused attempt (as FindUploads lists it) and
// all its rejected rows in file order; an unknown ID is ENOTFOUND.
func RefusalRejects(ctx context.Context, db *sql.DB, refusalID int64) (flexemp.Upload, []flexemp.Reject, error) {
	u := flexemp.Upload{RefusalID: refusalID, Status: "refused"}
	var kind string
	var month sql.NullTime
	err := db.QueryRowContext(ctx, `SELECT city_code, kind, month, file_name, reason FROM refusals WHERE refusal_id = ?`, refusalID).
		Scan(&u.City, &kind, &month, &u.FileName, &u.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil, NoRefusal(refusalID)
	}
	if err != nil {
		return u, nil, err
	}
	u.Kind = flexemp.Kind(kind)
	if month.Valid {
		u.Month = flexemp.MonthOf(month.Time)
	}
	rs, err := readRejects(ctx, db, "refusal_rejects WHERE refusal_id = ?", refusalID)
	return u, rs, err
}

// Rejects returns one upload's rejected rows in file order.
func Rejects(ctx context.Context, db *sql.DB, uploadID int64) ([]flexemp.Reject, error) {
	if _, err := UploadCity(ctx, db, uploadID); err != nil {
		return nil, err
	}
	return readRejects(ctx, db, "rejects WHERE upload_id = ?", uploadID)
}

func readRejects(ctx context.Context, db *sql.DB, from string, id int64) ([]flexemp.Reject, error) {
	rows, err := db.QueryContext(ctx, `SELECT row_no, column_name, value, reason_code, reason, row_cells
		FROM `+from+` ORDER BY row_no, column_name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []flexemp.Reject
	for rows.Next() {
		var r flexemp.Reject
		var line sql.NullString
		if err := rows.Scan(&r.Row, &r.Column, &r.Value, &r.Code, &r.Reason, &line); err != nil {
			return nil, err
		}
		if line.Valid {
			if err := json.Unmarshal([]byte(line.String), &r.Line); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// StoredRows are some of an upload's accepted rows as a reviewer may see
// them: the row number, the masked ID and the contract's other columns,
// never the pseudonym.
type StoredRows struct {
	Kind    flexemp.Kind
	Headers []string   // Chinese, the row number first
	Rows    [][]string // formatted cells
	Total   int        // the upload's accepted rows
}

// UploadRows reads up to limit of an upload's stored rows from row number
// from on, in file order.
func UploadRows(ctx context.Context, db *sql.DB, uploadID int64, from, limit int) (*StoredRows, error) {
	var kind string
	err := db.QueryRowContext(ctx, `SELECT kind FROM uploads WHERE upload_id = ?`, uploadID).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NoUpload(uploadID)
	}
	if err != nil {
		return nil, err
	}
	c := flexemp.ContractOf(flexemp.Kind(kind))
	if c == nil {
		return nil, fmt.Errorf("upload %d: unknown kind %q", uploadID, kind)
	}
	out := &StoredRows{Kind: c.Kind, Headers: []string{"行号"}}
	exprs := []string{"row_no::VARCHAR"}
	for _, col := range c.Columns {
		out.Headers = append(out.Headers, col.Header)
		switch col.Type {
		case flexemp.TypeID:
			exprs = append(exprs, "id_masked")
		case flexemp.TypeCity:
			exprs = append(exprs, "area_code")
		case flexemp.TypeDate:
			exprs = append(exprs, "strftime("+col.Name+", '%Y-%m-%d')")
		case flexemp.TypeMonth:
			exprs = append(exprs, "strftime("+col.Name+", '%Y-%m')")
		case flexemp.TypeMoney:
			exprs = append(exprs, "printf('%.2f', "+col.Name+"_fen / 100)")
		case flexemp.TypeHours:
			exprs = append(exprs, "printf('%.2f', "+col.Name+"_centi / 100)")
		case flexemp.TypeYesNo:
			exprs = append(exprs, "CASE WHEN "+col.Name+" THEN '是' WHEN NOT "+col.Name+" THEN '否' END")
		default:
			exprs = append(exprs, col.Name+"::VARCHAR")
		}
	}
	for i := range exprs {
		exprs[i] = "coalesce(" + exprs[i] + ", '')"
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+kind+` WHERE upload_id = ?`, uploadID).Scan(&out.Total); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(exprs, ", ")+` FROM `+kind+`
		WHERE upload_id = ? AND row_no >= ? ORDER BY row_no LIMIT ?`, uploadID, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		cells := make([]string, len(exprs))
		ptrs := make([]any, len(cells))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, cells)
	}
	return out, rows.Err()
}
