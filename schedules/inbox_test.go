package schedules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/schedules"
)

// TestInboxKeepsEachMonthsOrder drops many months of two cities, with a
// correction beside some extracts, and picks them up on several workers:
// every file is ingested once, and each correction becomes version 2 of its
// month, after the extract it corrects, however the workers interleave. The
// months are past their deadlines, so the first version counts (late) and
// each correction's reason file says it does not.
func TestInboxKeepsEachMonthsOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t)
	db := st.DB()
	inbox := filepath.Join(dir, "inbox")
	old := time.Now().Add(-time.Hour)
	drop := func(city flexemp.City, m flexemp.Month, suffix string, rows int, seed uint64) {
		path := filepath.Join(inbox, city.ShortName, "registrations", fmt.Sprintf("%s_registrations_%s%s.csv", city.Code, m, suffix))
		if err := gen.Registrations(path, rows, seed, city, m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	type slot struct {
		city  string
		month flexemp.Month
	}
	want := map[slot]int{} // accepted rows of the current version
	files := 0
	for _, city := range flexemp.Cities[:2] {
		for mo := 1; mo <= 6; mo++ {
			m := flexemp.Month{Year: 2024, Month: time.Month(mo)}
			drop(city, m, "", 20+mo, uint64(mo))
			want[slot{city.Code, m}] = 20 + mo
			files++
			if mo%2 == 0 {
				drop(city, m, "_corrected", 40+mo, uint64(100+mo))
				want[slot{city.Code, m}] = 40 + mo
				files++
			}
		}
	}
	env := &schedules.Env{Store: st, Inbox: inbox, Archive: filepath.Join(dir, "archive"), Rejected: filepath.Join(dir, "rejected"),
		Now: time.Now, InboxWorkers: 3}
	var run schedules.Job
	for _, j := range env.Jobs(schedules.Specs{}) {
		if j.Name == schedules.JobInbox {
			run = j
		}
	}
	res, err := run.Run(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if wantDetail := fmt.Sprintf("入库 %d 个，未变 0 个，拒收 0 个，等待写完 0 个", files); res.Detail != wantDetail {
		t.Fatalf("detail %q, want %q", res.Detail, wantDetail)
	}
	rows, err := db.Query(`SELECT city_code, month, version, accepted, file_name FROM uploads ORDER BY upload_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[slot]int{}
	n := 0
	for rows.Next() {
		var city, name string
		var month time.Time
		var version, accepted int
		if err := rows.Scan(&city, &month, &version, &accepted, &name); err != nil {
			t.Fatal(err)
		}
		n++
		corrected := strings.HasSuffix(name, "_corrected.csv")
		if (version == 2) != corrected {
			t.Errorf("%s is version %d", name, version)
		}
		got[slot{city, flexemp.MonthOf(month)}] = accepted // the later version wins
	}
	if n != files {
		t.Errorf("%d uploads, want %d", n, files)
	}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("%s %s: current version has %d rows, want %d", s.city, s.month, got[s], w)
		}
	}
	// Every month here is long past its deadline: each archived file has a
	// reason file saying whether it counts — the first version does, as
	// late; a correction sent after it does not.
	reasons, _ := filepath.Glob(filepath.Join(dir, "archive", "*", "registrations", "*.reason.txt"))
	if len(reasons) != files {
		t.Errorf("%d reason files beside %d late files", len(reasons), files)
	}
	for _, r := range reasons {
		b, _ := os.ReadFile(r)
		corrected := strings.Contains(r, "_corrected")
		if counts := strings.Contains(string(b), "本次上传按逾期报送计入考核"); counts == corrected ||
			corrected != strings.Contains(string(b), "本次上传不计入考核") {
			t.Errorf("%s:\n%s", filepath.Base(r), b)
		}
	}
}
