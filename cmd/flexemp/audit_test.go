package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp/transform"
)

// The audit trail over the command line: uploads, tokens and assessments
// leave records with who did them; `audit verify` walks the chain and names
// the first record edited in the database file; a chain rebuilt whole after
// an edit passes on its own but fails against a head taken before
// (--head SEQ:HASH, as the scheduled mail carries it). The records hold no
// token.
func TestAuditTrail(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flexemp.db")
	t.Setenv("FLEXEMP_ID_KEY", "")
	if code, e := ingestSample(t, db); code != 0 {
		t.Fatal(e)
	}
	_, token, _ := runCmd(t, "token", "add", "--db", db, "--city", "210100")
	runCmd(t, "token", "list", "--db", db)
	runCmd(t, "assess", "--db", db, "--period", "2024Q1")
	code, out, e := runCmd(t, "audit", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatal(e)
	}
	var got struct {
		Total   int
		Records []struct {
			Seq                            int64
			Actor, Action, Object, Outcome string
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range got.Records {
		actions = append(actions, r.Action+":"+r.Outcome)
		if !strings.HasPrefix(r.Actor, "cli:") {
			t.Errorf("record %d by %q, want the operator at the command line", r.Seq, r.Actor)
		}
	}
	if strings.Join(actions, ",") != "upload:ok,token.add:ok,token.list:ok,assess:refused" || got.Total != 4 {
		t.Errorf("records %v (%d)", actions, got.Total)
	}
	if strings.Contains(out, strings.TrimSpace(token)) {
		t.Error("a token is in the audit trail")
	}
	_, verified, _ := runCmd(t, "audit", "verify", "--db", db)
	m := regexp.MustCompile(`链头 (\d+):([0-9a-f]{64})`).FindStringSubmatch(verified)
	if m == nil || m[1] != "4" {
		t.Fatalf("audit verify: %s", verified)
	}
	head := m[1] + ":" + m[2]
	// A head copied in upper case is the same head.
	if code, out, _ := runCmd(t, "audit", "verify", "--db", db, "--head", m[1]+":"+strings.ToUpper(m[2])); code != 0 {
		t.Errorf("an upper-case head: exit %d %s", code, out)
	}

	ctx := context.Background()
	sqlDB, err := transform.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(`UPDATE audit_log SET object = 'nothing to see' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	if code, out, _ := runCmd(t, "audit", "verify", "--db", db); code != 1 || !strings.Contains(out, "第 2 条记录的内容被改动") {
		t.Errorf("an edited record: exit %d %s", code, out)
	}
	// The whole chain rebuilt after the edit, hashes and all (an independent
	// SHA-256 over the canonical JSON): consistent in itself, but not with
	// the head the province already has.
	sqlDB, _ = transform.Open(ctx, db)
	rebuild(t, sqlDB)
	sqlDB.Close()
	if code, out, _ := runCmd(t, "audit", "verify", "--db", db); code != 0 {
		t.Errorf("the rebuilt chain should hold in itself: exit %d %s", code, out)
	}
	if code, out, _ := runCmd(t, "audit", "verify", "--db", db, "--head", head); code != 1 || !strings.Contains(out, "与此前发出的链头不符") {
		t.Errorf("a rebuilt chain against an earlier head: exit %d %s", code, out)
	}
	// A field set to NULL is named as an edit, not a scan error.
	sqlDB, _ = transform.Open(ctx, db)
	for _, q := range []string{`ALTER TABLE audit_log ALTER COLUMN remote DROP NOT NULL`, `UPDATE audit_log SET remote = NULL WHERE seq = 3`} {
		if _, err := sqlDB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sqlDB.Close()
	if code, out, _ := runCmd(t, "audit", "verify", "--db", db); code != 1 || !strings.Contains(out, "第 3 条记录的内容被改动") {
		t.Errorf("a NULL field: exit %d %s", code, out)
	}
}

// rebuild recomputes every hash of the chain in order, as a forger with
// write access to the file would.
func rebuild(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT seq, recorded_at, stated_at, actor, role, city, action, object, outcome, code, remote, request_id FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		seq    int64
		fields map[string]any
	}
	var recs []rec
	for rows.Next() {
		var r rec
		var at time.Time
		var stated sql.NullTime
		var actor, role, city, action, object, outcome, code, remote, reqID string
		rows.Scan(&r.seq, &at, &stated, &actor, &role, &city, &action, &object, &outcome, &code, &remote, &reqID)
		r.fields = map[string]any{"seq": r.seq, "at": at.UTC().Format(time.RFC3339Nano), "actor": actor, "role": role, "city": city,
			"action": action, "object": object, "outcome": outcome, "code": code, "remote": remote, "request_id": reqID, "stated_at": nil}
		recs = append(recs, r)
	}
	rows.Close()
	prev := ""
	for _, r := range recs {
		b, _ := json.Marshal(r.fields)
		sum := sha256.Sum256(append([]byte(prev), b...))
		h := hex.EncodeToString(sum[:])
		if _, err := db.Exec(`UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, h, r.seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}
