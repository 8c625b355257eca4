// Package ingest reads the extracts cities upload (CSV in UTF-8 or GBK, XLSX,
// Parquet), validates every row against the data contract, pseudonymises
// resident IDs and loads the accepted rows into DuckDB in one transaction
// with the upload's ledger row.
package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/liaoning-hrss/flexemp"
)

// Upload statuses.
const (
	StatusAccepted  = "accepted"
	StatusRefused   = "refused"
	StatusUnchanged = "unchanged"
)

// Options are the settings of ingest, as [ingest] in flexemp.toml; zero
// values take the defaults.
type Options struct {
	RejectRatio   float64 `toml:"reject_ratio"`    // refuse a file above this share of rejected rows; default 0.05
	UnzipLimitMiB int64   `toml:"unzip_limit_mib"` // refuse a spreadsheet that unpacks beyond this; default 512
}

// Ingester loads uploads into one DuckDB database. It loads one file at a
// time: a process that takes uploads concurrently serialises them (the
// store does).
type Ingester struct {
	DB  *sql.DB
	Key []byte // pseudonym key
	Options
	Now func() time.Time // the clock; nil means time.Now
	// BeforeCommit, if set, runs in accepted uploads' transaction just
	// before it commits: one upload's, or a group's (the store writes their
	// audit records there, so the uploads and their records commit
	// together, at one commit's cost).
	BeforeCommit func(ctx context.Context, conn *sql.Conn, reqs []Request, res []*Result) error
}

// Request is one file to ingest.
type Request struct {
	Path     string // the file on disk
	FileName string // the name it was uploaded as; default the base of Path
	City     string // the uploading city's code
	Kind     flexemp.Kind
	Month    flexemp.Month // zero: read from the rows, which must then all fall in one month
	// ConfirmEmpty allows a file with no rows to replace a current version
	// that has rows (--replace-with-empty, the form's checkbox, confirm_empty=1).
	ConfirmEmpty bool
	Uploader     string    // who uploaded: a token's name, "cli", "inbox"
	ReceivedAt   time.Time // zero: the clock's now; an operator's backfill may state it
	// Progress, if set, is called now and then with the rows read so far
	// and the share of the file read, 0 to 1.
	Progress func(rows int, done float64)
}

// Result is what became of one file. Its JSON is the object `ingest --json`
// prints.
type Result struct {
	File     string `json:"file"`
	Status   string `json:"status"`
	UploadID int64  `json:"upload_id,omitempty"` // none for a refused file
	// RefusalID numbers a refused file in the refusals log; its rejected
	// rows, all of them, are kept under it (flexemp rejects --refusal N).
	RefusalID int64          `json:"refusal_id,omitempty"`
	Version   int            `json:"version"`
	Rows      int            `json:"rows"`
	Accepted  int            `json:"accepted"`
	Rejected  int            `json:"rejected"`
	Reasons   map[string]int `json:"reasons"`
	Error     string         `json:"error"`
	// Notice, for a version received after its month's deadline, says which
	// version counts and whether this one does.
	Notice string `json:"notice,omitempty"`

	Code    string           `json:"-"` // a refusal's flexemp error code: invalid, too_large, unsupported
	Month   flexemp.Month    `json:"-"`
	Format  string           `json:"-"`
	Extra   []string         `json:"-"` // columns outside the contract, ignored
	Samples []flexemp.Reject `json:"-"` // the first rejects, for the user to see at once

	sha256  string           // the file's, once read
	rejects []flexemp.Reject // all of a refused file's rejects, for RecordRefusal
	// MonthFromName is set when the month was read from the file's name.
	MonthFromName bool `json:"-"`
}

var monthInName = regexp.MustCompile(`(20\d\d)\s*[-_.年/]?\s*(1[0-2]|0?[1-9])(?:\D|$)`)

// MonthInName reads the month a file's name states, such as
// 沈阳_登记_2024-03.csv, 2024年3月.xlsx or registrations_202403.csv. The
// form, the API, the command line and the inbox take it when no month is
// given, and say so; a file whose name states none takes its month from its
// rows.
func MonthInName(name string) (flexemp.Month, bool) {
	m := monthInName.FindStringSubmatch(name)
	if m == nil {
		return flexemp.Month{}, false
	}
	year, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	return flexemp.Month{Year: year, Month: time.Month(month)}, true
}

