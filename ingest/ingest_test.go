package ingest_test

import (
	"context"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
)

var march2024 = flexemp.Month{Year: 2024, Month: time.March}

func ingestFixture(t *testing.T, g *ingest.Ingester, name string, kind flexemp.Kind) *ingest.Result {
	t.Helper()
	res, err := g.Ingest(context.Background(), ingest.Request{Path: filepath.Join(testdata, name), City: "210100", Kind: kind, Month: march2024})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// rejectCodes lists "row:code" for every reject of a result, sorted.
func rejectCodes(res *ingest.Result) []string {
	var out []string
	for _, r := range res.Samples {
		out = append(out, itoa(r.Row)+":"+r.Code)
	}
	sort.Strings(out)
	return out
}

// Every reject reason of the contract, each on the row a user would find it.
func TestRejectReasons(t *testing.T) {
	cases := []struct {
		file     string
		kind     flexemp.Kind
		accepted int
		want     []string
	}{
		{"registrations_reasons.csv", flexemp.Registrations, 5, []string{
			"07:" + flexemp.ReasonIDCheckDigit, "08:" + flexemp.ReasonIDExcel, "09:" + flexemp.ReasonIDBirthDate,
			"10:" + flexemp.ReasonIDFormat, "11:" + flexemp.ReasonAge, "12:" + flexemp.ReasonAge,
			"13:" + flexemp.ReasonCityMismatch, "14:" + flexemp.ReasonCityUnknown, "15:" + flexemp.ReasonEnum,
			"16:" + flexemp.ReasonRequired, "17:" + flexemp.ReasonDate, "18:" + flexemp.ReasonOutsideMonth,
			"19:" + flexemp.ReasonDateOrder, "20:" + flexemp.ReasonConditional, "21:" + flexemp.ReasonIDExcel,
		}},
		{"subsidies_reasons.csv", flexemp.Subsidies, 3, []string{
			"05:" + flexemp.ReasonMoney, "06:" + flexemp.ReasonMoney, "07:" + flexemp.ReasonCount,
			"08:" + flexemp.ReasonHours, "09:" + flexemp.ReasonConditional, "10:" + flexemp.ReasonConditional,
		}},
		{"trainings_reasons.csv", flexemp.Trainings, 2, []string{
			"04:" + flexemp.ReasonDateOrder, "05:" + flexemp.ReasonCertified, "06:" + flexemp.ReasonEnum,
		}},
		{"services_reasons.csv", flexemp.Services, 1, []string{
			"03:" + flexemp.ReasonDuplicateMonth, "04:" + flexemp.ReasonDuplicateMonth, "04:" + flexemp.ReasonLoansOnline,
			"05:" + flexemp.ReasonMonth, "06:" + flexemp.ReasonCount, "06:" + flexemp.ReasonDuplicateMonth,
		}},
		// Version-2 columns in a 2024 extract: optional (fund_allocated left
		// empty is no reject) but held to their rules when present.
		{"services_v2_reasons.csv", flexemp.Services, 1, []string{
			"03:" + flexemp.ReasonDuplicateMonth, "03:" + flexemp.ReasonTitlePassed,
			"04:" + flexemp.ReasonDuplicateMonth, "04:" + flexemp.ReasonPartTime,
		}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			g := newIngester(t)
			g.RejectRatio = 1 // these files are mostly bad on purpose
			res := ingestFixture(t, g, tc.file, tc.kind)
			if res.Status != ingest.StatusAccepted {
				t.Fatalf("status %s: %s", res.Status, res.Error)
			}
			got := rejectCodes(res)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("rejects:\n got %v\nwant %v", got, tc.want)
			}
			if res.Accepted != tc.accepted {
				t.Errorf("accepted %d, want %d", res.Accepted, tc.accepted)
			}
			for _, r := range res.Samples {
				seen[r.Code] = true
				if r.Reason == "" || r.Column == "" {
					t.Errorf("reject without reason or column: %+v", r)
				}
				if strings.Contains(r.Value, "1990051212") {
					t.Errorf("reject shows an unmasked ID: %+v", r)
				}
			}
			stored, err := ingest.Rejects(context.Background(), g.DB, res.UploadID)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != len(tc.want) {
				t.Errorf("stored %d rejects, want %d", len(stored), len(tc.want))
			}
		})
	}
	seen[flexemp.ReasonEncoding] = true // TestInvalidBytesAreRejects, TestStrayBytesAndQuotes
	seen[flexemp.ReasonQuote] = true    // TestStrayBytesAndQuotes
	for code := range flexemp.Reasons {
		if !seen[code] {
			t.Errorf("no fixture shows reason %s", code)
		}
	}
}

