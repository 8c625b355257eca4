package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/liaoning-hrss/flexemp/server"
)

// GET /api/v1/openapi.json answers without a token, and the document
// validates as OpenAPI 3.
func TestOpenAPIDocumentValidates(t *testing.T) {
	s := newSite(t, server.Options{})
	code, body := s.get("", "/api/v1/openapi.json")
	if code != 200 {
		t.Fatalf("openapi.json: %d %s", code, body)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal([]byte(body), &raw)
	if n := len(raw["paths"].(map[string]any)); n < 15 {
		t.Errorf("%d paths", n)
	}
}

// /api/docs shows every route of the document to a person, in Chinese,
// without a token.
func TestAPIDocsPage(t *testing.T) {
	s := newSite(t, server.Options{})
	code, page := s.get("", "/api/docs")
	if code != 200 {
		t.Fatalf("/api/docs: %d", code)
	}
	doc, err := server.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !strings.Contains(page, "<code>"+method+" "+path+"</code>") {
				t.Errorf("/api/docs lacks %s %s", method, path)
			}
		}
	}
	for _, want := range []string{"文件被拒收", "multipart/form-data", "缺少访问令牌", "/api/v1/openapi.json"} {
		if !strings.Contains(page, want) {
			t.Errorf("/api/docs lacks %q", want)
		}
	}
	if strings.Contains(page, "Bad Request") || strings.Contains(page, "Unprocessable") {
		t.Error("/api/docs has English status texts")
	}
}
