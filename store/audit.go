package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// The audit trail (审计日志, GB/T 22239-2019 安全审计): every action that
// changes or reveals the province's data leaves a record, written by the
// store — which every write already passes — never by each handler
// remembering to. Records are only ever appended; each carries the SHA-256
// of the previous record's hash and its own canonical JSON, so an edited,
// removed or reordered record breaks the chain from there on (VerifyAudit).

// Actor is who acts: set on the context by the server (the token), the
// command line (cli:<OS user>) and the scheduler.
type Actor struct {
	ID        string // token:<id> <name>, cli:<user>, scheduler
	Role      string
	City      string
	Remote    string // the client's address
	RequestID string
	StatedAt  *time.Time // an operator's --at for a step taken on paper
}

type actorKey struct{}

// WithActor returns ctx carrying a, which a later step (the server, once it
// knows the token) may fill in further.
func WithActor(ctx context.Context, a *Actor) context.Context {
	if a.RequestID == "" {
		a.RequestID = newRequestID()
	}
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorIn is the context's actor to fill in, or nil.
func ActorIn(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// ActorOf is the context's actor; without one, the operator at the command
// line.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok && a.ID != "" {
		return *a
	}
	a := Actor{Role: "operator", ID: "cli:unknown"}
	if u, err := user.Current(); err == nil {
		a.ID = "cli:" + u.Username
	}
	if p, ok := ctx.Value(actorKey{}).(*Actor); ok {
		a.Remote, a.RequestID, a.StatedAt = p.Remote, p.RequestID, p.StatedAt
	}
	return a
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// AuditRecord is one record of the trail.
type AuditRecord struct {
	Seq       int64      `json:"seq"`
	At        time.Time  `json:"at"`
	StatedAt  *time.Time `json:"stated_at,omitempty"`
	Actor     string     `json:"actor"`
	Role      string     `json:"role"`
	City      string     `json:"city,omitempty"`
	Action    string     `json:"action"`
	Object    string     `json:"object,omitempty"`
	Outcome   string     `json:"outcome"`
	Code      string     `json:"code,omitempty"`
	Remote    string     `json:"remote,omitempty"`
	RequestID string     `json:"request_id,omitempty"`
	PrevHash  string     `json:"prev_hash"`
	Hash      string     `json:"hash"`
}

// Outcomes of an audited action.
const (
	AuditOK      = "ok"
	AuditRefused = "refused"
	AuditError   = "error"
)

// chainHash is SHA-256(prev ‖ the record's canonical JSON): its fields but
// the hashes, keys sorted, instants in UTC with nanoseconds.
func (r AuditRecord) chainHash(prev string) string {
	fields := map[string]any{"seq": r.Seq, "at": r.At.UTC().Format(time.RFC3339Nano), "actor": r.Actor, "role": r.Role,
		"city": r.City, "action": r.Action, "object": r.Object, "outcome": r.Outcome, "code": r.Code,
		"remote": r.Remote, "request_id": r.RequestID, "stated_at": nil}
	if r.StatedAt != nil {
		fields["stated_at"] = r.StatedAt.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(fields) // maps marshal with sorted keys
	sum := sha256.Sum256(append([]byte(prev), b...))
	return hex.EncodeToString(sum[:])
}

// outcomeOf is an action's outcome and code from its error: refused for an
// application error the user caused, error for anything else.
func outcomeOf(err error) (string, string) {
	switch code := flexemp.ErrorCode(err); code {
	case "":
		return AuditOK, ""
	case flexemp.EINTERNAL:
		return AuditError, code
	default:
		return AuditRefused, code
	}
}

// Audit appends a record of an action the context's actor took on object,
// with the outcome err gives, under the write lock. A caller that already
// holds the lock uses audit.
func (s *Store) Audit(ctx context.Context, action, object string, err error) error {
	return s.Write(func() error { return s.audit(ctx, action, object, err) })
}

// audit appends a record in its own transaction; the caller holds the
// write lock.
func (s *Store) audit(ctx context.Context, action, object string, actErr error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	r, err := appendAudit(ctx, headOf(s.db), tx, tx, action, object, actErr)
	if err != nil {
		return err
	}
	return s.committed(tx.Commit(), r)
}

// committed learns the chain's head from a record whose transaction commit
// (its error) ended.
func (s *Store) committed(commit error, r AuditRecord) error {
	if commit == nil {
		headOf(s.db).set(r)
	}
	return commit
}

// Commit runs f in one transaction with the audit record of the action it
// takes, so that neither is kept without the other; the caller holds the
// write lock (Write). When f fails nothing of it is kept, and the failure
// is recorded alone.
func (s *Store) Commit(ctx context.Context, action, object string, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		tx.Rollback()
		return errors.Join(err, s.audit(ctx, action, object, err))
	}
	r, err := appendAudit(ctx, headOf(s.db), tx, tx, action, object, nil)
	if err != nil {
		return err
	}
	return s.committed(tx.Commit(), r)
}

// execer is what appendAudit writes through: a transaction, or a
// connection inside one.
type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// chainHead is the audit chain's last record as this process last
// committed it. One process owns the database file and appends every record
// under its store's write lock, so after a commit it knows the head without
// reading it back (a read was a millisecond of every upload of a
// backfill). The head is forgotten as a record is written and learnt again
// only when its transaction is known to have committed: a record whose
// commit nobody confirms leaves the next one to read the head from the
// database.
type chainHead struct {
	mu    sync.Mutex
	known bool
	seq   int64
	hash  string
}

// heads are the chain heads by database.
var heads sync.Map // *sql.DB → *chainHead

func headOf(db *sql.DB) *chainHead {
	h, _ := heads.LoadOrStore(db, &chainHead{})
	return h.(*chainHead)
}

// take gives the head, if known, and forgets it.
func (h *chainHead) take() (seq int64, hash string, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seq, hash, known = h.seq, h.hash, h.known
	h.known = false
	return
}

func (h *chainHead) set(r AuditRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq, h.hash, h.known = r.Seq, r.Hash, true
}

// appendAudit appends a record of an action the context's actor took
// through w, inside the caller's transaction, chained to the head: the
// process's, when it knows it, else the last record as read reads it (a
// transaction begun before others committed — an upload's, opened when it
// was prepared — must read the chain's end outside itself, under the write
// lock). The caller tells head the record once its transaction committed.
func appendAudit(ctx context.Context, head *chainHead, read, w execer, action, object string, actErr error) (AuditRecord, error) {
	rs, err := appendAudits(ctx, head, read, w, []auditEntry{{action, object, actErr}})
	if len(rs) == 0 {
		return AuditRecord{}, err
	}
	return rs[0], err
}

// auditEntry is an action on an object and its outcome, to record.
type auditEntry struct {
	action, object string
	err            error
}

// appendAudits is appendAudit for several records chained one to the next
// in one INSERT (a group of uploads' records); the caller tells head the
// last once the transaction committed.
func appendAudits(ctx context.Context, head *chainHead, read, w execer, entries []auditEntry) ([]AuditRecord, error) {
	a := ActorOf(ctx)
	last, prev, known := head.take()
	if !known {
		var seq sql.NullInt64
		var hash sql.NullString
		if err := read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		last, prev = seq.Int64, hash.String
	}
	// At to the microsecond, as TIMESTAMPTZ keeps it: the hash must hold when re-read.
	at := time.Now().Truncate(time.Microsecond)
	rs := make([]AuditRecord, len(entries))
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log VALUES `)
	args := make([]any, 0, 14*len(entries))
	for i, e := range entries {
		r := AuditRecord{At: at, StatedAt: a.StatedAt, Actor: a.ID, Role: a.Role, City: a.City, Action: e.action,
			Object: e.object, Remote: a.Remote, RequestID: a.RequestID}
		r.Outcome, r.Code = outcomeOf(e.err)
		r.Seq, r.PrevHash = last+1+int64(i), prev
		r.Hash = r.chainHash(r.PrevHash)
		prev, rs[i] = r.Hash, r
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, r.Seq, r.At, r.StatedAt, r.Actor, r.Role, r.City, r.Action, r.Object, r.Outcome, r.Code, r.Remote, r.RequestID, r.PrevHash, r.Hash)
	}
	_, err := w.ExecContext(ctx, q.String(), args...)
	return rs, err
}

// AuditFilter chooses records: since a day (its date; the day begins at
// midnight in Asia/Shanghai), by actor and action (empty: any), Offset and
// Limit (0: all) paging.
type AuditFilter struct {
	Since         time.Time
	Actor, Action string
	Offset, Limit int
}

// FindAudit lists the records the filter chooses, oldest first, and how
// many it chooses in all.
func FindAudit(ctx context.Context, db *sql.DB, f AuditFilter) ([]AuditRecord, int, error) {
	where := `WHERE recorded_at >= ? AND (? = '' OR actor = ? OR actor LIKE ? || ' %') AND (? = '' OR action = ?)`
	var since time.Time
	if !f.Since.IsZero() {
		y, m, d := f.Since.Date()
		since = time.Date(y, m, d, 0, 0, 0, 0, flexemp.Shanghai)
	}
	args := []any{since, f.Actor, f.Actor, f.Actor, f.Action, f.Action}
	var total int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = total + 1
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, recorded_at, stated_at, actor, role, city, action, object, outcome, code, remote, request_id, prev_hash, hash
		FROM audit_log `+where+` ORDER BY seq LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []AuditRecord{}
	for rows.Next() {
		r, _, err := scanAudit(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

func scanAudit(rows *sql.Rows) (r AuditRecord, null bool, err error) {
	var stated sql.NullTime
	texts := []*string{&r.Actor, &r.Role, &r.City, &r.Action, &r.Object, &r.Outcome, &r.Code, &r.Remote, &r.RequestID, &r.PrevHash, &r.Hash}
	ns := make([]sql.NullString, len(texts))
	dest := []any{&r.Seq, &r.At, &stated}
	for i := range ns {
		dest = append(dest, &ns[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return r, false, err
	}
	// Nothing flexemp writes is NULL: a NULL is an edit, named as one by
	// VerifyAudit rather than failing the scan.
	for i, n := range ns {
		*texts[i], null = n.String, null || !n.Valid
	}
	if stated.Valid {
		t := stated.Time.In(flexemp.Shanghai)
		r.StatedAt = &t
	}
	r.At = r.At.In(flexemp.Shanghai)
	return r, null, nil
}

// AuditBroken names the first record that does not hold: edited, removed
// or reordered.
type AuditBroken struct {
	Seq    int64
	Reason string
}

func (e *AuditBroken) Error() string {
	return fmt.Sprintf("审计日志第 %d 条记录%s", e.Seq, e.Reason)
}

// VerifyAudit walks the whole chain, recomputing every hash, and returns
// the head (the last record's sequence number and hash), or *AuditBroken at
// the first record that does not hold. A head taken earlier (from a mail)
// is checked too: the record at its sequence number must carry its hash.
func VerifyAudit(ctx context.Context, db *sql.DB, head string) (int64, string, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, recorded_at, stated_at, actor, role, city, action, object, outcome, code, remote, request_id, prev_hash, hash
		FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	var wantSeq int64 = 1
	prev := ""
	var headSeq int64
	var headHash string
	if head != "" {
		if _, err := fmt.Sscanf(head, "%d:%s", &headSeq, &headHash); err != nil || headSeq < 1 {
			return 0, "", flexemp.Errorf(flexemp.EINVALID, "链头 %q 应为 序号:哈希", head)
		}
		headHash = strings.ToLower(headHash) // as copied from a mail, in either case
	}
	headSeen := false
	for rows.Next() {
		r, null, err := scanAudit(rows)
		if err != nil {
			return 0, "", err
		}
		switch {
		case null:
			return 0, "", &AuditBroken{r.Seq, "的内容被改动（有字段被置空）"}
		case r.Seq != wantSeq:
			return 0, "", &AuditBroken{wantSeq, "缺失或顺序被改动"}
		case r.PrevHash != prev:
			return 0, "", &AuditBroken{r.Seq, "与前一条的链接不符（前一条被改动或删除）"}
		case r.chainHash(prev) != r.Hash:
			return 0, "", &AuditBroken{r.Seq, "的内容被改动"}
		case r.Seq == headSeq && r.Hash != headHash:
			return 0, "", &AuditBroken{r.Seq, "与此前发出的链头不符：日志在此之后被重写"}
		}
		headSeen = headSeen || r.Seq == headSeq
		prev, wantSeq = r.Hash, r.Seq+1
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	if headSeq > 0 && !headSeen {
		return 0, "", &AuditBroken{headSeq, "已不存在：日志在此之后被截短或重写"}
	}
	return wantSeq - 1, prev, nil
}