// The reject reports where and why, with the ID masked.
func TestRejectReportsRowColumnMaskedValue(t *testing.T) {
	g := newIngester(t)
	g.RejectRatio = 1
	res := ingestFixture(t, g, "registrations_reasons.csv", flexemp.Registrations)
	r := res.Samples[0]
	line := r.Line
	r.Line = nil
	want := flexemp.Reject{Row: 7, Column: "公民身份号码", Value: "2101**********1231", Code: flexemp.ReasonIDCheckDigit, Reason: flexemp.Reasons[flexemp.ReasonIDCheckDigit]}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	// The whole row rides on its first reject: every column as headed in
	// the file, the ID masked as in the reject.
	if len(line) < 8 || line[0] != [2]string{"公民身份号码", "2101**********1231"} {
		t.Errorf("the row: %q", line)
	}
	for _, c := range line {
		if idLike.MatchString(c[1]) {
			t.Errorf("the row keeps a raw ID in %s: %q", c[0], c[1])
		}
	}
}

// The same clean rows read the same from every encoding and format.
func TestFormats(t *testing.T) {
	cases := []struct {
		file     string
		accepted int
		rejected int
		extra    string
	}{
		{"registrations_gbk.csv", 4, 0, "序号,姓名"},
		{"registrations_bom.csv", 4, 0, "序号,姓名"},
		{"registrations_english.tsv", 1, 0, ""},
		{"registrations_title.xlsx", 3, 1, ""},
		{"registrations.parquet", 2, 1, ""},
		{"empty_with_header.csv", 0, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			g := newIngester(t)
			g.RejectRatio = 0.5 // small files with one planted bad row
			res := ingestFixture(t, g, tc.file, flexemp.Registrations)
			if res.Status != ingest.StatusAccepted || res.Accepted != tc.accepted || res.Rejected != tc.rejected {
				t.Fatalf("got %s accepted=%d rejected=%d %v %q, want accepted=%d rejected=%d",
					res.Status, res.Accepted, res.Rejected, rejectCodes(res), res.Error, tc.accepted, tc.rejected)
			}
			if got := strings.Join(res.Extra, ","); got != tc.extra {
				t.Errorf("extra columns %q, want %q", got, tc.extra)
			}
			n := count(t, g.DB, `SELECT count(*) FROM registrations WHERE upload_id = ? AND city_code = '210100' AND applied_on BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'`, res.UploadID)
			if n != tc.accepted {
				t.Errorf("stored %d rows in March for Shenyang, want %d", n, tc.accepted)
			}
		})
	}
}

// Dates arrive as Excel serial numbers, text in several forms, and Parquet
// DATE; they are stored as the same calendar dates.
func TestDatesStoredExactly(t *testing.T) {
	for _, file := range []string{"registrations_gbk.csv", "registrations_title.xlsx"} {
		g := newIngester(t)
		g.RejectRatio = 0.5
		res := ingestFixture(t, g, file, flexemp.Registrations)
		var got []string
		rows, err := g.DB.Query(`SELECT strftime(applied_on, '%Y-%m-%d') || '/' || coalesce(strftime(completed_on, '%Y-%m-%d'), '') FROM registrations WHERE upload_id = ? ORDER BY row_no`, res.UploadID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			got = append(got, s)
		}
		rows.Close()
		if got[0] != "2024-03-05/2024-03-05" || got[1] != "2024-03-06/2024-03-12" {
			t.Errorf("%s: dates %v", file, got)
		}
	}
}