// Problems counts the rejects: a row once per bad cell.
func (r *Result) Problems() int {
	n := 0
	for _, k := range r.Reasons {
		n += k
	}
	return n
}

// RejectsCommand is the command that exports all the rejects, of the
// upload or of the refused file.
func (r *Result) RejectsCommand() string {
	if r.Status == StatusRefused {
		return fmt.Sprintf("flexemp rejects --refusal %d --out 被拒行.xlsx", r.RefusalID)
	}
	return fmt.Sprintf("flexemp rejects --upload %d --out 被拒行.xlsx", r.UploadID)
}

// WriteProblems lists the first five rejects, row, column, masked value
// and reason, and says how to export the rest.
func (r *Result) WriteProblems(w io.Writer) {
	for i, rj := range r.Samples {
		if i == 5 {
			fmt.Fprintf(w, "  … 共 %d 处问题，完整清单：%s\n", r.Problems(), r.RejectsCommand())
			return
		}
		fmt.Fprintf(w, "  第%d行 %s %q：%s\n", rj.Row, rj.Column, rj.Value, rj.Reason)
	}
}

// Line is the one line a file's result gets on the command line.
func (r *Result) Line() string {
	switch r.Status {
	case StatusUnchanged:
		return fmt.Sprintf("%s：内容与当前版本相同，未重复入库（上传编号 %d，%s 第 %d 版）", r.File, r.UploadID, r.Month, r.Version)
	case StatusAccepted:
		line := fmt.Sprintf("%s：已入库 %s 第 %d 版（上传编号 %d）：共 %d 行，接受 %d 行，拒绝 %d 行",
			r.File, r.Month, r.Version, r.UploadID, r.Rows, r.Accepted, r.Rejected)
		if r.MonthFromName {
			line += "；月份取自文件名"
		}
		if len(r.Extra) > 0 {
			line += "；已忽略表外列：" + strings.Join(r.Extra, "、")
		}
		if r.Notice != "" {
			line += "\n  " + r.Notice
		}
		return line
	}
	return fmt.Sprintf("%s：拒收，整个文件未入库：%s", r.File, r.Error)
}

// maxSamples is how many rejects a Result carries; all are stored.
const maxSamples = 200

// Ingest validates and loads one file. A refused file (unreadable, wrong
// kind, missing column, too many rejected rows, rows spanning months) leaves
// the database as it was and comes back with Status refused and the reason in
// Error; the returned error is set only for failures that are not the file's
// fault.
func (g *Ingester) Ingest(ctx context.Context, req Request) (*Result, error) {
	prep, res, err := g.Prepare(ctx, req)
	if prep == nil {
		g.RecordRefusal(ctx, req, res)
		return res, err
	}
	return g.Load(ctx, prep)
}

// Prepared is a file read, validated and written in a transaction of its
// own, not yet committed: its rows are in their table, invisible to anyone
// else, its rejects in memory. Load commits it with its ledger row; Close
// rolls it back.
type Prepared struct {
	req      Request
	res      *Result
	city     flexemp.City
	sum      string
	month    flexemp.Month
	uploadID int64
	conn     *sql.Conn
	sink     sink // closed once the transaction ends: it may not write inside it
}

// Prepare does everything but commit: the file's hash against the ledger
// (the same bytes again are unchanged), its format and header, and every
// row validated, pseudonymised and appended to its table in an open
// transaction. DuckDB lets transactions append to a table at once, so a
// process may prepare many uploads together and serialise only Load, which
// gives the version and commits. A nil Prepared comes with the final result:
// refused (pass it to RecordRefusal) or unchanged. A Prepared must be
// Loaded or Closed.
func (g *Ingester) Prepare(ctx context.Context, req Request) (*Prepared, *Result, error) {
	st, res, err := g.stage(ctx, req)
	if st == nil {
		return nil, res, err
	}
	defer st.src.Close()
	conn, err := g.DB.Conn(ctx)
	if err != nil {
		return st.fail(err)
	}
	prep := &Prepared{req: st.req, res: res, city: st.city, sum: st.sum, uploadID: st.uploadID, conn: conn}
	ready := false
	defer func() {
		if !ready {
			prep.Close()
		}
	}()
	p := st.start(ctx, g.Key)
	defer p.stop()
	sk, err := newSink(ctx, conn, string(st.req.Kind), StorageColumns(st.contract), p.reader, st.size)
	if err != nil {
		return st.fail(err)
	}
	prep.sink = sk
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return st.fail(err)
	}
	insertErr := sk.insert(ctx)
	// The file's own error, if reading it failed, says more than DuckDB's.
	if err := st.validated(g, p.wait(), p); err != nil {
		return st.fail(err)
	}
	if insertErr != nil {
		return st.fail(insertErr)
	}
	if err := appendRejects(conn, "rejects", st.uploadID, p.rejects); err != nil {
		return st.fail(err)
	}
	prep.month = res.Month
	ready = true
	return prep, res, nil
}

