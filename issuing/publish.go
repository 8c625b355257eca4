package issuing

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/transform"
)

// PublishOptions are a publication's choices.
type PublishOptions struct {
	Days   int       // the objection window in working days; 0: the Issuer's
	Reason string    // required for a revision after 定稿
	At     time.Time // when the step is taken; zero: now
}

// draft is the period's latest assessment run, to be published.
type draft struct {
	ID         int64
	AsOf       time.Time
	ConfigHash string
	Seed       uint64
	LastUpload int64
	Config     []byte
}

// latestDraft is the period's latest run, refused when it cannot be
// published: none, an issued run, stale, or a period still running.
func latestDraft(ctx context.Context, db *sql.DB, p flexemp.Period) (*draft, error) {
	d := &draft{}
	var last, issued sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT run_id, as_of, config_hash, seed, last_upload, publication_id
		FROM assessment_runs WHERE period = ? ORDER BY run_id DESC LIMIT 1`, p.String()).Scan(&d.ID, &d.AsOf, &d.ConfigHash, &d.Seed, &last, &issued)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, flexemp.Errorf(flexemp.EINVALID, "%s 尚未考核，没有可公示的草稿：请先运行考核", p)
	case err != nil:
		return nil, err
	case issued.Valid:
		return nil, flexemp.Errorf(flexemp.ECONFLICT, "%s 最近一次计算是定稿的计算，不是草稿：请先重新考核", p)
	case !last.Valid:
		return nil, flexemp.Errorf(flexemp.ECONFLICT, "%s 的草稿由旧版本生成，未记录所读数据：请先重新考核", p)
	}
	d.AsOf, d.LastUpload = d.AsOf.UTC(), last.Int64
	asOfEnd := time.Date(d.AsOf.Year(), d.AsOf.Month(), d.AsOf.Day()+1, 0, 0, 0, 0, flexemp.Shanghai)
	months := p.Months()
	if lastMonth := months[len(months)-1]; lastMonth.Deadline().After(asOfEnd) {
		return nil, flexemp.Errorf(flexemp.ECONFLICT, "%s 尚未结束：草稿截至 %s，%s 的数据报送截止于 %s，考核期未结束不能公示",
			p, d.AsOf.Format("2006-01-02"), lastMonth, lastMonth.DeadlineText())
	}
	var later int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM uploads WHERE upload_id > ? AND received_at < ? AND month <= ?`,
		d.LastUpload, asOfEnd, p.End()).Scan(&later); err != nil {
		return nil, err
	}
	if later > 0 {
		return nil, flexemp.Errorf(flexemp.ECONFLICT, "%s 的草稿已过期：其计算后又记录了 %d 份截至 %s 收到的数据，请先重新考核", p, later, d.AsOf.Format("2006-01-02"))
	}
	var config string
	err = db.QueryRowContext(ctx, `SELECT config FROM assessment_configs WHERE config_hash = ?`, d.ConfigHash).Scan(&config)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, flexemp.Errorf(flexemp.ECONFLICT, "%s 的草稿未记录其配置：请先重新考核", p)
	}
	d.Config = []byte(config)
	return d, err
}

