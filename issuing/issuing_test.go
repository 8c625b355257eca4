package issuing

import (
	"bytes"
	"context"
	"image"
	pngenc "image/png"
	"slices"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

// The window counts working days on the holiday table: the weekend, the
// National Day week and its make-up Sunday.
func TestWindowEnd(t *testing.T) {
	for _, c := range []struct{ at, end string }{
		{"2024-04-22T10:00:00+08:00", "2024-04-29T00:00:00+08:00"}, // Mon: Tue–Fri, then Sunday the 28th is a make-up working day
		{"2024-09-27T16:00:00+08:00", "2024-10-11T00:00:00+08:00"}, // Fri: Sun 29th (make-up), Mon 30th, then 8th, 9th, 10th
		{"2024-09-27T23:59:59+08:00", "2024-10-11T00:00:00+08:00"}, // the same day in Shanghai
		{"2024-09-29T16:00:00Z", "2024-10-13T00:00:00+08:00"},      // Mon 30th in Shanghai: 8th–11th, then Sat 12th (make-up)
		{"2031-03-03T09:00:00+08:00", "2031-03-11T00:00:00+08:00"}, // past the table: weekdays
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		want, _ := time.Parse(time.RFC3339, c.end)
		if got := WindowEnd(at, 5, flexemp.Holidays); !got.Equal(want) {
			t.Errorf("published %s: window ends %s, want %s", c.at, got, want)
		}
	}
}

// An accepted objection names what the final admits: its corrected extract
// in place of the version the publication read for that month (the latest
// objection's, when two correct one month), and each subject indicator the
// publication scored lowest for a zero denominator, now left out; a
// rejected objection admits nothing, nor does a subject that was no zero.
func TestAdmitted(t *testing.T) {
	// admitted reads the publication's versions from the database: none
	// here, so every correction corrects no version (0).
	ctx := context.Background()
	db, err := transform.Open(ctx, t.TempDir()+"/p.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	feb := flexemp.Month{Year: 2024, Month: time.February}
	published := &metrics.Ranking{Cities: []metrics.RankingCity{
		{Code: "210100", Flags: []string{"I12" + metrics.FlagZeroFloor, "I5" + metrics.FlagNoData}},
		{Code: "210200", Flags: []string{"I12" + metrics.FlagZeroFloor}},
	}}
	objections := []*Objection{
		{ID: 1, City: "210100", Subjects: []string{"I12", "I5"}, Decision: Accept, UploadID: 7, Kind: flexemp.Registrations, Month: feb},
		{ID: 2, City: "210100", Subjects: []string{Other}, Decision: Accept, UploadID: 9, Kind: flexemp.Registrations, Month: feb},
		{ID: 3, City: "210200", Subjects: []string{"I12"}, Decision: Reject, UploadID: 11, Kind: flexemp.Services, Month: feb},
	}
	fixes, zeros, err := admitted(ctx, db, &Publication{ID: 1}, objections, published)
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 1 || fixes[0] != (transform.Correction{Upload: 9}) {
		t.Errorf("corrections %v, want upload 9 alone", fixes)
	}
	if len(zeros) != 1 || zeros[0] != (transform.CityIndicator{City: "210100", Indicator: "I12"}) {
		t.Errorf("accepted zeros %v, want 沈阳's I12 alone", zeros)
	}
}

// The appendix names every other city whose values the corrected data
// moved: 铁岭's interval 6–6 → 5–6 beside the objector's own changes, and
// not a city nothing moved for.
func TestOthersMoved(t *testing.T) {
	rank := func(n int) *int { return &n }
	index := func(v float64) *float64 { return &v }
	city := func(code string, r int, idx float64, lo, hi int) metrics.RankingCity {
		return metrics.RankingCity{Code: code, Name: cityName(code), Rank: rank(r), Index: index(idx), RankInterval: &[2]int{lo, hi}, Grade: "良好"}
	}
	published := &metrics.Ranking{Cities: []metrics.RankingCity{city("210200", 5, 70.1, 4, 5), city("211200", 6, 69.0, 6, 6), city("210100", 1, 90, 1, 1)}}
	final := &metrics.Ranking{Cities: []metrics.RankingCity{city("210200", 6, 68.9, 5, 6), city("211200", 5, 69.0, 5, 6), city("210100", 1, 90, 1, 1)}}
	objections := []*Objection{{ID: 1, City: "210200", Decision: Accept}}
	got := othersMoved(objections, published, final)
	if len(got) != 1 || got[0].City != "铁岭市" || !slices.Contains(got[0].Changes, "名次区间 6–6 → 5–6") || !slices.Contains(got[0].Changes, "名次 第6名 → 第5名") {
		t.Errorf("others moved: %+v", got)
	}
	if own := appendix(objections, published, final); len(own) != 1 || !slices.Contains(own[0].Changes, "名次区间 4–5 → 5–6") {
		t.Errorf("the objector's changes: %+v", own)
	}
}

// A document is what its bytes parse as, kept under a name with that
// type's extension and nothing that could make it run or read otherwise.
func TestDocuments(t *testing.T) {
	pdf := "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\nstartxref\n9\n%%EOF\n"
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, content, wantType, wantName string
	}{
		{"说明.pdf", pdf, "application/pdf", "说明.pdf"},
		{"run.bat", pdf, "application/pdf", "run.pdf"},
		{"invoice\u202Efdp.exe", pdf, "application/pdf", "invoicefdp.pdf"},
		{"evidence.hta", "%PDF-1.4\n<html><script>alert(1)</script></html>\nstartxref\n1\n%%EOF", "", ""},
		{"材料.html", "%PDF-1.4\n<svg onload=alert(1)>", "", ""},
		{"scan.png", png.String(), "image/png", "scan.png"},
		{"scan.png", "\x89PNG\r\n\x1a\n<script>", "", ""},
		{"photo.jpg", "\xFF\xD8\xFF<html>", "", ""},
		{"../../etc\x00x.pdf", pdf, "application/pdf", "etcx.pdf"},
	} {
		got := mediaType([]byte(c.content))
		if got != c.wantType {
			t.Errorf("%q: type %q, want %q", c.name, got, c.wantType)
			continue
		}
		if got != "" && documentName(c.name, got) != c.wantName {
			t.Errorf("%q kept as %q, want %q", c.name, documentName(c.name, got), c.wantName)
		}
	}
}