// staged is a file whose hash, format and header passed, given its upload
// number: what Prepare and a Group read and validate.
type staged struct {
	req      Request
	res      *Result
	city     flexemp.City
	contract *flexemp.Contract
	sum      string
	size     int64
	src      rowSource
	hdr      *headerMatch
	uploadID int64
	rejects  *[]flexemp.Reject // the pipeline's, once it is done with them
}

// stage checks a file up to its rows: a nil staged comes with the final
// result, refused or unchanged. The caller closes the staged file's source.
func (g *Ingester) stage(ctx context.Context, req Request) (*staged, *Result, error) {
	res := &Result{File: req.FileName, Reasons: map[string]int{}, Status: StatusRefused}
	if res.File == "" {
		res.File = filepath.Base(req.Path)
	}
	res.File = flexemp.MaskIDs(res.File)
	if req.Month.IsZero() {
		if m, ok := MonthInName(res.File); ok {
			req.Month, res.MonthFromName = m, true
		}
	}
	fail := func(err error) (*staged, *Result, error) {
		res, err := refuse(res, err)
		return nil, res, err
	}
	if err := g.notFuture(req, req.Month); err != nil {
		return fail(err)
	}
	city, ok := flexemp.CityByCode(req.City)
	if !ok {
		return fail(flexemp.Errorf(flexemp.EINVALID, "未知的城市代码：%q", req.City))
	}
	contract := flexemp.ContractOf(req.Kind)
	if contract == nil {
		return fail(flexemp.Errorf(flexemp.EINVALID, "未知的数据类型：%q", req.Kind))
	}
	sum, size, err := FileSHA256(req.Path)
	if err != nil {
		return fail(&flexemp.Error{Code: flexemp.EINVALID, Message: "无法读取文件", Err: err})
	}
	res.sha256 = sum
	if done, err := g.unchanged(ctx, res, city.Code, req, sum); done || err != nil {
		return nil, res, err
	}
	src, format, err := openSource(req.Path, req.Kind, Limits{UnzipSize: g.UnzipLimitMiB << 20})
	res.Format = format
	if err != nil {
		return fail(err)
	}
	st := &staged{req: req, res: res, city: city, contract: contract, sum: sum, size: size, src: src}
	if st.hdr, err = findHeader(src, req.Kind, req.Month); err == nil {
		res.Extra = st.hdr.extra
		if err = g.checkKey(ctx); err == nil {
			st.uploadID, err = nextUploadID(ctx, g.DB)
		}
	}
	if err != nil {
		src.Close()
		return fail(err)
	}
	return st, res, nil
}

// start reads and validates the staged file's rows on a pipeline.
func (st *staged) start(ctx context.Context, key []byte) *pipeline {
	return startPipeline(ctx, st.src, st.contract, st.city, st.req, st.hdr, key, st.uploadID, st.res)
}

// fail refuses the staged file with err, keeping its rejects when the
// pipeline is done with them.
func (st *staged) fail(err error) (*Prepared, *Result, error) {
	res, err := refuse(st.res, err)
	if st.rejects != nil {
		res.rejects = *st.rejects
	}
	return nil, res, err
}

