package ingest_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

// The tables the migrations make hold exactly the storage columns the
// contract declares, in order: the contract is the one declaration.
func TestTablesFollowContract(t *testing.T) {
	g := newIngester(t)
	for _, c := range flexemp.Contracts {
		rows, err := g.DB.Query(`SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, string(c.Kind))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			got = append(got, n)
		}
		rows.Close()
		if want := ingest.StorageColumns(&c); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n table %v\n contract %v", c.Kind, got, want)
		}
	}
	// Migrating again changes nothing and records each migration once.
	before := count(t, g.DB, `SELECT count(*) FROM schema_migrations`)
	if err := transform.Migrate(context.Background(), g.DB); err != nil {
		t.Fatal(err)
	}
	if n := count(t, g.DB, `SELECT count(DISTINCT version) FROM schema_migrations`); n != before || n < 3 {
		t.Errorf("%d migrations recorded, %d before", n, before)
	}
}
