package issuing

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Steps whose mail is owed (owed_notices).
const (
	noticePublished = "published"
	noticeDecided   = "decided"
	noticeWithdrawn = "withdrawn"
	noticeFinalised = "finalised"
)

// owe records, in a step's transaction, the mail the step owes: it commits
// with the step or not at all. It returns the notice's number.
func owe(ctx context.Context, tx *sql.Tx, step string, publication, objection int64, at time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(notice_id), 0) + 1 FROM owed_notices`).Scan(&id); err != nil {
		return 0, err
	}
	var obj any
	if objection != 0 {
		obj = objection
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO owed_notices (notice_id, step, publication_id, objection_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, step, publication, obj, at)
	return id, err
}

// deliver sends an owed notice through the Notifier and, once every
// recipient is reached, marks it done. Without a Notifier nothing is owed
// to anyone: it is marked done.
func (is *Issuer) deliver(ctx context.Context, notice int64, step string, pub *Publication, o *Objection) error {
	if err := is.notify(func(n Notifier) error {
		switch step {
		case noticePublished:
			return n.Published(ctx, pub)
		case noticeDecided:
			return n.Decided(ctx, pub, o)
		case noticeWithdrawn:
			return n.Withdrawn(ctx, pub)
		case noticeFinalised:
			return n.Finalised(ctx, pub)
		}
		return nil
	}); err != nil {
		return err
	}
	return is.Store.Write(func() error {
		_, err := is.Store.DB().ExecContext(ctx, `UPDATE owed_notices SET done_at = ? WHERE notice_id = ?`, time.Now(), notice)
		return err
	})
}

// ResumeNotices sends the mail still owed by steps taken before — a crash,
// a mail server down — oldest first. A recipient already reached is not
// mailed again (mail_deliveries); at most the one message a crash caught
// between the server's acceptance and its record goes twice. serve runs it
// at start and with each inbox run; it returns how many notices it
// completed.
func (is *Issuer) ResumeNotices(ctx context.Context) (int, error) {
	db := is.Store.DB()
	rows, err := db.QueryContext(ctx, `SELECT n.notice_id, n.step, n.publication_id, coalesce(n.objection_id, 0), p.period
		FROM owed_notices n JOIN publications p USING (publication_id) WHERE n.done_at IS NULL ORDER BY n.notice_id`)
	if err != nil {
		return 0, err
	}
	type owed struct {
		id, pub, objection int64
		step, period       string
	}
	var list []owed
	for rows.Next() {
		var o owed
		if err := rows.Scan(&o.id, &o.step, &o.pub, &o.objection, &o.period); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, n := range list {
		p, err := flexemp.ParsePeriod(n.period)
		if err != nil {
			return done, err
		}
		pubs, err := Publications(ctx, db, p)
		if err != nil {
			return done, err
		}
		var pub *Publication
		for _, q := range pubs {
			if q.ID == n.pub {
				pub = q
			}
		}
		var o *Objection
		if n.objection != 0 {
			if o, err = ObjectionByID(ctx, db, n.objection); err != nil {
				return done, err
			}
		}
		if pub == nil || n.step == noticeDecided && o == nil {
			continue
		}
		if err := is.deliver(ctx, n.id, n.step, pub, o); err != nil {
			errs = append(errs, err)
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}