// validated checks the whole file once its pipeline ended with err: the
// month its rows fall in, and the refusals that need every row read.
func (st *staged) validated(g *Ingester, err error, p *pipeline) error {
	st.rejects = &p.rejects // the pipeline is done with them
	if err != nil {
		return err
	}
	req, res := st.req, st.res
	month, err := uploadMonth(req.Month, p.months)
	if err != nil {
		return err
	}
	res.Month = month
	if err := g.notFuture(req, month); err != nil {
		return err
	}
	if err := st.hdr.complete(st.contract, month); err != nil {
		return err
	}
	if req.Kind == flexemp.Services && res.Accepted == 0 {
		return flexemp.Errorf(flexemp.EINVALID, "公共服务月报每月必有一行本市数据，文件中没有有效数据行，未入库")
	}
	if ratio := g.rejectRatio(); res.Rows > 0 && float64(res.Rejected) > ratio*float64(res.Rows) {
		if m, ok := mostlyOutside(p.outside, res.Rejected); ok {
			from := "上传时所选"
			if res.MonthFromName {
				from = "文件名所示"
			}
			return flexemp.Errorf(flexemp.EINVALID, "文件中的行属于 %s，而%s的月份是 %s，整个文件未入库：请核对月份后重新上传", m, from, req.Month)
		}
		return flexemp.Errorf(flexemp.EINVALID, "被拒行占比 %.1f%% 超过上限 %.1f%%，整个文件未入库，请修正后重新上传",
			100*float64(res.Rejected)/float64(res.Rows), 100*ratio)
	}
	return nil
}

// Close rolls a prepared file back.
func (p *Prepared) Close() error {
	p.conn.ExecContext(context.Background(), "ROLLBACK")
	return p.release()
}

// release frees the sink and the connection once the transaction has ended.
func (p *Prepared) release() error {
	if p.sink != nil {
		p.sink.close()
	}
	return p.conn.Close()
}

// Load commits a prepared file with its ledger row, giving it its version.
// It writes the ledger: one at a time per database.
func (g *Ingester) Load(ctx context.Context, prep *Prepared) (res *Result, err error) {
	req, month := prep.req, prep.month
	res = prep.res
	committed := false
	defer func() {
		if !committed {
			prep.Close()
		}
		if res.Status == StatusRefused && res.Error != "" {
			g.RecordRefusal(context.WithoutCancel(ctx), req, res)
		}
	}()
	// What others committed while this one was prepared, read outside its
	// transaction in one query: the newest version of the month, which the
	// same bytes leave unchanged and an empty file may not replace unasked,
	// and after which this one is numbered.
	latest, err := g.newest(ctx, prep.city.Code, req.Kind, month)
	switch {
	case err != nil:
		return refuse(res, err)
	case latest.sum == prep.sum:
		latest.unchanged(res)
		return res, nil
	case prep.emptyOverData(latest):
		return refuse(res, flexemp.Errorf(flexemp.ECONFLICT, "文件只有表头、没有数据行，而%s %s的当前版本有 %d 行数据；如确需以空文件替换（该月确无数据），请勾选“确认以空文件替换”后重新上传",
			req.Kind.Title(), month, latest.accepted))
	}
	res.Version = latest.version + 1
	if err := g.commit(ctx, prep.conn, []*Prepared{prep}); err != nil {
		return refuse(res, err)
	}
	committed = true
	prep.release()
	return res, nil
}

// emptyOverData says that the prepared file has no rows and would replace,
// unasked, a current version that has.
func (p *Prepared) emptyOverData(latest ledgerRow) bool {
	return p.res.Rows == 0 && !p.req.ConfirmEmpty && latest.accepted > 0
}

