package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/liaoning-hrss/flexemp/server"
)

var (
	routerOnce sync.Once
	apiRouter  routers.Router
	routerErr  error
)

func init() {
	// The files the API receives and sends, validated as the binary strings
	// the document declares.
	for _, t := range []string{"application/pdf", "image/png", "image/jpeg", "text/csv; charset=utf-8",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip", "application/x-parquet"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
	}
	// SPEC's conventions: a business date is YYYY-MM-DD; an instant is
	// RFC 3339 with +08:00, never a date dressed as UTC midnight.
	openapi3.DefineStringFormatValidator("date", openapi3.NewRegexpFormatValidator(`^\d{4}-\d{2}-\d{2}$`))
	openapi3.DefineStringFormatValidator("date-time", openapi3.NewRegexpFormatValidator(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$`))
}

// contract validates every /api/v1 request and answer that passes through h
// against the OpenAPI document the server serves: an answer with a status
// or a field the document lacks fails the test, and so does a request the
// document does not allow that the server did not refuse (4xx). It sits in
// front of the test server, so every client a test uses — the API helpers,
// cookie sessions, the browser, the generated client — goes through it.
func contract(t testing.TB, h http.Handler) http.Handler {
	routerOnce.Do(func() {
		doc, err := server.OpenAPI()
		if err != nil {
			routerErr = err
			return
		}
		apiRouter, routerErr = legacy.NewRouter(doc)
	})
	if routerErr != nil {
		t.Fatal(routerErr)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			h.ServeHTTP(w, r)
			return
		}
		// The body is kept as the handler reads it (an upload streams), and
		// what it left unread after.
		var body bytes.Buffer
		orig := r.Body
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(orig, &body), orig}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		io.Copy(&body, orig)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		if err := checkContract(r, body.Bytes(), rec); err != nil {
			t.Errorf("API contract: %s %s → %d: %v", r.Method, r.URL.RequestURI(), rec.Code, err)
		}
	})
}

func checkContract(r *http.Request, body []byte, rec *httptest.ResponseRecorder) error {
	ctx := context.Background()
	vr := r.Clone(ctx)
	vr.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := apiRouter.FindRoute(vr)
	if err != nil {
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			return nil // not a route, and answered so
		}
		return fmt.Errorf("not in the document: %w", err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil && (rec.Code < 400 || rec.Code >= 500) {
		return fmt.Errorf("a request the document does not allow was answered %d: %w", rec.Code, reqErr)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("the answer is not what the document says: %w (%.300s)", err, rec.Body.String())
	}
	return nil
}

// recorder is a testing.TB that keeps what would fail a test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

// The contract check fails a test when a handler answers what the document
// lacks: shown with test-only routes that answer an undocumented field, an
// undocumented status and an undocumented path, beside one that answers as
// documented.
func TestContractCatchesWhatIsNotDocumented(t *testing.T) {
	mux := http.NewServeMux()
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	indicator := `{"id":"I1","dimension":"规模","title":"t","measures":[1],"unit":"per_capita","scale":10000,"sources":["registrations"],"weight":1`
	mux.Handle("GET /api/v1/indicators", answer(200, "["+indicator+"}]"))
	mux.Handle("GET /api/v1/uploads", answer(200, `[{"id":1,"surprise":true}]`))
	mux.Handle("GET /api/v1/rankings/{period}", answer(http.StatusTeapot, `{"code":"teapot","message":"我是茶壶"}`))
	mux.Handle("GET /api/v1/secret", answer(200, `{}`))
	rec := &recorder{TB: t}
	ts := httptest.NewServer(contract(rec, mux))
	defer ts.Close()
	for _, path := range []string{"/api/v1/indicators", "/api/v1/uploads", "/api/v1/rankings/2025", "/api/v1/secret"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := strings.Join(rec.failed, "\n")
	for _, want := range []string{"GET /api/v1/uploads → 200", "surprise", "GET /api/v1/rankings/2025 → 418", "GET /api/v1/secret → 200: not in the document"} {
		if !strings.Contains(got, want) {
			t.Errorf("the contract check did not report %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/api/v1/indicators") {
		t.Errorf("a documented answer was reported:\n%s", got)
	}
}

// Every GET route that answers a list answers [] when there is nothing,
// never null, for a reviewer and for a city; what every GET route answers
// on an empty database is what the document says (the contract check: no
// null where a list is, dates and instants in their formats).
func TestEmptyListsAreArrays(t *testing.T) {
	s := newSite(t, server.Options{})
	doc, err := server.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{period}", "2024Q1", "{year}", "2024", "{code}", "210100", "{id}", "1", "{n}", "1", "{state}", "published", "{name}", "rank.json")
	lists := 0
	for path, item := range doc.Paths.Map() {
		op := item.Get
		if op == nil || path == "/api/v1/openapi.json" {
			continue
		}
		ok := op.Responses.Status(200)
		list := ok != nil && ok.Value.Content["application/json"] != nil && ok.Value.Content["application/json"].Schema.Value.Type.Is("array")
		url := fill.Replace(path)
		if list {
			lists++
		}
		for _, token := range []string{s.reviewer, s.city["210100"]} {
			code, body := s.get(token, url+"?period=2024Q1")
			if list && code == 200 && strings.TrimSpace(body) != "[]" && path != "/api/v1/indicators" { // the catalogue is never empty
				t.Errorf("GET %s on an empty database: %.80s, want []", url, body)
			}
		}
	}
	if lists < 5 {
		t.Errorf("only %d list-valued routes found", lists)
	}
}
