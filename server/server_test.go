package server_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/testfiles"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
	"github.com/xuri/excelize/v2"
)

const testdata = "../testdata"

// site is a served database with a token per city and one reviewer token,
// and generated extracts for January–April 2024 on disk.
type site struct {
	t        *testing.T
	db       *sql.DB
	g        *ingest.Ingester
	st       *store.Store
	srv      *server.Server
	ts       *httptest.Server
	city     map[string]string // city code → token
	reviewer string
	files    map[string]map[string]gen.File // city → "kind month" → generated file
	data     string
	spool    string
}

var fixture struct {
	once sync.Once
	dir  string
	man  *gen.Manifest
	err  error
}

// extracts generates the province's files once for the package.
func extracts(t *testing.T) (string, *gen.Manifest) {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "flexemp-server-")
		if fixture.err == nil {
			fixture.man, fixture.err = gen.Generate(fixture.dir, gen.Options{Seed: 9, Scale: 0.003,
				From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 4}})
		}
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.dir, fixture.man
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// newSite serves a new database; configure, if given, completes the
// server's options once the store exists.
func newSite(t *testing.T, o server.Options, configure ...func(*store.Store, *server.Options)) *site {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := transform.Open(ctx, filepath.Join(dir, "flexemp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := &ingest.Ingester{DB: db, Key: []byte("server-test-key-0123456789"), Options: ingest.Options{UnzipLimitMiB: 8}}
	o.SpoolDir = filepath.Join(dir, "spool")
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(db, g, metrics.AssessOptions{Seed: 1, Draws: 100})
	for _, f := range configure {
		f(st, &o)
	}
	srv, err := server.New(st, o)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, db: db, g: g, st: st, srv: srv, city: map[string]string{}, spool: o.SpoolDir, files: map[string]map[string]gen.File{}}
	s.ts = httptest.NewServer(contract(t, s.srv.Handler()))
	t.Cleanup(s.ts.Close)
	for _, c := range flexemp.Cities {
		if s.city[c.Code], err = st.AddToken(ctx, c.Code, "", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if s.reviewer, err = st.AddToken(ctx, "", "省厅审核", time.Now()); err != nil {
		t.Fatal(err)
	}
	var man *gen.Manifest
	s.data, man = extracts(t)
	for _, f := range man.Files {
		if s.files[f.City] == nil {
			s.files[f.City] = map[string]gen.File{}
		}
		s.files[f.City][string(f.Kind)+" "+f.Month] = f
	}
	return s
}

// assessable loads 沈阳's January 2024 extracts of the kinds given straight
// into the database (the server's counters untouched), so that 2024Q1 has a
// version of every kind: a period in which no city sent a kind is refused.
func (s *site) assessable(kinds ...flexemp.Kind) {
	s.t.Helper()
	for _, k := range kinds {
		f := s.files["210100"][string(k)+" 2024-01"]
		at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
		res, err := s.g.Ingest(context.Background(), ingest.Request{Path: filepath.Join(s.data, f.Path), City: "210100", Kind: k,
			Month: flexemp.Month{Year: 2024, Month: time.January}, ReceivedAt: at})
		if err != nil || res.Status != ingest.StatusAccepted {
			s.t.Fatalf("%s: %v %+v", f.Path, err, res)
		}
	}
}

// assess makes 2024Q1 assessable (assessable) and has the reviewer assess
// period through the API.
func (s *site) assess(period string) {
	s.t.Helper()
	s.assessable(flexemp.Subsidies, flexemp.Trainings, flexemp.Services)
	if code, body := s.do(mustReq("POST", s.ts.URL+"/api/v1/assess/"+period, s.reviewer)); code != 200 {
		s.t.Fatalf("assess %s: %d %v", period, code, body)
	}
}

// upload posts a file to the API as token, with the form fields given.
func (s *site) upload(token, kind, month, path, name string) (int, map[string]any) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", kind)
	if month != "" {
		mw.WriteField("month", month)
	}
	fw, _ := mw.CreateFormFile("file", name)
	f, err := os.Open(path)
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(fw, f)
	f.Close()
	mw.Close()
	req, _ := http.NewRequest("POST", s.ts.URL+"/api/v1/uploads", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

func (s *site) do(req *http.Request) (int, map[string]any) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, out
}

func (s *site) get(token, path string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.ts.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sendCity uploads a city's generated extract of a kind and month.
func (s *site) sendCity(city, kind, month string) map[string]any {
	s.t.Helper()
	f, ok := s.files[city][kind+" "+month]
	if !ok {
		s.t.Fatalf("no generated %s %s for %s", kind, month, city)
	}
	code, res := s.upload(s.city[city], kind, month, filepath.Join(s.data, f.Path), filepath.Base(f.Path))
	if code != http.StatusOK || res["status"] != "accepted" {
		s.t.Fatalf("%s %s %s: %d %v", city, kind, month, code, res)
	}
	return res
}

func (s *site) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// Every city token against every other city's uploads, rejects and
// scorecard: 403, and never the data. A reviewer reads all and uploads
// nothing; no token or a bad or revoked one is 401.
// othersIn is the first city besides own whose code or name body holds.
func othersIn(body, own string) string {
	for _, c := range flexemp.Cities {
		if c.Code != own && (strings.Contains(body, `"`+c.Code+`"`) || strings.Contains(body, c.Name)) {
			return c.Name
		}
	}
	return ""
}

func TestAccessMatrix(t *testing.T) {
	s := newSite(t, server.Options{})
	uploadOf := map[string]int64{}
	for _, c := range flexemp.Cities {
		res := s.sendCity(c.Code, "registrations", "2024-01")
		uploadOf[c.Code] = int64(res["upload_id"].(float64))
	}
	s.assess("2024Q1")
	for _, a := range flexemp.Cities {
		token := s.city[a.Code]
		for _, b := range flexemp.Cities {
			paths := []string{
				"/api/v1/uploads?city=" + b.Code,
				fmt.Sprintf("/api/v1/uploads/%d/rejects", uploadOf[b.Code]),
				"/api/v1/cities/" + b.Code + "/scorecard/2024Q1",
				"/api/v1/cities/" + b.Code + "/counties/2024Q1",
			}
			for i, p := range paths {
				code, body := s.get(token, p)
				// Another city's upload answers as one that does not exist
				// (404, the same words), so no ID's existence leaks.
				want, notFound := 403, fmt.Sprintf("没有编号为 %d 的上传记录", uploadOf[b.Code])
				if i == 1 {
					want = 404
				}
				switch {
				case a.Code == b.Code && code != 200:
					t.Errorf("%s own %s: %d %s", a.Name, p, code, body)
				case a.Code == b.Code && i >= 2 && othersIn(body, a.Code) != "":
					t.Errorf("%s's own %s holds %s's figures", a.Name, p, othersIn(body, a.Code))
				case a.Code == b.Code && i == 3 && !strings.Contains(body, flexemp.CountiesOf(flexemp.Counties, a.Code)[0].Name):
					t.Errorf("%s's own counties: %s", a.Name, body)
				case a.Code != b.Code && code != want:
					t.Errorf("%s → %s %s: %d, want %d", a.Name, b.Name, p, code, want)
				case a.Code != b.Code && want == 404 && !strings.Contains(body, notFound):
					t.Errorf("%s → %s %s: %s, not the answer for an unknown upload", a.Name, b.Name, p, body)
				case a.Code != b.Code && (strings.Contains(body, b.Code) || strings.Contains(body, b.Name)):
					t.Errorf("%s → %s %s: the refusal shows the other city's data: %s", a.Name, b.Name, p, body)
				}
			}
		}
		// The ranking shows a city its own entry only.
		code, body := s.get(token, "/api/v1/rankings/2024Q1")
		var r metrics.Ranking
		json.Unmarshal([]byte(body), &r)
		if code != 200 || len(r.Cities) != 1 || r.Cities[0].Code != a.Code {
			t.Errorf("%s ranking: %d, %d entries", a.Name, code, len(r.Cities))
		}
		// A city may not assess.
		if code, _ := s.do(mustReq("POST", s.ts.URL+"/api/v1/assess/2024Q1", token)); code != 403 {
			t.Errorf("%s assess: %d, want 403", a.Name, code)
		}
	}
	// The reviewer reads everything and uploads nothing.
	for _, p := range []string{"/api/v1/uploads", "/api/v1/uploads?city=210200", fmt.Sprintf("/api/v1/uploads/%d/rejects", uploadOf["210300"]),
		"/api/v1/cities/211400/scorecard/2024Q1", "/api/v1/cities/211400/counties/2024Q1"} {
		if code, body := s.get(s.reviewer, p); code != 200 {
			t.Errorf("reviewer %s: %d %s", p, code, body)
		}
	}
	code, body := s.get(s.reviewer, "/api/v1/rankings/2024Q1")
	var all metrics.Ranking
	json.Unmarshal([]byte(body), &all)
	if code != 200 || len(all.Cities) != 14 {
		t.Errorf("reviewer ranking: %d, %d cities", code, len(all.Cities))
	}
	f := s.files["210100"]["registrations 2024-02"]
	if code, _ := s.upload(s.reviewer, "registrations", "2024-02", filepath.Join(s.data, f.Path), "x.csv"); code != 403 {
		t.Errorf("reviewer upload: %d, want 403", code)
	}
	// No token, a bad token, a revoked token: 401 everywhere.
	if _, err := s.st.RevokeTokens(context.Background(), "210500", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "fxe_not-a-token", "nonsense", s.city["210500"]} {
		for _, p := range []string{"/api/v1/uploads", "/api/v1/rankings/2024Q1", "/api/v1/cities/210500/scorecard/2024Q1",
			"/api/v1/cities/210500/counties/2024Q1", fmt.Sprintf("/api/v1/uploads/%d/rejects", uploadOf["210500"])} {
			if code, _ := s.get(token, p); code != 401 {
				t.Errorf("token %.8q %s: %d, want 401", token, p, code)
			}
		}
		if code, _ := s.upload(token, "registrations", "2024-02", filepath.Join(s.data, f.Path), "x.csv"); code != 401 {
			t.Errorf("token %.8q upload: %d, want 401", token, code)
		}
	}
	// Pages: a city's session is refused another city's rejects (as if they
	// did not exist, like an unknown upload) and the reviewer pages.
	city := s.login(s.city["210100"])
	for _, p := range []string{fmt.Sprintf("/uploads/%d/rejects.xlsx", uploadOf["210200"]), "/uploads/999999/rejects.xlsx", "/review", "/reports/2024Q1", "/status"} {
		want := 403
		if strings.HasPrefix(p, "/uploads/") {
			want = 404
		}
		if code, _ := city.get(p); code != want {
			t.Errorf("city page %s: %d, want %d", p, code, want)
		}
	}
	if resp, err := city.client.Get(s.ts.URL + fmt.Sprintf("/uploads/%d/rejects.xlsx", uploadOf["210100"])); err != nil || resp.StatusCode != 200 ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), url.PathEscape("被拒行-沈阳市-就业失业登记-2024-01.xlsx")) {
		t.Errorf("own rejects download: %v %v", err, resp.Header)
	} else {
		resp.Body.Close()
	}
	// Only hashes are stored.
	for code, token := range s.city {
		if n := s.count(`SELECT count(*) FROM tokens WHERE hash = ? OR hash LIKE ?`, token, "%"+token[4:20]+"%"); n != 0 {
			t.Errorf("%s token stored in the clear", code)
		}
	}
}

func mustReq(method, url, token string) *http.Request {
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// browser is a page session: a client with a cookie jar that does not
// follow redirects.
type browser struct {
	s      *site
	client *http.Client
}

func (s *site) login(token string) *browser {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{s: s, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp := s.postLogin(b.client, token)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login: %d", resp.StatusCode)
	}
	return b
}

// postLogin logs in as a person does: the login page, then its form with
// the token and the form's CSRF token.
func (s *site) postLogin(client *http.Client, token string) *http.Response {
	s.t.Helper()
	resp, err := client.Get(s.ts.URL + "/login")
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindStringSubmatch(string(page))
	if m == nil {
		s.t.Fatalf("the login page has no CSRF token:\n%s", page)
	}
	resp, err = client.PostForm(s.ts.URL+"/login", url.Values{"token": {token}, "csrf": {m[1]}})
	if err != nil {
		s.t.Fatal(err)
	}
	return resp
}

func (b *browser) get(path string) (int, string) {
	resp, err := b.client.Get(b.s.ts.URL + path)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf() string {
	_, page := b.get("/uploads")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.s.t.Fatal("no csrf field on the page")
	}
	return m[1]
}

// postUpload sends the upload form; csrf "" leaves the field out.
func (b *browser) postUpload(csrf, kind, month, path string) (int, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	mw.WriteField("kind", kind)
	mw.WriteField("month", month)
	fw, _ := mw.CreateFormFile("file", filepath.Base(path))
	data, _ := os.ReadFile(path)
	fw.Write(data)
	mw.Close()
	resp, err := b.client.Post(b.s.ts.URL+"/upload", mw.FormDataContentType(), &body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// Pages keep a session cookie (HttpOnly, SameSite=Strict) and refuse a
// form without its CSRF token.
func TestSessionsAndCSRF(t *testing.T) {
	s := newSite(t, server.Options{})
	s.assessable(flexemp.Registrations, flexemp.Subsidies, flexemp.Trainings, flexemp.Services)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Login CSRF: a post without the login form's token (another site's
	// form, which cannot read it) logs nobody in.
	resp, err := client.PostForm(s.ts.URL+"/login", url.Values{"token": {s.city["210100"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || strings.Contains(resp.Header.Get("Set-Cookie"), "flexemp_session=") {
		t.Errorf("a login post without the form's token: %d %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	resp = s.postLogin(client, s.city["210100"])
	resp.Body.Close()
	cookie := strings.Join(resp.Header.Values("Set-Cookie"), "; ")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") || strings.Contains(cookie, s.city["210100"]) {
		t.Errorf("session cookie %q", cookie)
	}
	if resp := s.postLogin(client, "fxe_wrong"); resp.StatusCode != 401 {
		t.Errorf("bad login: %d", resp.StatusCode)
	}
	b := s.login(s.city["210100"])
	f := s.files["210100"]["registrations 2024-02"]
	path := filepath.Join(s.data, f.Path)
	before := s.count(`SELECT count(*) FROM uploads`)
	if code, _ := b.postUpload("", "registrations", "2024-02", path); code != 403 {
		t.Errorf("upload without csrf: %d, want 403", code)
	}
	if code, _ := b.postUpload("forged", "registrations", "2024-02", path); code != 403 {
		t.Errorf("upload with a forged csrf: %d, want 403", code)
	}
	if n := s.count(`SELECT count(*) FROM uploads`); n != before {
		t.Error("a refused form was stored")
	}
	code, page := b.postUpload(b.csrf(), "registrations", "2024-02", path)
	if code != 200 || !strings.Contains(page, "已入库") {
		t.Errorf("upload with csrf: %d", code)
	}
	// The reviewer's assess button: refused without the token, done with it.
	r := s.login(s.reviewer)
	resp, _ = r.client.PostForm(s.ts.URL+"/assess", url.Values{"period": {"2024Q1"}})
	if resp.StatusCode != 403 {
		t.Errorf("assess without csrf: %d", resp.StatusCode)
	}
	resp, _ = r.client.PostForm(s.ts.URL+"/assess", url.Values{"period": {"2024Q1"}, "csrf": {r.csrf()}})
	if resp.StatusCode != http.StatusSeeOther || s.count(`SELECT count(*) FROM assessment_runs`) != 1 {
		t.Errorf("assess with csrf: %d", resp.StatusCode)
	}
	// A multipart form elsewhere than the upload cannot slip past the check.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("period", "2024Q1")
	mw.Close()
	resp, _ = r.client.Post(s.ts.URL+"/assess", mw.FormDataContentType(), &mp)
	if resp.StatusCode != 403 || s.count(`SELECT count(*) FROM assessment_runs`) != 1 {
		t.Errorf("multipart assess without csrf: %d", resp.StatusCode)
	}
	// A browser's cross-site post is refused, login included.
	req, _ := http.NewRequest("POST", s.ts.URL+"/login", strings.NewReader(url.Values{"token": {s.city["210100"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("cross-site login: %v %v", resp.StatusCode, err)
	}
	// Logging out ends the session.
	out, err := b.client.PostForm(s.ts.URL+"/logout", url.Values{"csrf": {b.csrf()}})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if code, _ := b.get("/uploads"); code != http.StatusSeeOther {
		t.Errorf("after logout: %d, want a redirect to login", code)
	}
}

// Hostile and broken files get the right status, nothing is half-written,
// and a file's name never becomes a path.
func TestUploadRefusals(t *testing.T) {
	s := newSite(t, server.Options{UploadLimitMiB: 1})
	token := s.city["210100"]
	dir := t.TempDir()
	big := filepath.Join(dir, "big.csv")
	os.WriteFile(big, bytes.Repeat([]byte("x,"), 1<<20), 0o644)
	bomb, err := testfiles.ZipBomb(dir, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, kind string
		want             int
	}{
		{"too large", big, "registrations", 413},
		{"zip bomb", bomb, "registrations", 413},
		{"truncated workbook", filepath.Join(testdata, "truncated.xlsx"), "registrations", 422},
		{"not a spreadsheet", filepath.Join(testdata, "not_a_spreadsheet.png"), "registrations", 415},
		{"wrong kind", filepath.Join(testdata, "wrong_kind_subsidies.csv"), "registrations", 422},
		{"unknown kind", filepath.Join(testdata, "registrations_gbk.csv"), "payroll", 400},
	}
	for _, c := range cases {
		before := s.count(`SELECT count(*) FROM uploads`) + s.count(`SELECT count(*) FROM registrations`)
		code, res := s.upload(token, c.kind, "2024-03", c.path, filepath.Base(c.path))
		if code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, res, c.want)
		}
		msg, _ := res["message"].(string)
		if e, _ := res["error"].(string); e != "" {
			msg = e
		}
		if !regexp.MustCompile(`\p{Han}`).MatchString(msg) {
			t.Errorf("%s: no Chinese message in %v", c.name, res)
		}
		if after := s.count(`SELECT count(*) FROM uploads`) + s.count(`SELECT count(*) FROM registrations`); after != before {
			t.Errorf("%s: stored something", c.name)
		}
	}
	// A path in the file name is only a label.
	target := filepath.Join(dir, "evil.csv")
	name := "../../../../" + strings.TrimPrefix(target, "/")
	code, res := s.upload(token, "registrations", "2024-03", filepath.Join(testdata, "registrations_gbk.csv"), name)
	if code != 200 || res["file"] != "evil.csv" {
		t.Errorf("traversal name: %d %v", code, res)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the file name was used as a path")
	}
	var stored string
	s.db.QueryRow(`SELECT file_name FROM uploads ORDER BY upload_id DESC LIMIT 1`).Scan(&stored)
	if stored != "evil.csv" {
		t.Errorf("ledger file name %q", stored)
	}
	if left, _ := os.ReadDir(s.spool); len(left) != 0 {
		t.Errorf("spool not cleaned: %v", left)
	}
	// /healthz and /metrics answer; the metrics count what happened.
	if code, body := s.get("", "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	_, metrics := s.get("", "/metrics")
	for _, want := range []string{`flexemp_uploads_total{status="accepted"} 1`, `flexemp_uploads_total{status="refused"} 4`,
		`flexemp_http_request_duration_seconds_count{route="POST /api/v1/uploads",status="413"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Fourteen cities upload at once while an assessment runs: every upload is
// recorded exactly once, nobody gets an error, the database stays whole.
func TestConcurrentUploadsDuringAssess(t *testing.T) {
	s := newSite(t, server.Options{})
	for _, c := range flexemp.Cities {
		s.sendCity(c.Code, "registrations", "2024-01")
	}
	s.assessable(flexemp.Subsidies, flexemp.Trainings, flexemp.Services)
	before := s.count(`SELECT count(*) FROM uploads`)
	var wg sync.WaitGroup
	type outcome struct {
		who  string
		code int
		res  map[string]any
	}
	results := make(chan outcome, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, res := s.do(mustReq("POST", s.ts.URL+"/api/v1/assess/2024Q1", s.reviewer))
		results <- outcome{"assess", code, res}
	}()
	for _, c := range flexemp.Cities {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := s.files[c.Code]["subsidies 2024-02"]
			code, res := s.upload(s.city[c.Code], "subsidies", "2024-02", filepath.Join(s.data, f.Path), filepath.Base(f.Path))
			results <- outcome{c.Name, code, res}
		}()
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r.code != 200 {
			t.Errorf("%s: %d %v", r.who, r.code, r.res)
		}
	}
	if n := s.count(`SELECT count(*) FROM uploads`); n != before+14 {
		t.Errorf("%d uploads after 14 more, had %d", n, before)
	}
	if n := s.count(`SELECT count(*) FROM (SELECT city_code FROM uploads WHERE kind = 'subsidies' AND month = '2024-02-01' GROUP BY ALL HAVING count(*) = 1)`); n != 14 {
		t.Errorf("%d cities with exactly one subsidies upload", n)
	}
	// Every stored row belongs to a recorded upload, and each upload's rows are all there.
	if n := s.count(`SELECT count(*) FROM subsidies s LEFT JOIN uploads u USING (upload_id) WHERE u.upload_id IS NULL`); n != 0 {
		t.Errorf("%d orphan rows", n)
	}
	if n := s.count(`SELECT count(*) FROM uploads u WHERE kind = 'subsidies' AND accepted <> (SELECT count(*) FROM subsidies s WHERE s.upload_id = u.upload_id)`); n != 0 {
		t.Errorf("%d uploads whose rows do not match their count", n)
	}
	if n := s.count(`SELECT count(*) FROM city_results WHERE period = '2024Q1'`); n != 14 {
		t.Errorf("assessment stored %d cities", n)
	}
}

// The indicators' declaration is served to any token and to no one else:
// the same IDs, in the same order, with the declared titles and units.
func TestIndicatorsAPI(t *testing.T) {
	s := newSite(t, server.Options{})
	if code, _ := s.get("", "/api/v1/indicators"); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	code, body := s.get(s.city["210100"], "/api/v1/indicators")
	var got []struct {
		ID, Title, Unit string
		Sources         []string
	}
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil || len(got) != len(flexemp.Indicators) {
		t.Fatalf("%d %v %s", code, err, body)
	}
	for i, ind := range flexemp.Indicators {
		want := "share"
		if !ind.IsShare() {
			want = map[float64]string{1: "ratio"}[ind.Scale]
			if ind.Scale > 1 {
				want = "per_capita"
			}
		}
		if got[i].ID != ind.ID || got[i].Title != ind.Title || got[i].Unit != want || len(got[i].Sources) != len(ind.Sources) {
			t.Errorf("%d: %+v, want %s %s %s", i, got[i], ind.ID, ind.Title, want)
		}
	}
}

// A city token sees its own integrity findings and nothing of another city:
// the other city of a K1 pair is 外市, with none of its uploads or rows; a
// reviewer sees both cities and the pairs named. The rows page shows the
// named row with its masked ID, and refuses another city's upload.
func TestIntegrityAccess(t *testing.T) {
	s := newSite(t, server.Options{})
	dir := t.TempDir()
	shared := gen.ID("210102", time.Date(1990, 4, 1, 0, 0, 0, 0, time.UTC), 7, true)
	write := func(city, name string, ids ...string) string {
		var b strings.Builder
		b.WriteString("公民身份号码,行政区划代码,登记类型,就业形式,人员类别,申请日期,办结日期,办理渠道\n")
		for _, id := range ids {
			fmt.Fprintf(&b, "%s,%s,灵活就业登记,新就业形态,其他,2024-02-05,2024-02-05,线上\n", id, city)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(b.String()), 0o644)
		return path
	}
	own := gen.ID("210103", time.Date(1991, 5, 2, 0, 0, 0, 0, time.UTC), 8, false)
	if code, res := s.upload(s.city["210100"], "registrations", "2024-02", write("210100", "a.csv", own, shared), "a.csv"); code != 200 {
		t.Fatalf("%d %v", code, res)
	}
	code, res := s.upload(s.city["210200"], "registrations", "2024-02", write("210200", "b.csv", shared), "b.csv")
	if code != 200 {
		t.Fatalf("%d %v", code, res)
	}
	dalianUpload := int64(res["upload_id"].(float64))
	s.assess("2024Q1")
	code, body := s.get(s.city["210100"], "/api/v1/integrity/2024Q1")
	var got struct {
		Findings []struct {
			City, Check string
			Evidence    []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || len(got.Findings) != 1 {
		t.Fatalf("%d %v %s", code, err, body)
	}
	f := got.Findings[0]
	if f.City != "210100" || f.Check != "K1" || len(f.Evidence) != 1 || f.Evidence[0]["other_city"] != "外市" ||
		f.Evidence[0]["other_upload"] != nil || f.Evidence[0]["id_masked"] != flexemp.MaskID(shared) {
		t.Errorf("Shenyang's view: %+v", f)
	}
	for _, leak := range []string{"210200", "大连", shared, fmt.Sprintf(`"upload_id": %d`, dalianUpload)} {
		if strings.Contains(body, leak) {
			t.Errorf("Shenyang's view holds %q: %s", leak, body)
		}
	}
	code, body = s.get(s.reviewer, "/api/v1/integrity/2024Q1")
	if code != 200 || !strings.Contains(body, `"other_city": "210200"`) || !strings.Contains(body, `"other_city": "210100"`) || strings.Contains(body, shared) {
		t.Errorf("the reviewer's view: %d %s", code, body)
	}
	if code, _ := s.get(s.city["210100"], "/api/v1/integrity/2023Q1"); code != http.StatusNotFound {
		t.Errorf("a period never assessed: %d", code)
	}
	// The reviewer follows the finding to Dalian's row.
	b := s.login(s.reviewer)
	code, page := b.get("/integrity?period=2024Q1")
	link := fmt.Sprintf("/uploads/%d/rows?row=2#row-2", dalianUpload)
	if code != 200 || !strings.Contains(page, strings.ReplaceAll(link, "&", "&amp;")) && !strings.Contains(page, link) {
		t.Fatalf("integrity page %d: no link %s\n%s", code, link, page)
	}
	code, page = b.get(link)
	if code != 200 || !strings.Contains(page, `id="row-2" class="mark"`) || !strings.Contains(page, flexemp.MaskID(shared)) || strings.Contains(page, shared) {
		t.Errorf("rows page %d:\n%s", code, page)
	}
	city := s.login(s.city["210100"])
	if code, _ := city.get(link); code != http.StatusNotFound {
		t.Errorf("Shenyang opening Dalian's rows: %d, want 404 as for an unknown upload", code)
	}
	// Shenyang's home page shows its own finding, the other city as 外市.
	if code, home := city.get("/"); code != 200 || !strings.Contains(home, "K1 跨市重复登记") || !strings.Contains(home, "另在外市登记") || strings.Contains(home, "大连") {
		t.Errorf("Shenyang's home page %d:\n%s", code, home)
	}
}

// A client that stalls mid-upload is cut off by the read timeout instead of
// holding its connection: it gets its refusal or a closed connection.
func TestStalledUploadTimesOut(t *testing.T) {
	s := newSite(t, server.Options{ReadTimeout: 500 * time.Millisecond})
	hs := s.srv.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/uploads HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer %s\\r\\n"+
		"Content-Type: multipart/form-data; boundary=b\\r\\nContent-Length: 100000000\\r\\n\\r\\n--b\\r\\n", s.city["210100"])
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	// The server answers, or closes, without the rest of the body.
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server still holds a stalled upload after 20 s")
	}
	if err == nil && resp.StatusCode < 400 {
		t.Errorf("a stalled upload answered %s", resp.Status)
	}
	if n := s.count(`SELECT count(*) FROM uploads`); n != 0 {
		t.Errorf("%d uploads stored", n)
	}
}

// Uploads are spooled in a folder the server owns, mode 0700, beside the
// database; the raw files a killed process left there are removed when the
// next one starts, and it says how many.
func TestSpoolLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	os.MkdirAll(spool, 0o755)
	left := filepath.Join(spool, "flexemp-upload-123456")
	os.WriteFile(left, []byte("公民身份号码\n210104199005121231\n"), 0o644)
	db, err := transform.Open(context.Background(), filepath.Join(dir, "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var log bytes.Buffer
	_, err = server.New(store.New(db, nil, metrics.AssessOptions{}), server.Options{SpoolDir: spool, Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the leftover upload is still there: %v", err)
	}
	if st, _ := os.Stat(spool); st.Mode().Perm() != 0o700 {
		t.Errorf("spool folder mode %v", st.Mode().Perm())
	}
	if !strings.Contains(log.String(), "count=1") {
		t.Errorf("log: %s", log.String())
	}
}

// The review page says when its ranking is older than the data, and offers
// the ranking workbook and the report for download under Chinese names.
func TestReviewStaleAndDownloads(t *testing.T) {
	s := newSite(t, server.Options{})
	s.sendCity("210100", "registrations", "2024-01")
	s.assess("2024Q1")
	b := s.login(s.reviewer)
	if _, page := b.get("/review?period=2024Q1"); strings.Contains(page, `id="stale"`) {
		t.Error("a fresh ranking is said to be stale")
	}
	s.sendCity("210200", "registrations", "2024-01")
	if _, page := b.get("/review?period=2024Q1"); !strings.Contains(page, "数据已变更：此后又收到 1 个上传") {
		t.Errorf("a stale ranking is not said to be:\n%s", page)
	}
	for q, want := range map[string]string{
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"html": "text/html; charset=utf-8",
		"pdf":  "application/pdf",
	} {
		resp, err := b.client.Get(s.ts.URL + "/reports/2024Q1?download=" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if q == "pdf" && !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Errorf("the PDF download is not a PDF: %.40q", body)
		}
		cd := resp.Header.Get("Content-Disposition")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want || !strings.Contains(cd, "filename*=UTF-8''") || !strings.Contains(cd, url.PathEscape("2024Q1")) {
			t.Errorf("%s: %d %q %q", q, resp.StatusCode, resp.Header.Get("Content-Type"), cd)
		}
	}
	if code, _ := s.login(s.city["210100"]).get("/reports/2024Q1?download=xlsx"); code != http.StatusForbidden {
		t.Errorf("a city downloading the province's workbook: %d", code)
	}
}

// The uploads list filters by city, kind and month and says how many it
// found; a city sees only its own whatever it asks for. Templates download
// for each kind, in the version in force for the month asked.
func TestUploadsFilterAndTemplates(t *testing.T) {
	s := newSite(t, server.Options{})
	s.sendCity("210100", "registrations", "2024-01")
	s.sendCity("210100", "subsidies", "2024-01")
	s.sendCity("210200", "registrations", "2024-02")
	b := s.login(s.reviewer)
	for q, want := range map[string]string{
		"":                           "共 3 条",
		"?kind=registrations":        "共 2 条",
		"?city=沈阳":                   "共 2 条",
		"?city=210200&month=2024-02": "共 1 条",
		"?month=2024-03":             "共 0 条",
	} {
		if code, page := b.get("/uploads" + strings.ReplaceAll(q, "沈阳", url.QueryEscape("沈阳"))); code != 200 || !strings.Contains(page, want) {
			t.Errorf("%q: %d, want %s", q, code, want)
		}
	}
	if _, page := s.login(s.city["210200"]).get("/uploads?city=210100"); !strings.Contains(page, "共 1 条") {
		t.Error("a city filtered to another city's uploads sees them")
	}
	// A refused attempt is in the history and the API, with its reason.
	if code, _ := s.upload(s.city["210200"], "registrations", "2024-03", filepath.Join(testdata, "wrong_kind_subsidies.csv"), "wrong.csv"); code != 422 {
		t.Fatalf("wrong kind: %d", code)
	}
	if code, history := s.get(s.city["210200"], "/api/v1/uploads"); code != 200 || !strings.Contains(history, `"status": "refused"`) || !strings.Contains(history, "补贴发放") {
		t.Errorf("API history: %d %s", code, history)
	}
	// A refused attempt has no upload_id: absent, never 0.
	_, refusedOnly := s.get(s.city["210200"], "/api/v1/uploads?status=refused")
	var attempts []map[string]any
	if json.Unmarshal([]byte(refusedOnly), &attempts); len(attempts) == 0 {
		t.Fatalf("no refused attempt: %s", refusedOnly)
	}
	for _, a := range attempts {
		if _, has := a["upload_id"]; has {
			t.Errorf("a refused attempt with an upload_id: %v", a)
		}
	}
	if _, page := s.login(s.city["210200"]).get("/uploads"); !strings.Contains(page, "拒收") || !strings.Contains(page, "wrong.csv") {
		t.Error("the history page does not show the refused attempt")
	}
	// By status, and by a part of the file name in any case.
	for q, want := range map[string]string{
		"?status=refused":                 "共 1 条",
		"?status=accepted":                "共 3 条",
		"?status=current&kind=subsidies":  "共 1 条",
		"?q=WRONG":                        "共 1 条",
		"?q=WRONG&status=accepted":        "共 0 条",
		"?q=" + url.QueryEscape("不存在的文件"): "共 0 条",
	} {
		if code, page := b.get("/uploads" + q); code != 200 || !strings.Contains(page, want) {
			t.Errorf("%q: %d, want %s", q, code, want)
		}
	}
	if code, _ := b.get("/uploads?status=bogus"); code != http.StatusBadRequest {
		t.Errorf("an unknown status: %d", code)
	}
	// The API filters the same way.
	if code, js := s.get(s.reviewer, "/api/v1/uploads?status=refused&q=WRONG"); code != 200 || strings.Count(js, `"file"`) != 1 || !strings.Contains(js, "wrong.csv") {
		t.Errorf("API filter: %d %s", code, js)
	}
	if code, js := s.get(s.reviewer, "/api/v1/uploads?city="+url.QueryEscape("沈阳")+"&kind=subsidies"); code != 200 || strings.Count(js, `"file"`) != 1 {
		t.Errorf("API filter by city name and kind: %d %s", code, js)
	}
	if code, _ := s.get(s.reviewer, "/api/v1/uploads?month=2024-13"); code != http.StatusBadRequest {
		t.Errorf("API bad month: %d", code)
	}
	city := s.login(s.city["210100"])
	if _, home := city.get("/"); !strings.Contains(home, `href="/templates/services.xlsx?month=`) {
		t.Error("the city page offers no template download")
	}
	resp, err := city.client.Get(s.ts.URL + "/templates/services.xlsx?month=2025-03")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if rows, _ := x.GetRows("公共服务月报"); len(rows) == 0 || len(rows[0]) != 19 {
		t.Errorf("the 2025 services template has %v", rows)
	}
}

// A refused file can be fixed in one go: the result page says its list of
// bad rows is partial and offers them all as a workbook, which the history
// offers too; another city cannot fetch it.
func TestRefusedFileRejectsDownload(t *testing.T) {
	s := newSite(t, server.Options{})
	var csv strings.Builder
	csv.WriteString("公民身份号码,行政区划代码,登记类型,就业形式,人员类别,申请日期,办结日期,办理渠道\n")
	const bad = 45
	for i := range bad {
		fmt.Fprintf(&csv, "210102199005121230,210102,灵活就业登记,新就业形态,高校毕业生,2024-03-%02d,2024-02-01,线上\n", i%28+1)
	}
	path := filepath.Join(t.TempDir(), "登记-2024-03.csv")
	os.WriteFile(path, []byte(csv.String()), 0o644)
	b := s.login(s.city["210200"])
	code, page := b.postUpload(b.csrf(), "registrations", "2024-03", path)
	if code != 422 || !strings.Contains(page, "已拒收") {
		t.Fatalf("%d: the file was not refused:\n%s", code, page)
	}
	if !strings.Contains(page, "以下仅列出前 20 处问题（共 ") {
		t.Error("the page does not say its list is partial")
	}
	link := regexp.MustCompile(`href="(/refusals/\d+/rejects\.xlsx)" id="rejects"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no full rejects download on the refused result:\n%s", page)
	}
	resp, err := b.client.Get(s.ts.URL + link[1])
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %v %v", link[1], resp.StatusCode, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Disposition"), url.PathEscape("被拒行-大连市-就业失业登记-2024-03.xlsx")) {
		t.Errorf("named %q", resp.Header.Get("Content-Disposition"))
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("被拒行")
	if len(rows)-1 < bad || strings.Contains(string(body), "210102199005121230") {
		t.Errorf("%d rejects in the workbook, want at least %d, IDs masked", len(rows)-1, bad)
	}
	if code, _ := s.login(s.city["210100"]).get(link[1]); code != 404 {
		t.Errorf("another city fetched the refused file's rejects: %d, want 404", code)
	}
	api := strings.Replace(strings.TrimSuffix(link[1], ".xlsx"), "/refusals/", "/api/v1/refusals/", 1)
	if code, body := s.get(s.city["210100"], api); code != 404 || !strings.Contains(body, "的拒收记录") {
		t.Errorf("API: another city: %d %s", code, body)
	}
	if code, js := s.get(s.city["210200"], api); code != 200 || strings.Count(js, `"row"`) != len(rows)-1 {
		t.Errorf("API: %d, %d rejects", code, strings.Count(js, `"row"`))
	}
	if _, history := b.get("/uploads"); !strings.Contains(history, `href="`+link[1]+`"`) {
		t.Error("the history does not offer the refused file's rejects")
	}
}

// The city page has a period picker over the assessed periods; it shows
// the one asked for, and says so when that period was never assessed.
func TestCityPeriodPicker(t *testing.T) {
	s := newSite(t, server.Options{})
	s.sendCity("210100", "registrations", "2024-01")
	s.assessable(flexemp.Subsidies, flexemp.Trainings, flexemp.Services)
	for _, p := range []string{"2024Q1", "2024"} {
		if code, body := s.do(mustReq("POST", s.ts.URL+"/api/v1/assess/"+p, s.reviewer)); code != 200 {
			t.Fatalf("assess %s: %d %v", p, code, body)
		}
	}
	city := s.login(s.city["210100"])
	_, home := city.get("/")
	if !strings.Contains(home, `id="period-picker"`) || !strings.Contains(home, `<option value="2024Q1">`) || !strings.Contains(home, `<option value="2024" selected>`) {
		t.Errorf("home has no picker with 2024 chosen:\n%s", home)
	}
	if _, page := city.get("/?period=2024Q1"); !strings.Contains(page, `<option value="2024Q1" selected>`) || !strings.Contains(page, "2024年第1季度考核结果") {
		t.Errorf("?period=2024Q1 does not show the quarter")
	}
	if _, page := city.get("/?period=2023"); !strings.Contains(page, "2023 尚未考核") {
		t.Errorf("an unassessed period is not said to be")
	}
	if code, _ := city.get("/?period=2023Q7"); code != http.StatusUnprocessableEntity {
		t.Errorf("a malformed period: %d", code)
	}
}

// A page session is only as good as its token: once the token is revoked
// (here through the store, as `flexemp token revoke` and the admin socket
// do), the old cookie reads nothing and uploads nothing, though its 12
// hours are not over.
func TestRevokedTokenEndsSession(t *testing.T) {
	s := newSite(t, server.Options{})
	b := s.login(s.city["210100"])
	csrf := b.csrf()
	if code, home := b.get("/"); code != 200 || !strings.Contains(home, "沈阳") {
		t.Fatalf("before revoking: %d", code)
	}
	if n, err := s.st.RevokeTokens(context.Background(), "210100", "", time.Now()); err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if code, _ := b.get("/"); code != http.StatusSeeOther {
		t.Errorf("the revoked token's session still reads /: %d", code)
	}
	f := s.files["210100"]["registrations 2024-01"]
	if code, _ := b.postUpload(csrf, "registrations", "2024-01", filepath.Join(s.data, f.Path)); code != http.StatusUnauthorized {
		t.Errorf("the revoked token's session uploads: %d", code)
	}
	if n := s.count(`SELECT count(*) FROM uploads`); n != 0 {
		t.Errorf("%d uploads stored through a revoked token's session", n)
	}
	// The next login with a new token works as ever.
	tok, err := s.st.AddToken(context.Background(), "210100", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := s.login(tok).get("/"); code != 200 {
		t.Errorf("a new token's session: %d", code)
	}
}

// Every page carries a Content-Security-Policy that runs its own scripts
// only (a fresh nonce on each, no inline handler anywhere), sends forms and
// requests nowhere else and is framed by nothing else; a served report runs
// its inlined charts and can reach nothing.
func TestPagesCarryCSP(t *testing.T) {
	s := newSite(t, server.Options{})
	s.sendCity("210100", "registrations", "2024-01")
	s.assess("2024Q1")
	nonceOf := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`)
	handler := regexp.MustCompile(`\son[a-z]+="`)
	seen := map[string]bool{}
	for _, who := range []string{s.city["210100"], s.reviewer} {
		b := s.login(who)
		for _, p := range []string{"/", "/uploads", "/review?period=2024Q1", "/status", "/integrity?period=2024Q1", "/login"} {
			resp, err := b.client.Get(s.ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if resp.StatusCode == 403 || resp.StatusCode == 303 {
				continue // a city on a reviewer page; a reviewer sent on from the home page
			}
			m := nonceOf.FindStringSubmatch(csp)
			if m == nil || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "frame-ancestors 'self'") {
				t.Errorf("%s: %d CSP %q", p, resp.StatusCode, csp)
				continue
			}
			if seen[m[1]] {
				t.Errorf("%s: a nonce used twice", p)
			}
			seen[m[1]] = true
			if n, tagged := strings.Count(string(body), "<script"), strings.Count(string(body), `<script nonce="`+m[1]+`"`); n == 0 || n != tagged {
				t.Errorf("%s: %d scripts, %d with the page's nonce", p, n, tagged)
			}
			if h := handler.FindString(string(body)); h != "" {
				t.Errorf("%s: an inline handler %q the policy would block", p, h)
			}
		}
	}
	resp, err := s.login(s.reviewer).client.Get(s.ts.URL + "/reports/2024Q1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'none'") || !strings.Contains(csp, "form-action 'none'") {
		t.Errorf("report CSP %q", csp)
	}
}

// A city's uploads in flight may spool at most their share: while one of
// its uploads holds the share (a slow link, or a client that stalls on
// purpose), its next is refused with 429, another city's goes on, and the
// share comes back when the first ends.
func TestSpoolSharePerCity(t *testing.T) {
	s := newSite(t, server.Options{UploadLimitMiB: 4, SpoolMiBPerCity: 1})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.ts.URL+"/api/v1/uploads", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+s.city["210100"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	mw.WriteField("kind", "registrations")
	fw, _ := mw.CreateFormFile("file", "slow.csv")
	fw.Write(bytes.Repeat([]byte("x"), 900<<10)) // most of the share, then a stall
	time.Sleep(300 * time.Millisecond)
	send := func(city string) int {
		path := filepath.Join(t.TempDir(), "x.csv")
		os.WriteFile(path, bytes.Repeat([]byte("y"), 300<<10), 0o600)
		code, _ := s.upload(s.city[city], "registrations", "2024-01", path, "x.csv")
		return code
	}
	if code := send("210100"); code != http.StatusTooManyRequests {
		t.Errorf("the same city's next upload while its share is held: %d, want 429", code)
	}
	if code := send("210200"); code == http.StatusTooManyRequests {
		t.Errorf("another city's upload: %d", code)
	}
	mw.Close()
	pw.Close()
	<-done
	if code := send("210100"); code == http.StatusTooManyRequests {
		t.Errorf("after the first upload ended: %d", code)
	}
}

// The server takes at most max_connections at once: two idle connections
// hold both places, a third request waits, and goes through once one ends.
func TestConnectionsCapped(t *testing.T) {
	s := newSite(t, server.Options{MaxConnections: 2})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.srv.HTTPServer()
	go hs.Serve(s.srv.Limit(ln))
	t.Cleanup(func() { hs.Close() })
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond)
	client := &http.Client{Timeout: 700 * time.Millisecond}
	if resp, err := client.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a third connection was served while two held both places")
	}
	held[0].Close()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("once a place was free: %v", err)
	}
	resp.Body.Close()
	held[1].Close()
}

// The throttle counts and checks at once: forty bad logins sent together
// from one address get ten token checks at most, the rest 429.
func TestLoginThrottleRaced(t *testing.T) {
	s := newSite(t, server.Options{})
	type attempt struct {
		client *http.Client
		csrf   string
	}
	var attempts []attempt
	for range 40 {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(s.ts.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		attempts = append(attempts, attempt{c, csrfField.FindStringSubmatch(string(page))[1]})
	}
	var wg sync.WaitGroup
	var checked atomic.Int32
	start := make(chan struct{})
	for _, a := range attempts {
		wg.Go(func() {
			<-start
			resp, err := a.client.PostForm(s.ts.URL+"/login", url.Values{"token": {"fxe_wrong"}, "csrf": {a.csrf}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests {
				checked.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := checked.Load(); n > 10 {
		t.Errorf("%d of 40 simultaneous bad logins were checked, want at most 10", n)
	}
}

// Logins and uploads are in the audit trail with who made them, from where;
// ten failed logins from one address within ten minutes close logins from it
// for ten minutes (429, recorded), a good token included.
func TestLoginsAudited(t *testing.T) {
	s := newSite(t, server.Options{})
	s.login(s.city["210100"])
	s.sendCity("210200", "registrations", "2024-01")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := 0; i < 10; i++ {
		if resp := s.postLogin(client, "fxe_wrong"); resp.StatusCode != 401 {
			t.Fatalf("bad login %d: %d", i, resp.StatusCode)
		}
	}
	if resp := s.postLogin(client, s.city["210300"]); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the 11th login within ten minutes: %d, want 429", resp.StatusCode)
	}
	rs, total, err := store.FindAudit(context.Background(), s.db, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	tokens := 0
	for _, r := range rs {
		if r.Action == "token.add" { // the site's tokens, made first
			tokens++
			continue
		}
		got = append(got, r.Action+" "+r.Outcome+" "+r.Role+" "+r.City+" "+r.Remote)
		if strings.Contains(r.Actor+r.Object, "fxe_") {
			t.Errorf("a token in record %d", r.Seq)
		}
	}
	want := []string{"login ok city 210100 127.0.0.1", "upload ok city 210200 127.0.0.1"}
	for range 10 {
		want = append(want, "login refused anonymous  127.0.0.1") // who failed is not known, and not the operator
	}
	want = append(want, "login refused anonymous  127.0.0.1")
	if total != tokens+len(want) || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rs[len(rs)-1].Code != "too_many_requests" {
		t.Errorf("the closed login's record: %+v", rs[len(rs)-1])
	}
	if _, _, err := store.VerifyAudit(context.Background(), s.db, ""); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// The reviewer's audit page filters by action and actor, pages 50 at a
// time, and says whether the chain holds; a city may not open it.
func TestAuditPage(t *testing.T) {
	s := newSite(t, server.Options{})
	ctx := store.WithActor(context.Background(), &store.Actor{ID: "cli:tester", Role: "operator"})
	for i := range 60 {
		s.st.Audit(ctx, "probe", fmt.Sprintf("n%d", i), nil)
	}
	if code, _ := s.login(s.city["210100"]).get("/audit"); code != http.StatusForbidden {
		t.Errorf("a city opened the audit page: %d", code)
	}
	b := s.login(s.reviewer)
	code, page := b.get("/audit?action=probe")
	if code != 200 || strings.Count(page, "<td>probe</td>") != 50 || !strings.Contains(page, "共 60 条，第 1/2 页") ||
		!strings.Contains(page, "哈希链完整") || strings.Contains(page, "<td>token.add</td>") {
		t.Fatalf("audit page 1: %d\n%s", code, page)
	}
	if _, page := b.get("/audit?action=probe&page=2"); strings.Count(page, "<td>probe</td>") != 10 || !strings.Contains(page, "<td>n59</td>") {
		t.Errorf("audit page 2:\n%s", page)
	}
	if _, page := b.get("/audit?actor=cli:tester&action=token.add"); strings.Count(page, "<td>token.add</td>") != 0 || !strings.Contains(page, "共 0 条") {
		t.Errorf("filtered by another actor's action:\n%s", page)
	}
}

// Errors speak Chinese and their own kind: an unknown page is a Chinese
// 404 page, an unknown API path the JSON error object; a period that does
// not parse is a request error, not a refused file.
func TestErrorPages(t *testing.T) {
	s := newSite(t, server.Options{})
	b := s.login(s.reviewer)
	for _, path := range []string{"/review?period=2025-1", "/status?period=x"} {
		code, page := b.get(path)
		if code/100 != 4 || strings.Contains(page, "文件被拒收") || !strings.Contains(page, "考核期") {
			t.Errorf("%s: %d\n%s", path, code, page)
		}
	}
	code, page := b.get("/nothing/here")
	if code != http.StatusNotFound || !strings.Contains(page, "没有这个页面") || !strings.Contains(page, "<html") {
		t.Errorf("an unknown page: %d %s", code, page)
	}
	code, body := s.do(mustReq("GET", s.ts.URL+"/api/v1/nothing", s.reviewer))
	if code != http.StatusNotFound || body["code"] != "not_found" || !strings.Contains(fmt.Sprint(body["message"]), "没有这个接口") {
		t.Errorf("an unknown API path: %d %v", code, body)
	}
}

// The upload form's month traps: the month is empty unless chosen (a month
// in the file's name then counts), a month not yet begun is refused, and a
// version sent after the deadline is told it will not replace the one sent
// on time.
func TestUploadFormMonths(t *testing.T) {
	s := newSite(t, server.Options{})
	b := s.login(s.city["210100"])
	if _, home := b.get("/"); strings.Contains(home, `id="month" value=`) || !strings.Contains(home, `id="month" max="`) {
		t.Error("the month field is filled in, or takes any month")
	}
	// A month of 沈阳's registrations sent as a UTF-8 CSV.
	var f gen.File
	var month flexemp.Month
	for mo := 1; mo <= 12 && f.Path == ""; mo++ {
		month = flexemp.Month{Year: 2024, Month: time.Month(mo)}
		if g := s.files["210100"]["registrations "+month.String()]; g.Format == gen.FormatCSVUTF8 {
			f = g
		}
	}
	path := filepath.Join(s.data, f.Path)
	next := flexemp.MonthOf(time.Now().In(flexemp.Shanghai)).Next().String()
	if code, page := b.postUpload(b.csrf(), "registrations", next, path); code != http.StatusUnprocessableEntity || !strings.Contains(page, "尚未到来") {
		t.Errorf("a month not yet begun: %d", code)
	}
	at, _ := time.Parse(time.RFC3339, f.ReceivedAt)
	if _, err := s.g.Ingest(context.Background(), ingest.Request{Path: path, City: "210100", Kind: flexemp.Registrations,
		Month: month, ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
	if f.Format != gen.FormatCSVUTF8 {
		t.Fatalf("%s is no UTF-8 CSV: pick another month", f.Path)
	}
	raw, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimRight(string(raw), "\n"), "\n")
	late := filepath.Join(t.TempDir(), "late.csv")
	os.WriteFile(late, []byte(strings.Join(lines[:len(lines)-1], "")), 0o600)
	code, page := b.postUpload(b.csrf(), "registrations", month.String(), late)
	counts := fmt.Sprintf("以 %s 报送的第 1 版", at.In(flexemp.Shanghai).Format("2006-01-02 15:04"))
	if code != http.StatusOK || !strings.Contains(page, "已入库") || !strings.Contains(page, counts) || !strings.Contains(page, "本次上传不计入考核") {
		t.Errorf("a late version: %d\n%s", code, page)
	}
	// The API answers the same, in the result's notice.
	lines[1], lines[2] = lines[2], lines[1]
	os.WriteFile(late, []byte(strings.Join(lines, "")), 0o600)
	if code, res := s.upload(s.city["210100"], "registrations", month.String(), late, "late.csv"); code != http.StatusOK ||
		!strings.Contains(fmt.Sprint(res["notice"]), counts) {
		t.Errorf("a late version through the API: %d %v", code, res)
	}
}

// A city sees when its scorecard predates its own later uploads, and
// downloads its own scorecard as a workbook and a PDF: its figures, nobody
// else's, whatever city it asks for.
func TestCityScorecardDownloadsAndStaleness(t *testing.T) {
	s := newSite(t, server.Options{})
	for _, c := range flexemp.Cities {
		s.sendCity(c.Code, "registrations", "2024-01")
	}
	s.assess("2024Q1")
	b := s.login(s.city["210200"])
	if _, home := b.get("/?period=2024Q1"); strings.Contains(home, "scorecard-stale") || !strings.Contains(home, "scorecard-xlsx") {
		t.Error("a fresh scorecard said stale, or offers no download")
	}
	s.sendCity("210200", "registrations", "2024-02")
	if _, home := b.get("/?period=2024Q1"); !strings.Contains(home, "又上传了 1 个文件") {
		t.Error("no stale notice after the city's own upload")
	}
	if _, home := s.login(s.city["210300"]).get("/?period=2024Q1"); strings.Contains(home, "scorecard-stale") {
		t.Error("another city's upload made this city's scorecard stale")
	}
	code, body := b.get("/scorecard/2024Q1/scorecard.xlsx?city=210100")
	if code != 200 {
		t.Fatalf("scorecard.xlsx: %d", code)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("记分卡")
	var all strings.Builder
	for _, r := range rows {
		all.WriteString(strings.Join(r, " ") + "\n")
	}
	if !strings.Contains(all.String(), "大连市灵活就业政策落实考核记分卡") || !strings.Contains(all.String(), "I1") || othersIn(all.String(), "210200") != "" {
		t.Errorf("the workbook:\n%s", all.String())
	}
	if code, body := b.get("/scorecard/2024Q1/scorecard.pdf"); code != 200 || !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("scorecard.pdf: %d", code)
	}
}

// The user guide is served in Chinese, before logging in too, and covers
// what a clerk and a reviewer do.
func TestHelpPage(t *testing.T) {
	s := newSite(t, server.Options{})
	code, page := s.get("", "/help")
	for _, want := range []string{"使用说明", "报送数据", "已拒收", "记分卡", "提出异议", "发布公示", "定稿", "审计日志", "备份与密钥"} {
		if !strings.Contains(page, want) {
			t.Errorf("the guide lacks %s", want)
		}
	}
	if code != 200 {
		t.Errorf("/help: %d", code)
	}
	if _, login := s.get("", "/login"); !strings.Contains(login, `href="/help"`) {
		t.Error("the login page does not point to the guide")
	}
}

// Words a person reads: the review page's title keeps the period apart from
// 排名; the empty-file refusal names the checkbox, not the API's flags; the
// uploads list keeps its number column on one line.
func TestPageWords(t *testing.T) {
	s := newSite(t, server.Options{})
	s.sendCity("210100", "registrations", "2024-01")
	s.assess("2024Q1")
	if _, page := s.login(s.reviewer).get("/review?period=2024Q1"); !strings.Contains(page, "<h1>排名（2024年第1季度）</h1>") {
		t.Error("the review page's title")
	}
	b := s.login(s.city["210100"])
	header := filepath.Join(t.TempDir(), "empty.csv")
	var cols []string
	for _, c := range flexemp.ContractOf(flexemp.Registrations).Columns {
		cols = append(cols, c.Header)
	}
	os.WriteFile(header, []byte(strings.Join(cols, ",")+"\n"), 0o600)
	code, page := b.postUpload(b.csrf(), "registrations", "2024-01", header)
	if code != http.StatusConflict || !strings.Contains(page, "确认以空文件替换") || strings.Contains(page, "confirm_empty") || strings.Contains(page, "--replace") {
		t.Errorf("the empty-file refusal: %d\n%s", code, page)
	}
	if _, page := b.get("/uploads"); !strings.Contains(page, "#uploads td:first-child") {
		t.Error("the uploads list's columns wrap")
	}
}