// commit writes the ledger rows of uploads prepared on conn, their
// versions given, runs BeforeCommit and commits conn's transaction: all of
// them are kept, or none. Each committed upload is then accepted, with its
// notice if it came late.
func (g *Ingester) commit(ctx context.Context, conn *sql.Conn, members []*Prepared) error {
	if err := g.recordKey(ctx, conn); err != nil {
		return err
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO uploads (upload_id, city_code, kind, month, version, sha256, file_name, format,
		uploader, received_at, received_zone, rows, accepted, rejected, extra_columns) VALUES `)
	args := make([]any, 0, 15*len(members))
	reqs, results := make([]Request, len(members)), make([]*Result, len(members))
	for i, m := range members {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		received, res := g.received(m.req), m.res
		args = append(args, m.uploadID, m.city.Code, string(m.req.Kind), m.month.First(), res.Version, m.sum, res.File, res.Format,
			g.uploader(m.req), received, zoneName(received), res.Rows, res.Accepted, res.Rejected, strings.Join(res.Extra, ","))
		reqs[i], results[i] = m.req, res
		res.UploadID = m.uploadID
	}
	err := func() error {
		if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		if g.BeforeCommit != nil {
			if err := g.BeforeCommit(ctx, conn, reqs, results); err != nil {
				return err
			}
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			g.committed("", "", nil) // its outcome unknown: read the ledger again
			return err
		}
		return nil
	}()
	if err != nil {
		for _, res := range results {
			res.UploadID = 0
		}
		return err
	}
	for _, m := range members {
		res := m.res
		g.committed(m.city.Code, m.req.Kind, &ledgerRow{id: m.uploadID, sum: m.sum, month: m.month, version: res.Version, rows: res.Rows, accepted: res.Accepted, rejected: res.Rejected})
		res.Status = StatusAccepted
		if err := g.lateNotice(ctx, m.city.Code, m.req.Kind, res, g.received(m.req)); err != nil {
			// The upload stands; only the notice could not be made.
			res.Notice = "本月报送截止时间已过：本次上传是否计入考核，请在上传记录中查看。"
		}
	}
	return nil
}

// known is what this process has learned of each database it writes to:
// one process owns a database file, so it stays true. Upload numbers come
// from a counter started at the ledger's largest, so uploads prepared at
// once get distinct ones (a number given to a file later refused is not
// reused); a key fingerprint found stored is not read again; the ledger's
// newest versions are read once and then kept from each confirmed commit,
// which spares every upload two queries (a backfill's thousand files each
// paid about a millisecond for them, half of it under the write lock).
var known = struct {
	sync.Mutex
	dbs map[*sql.DB]*knownDB
}{dbs: map[*sql.DB]*knownDB{}}

type knownDB struct {
	lastUploadID int64  // 0: not read yet
	keyPrint     string // the stored fingerprint, once read and matched
	ledger       *ledgerIndex
}

// Forget drops what the process learned of a database it closes.
func Forget(db *sql.DB) {
	known.Lock()
	delete(known.dbs, db)
	known.Unlock()
}

// slot is a city's kind and month: the versions of one extract.
type slot struct {
	city  string
	kind  flexemp.Kind
	month flexemp.Month
}

// ledgerIndex is what a new upload needs of the ledger: the newest version
// of each slot, and the month the same bytes of a city's kind were last
// sent for.
type ledgerIndex struct {
	newest map[slot]ledgerRow
	sent   map[sentBytes]flexemp.Month
}

// sentBytes is a file's bytes as sent by a city for a kind.
type sentBytes struct {
	city string
	kind flexemp.Kind
	sum  string
}

// put records a committed upload.
func (x *ledgerIndex) put(city string, kind flexemp.Kind, l ledgerRow) {
	s := slot{city, kind, l.month}
	if old, ok := x.newest[s]; !ok || l.version > old.version {
		x.newest[s] = l
	}
	x.sent[sentBytes{city, kind, l.sum}] = l.month
}

// latest is the newest version of a slot; its version is 0 (and its sum
// empty) when there is none.
func (x *ledgerIndex) latest(city string, kind flexemp.Kind, month flexemp.Month) ledgerRow {
	if l, ok := x.newest[slot{city, kind, month}]; ok {
		return l
	}
	return ledgerRow{month: month}
}

// ledgerOf is the database's ledger index, read at first use; call with
// known held.
func ledgerOf(ctx context.Context, db *sql.DB) (*ledgerIndex, error) {
	k := knownOf(db)
	if k.ledger != nil {
		return k.ledger, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT upload_id, city_code, kind, month, version, sha256, rows, accepted, rejected FROM uploads ORDER BY upload_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	x := &ledgerIndex{newest: map[slot]ledgerRow{}, sent: map[sentBytes]flexemp.Month{}}
	for rows.Next() {
		var l ledgerRow
		var city, kind string
		var month time.Time
		if err := rows.Scan(&l.id, &city, &kind, &month, &l.version, &l.sum, &l.rows, &l.accepted, &l.rejected); err != nil {
			return nil, err
		}
		l.month = flexemp.MonthOf(month)
		x.put(city, flexemp.Kind(kind), l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	k.ledger = x
	return x, nil
}

// committed keeps an upload whose commit succeeded in the ledger index; a
// commit whose outcome is unknown makes the index be read again.
func (g *Ingester) committed(city string, kind flexemp.Kind, l *ledgerRow) {
	known.Lock()
	defer known.Unlock()
	k := knownOf(g.DB)
	switch {
	case k.ledger == nil:
	case l == nil:
		k.ledger = nil
	default:
		k.ledger.put(city, kind, *l)
	}
}

// knownOf is the database's entry, made at first use; call with known held.
func knownOf(db *sql.DB) *knownDB {
	k := known.dbs[db]
	if k == nil {
		k = &knownDB{}
		known.dbs[db] = k
	}
	return k
}

func nextUploadID(ctx context.Context, db *sql.DB) (int64, error) {
	known.Lock()
	defer known.Unlock()
	k := knownOf(db)
	if k.lastUploadID == 0 {
		if err := db.QueryRowContext(ctx, `SELECT coalesce(max(upload_id), 0) FROM uploads`).Scan(&k.lastUploadID); err != nil {
			return 0, err
		}
	}
	k.lastUploadID++
	return k.lastUploadID, nil
}

// checkKey holds the pseudonym key to the fingerprint stored at the first
// ingest. A fingerprint found to match is remembered for the database, and
// not read again.
func (g *Ingester) checkKey(ctx context.Context) error {
	fp := KeyFingerprint(g.Key)
	if g.keyKnown(fp) {
		return nil
	}
	var stored string
	err := g.DB.QueryRowContext(ctx, `SELECT fingerprint FROM key_fingerprint LIMIT 1`).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case stored != fp:
		return &flexemp.Error{Code: flexemp.EINTERNAL, Message: fmt.Sprintf("假名密钥与本数据库首次入库时的密钥不一致（指纹 %s…，数据库记录为 %s…），拒绝入库：更换或丢失密钥会把同一个人拆成两个人。请恢复原密钥（<数据库>.key 或 FLEXEMP_ID_KEY）后重试", fp[:8], stored[:8])}
	}
	known.Lock()
	knownOf(g.DB).keyPrint = fp
	known.Unlock()
	return nil
}

// recordKey stores the key's fingerprint at the first ingest, in the
// committing transaction, after checking it again.
func (g *Ingester) recordKey(ctx context.Context, conn *sql.Conn) error {
	if err := g.checkKey(ctx); err != nil {
		return err
	}
	fp := KeyFingerprint(g.Key)
	if g.keyKnown(fp) {
		return nil
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO key_fingerprint VALUES (?, ?)`, fp, g.now())
	return err
}

