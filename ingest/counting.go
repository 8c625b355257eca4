package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Counting is the version of a city × kind × month that counts, as
// transform's int_counting_versions chooses it over the uploads received so
// far (以截止时报送数据为准): the latest received by the deadline unless that
// is a placeholder followed by a real version; else the first real version
// received after the deadline; else the placeholder (on time, or the first
// late one). A version received after the deadline never replaces one that
// counts.
type Counting struct {
	UploadID   int64
	Version    int
	ReceivedAt time.Time
	OnTime     bool
}

// slotVersion is one version of a month as the rule reads it.
type slotVersion struct {
	id          int64
	version     int
	received    time.Time
	placeholder bool // an empty extract or a services row of zeros
}

// CountingVersion chooses the version that counts among the uploads of a
// city, kind and month received so far. ok is false when there is none.
func CountingVersion(ctx context.Context, db *sql.DB, city string, kind flexemp.Kind, m flexemp.Month) (c Counting, ok bool, err error) {
	// A services row of zeros: every count is ≥ 0, so the greatest is 0.
	rows, err := db.QueryContext(ctx, `SELECT u.upload_id, u.version, u.received_at,
			u.accepted = 0 OR coalesce((SELECT greatest(*COLUMNS(* EXCLUDE (upload_id, row_no, city_code, area_code, month))) = 0
				FROM services s WHERE s.upload_id = u.upload_id AND u.kind = 'services'), false)
		FROM uploads u WHERE u.city_code = ? AND u.kind = ? AND u.month = ? ORDER BY u.version`, city, string(kind), m.First())
	if err != nil {
		return c, false, err
	}
	defer rows.Close()
	var vs []slotVersion
	for rows.Next() {
		var v slotVersion
		if err := rows.Scan(&v.id, &v.version, &v.received, &v.placeholder); err != nil {
			return c, false, err
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return c, false, err
	}
	v, ok := countingOf(vs, m.Deadline())
	return Counting{UploadID: v.id, Version: v.version, ReceivedAt: v.received, OnTime: v.received.Before(m.Deadline())}, ok, nil
}

// countingOf applies the rule to a month's versions in version order.
func countingOf(vs []slotVersion, deadline time.Time) (slotVersion, bool) {
	var onTime, firstLate, firstLateReal *slotVersion
	for i := range vs {
		v := &vs[i]
		if v.received.Before(deadline) {
			onTime = v
			continue
		}
		if firstLate == nil {
			firstLate = v
		}
		if firstLateReal == nil && !v.placeholder {
			firstLateReal = v
		}
	}
	switch {
	case onTime != nil && !onTime.placeholder:
		return *onTime, true
	case firstLateReal != nil:
		return *firstLateReal, true
	case onTime != nil:
		return *onTime, true
	case firstLate != nil:
		return *firstLate, true
	}
	return slotVersion{}, false
}

// lateNotice says, for a version received after its month's deadline,
// which version counts and whether this one does (SPEC "Which data
// counts"): every channel answers a late upload with it.
func (g *Ingester) lateNotice(ctx context.Context, city string, kind flexemp.Kind, res *Result, received time.Time) error {
	deadline := res.Month.Deadline()
	if received.Before(deadline) {
		return nil
	}
	// The month's first version is its only one: it counts. Only a later
	// one needs the ledger read (most of a backfill's late files are firsts).
	c, ok := Counting{UploadID: res.UploadID}, true
	if res.Version > 1 {
		var err error
		if c, ok, err = CountingVersion(ctx, g.DB, city, kind, res.Month); err != nil || !ok {
			return err
		}
	}
	closed := fmt.Sprintf("%s %s的报送截止时间 %s 已过", res.Month, kind.Title(), deadline.Add(-time.Minute).In(flexemp.Shanghai).Format("2006年1月2日 15:04"))
	if c.UploadID == res.UploadID {
		res.Notice = closed + "：本次上传按逾期报送计入考核；此后再次上传的版本不会替换本版本，更正请在公示期内通过异议提出。"
		return nil
	}
	res.Notice = fmt.Sprintf("本月已逾期（%s），以 %s 报送的第 %d 版（上传编号 %d）为准；本次上传不计入考核，更正请在公示期内通过异议提出。",
		closed, c.ReceivedAt.In(flexemp.Shanghai).Format("2006-01-02 15:04"), c.Version, c.UploadID)
	return nil
}
