package ingest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// No raw ID number or name reaches the database file: every ID and name in
// the loaded files is searched for in the bytes of the database and its WAL.
func TestNoRawIDOrNameInDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pii.db")
	db, err := transform.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	g := &ingest.Ingester{DB: db, Key: testKey, Options: ingest.Options{RejectRatio: 1}}
	files := []string{"registrations_bom.csv", "registrations_gbk.csv", "registrations_reasons.csv", "registrations_title.xlsx", "registrations.parquet"}
	for i, f := range files {
		m := march2024
		if i == 1 {
			m = flexemp.Month{Year: 2024, Month: 4} // a second version would be a no-op: load GBK as another month's attempt
		}
		if _, err := g.Ingest(context.Background(), ingest.Request{Path: filepath.Join(testdata, f), City: "210100", Kind: flexemp.Registrations, Month: m}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM registrations`); n < 10 {
		t.Fatalf("only %d rows loaded", n)
	}
	// The search must be able to find what is stored: the masked IDs of rejects are.
	var masked string
	if err := db.QueryRow(`SELECT value FROM rejects WHERE reason_code = 'id_check_digit' LIMIT 1`).Scan(&masked); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var stored []byte
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, b...)
	}
	if !bytes.Contains(stored, []byte(masked)) {
		t.Fatalf("the search cannot see stored text: %q not found", masked)
	}
	idPattern := regexp.MustCompile(`\d{17}[\dXx]`)
	var secrets []string
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(testdata, f))
		for _, id := range idPattern.FindAllString(string(b), -1) {
			secrets = append(secrets, id, id[:14]) // the whole number, and its first 14 digits
		}
	}
	secrets = append(secrets, "210111200001010711", "21010219950315182") // XLSX cells live in compressed XML
	for _, name := range []string{"张伟", "李娜", "王芳", "赵磊"} {
		secrets = append(secrets, name)
		gbk, _ := simplifiedchinese.GBK.NewEncoder().String(name)
		secrets = append(secrets, gbk)
	}
	if len(secrets) < 20 {
		t.Fatalf("too few IDs found in fixtures: %d", len(secrets))
	}
	for _, s := range secrets {
		if bytes.Contains(stored, []byte(s)) {
			t.Errorf("the database file holds %q", flexemp.MaskID(s))
		}
	}
}

// A pseudonym is the first 16 bytes, in hex, of HMAC-SHA256 under the key of
// the ID in upper case, whatever buffers computed it: the same person in
// every upload, computed here from the definition.
func TestPseudonymIsTheKeyedHashOfTheUpperCaseID(t *testing.T) {
	want := func(id string) string {
		mac := hmac.New(sha256.New, testKey)
		mac.Write([]byte(strings.ToUpper(id)))
		return hex.EncodeToString(mac.Sum(nil))[:32]
	}
	mac := ingest.NewMAC(testKey)
	ids := []string{"11010519491231002x", "11010519491231002X", "210102199001011234", "ｘ２１０１", "", "abcdefghijklmnopqrstuvwxyz"}
	for _, id := range ids {
		if got := ingest.Pseudonym(mac, id); got != want(id) {
			t.Errorf("Pseudonym(%q) = %s, want %s", id, got, want(id))
		}
	}
	if ingest.Pseudonym(mac, ids[0]) != ingest.Pseudonym(mac, ids[1]) {
		t.Error("an ID's check letter x and X give different pseudonyms")
	}
}
