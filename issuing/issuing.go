// Package issuing issues a period's ranking the way a provincial
// department issues a document (SPEC "Issuing a ranking"): a draft is
// published for objections (公示), cities object with evidence (异议),
// reviewers decide each objection, and the ranking is finalised (定稿) over
// exactly the published versions and the corrections admitted. What a
// publication and a final show is stored as bytes with their SHA-256 and
// never changes; every step goes through the store's write lock and leaves
// its audit record in the same transaction.
package issuing

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// States of a period's ranking, as rank --state and the API name them.
const (
	Draft     = "draft"
	Published = "published"
	Final     = "final"
)

// Stages of the stored files and versions of a publication.
const (
	stagePublished = "published"
	stageFinal     = "final"
)

// Names of an issued ranking's stored files.
const (
	RankJSON    = "rank.json"
	ReportHTML  = "report.html"
	RankingXLSX = "ranking.xlsx"
	ReportPDF   = "report.pdf"
	// The one-page 公示通知, issued with a publication (not with its final).
	NoticeHTML = "notice.html"
	NoticePDF  = "notice.pdf"
)

// MediaType is the media type of an issued file by its name.
func MediaType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".xlsx":
		return reports.XLSXType
	case ".pdf":
		return "application/pdf"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// Decisions on an objection, and how one left undecided closes when its
// publication is withdrawn.
const (
	Accept    = "采纳"
	Reject    = "不予采纳"
	Withdrawn = "随公示撤回"
)

// DefaultObjectionDays is the objection window in working days.
const DefaultObjectionDays = 5

// Notifier mails what an issued ranking's readers must learn: each city at
// publication, the city concerned at a decision, everyone at 定稿 and at a
// withdrawal. The
// scheduler's mailer is one; nil sends nothing.
type Notifier interface {
	Published(ctx context.Context, pub *Publication) error
	Decided(ctx context.Context, pub *Publication, o *Objection) error
	Finalised(ctx context.Context, pub *Publication) error
	Withdrawn(ctx context.Context, pub *Publication) error
}

// Issuer issues rankings over one store.
type Issuer struct {
	Store *store.Store
	// Holidays count the objection window's working days; default the
	// embedded calendar.
	Holidays []flexemp.Holiday
	// ObjectionDays is the window in working days ([publication]
	// objection_days); default 5.
	ObjectionDays int
	// Render prints a report to PDF; default reports.PDF (headless chromium).
	PDF    func(ctx context.Context, html []byte) ([]byte, error)
	Notify Notifier
}

// Publication is one publication of a period's ranking and, once
// finalised, its final.
type Publication struct {
	ID          int64
	Period      flexemp.Period
	Edition     int
	Revision    string // a revision's reason
	RunID       int64
	AsOf        time.Time
	ConfigHash  string
	Seed        uint64
	LastUpload  int64
	PublishedAt time.Time
	PublishedBy string
	WindowEnd   time.Time
	Withdrawn   *Withdrawal
	SHA256      string // of the published rank JSON
	Final       *FinalRecord
	Superseded  bool // 已修订: a later publication of the period stands
}

// Withdrawal is who withdrew a publication, when and why.
type Withdrawal struct {
	At     time.Time
	By     string
	Reason string
}

// FinalRecord is a publication's final.
type FinalRecord struct {
	RunID       int64
	At          time.Time
	By          string
	SHA256      string // of the final rank JSON
	Corrections string // JSON, as stored
	Zeros       string // JSON, as stored
}

// Open says whether objections may still be filed at t.
func (p *Publication) Open(t time.Time) bool {
	return p.Withdrawn == nil && p.Final == nil && t.Before(p.WindowEnd)
}

// State is the publication's state: published, final, or withdrawn and
// superseded finals as their own words.
func (p *Publication) State() string {
	switch {
	case p.Withdrawn != nil:
		return "withdrawn"
	case p.Final != nil && p.Superseded:
		return "revised"
	case p.Final != nil:
		return Final
	}
	return Published
}

// Stamp labels what a standing publication shows: 公示稿 with its window
// and hash, or 定稿 with its hash.
func (p *Publication) Stamp() string {
	if p.Final != nil {
		return fmt.Sprintf("定稿（第%d版）：%s 定稿，排名数据 SHA-256 %s", p.Edition, p.Final.At.In(flexemp.Shanghai).Format("2006年1月2日"), p.Final.SHA256)
	}
	return fmt.Sprintf("公示稿（第%d版）：%s 公示，异议期至 %s 截止，排名数据 SHA-256 %s", p.Edition, p.PublishedAt.In(flexemp.Shanghai).Format("2006年1月2日"),
		reports.WindowText(p.WindowEnd), p.SHA256)
}

// DraftLabel is what stored results shown beside an issued ranking say of
// themselves.
const DraftLabel = "草稿（未公示，不作为考核结果）"

