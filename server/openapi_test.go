package server_test

import (
	"context"
	"encoding/json"
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
