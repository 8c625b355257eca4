package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp/apiclient"
)

// The client generated from the OpenAPI document, against a real serve
// over HTTP: a city pushes an extract and reads its ledger with filters;
// the province reads a ranking and an integrity list.
func TestGeneratedClientAgainstServe(t *testing.T) {
	dir, db := demoCopy(t)
	addr, stop := servingProcess(t, dir, db)
	defer stop()
	token := func(args ...string) string {
		code, out, e := runCmd(t, append([]string{"token", "add", "--db", db}, args...)...)
		if code != 0 {
			t.Fatalf("token add: %s", e)
		}
		return strings.TrimSpace(out)
	}
	client := func(token string) *apiclient.ClientWithResponses {
		c, err := apiclient.NewClientWithResponses(addr, apiclient.WithRequestEditorFn(func(ctx context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	city, province := client(token("--city", "210100")), client(token("--reviewer", "省厅"))

	// A city's system pushes March 2024's registrations again, corrected.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", "registrations")
	mw.WriteField("month", "2024-03")
	fw, _ := mw.CreateFormFile("file", "沈阳_登记_2024-03.csv")
	f, err := os.Open(filepath.Join(testdata, "registrations_gbk.csv"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(fw, f)
	f.Close()
	mw.Close()
	up, err := city.UploadWithBodyWithResponse(ctx, mw.FormDataContentType(), &body)
	if err != nil || up.JSON200 == nil || up.JSON200.Status != "accepted" || up.JSON200.UploadId == nil {
		t.Fatalf("upload: %v %d %s", err, up.StatusCode(), up.Body)
	}
	// The ledger with its filters: the city's own, by kind and month.
	kind, month := apiclient.ListUploadsParamsKindRegistrations, "2024-03"
	ledger, err := city.ListUploadsWithResponse(ctx, &apiclient.ListUploadsParams{Kind: &kind, Month: &month})
	if err != nil || ledger.JSON200 == nil || len(*ledger.JSON200) != 2 || (*ledger.JSON200)[0].UploadId == nil || *(*ledger.JSON200)[0].UploadId != *up.JSON200.UploadId {
		t.Fatalf("ledger: %v %s", err, ledger.Body)
	}
	other := "210200"
	if refused, err := city.ListUploadsWithResponse(ctx, &apiclient.ListUploadsParams{City: &other}); err != nil || refused.JSON403 == nil || refused.JSON403.Code != "forbidden" {
		t.Errorf("another city's ledger: %v %d %s", err, refused.StatusCode(), refused.Body)
	}
	// The province reads the 2025 ranking and its integrity findings.
	rk, err := province.RankingWithResponse(ctx, "2025")
	if err != nil || rk.JSON200 == nil || len(rk.JSON200.Cities) != 14 || rk.JSON200.Period != "2025" {
		t.Fatalf("ranking: %v %s", err, rk.Body)
	}
	found, err := province.IntegrityWithResponse(ctx, "2025")
	if err != nil || found.JSON200 == nil || len(found.JSON200.Findings) == 0 {
		t.Fatalf("integrity: %v %s", err, found.Body)
	}
	// A city reads its own entry of the draft only.
	if own, err := city.RankingWithResponse(ctx, "2025"); err != nil || own.JSON200 == nil || len(own.JSON200.Cities) != 1 || own.JSON200.Cities[0].Code != "210100" {
		t.Errorf("the city's ranking: %v %s", err, own.Body)
	}
}