// Publish freezes the period's latest draft for objections (公示).
func (is *Issuer) Publish(ctx context.Context, p flexemp.Period, o PublishOptions) (*Publication, error) {
	at, err := is.stepAt(ctx, "publish", p.String(), o.At)
	if err != nil {
		return nil, err
	}
	days := o.Days
	if days <= 0 {
		days = is.ObjectionDays
	}
	if days <= 0 {
		days = DefaultObjectionDays
	}
	// What is published and its files are made outside the write lock
	// (uploads go on meanwhile); the lock is taken to commit, once the
	// state is checked again: no other publication since, the same draft.
	db := is.Store.DB()
	edition, cur, d, err := publishable(ctx, db, p, o.Reason)
	object := fmt.Sprintf("%s 第%d版", p, edition)
	if err != nil {
		return nil, is.Store.Write(func() error { return is.refuse(ctx, "publish", object, err) })
	}
	pub := &Publication{Period: p, Edition: edition, Revision: flexemp.MaskIDs(strings.TrimSpace(o.Reason)), RunID: d.ID, AsOf: d.AsOf,
		ConfigHash: d.ConfigHash, Seed: d.Seed, LastUpload: d.LastUpload, PublishedAt: at, PublishedBy: actorName(ctx),
		WindowEnd: WindowEnd(at, days, is.holidays())}
	if cur == nil {
		pub.Revision = ""
	}
	var ranking *metrics.Ranking // the rank JSON as render read it, for the notice
	files, err := is.render(ctx, p, Published, &reports.Issue{Edition: edition, WindowEnd: pub.WindowEnd, Published: at}, at,
		func(r *metrics.Ranking) { ranking = r })
	if err != nil {
		return nil, err
	}
	pub.SHA256 = sum(files[RankJSON])
	if err := is.notice(ctx, pub, ranking, files); err != nil {
		return nil, err
	}
	var notice int64
	err = is.Store.Write(func() error {
		again, _, now, err := publishable(ctx, db, p, o.Reason)
		if err == nil && (again != edition || now.ID != d.ID) {
			err = flexemp.Errorf(flexemp.ECONFLICT, "%s 的排名在发布过程中有变化（另一次公示或重新考核），未公示：请查看后重试", p)
		}
		if err != nil {
			return is.refuse(ctx, "publish", object, err)
		}
		return is.Store.Commit(ctx, "publish", object, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(publication_id), 0) + 1 FROM publications`).Scan(&pub.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO publications (publication_id, period, edition, revision_reason, run_id, as_of, config_hash,
				seed, last_upload, published_at, published_by, window_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				pub.ID, p.String(), pub.Edition, pub.Revision, pub.RunID, pub.AsOf, pub.ConfigHash, pub.Seed, pub.LastUpload,
				pub.PublishedAt, pub.PublishedBy, pub.WindowEnd); err != nil {
				return err
			}
			if err := keep(ctx, tx, pub.ID, stagePublished, p, files); err != nil {
				return err
			}
			notice, err = owe(ctx, tx, noticePublished, pub.ID, 0, at)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return pub, is.deliver(ctx, notice, noticePublished, pub, nil)
}

// publishable is what a publication of the period would be: its edition,
// the publication that stands (nil for none) and the draft to freeze; or
// why none can be made now.
func publishable(ctx context.Context, db *sql.DB, p flexemp.Period, reason string) (edition int, cur *Publication, d *draft, err error) {
	pubs, err := Publications(ctx, db, p)
	if err != nil {
		return 0, nil, nil, err
	}
	edition = 1
	for _, q := range pubs {
		if q.Final != nil {
			edition = q.Edition + 1
		}
	}
	cur = Standing(pubs)
	switch {
	case cur != nil && cur.Final == nil:
		err = flexemp.Errorf(flexemp.ECONFLICT, "%s 已有公示中的排名（第%d版，异议期至 %s）：请先撤回", p, cur.Edition, reports.WindowText(cur.WindowEnd))
	case cur != nil && strings.TrimSpace(reason) == "":
		err = flexemp.Errorf(flexemp.ECONFLICT, "%s 的排名已于 %s 定稿：修订须作为第%d版重新公示，并说明修订理由", p,
			cur.Final.At.Format("2006-01-02"), edition)
	default:
		d, err = latestDraft(ctx, db, p)
	}
	return edition, cur, d, err
}

// Withdraw withdraws the period's open publication (撤回), with a reason.
func (is *Issuer) Withdraw(ctx context.Context, p flexemp.Period, reason string, at time.Time) (*Publication, error) {
	at, err := is.stepAt(ctx, "withdraw", p.String(), at)
	if err != nil {
		return nil, err
	}
	var pub *Publication
	var notice int64
	err = is.Store.Write(func() error {
		pubs, err := Publications(ctx, is.Store.DB(), p)
		if err != nil {
			return err
		}
		pub = open(pubs)
		switch {
		case pub == nil:
			err = flexemp.Errorf(flexemp.ECONFLICT, "%s 没有公示中的排名可撤回（已定稿的排名不能撤回，只能修订）", p)
		case strings.TrimSpace(reason) == "":
			err = flexemp.Errorf(flexemp.EINVALID, "撤回公示须说明理由")
		}
		object := p.String()
		if pub != nil {
			object = fmt.Sprintf("%s 第%d版", p, pub.Edition)
		}
		if err != nil {
			return is.refuse(ctx, "withdraw", object, err)
		}
		pub.Withdrawn = &Withdrawal{At: at, By: actorName(ctx), Reason: flexemp.MaskIDs(strings.TrimSpace(reason))}
		return is.Store.Commit(ctx, "withdraw", object, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE publications SET withdrawn_at = ?, withdrawn_by = ?, withdraw_reason = ? WHERE publication_id = ?`,
				at, pub.Withdrawn.By, pub.Withdrawn.Reason, pub.ID); err != nil {
				return err
			}
			// Objections still undecided close with it, stating its time and reason.
			if _, err := tx.ExecContext(ctx, `UPDATE objections SET decision = ?, reason = ?, decided_at = ?, decided_by = ?
				WHERE publication_id = ? AND decision IS NULL`, Withdrawn, pub.Withdrawn.Reason, at, pub.Withdrawn.By, pub.ID); err != nil {
				return err
			}
			var err error
			notice, err = owe(ctx, tx, noticeWithdrawn, pub.ID, 0, at)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return pub, is.deliver(ctx, notice, noticeWithdrawn, pub, nil)
}

// Finalise computes and stores the final (定稿) of the period's open
// publication once its window has closed and every objection is decided.
// The final is computed and its files made outside the write lock (uploads
// go on meanwhile: what it reads is frozen); its run, results, files, audit
// record and owed mail commit in one transaction under the lock, once the
// publication is checked again, so that a crash leaves nothing of it.
func (is *Issuer) Finalise(ctx context.Context, p flexemp.Period, at time.Time) (*Publication, error) {
	at, err := is.stepAt(ctx, "finalise", p.String(), at)
	if err != nil {
		return nil, err
	}
	var pub *Publication
	var notice int64
	err = is.Store.Compute(func() error {
		db := is.Store.DB()
		var objections []*Objection
		var object string
		pub, objections, object, err = finalisable(ctx, db, p, at)
		if err != nil {
			return is.Store.Write(func() error { return is.refuse(ctx, "finalise", object, err) })
		}
		published, err := Ranking(ctx, db, pub, false)
		if err != nil {
			return err
		}
		fixes, zeros, err := admitted(ctx, db, pub, objections, published)
		if err != nil {
			return err
		}
		o, err := is.options(ctx, db, pub, fixes, zeros)
		if err != nil {
			return err
		}
		a, err := metrics.Prepare(ctx, db, p, o)
		if err != nil {
			return err
		}
		issue := &reports.Issue{Final: true, Edition: pub.Edition, WindowEnd: pub.WindowEnd, Published: pub.PublishedAt, Finalised: at}
		files, err := is.renderPrepared(ctx, a, Final, issue, at, func(final *metrics.Ranking) {
			issue.Objections = appendix(objections, published, final)
			issue.Others = othersMoved(objections, published, final)
		})
		if err != nil {
			return err
		}
		fj, _ := json.Marshal(fixes)
		zj, _ := json.Marshal(zeros)
		pub.Final = &FinalRecord{At: at, By: actorName(ctx), SHA256: sum(files[RankJSON]), Corrections: string(fj), Zeros: string(zj)}
		return is.Store.Write(func() error {
			again, decided, _, err := finalisable(ctx, db, p, at)
			if err == nil && (again.ID != pub.ID || !slices.EqualFunc(decided, objections, func(a, b *Objection) bool {
				return a.ID == b.ID && a.Decision == b.Decision
			})) {
				err = flexemp.Errorf(flexemp.ECONFLICT, "%s 的公示在定稿过程中有变化，未定稿：请查看后重试", p)
			}
			if err != nil {
				return is.refuse(ctx, "finalise", object, err)
			}
			return is.Store.Commit(ctx, "finalise", object, func(tx *sql.Tx) error {
				if err := a.Store(ctx, tx); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, `SELECT max(run_id) FROM assessment_runs WHERE period = ?`, p.String()).Scan(&pub.Final.RunID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO finals VALUES (?, ?, ?, ?, ?, ?)`,
					pub.ID, pub.Final.RunID, at, pub.Final.By, pub.Final.Corrections, pub.Final.Zeros); err != nil {
					return err
				}
				if err := keep(ctx, tx, pub.ID, stageFinal, p, files); err != nil {
					return err
				}
				var err error
				notice, err = owe(ctx, tx, noticeFinalised, pub.ID, 0, at)
				return err
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return pub, is.deliver(ctx, notice, noticeFinalised, pub, nil)
}

// finalisable is the period's open publication that can be finalised at
// at, with its objections, and the object of the step's record; or why it
// cannot.
func finalisable(ctx context.Context, db *sql.DB, p flexemp.Period, at time.Time) (*Publication, []*Objection, string, error) {
	pubs, err := Publications(ctx, db, p)
	if err != nil {
		return nil, nil, p.String(), err
	}
	pub := open(pubs)
	if pub == nil {
		return nil, nil, p.String(), flexemp.Errorf(flexemp.ECONFLICT, "%s 没有公示中的排名可定稿", p)
	}
	object := fmt.Sprintf("%s 第%d版", p, pub.Edition)
	if at.Before(pub.WindowEnd) {
		return nil, nil, object, flexemp.Errorf(flexemp.ECONFLICT, "异议期至 %s 截止，尚未结束，不能定稿", reports.WindowText(pub.WindowEnd))
	}
	objections, err := listObjections(ctx, db, "o.publication_id = ?", pub.ID)
	if err != nil {
		return nil, nil, object, err
	}
	undecided := 0
	for _, o := range objections {
		if o.Decision == "" {
			undecided++
		}
	}
	if undecided > 0 {
		return nil, nil, object, flexemp.Errorf(flexemp.ECONFLICT, "尚有 %d 件异议未处理，不能定稿", undecided)
	}
	return pub, objections, object, nil
}

// admitted are the corrections and the accepted zeros of a publication's
// accepted objections: each corrected extract in place of the version the
// publication read for its month (the latest objection's, when two correct
// one month), and each subject indicator the publication scored lowest for
// a zero denominator (无数据·计最低), now left out.
func admitted(ctx context.Context, db *sql.DB, pub *Publication, objections []*Objection, published *metrics.Ranking) ([]transform.Correction, []transform.CityIndicator, error) {
	var fixes []transform.Correction
	slot := map[string]int{}
	var zeros []transform.CityIndicator
	for _, o := range objections {
		if o.Decision != Accept {
			continue
		}
		if o.UploadID != 0 {
			var corrects int64
			err := db.QueryRowContext(ctx, `SELECT upload_id FROM issued_versions WHERE publication_id = ? AND stage = ?
				AND city_code = ? AND kind = ? AND month = ?`, pub.ID, stagePublished, o.City, string(o.Kind), o.Month.First()).Scan(&corrects)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, nil, err
			}
			key := fmt.Sprint(o.City, o.Kind, o.Month)
			if i, ok := slot[key]; ok {
				fixes[i].Upload = o.UploadID
			} else {
				slot[key] = len(fixes)
				fixes = append(fixes, transform.Correction{Upload: o.UploadID, Corrects: corrects})
			}
		}
		for _, c := range published.Cities {
			if c.Code != o.City {
				continue
			}
			for _, s := range o.Subjects {
				if slices.Contains(c.Flags, s+metrics.FlagZeroFloor) && !slices.Contains(zeros, transform.CityIndicator{City: o.City, Indicator: s}) {
					zeros = append(zeros, transform.CityIndicator{City: o.City, Indicator: s})
				}
			}
		}
	}
	return fixes, zeros, nil
}

// options are the publication's own assessment settings, pinned to its
// versions: the configuration it was published with, whatever
// flexemp.toml says now.
func (is *Issuer) options(ctx context.Context, db *sql.DB, pub *Publication, fixes []transform.Correction, zeros []transform.CityIndicator) (metrics.AssessOptions, error) {
	var config string
	if err := db.QueryRowContext(ctx, `SELECT config FROM assessment_configs WHERE config_hash = ?`, pub.ConfigHash).Scan(&config); err != nil {
		return metrics.AssessOptions{}, fmt.Errorf("publication %d: configuration %s: %w", pub.ID, pub.ConfigHash, err)
	}
	o, err := metrics.ParseConfig([]byte(config))
	if err != nil {
		return o, err
	}
	o.AsOf, o.AcceptedZeros = pub.AsOf, zeros
	o.Issued = &transform.Issued{LastUpload: pub.LastUpload, Corrections: fixes, Publication: pub.ID}
	return o, nil
}

// appendix is the final's 异议处理情况: each objection, its decision and the
// values of its city that changed from the publication to the final.
func appendix(objections []*Objection, published, final *metrics.Ranking) []reports.ObjectionLine {
	var out []reports.ObjectionLine
	for _, o := range objections {
		line := reports.ObjectionLine{ID: o.ID, City: cityName(o.City), Subjects: strings.Join(o.Subjects, "、"),
			Statement: o.Statement, Decision: o.Decision, Reason: o.Reason}
		if o.UploadID != 0 {
			line.Evidence = fmt.Sprintf("%s %s（上传编号 %d，%s）", o.Kind.Title(), o.Month, o.UploadID, EvidenceMark(o.ID, o.Decision))
		}
		if o.Decision == Accept {
			line.Changes = changes(cityOf(published, o.City), cityOf(final, o.City))
		}
		out = append(out, line)
	}
	return out
}

// othersMoved are the values of the cities without an accepted objection
// that still moved from the publication to the final: ranks, intervals and
// grades shifted by the others' corrected data.
func othersMoved(objections []*Objection, published, final *metrics.Ranking) []reports.CityChanges {
	accepted := map[string]bool{}
	for _, o := range objections {
		if o.Decision == Accept {
			accepted[o.City] = true
		}
	}
	var out []reports.CityChanges
	for _, c := range published.Cities {
		if accepted[c.Code] {
			continue
		}
		if ch := changes(&c, cityOf(final, c.Code)); len(ch) > 0 {
			out = append(out, reports.CityChanges{City: c.Name, Changes: ch})
		}
	}
	return out
}

func cityOf(r *metrics.Ranking, code string) *metrics.RankingCity {
	for i := range r.Cities {
		if r.Cities[i].Code == code {
			return &r.Cities[i]
		}
	}
	return &metrics.RankingCity{}
}

// changes are a city's values that differ between two rankings.
func changes(before, after *metrics.RankingCity) []string {
	var out []string
	for _, id := range flexemp.IndicatorIDs() {
		b, a := before.Indicators[id], after.Indicators[id]
		if !sameValue(b, a) {
			out = append(out, fmt.Sprintf("%s %s → %s", id, reports.Indicator(id, b), reports.Indicator(id, a)))
		}
	}
	if !sameValue(before.Index, after.Index) {
		out = append(out, fmt.Sprintf("指数 %s → %s", reports.Fixed(before.Index, 2), reports.Fixed(after.Index, 2)))
	}
	rank := func(r *int) string {
		if r == nil {
			return "未排名"
		}
		return fmt.Sprintf("第%d名", *r)
	}
	if rank(before.Rank) != rank(after.Rank) {
		out = append(out, fmt.Sprintf("名次 %s → %s", rank(before.Rank), rank(after.Rank)))
	}
	interval := func(r *[2]int) string {
		if r == nil {
			return "无"
		}
		return fmt.Sprintf("%d–%d", r[0], r[1])
	}
	if interval(before.RankInterval) != interval(after.RankInterval) {
		out = append(out, fmt.Sprintf("名次区间 %s → %s", interval(before.RankInterval), interval(after.RankInterval)))
	}
	if before.Grade != after.Grade {
		out = append(out, fmt.Sprintf("等次 %s → %s", before.Grade, after.Grade))
	}
	return out
}

func sameValue[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// render makes an issued ranking's files from the period's stored results:
// the rank JSON first, so that the report can carry its hash; then the
// report, the workbook and the PDF. before, if given, sees the rank JSON
// before the report is drawn.
func (is *Issuer) render(ctx context.Context, p flexemp.Period, state string, issue *reports.Issue, at time.Time, before ...func(*metrics.Ranking)) (map[string][]byte, error) {
	files, err := draw(ctx, is.Store.DB(), p, state, issue, at, before...)
	if err != nil {
		return nil, err
	}
	return files, is.printReport(ctx, files)
}

// renderPrepared makes the files render makes of a prepared assessment not
// stored: read back inside a transaction that stores it and is rolled back.
func (is *Issuer) renderPrepared(ctx context.Context, a *metrics.Assessment, state string, issue *reports.Issue, at time.Time, before ...func(*metrics.Ranking)) (map[string][]byte, error) {
	tx, err := is.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := a.Store(ctx, tx); err != nil {
		return nil, err
	}
	files, err := draw(ctx, tx, a.Period, state, issue, at, before...)
	if err != nil {
		return nil, err
	}
	tx.Rollback()
	return files, is.printReport(ctx, files)
}

// draw makes an issued ranking's files but the PDF from the results q
// reads.
func draw(ctx context.Context, q metrics.Querier, p flexemp.Period, state string, issue *reports.Issue, at time.Time, before ...func(*metrics.Ranking)) (map[string][]byte, error) {
	pr, err := metrics.Load(ctx, q, p)
	if err != nil {
		return nil, err
	}
	rank := rankJSON(pr, state)
	issue.SHA256 = sum(rank)
	var r metrics.Ranking
	json.Unmarshal(rank, &r)
	for _, f := range before {
		f(&r)
	}
	d, err := reports.Load(ctx, q, p, at)
	if err != nil {
		return nil, err
	}
	d.Issue = issue
	var h, x bytes.Buffer
	if err := reports.HTML(&h, d); err != nil {
		return nil, err
	}
	if err := reports.XLSX(&x, d); err != nil {
		return nil, err
	}
	return map[string][]byte{RankJSON: rank, ReportHTML: h.Bytes(), RankingXLSX: x.Bytes()}, nil
}

// printReport adds the report's PDF to an issued ranking's files.
func (is *Issuer) printReport(ctx context.Context, files map[string][]byte) error {
	pdf, err := is.print(ctx, files[ReportHTML])
	files[ReportPDF] = pdf
	return err
}

// notice adds the publication's one-page 公示通知, HTML and PDF, to its
// files.
func (is *Issuer) notice(ctx context.Context, pub *Publication, r *metrics.Ranking, files map[string][]byte) error {
	n := reports.Notice{Period: pub.Period, Edition: pub.Edition, AsOf: pub.AsOf.Format("2006-01-02"), Published: pub.PublishedAt,
		WindowEnd: pub.WindowEnd, SHA256: pub.SHA256, Ranking: r}
	var h bytes.Buffer
	if err := n.HTML(&h); err != nil {
		return err
	}
	pdf, err := is.print(ctx, h.Bytes())
	if err != nil {
		return err
	}
	files[NoticeHTML], files[NoticePDF] = h.Bytes(), pdf
	return nil
}

// print prints a page to A4 PDF with the issuer's printer.
func (is *Issuer) print(ctx context.Context, html []byte) ([]byte, error) {
	print := is.PDF
	if print == nil {
		print = reports.PDF
	}
	pdf, err := print(ctx, html)
	if err != nil {
		return nil, fmt.Errorf("打印 PDF 失败（需要 chromium）：%w", err)
	}
	return pdf, nil
}

// rankJSON is the issued rank JSON of stored results: SPEC's ranking in
// the given state, without its own hash.
func rankJSON(pr *metrics.PeriodResult, state string) []byte {
	r := pr.Ranking()
	r.State = state
	b, _ := json.Marshal(r)
	return b
}

// keep stores an issued ranking's files and the versions it read.
func keep(ctx context.Context, tx *sql.Tx, id int64, stage string, p flexemp.Period, files map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO issued_files VALUES (?, ?, ?, ?, ?)`, id, stage, name, sum(files[name]), files[name]); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO issued_versions SELECT ?, ?, city_code, kind, month, upload_id, on_time
		FROM assessment_versions WHERE period = ?`, id, stage, p.String())
	return err
}

// Check is verify's finding for one issued ranking.
type Check struct {
	Publication *Publication
	Final       bool
	Stored      string // the stored rank JSON's SHA-256
	Recomputed  string
}

// OK says whether the recomputation gave the stored bytes.
func (c Check) OK() bool { return c.Stored == c.Recomputed }

// WriteChecks says each check on a line, and whether all agree.
func WriteChecks(w io.Writer, p flexemp.Period, checks []Check) (ok bool, err error) {
	ok = true
	for _, c := range checks {
		stage, verdict := "公示稿", "一致"
		switch {
		case c.Final && c.Publication.Superseded:
			stage = "定稿（已修订）"
		case c.Final:
			stage = "定稿"
		case c.Publication.Withdrawn != nil:
			stage = "公示稿（已撤回）"
		}
		if !c.OK() {
			verdict, ok = "不一致（重新计算得 "+c.Recomputed+"）", false
		}
		if _, err := fmt.Fprintf(w, "%s 第%d版%s：SHA-256 %s %s\n", p, c.Publication.Edition, stage, c.Stored, verdict); err != nil {
			return ok, err
		}
	}
	return ok, nil
}

// Verify recomputes every publication's and final's rank JSON of a period
// from its recorded versions, configuration and seed, storing nothing, and
// sets each hash beside the stored one. Uploads go on meanwhile: the
// versions read are frozen, and the write lock is taken for the record.
func (is *Issuer) Verify(ctx context.Context, p flexemp.Period) ([]Check, error) {
	var out []Check
	err := is.Store.Compute(func() error {
		db := is.Store.DB()
		pubs, err := Publications(ctx, db, p)
		if err != nil {
			return err
		}
		if len(pubs) == 0 {
			err = flexemp.Errorf(flexemp.ENOTFOUND, "%s 没有公示或定稿的排名可核验", p)
		}
		for _, pub := range pubs {
			if err != nil {
				break
			}
			var o metrics.AssessOptions
			if o, err = is.options(ctx, db, pub, nil, nil); err != nil {
				break
			}
			var pr *metrics.PeriodResult
			if pr, err = metrics.Recompute(ctx, db, p, o); err != nil {
				break
			}
			out = append(out, Check{Publication: pub, Stored: pub.SHA256, Recomputed: sum(rankJSON(pr, Published))})
			if pub.Final == nil {
				continue
			}
			var fixes []transform.Correction
			var zeros []transform.CityIndicator
			if err = errors.Join(json.Unmarshal([]byte(pub.Final.Corrections), &fixes), json.Unmarshal([]byte(pub.Final.Zeros), &zeros)); err != nil {
				break
			}
			if o, err = is.options(ctx, db, pub, fixes, zeros); err != nil {
				break
			}
			if pr, err = metrics.Recompute(ctx, db, p, o); err != nil {
				break
			}
			out = append(out, Check{Publication: pub, Final: true, Stored: pub.Final.SHA256, Recomputed: sum(rankJSON(pr, Final))})
		}
		var object string
		for _, c := range out {
			object += fmt.Sprintf(" 第%d版%s=%v", c.Publication.Edition, map[bool]string{false: "公示", true: "定稿"}[c.Final], c.OK())
		}
		return is.Store.Write(func() error {
			return is.Store.Commit(ctx, "verify", p.String()+object, func(*sql.Tx) error { return err })
		})
	})
	return out, err
}