// StateText is the state in Chinese.
func (p *Publication) StateText() string {
	return map[string]string{"withdrawn": "已撤回", "revised": "已修订", Final: "定稿", Published: "公示"}[p.State()]
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Publications lists a period's publications, oldest first.
func Publications(ctx context.Context, db *sql.DB, p flexemp.Period) ([]*Publication, error) {
	rows, err := db.QueryContext(ctx, `SELECT p.publication_id, p.edition, p.revision_reason, p.run_id, p.as_of, p.config_hash, p.seed, p.last_upload,
			p.published_at, p.published_by, p.window_end, p.withdrawn_at, coalesce(p.withdrawn_by, ''), coalesce(p.withdraw_reason, ''),
			(SELECT sha256 FROM issued_files f WHERE f.publication_id = p.publication_id AND stage = 'published' AND name = 'rank.json'),
			f.run_id, f.finalised_at, coalesce(f.finalised_by, ''), coalesce(f.corrections, ''), coalesce(f.accepted_zeros, ''),
			(SELECT sha256 FROM issued_files x WHERE x.publication_id = p.publication_id AND stage = 'final' AND name = 'rank.json')
		FROM publications p LEFT JOIN finals f USING (publication_id)
		WHERE p.period = ? ORDER BY p.publication_id`, p.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Publication
	for rows.Next() {
		pub := &Publication{Period: p}
		var withdrawnAt, finalAt sql.NullTime
		var w Withdrawal
		var f FinalRecord
		var finalRun sql.NullInt64
		var finalSum sql.NullString
		if err := rows.Scan(&pub.ID, &pub.Edition, &pub.Revision, &pub.RunID, &pub.AsOf, &pub.ConfigHash, &pub.Seed, &pub.LastUpload,
			&pub.PublishedAt, &pub.PublishedBy, &pub.WindowEnd, &withdrawnAt, &w.By, &w.Reason, &pub.SHA256,
			&finalRun, &finalAt, &f.By, &f.Corrections, &f.Zeros, &finalSum); err != nil {
			return nil, err
		}
		pub.AsOf = pub.AsOf.UTC()
		pub.PublishedAt, pub.WindowEnd = pub.PublishedAt.In(flexemp.Shanghai), pub.WindowEnd.In(flexemp.Shanghai)
		if withdrawnAt.Valid {
			w.At = withdrawnAt.Time.In(flexemp.Shanghai)
			pub.Withdrawn = &w
		}
		if finalRun.Valid {
			f.RunID, f.At, f.SHA256 = finalRun.Int64, finalAt.Time.In(flexemp.Shanghai), finalSum.String
			pub.Final = &f
		}
		out = append(out, pub)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A final is 已修订 once a later publication stands.
	for i, pub := range out {
		for _, later := range out[i+1:] {
			if later.Withdrawn == nil {
				pub.Superseded = true
			}
		}
	}
	return out, nil
}

// Current is the publication that stands for a period: the open one, else
// the last final not revised; nil when neither exists.
func Current(ctx context.Context, db *sql.DB, p flexemp.Period) (*Publication, error) {
	pubs, err := Publications(ctx, db, p)
	if err != nil {
		return nil, err
	}
	return Standing(pubs), nil
}

// Standing is the publication that stands among a period's publications
// (Publications' order): the latest neither withdrawn nor revised.
func Standing(pubs []*Publication) *Publication {
	for i := len(pubs) - 1; i >= 0; i-- {
		if pub := pubs[i]; pub.Withdrawn == nil && !pub.Superseded {
			return pub
		}
	}
	return nil
}

// open is the period's publication in 公示 (neither withdrawn nor final),
// or nil.
func open(pubs []*Publication) *Publication {
	if pub := Standing(pubs); pub != nil && pub.Final == nil {
		return pub
	}
	return nil
}

// File is one stored file of an issued ranking.
func File(ctx context.Context, db *sql.DB, publication int64, final bool, name string) ([]byte, string, error) {
	stage := stagePublished
	if final {
		stage = stageFinal
	}
	var b []byte
	var h string
	err := db.QueryRowContext(ctx, `SELECT content, sha256 FROM issued_files WHERE publication_id = ? AND stage = ? AND name = ?`,
		publication, stage, name).Scan(&b, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", flexemp.Errorf(flexemp.ENOTFOUND, "没有该文件")
	}
	return b, h, err
}

// Files are a publication's stored files of a stage (final: its final's),
// by name, as issued.
func Files(ctx context.Context, db *sql.DB, publication int64, final bool) (map[string][]byte, error) {
	stage := stagePublished
	if final {
		stage = stageFinal
	}
	rows, err := db.QueryContext(ctx, `SELECT name, content FROM issued_files WHERE publication_id = ? AND stage = ?`, publication, stage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var name string
		var b []byte
		if err := rows.Scan(&name, &b); err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, rows.Err()
}

// Hashes are the SHA-256 of a publication's stored files by stage
// (published, final) and name.
func Hashes(ctx context.Context, db *sql.DB, publication int64) (map[string]map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT stage, name, sha256 FROM issued_files WHERE publication_id = ?`, publication)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var stage, name, h string
		if err := rows.Scan(&stage, &name, &h); err != nil {
			return nil, err
		}
		if out[stage] == nil {
			out[stage] = map[string]string{}
		}
		out[stage][name] = h
	}
	return out, rows.Err()
}

// Ranking is the issued rank JSON of a publication (final: its final) with
// its hash filled in.
func Ranking(ctx context.Context, db *sql.DB, pub *Publication, final bool) (*metrics.Ranking, error) {
	b, h, err := File(ctx, db, pub.ID, final, RankJSON)
	if err != nil {
		return nil, err
	}
	var r metrics.Ranking
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	r.SHA256 = h
	return &r, nil
}

// Entry is a city's line in the period's standing ranking — the open
// publication, else the final — with that publication and its issued rank
// JSON; all nil when none stands, the line nil when the city is not in it.
func Entry(ctx context.Context, db *sql.DB, p flexemp.Period, city string) (*Publication, *metrics.Ranking, *metrics.RankingCity, error) {
	cur, err := Current(ctx, db, p)
	if err != nil || cur == nil {
		return nil, nil, nil, err
	}
	rk, err := Ranking(ctx, db, cur, cur.Final != nil)
	if err != nil {
		return nil, nil, nil, err
	}
	for i := range rk.Cities {
		if rk.Cities[i].Code == city {
			return cur, rk, &rk.Cities[i], nil
		}
	}
	return cur, rk, nil, nil
}

// ParseState reads a state as rank --state names it: draft, published,
// final, or "" for whichever stands.
func ParseState(s string) (string, error) {
	switch s {
	case "", Draft, Published, Final:
		return s, nil
	}
	return "", fmt.Errorf("--state 应为 %s、%s 或 %s 之一", Draft, Published, Final)
}

// RankingIn is the ranking of a period in a state (ParseState): the final,
// the open publication, or nil for the latest draft, which is the
// assessment's own; "" is the final, else the open publication, else nil.
func RankingIn(ctx context.Context, db *sql.DB, p flexemp.Period, state string) (*metrics.Ranking, error) {
	if state == Draft {
		return nil, nil
	}
	pub, err := Current(ctx, db, p)
	if err != nil {
		return nil, err
	}
	final := pub != nil && pub.Final != nil
	switch {
	case state == "" && pub == nil:
		return nil, nil
	case state == Published && pub == nil, state == Final && !final:
		return nil, flexemp.Errorf(flexemp.ENOTFOUND, "%s 没有%s的排名", p, map[string]string{Published: "公示", Final: "定稿"}[state])
	}
	return Ranking(ctx, db, pub, final && state != Published)
}

// StateText is a ranking's state in Chinese, with an issued one's hash.
func StateText(r *metrics.Ranking) string {
	switch r.State {
	case Published:
		return "公示稿 SHA-256 " + r.SHA256
	case Final:
		return "定稿 SHA-256 " + r.SHA256
	}
	return "草稿（未公示）"
}

// stepAt is when a step is taken: now, or the time an operator states for a
// step taken on paper, which cannot be later than now (a finalise dated
// ahead would close the window for everyone early). A refusal is recorded.
func (is *Issuer) stepAt(ctx context.Context, action, object string, at time.Time) (time.Time, error) {
	now := time.Now().In(flexemp.Shanghai) // people read it, and the evidence upload is stamped with it
	if at.IsZero() {
		return now, nil
	}
	if at.After(now.Add(time.Minute)) {
		err := flexemp.Errorf(flexemp.EINVALID, "办理时间 %s 晚于当前时间 %s：--at 只能补录已经办理的步骤，不能预先办理",
			at.In(flexemp.Shanghai).Format("2006-01-02 15:04"), now.Format("2006-01-02 15:04"))
		return at, errors.Join(err, is.Store.Audit(ctx, action, object, err))
	}
	return at, nil
}

// actorName is who takes a step, as the audit trail names them.
func actorName(ctx context.Context) string { return store.ActorOf(ctx).ID }

func (is *Issuer) holidays() []flexemp.Holiday {
	if is.Holidays == nil {
		return flexemp.Holidays
	}
	return is.Holidays
}

// refuse records a refused step and returns its refusal; the caller holds
// the write lock.
func (is *Issuer) refuse(ctx context.Context, action, object string, refusal error) error {
	return is.Store.Commit(ctx, action, object, func(*sql.Tx) error { return refusal })
}

// NotifyError is a step's error when the step was taken and stored but its
// mail failed: the mailer records each delivery and retries it.
type NotifyError struct{ Err error }

func (e *NotifyError) Error() string {
	return "已完成，但通知邮件未能全部发出：" + e.Err.Error()
}
func (e *NotifyError) Unwrap() error { return e.Err }

// notify tells the Notifier, if there is one.
func (is *Issuer) notify(f func(Notifier) error) error {
	if is.Notify == nil {
		return nil
	}
	if err := f(is.Notify); err != nil {
		return &NotifyError{err}
	}
	return nil
}

func cityName(code string) string {
	if c, ok := flexemp.CityByCode(code); ok {
		return c.Name
	}
	return code
}
