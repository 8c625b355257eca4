package transform_test

import (
	"context"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/transform"
)

// A run pinned to an issued ranking reads the ledger as it stood at
// publication — not a later late version, not a later backfill received
// "on time" — and an admitted correction counts in place of the version it
// corrects, keeping its timeliness, with no K7 finding.
func TestIssuedRunReadsItsVersions(t *testing.T) {
	p := newProvince(t)
	p.load("210100", flexemp.Registrations, "2024-02", "2024-03-05T09:00:00+08:00", flexRows(10, func(int) string { return "2024-02-10" }))
	p.complete("2024Q1")
	lastUpload := func() (id int64) {
		if err := p.db.QueryRow(`SELECT max(upload_id) FROM uploads`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var original int64
	if err := p.db.QueryRow(`SELECT upload_id FROM uploads WHERE city_code = '210100' AND kind = 'registrations' AND month = DATE '2024-02-01'`).Scan(&original); err != nil {
		t.Fatal(err)
	}
	published := lastUpload()
	p.load("210100", flexemp.Registrations, "2024-02", "2024-03-20T09:00:00+08:00", flexRows(12, func(int) string { return "2024-02-10" }))
	correction := lastUpload()
	p.load("210100", flexemp.Registrations, "2024-02", "2024-03-09T09:00:00+08:00", flexRows(5, func(int) string { return "2024-02-10" }))

	per, _ := flexemp.ParsePeriod("2024Q1")
	for _, c := range []struct {
		name    string
		issued  *transform.Issued
		persons float64
		k7      bool
	}{
		// The backfill counts: received by the deadline, after the late version.
		{"a draft", nil, 5, false},
		{"the publication", &transform.Issued{LastUpload: correction - 1}, 10, false},
		{"the publication with the late version", &transform.Issued{LastUpload: correction}, 10, true},
		{"the final", &transform.Issued{LastUpload: published, Corrections: []transform.Correction{{Upload: correction, Corrects: original}}}, 12, false},
	} {
		if _, err := transform.Build(context.Background(), p.db, transform.Params{Period: per, Reference: p.ref, Issued: c.issued}); err != nil {
			t.Fatal(err)
		}
		persons, _, _ := p.indicator("210100", "I1")
		onTime, slots, _ := p.indicator("210100", "I16")
		if persons.Float64 != c.persons || p.findings()["210100 K7 registrations 2024-02"] != c.k7 || onTime.Float64 != slots.Float64 {
			t.Errorf("%s: I1 %v persons (want %v), I16 %v/%v, findings %v", c.name, persons.Float64, c.persons, onTime.Float64, slots.Float64, p.findings())
		}
	}
}