func (g *Ingester) keyKnown(fp string) bool {
	known.Lock()
	defer known.Unlock()
	return knownOf(g.DB).keyPrint == fp
}

// appendRejects appends the rejects of an upload (table rejects) or of a
// refused file (refusal_rejects) inside the caller's transaction.
func appendRejects(conn *sql.Conn, table string, id int64, rs []flexemp.Reject) error {
	if len(rs) == 0 {
		return nil
	}
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return err
		}
		for _, r := range rs {
			var line any
			if r.Line != nil {
				b, err := json.Marshal(r.Line)
				if err != nil {
					a.Close()
					return err
				}
				line = string(b)
			}
			if err := a.AppendRow(id, int32(r.Row), r.Column, r.Value, r.Code, r.Reason, line); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
}

// ledgerRow is an upload's row in the ledger, as far as a new upload of
// its city, kind and month needs it.
type ledgerRow struct {
	id                                int64
	sum                               string
	month                             flexemp.Month
	version, rows, accepted, rejected int
}

// unchanged makes res the answer to the same bytes sent again: this upload.
func (l ledgerRow) unchanged(res *Result) {
	res.Status, res.UploadID, res.Version, res.Month = StatusUnchanged, l.id, l.version, l.month
	res.Rows, res.Accepted, res.Rejected = l.rows, l.accepted, l.rejected
}

// newest is the newest version of a city's kind and month in the ledger;
// its version is 0 when there is none.
func (g *Ingester) newest(ctx context.Context, city string, kind flexemp.Kind, month flexemp.Month) (ledgerRow, error) {
	known.Lock()
	defer known.Unlock()
	x, err := ledgerOf(ctx, g.DB)
	if err != nil {
		return ledgerRow{}, err
	}
	return x.latest(city, kind, month), nil
}

// unchanged reports the same bytes already being the current version of this
// city and kind: uploading them again is a no-op.
func (g *Ingester) unchanged(ctx context.Context, res *Result, city string, req Request, sum string) (bool, error) {
	known.Lock()
	defer known.Unlock()
	x, err := ledgerOf(ctx, g.DB)
	if err != nil {
		res.Error = flexemp.ErrorMessage(err)
		return true, err
	}
	month := req.Month
	if month.IsZero() { // the month the same bytes were last sent for
		m, ok := x.sent[sentBytes{city, req.Kind, sum}]
		if !ok {
			return false, nil
		}
		month = m
	}
	latest := x.latest(city, req.Kind, month)
	if latest.sum != sum {
		return false, nil
	}
	latest.unchanged(res)
	return true, nil
}

// mostlyOutside is the month most of a file's rejected rows fall in, when
// at least half were rejected as outside the upload's month: the month was
// chosen wrong, not the rows.
func mostlyOutside(outside map[flexemp.Month]int, rejected int) (flexemp.Month, bool) {
	var best flexemp.Month
	n, total := 0, 0
	for m, k := range outside {
		total += k
		if k > n {
			best, n = m, k
		}
	}
	return best, total*2 >= rejected && n > 0
}

// uploadMonth is the given month, or the one month every valid row fell in.
func uploadMonth(given flexemp.Month, seen map[flexemp.Month]int) (flexemp.Month, error) {
	if !given.IsZero() {
		return given, nil
	}
	switch len(seen) {
	case 1:
		for m := range seen {
			return m, nil
		}
	case 0:
		return flexemp.Month{}, flexemp.Errorf(flexemp.EINVALID, "文件中没有可确定月份的有效行，请指定上传月份")
	}
	var parts []string
	for m, n := range seen {
		parts = append(parts, fmt.Sprintf("%s %d行", m, n))
	}
	sort.Strings(parts)
	return flexemp.Month{}, flexemp.Errorf(flexemp.EINVALID, "文件中的行跨多个月份（%s），一次上传只能是一个月，请指定上传月份", strings.Join(parts, "，"))
}

// RecordRefusal notes a refused file in the refusals table, outside its
// rolled-back transaction: the data status shows that the city tried. A
// failure to note it is left to the caller's error, if any. It writes.
func (g *Ingester) RecordRefusal(ctx context.Context, req Request, res *Result) {
	if res.Status != StatusRefused || res.Error == "" {
		return
	}
	city, sum := req.City, res.sha256
	var month any
	if !req.Month.IsZero() {
		month = req.Month.First()
	}
	var hash any
	if sum != "" {
		hash = sum
	}
	received := g.received(req)
	conn, err := g.DB.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return
	}
	var id int64
	err = conn.QueryRowContext(ctx, `INSERT INTO refusals SELECT coalesce(max(refusal_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM refusals RETURNING refusal_id`,
		city, string(req.Kind), month, res.File, hash, g.uploader(req), received, zoneName(received), res.Error).Scan(&id)
	if err == nil {
		err = appendRejects(conn, "refusal_rejects", id, res.rejects)
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return
	}
	res.RefusalID, res.rejects = id, nil
}

// notFuture refuses a month after the one the file is received in: no
// city has a month's data before the month begins.
func (g *Ingester) notFuture(req Request, m flexemp.Month) error {
	received := g.received(req).In(flexemp.Shanghai)
	if m.IsZero() || !flexemp.MonthOf(received).First().Before(m.First()) {
		return nil
	}
	return flexemp.Errorf(flexemp.EINVALID, "数据月份 %s 尚未到来（收到时间 %s）：请检查所选月份或文件名中的月份", m, received.Format("2006-01-02 15:04"))
}

func (g *Ingester) received(req Request) time.Time {
	if req.ReceivedAt.IsZero() {
		return g.now().In(flexemp.Shanghai)
	}
	return req.ReceivedAt
}

func (g *Ingester) uploader(req Request) string {
	if req.Uploader == "" {
		return "cli"
	}
	return req.Uploader
}

// refuse marks res refused with err's user message. Errors that are the
// file's fault are in res; others are returned for the operator's log too.
func refuse(res *Result, err error) (*Result, error) {
	res.Status, res.UploadID, res.Version = StatusRefused, 0, 0
	res.Error, res.Code = flexemp.ErrorMessage(err), flexemp.ErrorCode(err)
	if flexemp.ErrorCode(err) == flexemp.EINTERNAL {
		return res, err
	}
	return res, nil
}

func (g *Ingester) rejectRatio() float64 {
	if g.RejectRatio > 0 {
		return g.RejectRatio
	}
	return 0.05
}

func (g *Ingester) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// zoneName is the receipt zone stored beside the instant: the IANA name when
// the time carries one, else its UTC offset.
func zoneName(t time.Time) string {
	if name := t.Location().String(); strings.Contains(name, "/") {
		return name
	}
	return t.Format("-07:00")
}

// FileSHA256 is a file's SHA-256 in hex, as the ledger keeps it, and its size.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
