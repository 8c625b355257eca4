package apiclient_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/liaoning-hrss/flexemp/server"
)

// The checked-in document is the one the server serves, and the
// checked-in client is what oapi-codegen makes of it: run go generate in
// apiclient after the API changes.
func TestClientIsCurrent(t *testing.T) {
	doc, err := server.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile("openapi.json"); !bytes.Equal(got, want.Bytes()) {
		t.Fatal("apiclient/openapi.json is not the document the server serves: run go generate ./apiclient")
	}
	// The checked-in configuration, writing elsewhere.
	dir := t.TempDir()
	out, config := filepath.Join(dir, "client.gen.go"), filepath.Join(dir, "oapi-codegen.yaml")
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, bytes.Replace(cfg, []byte("output: client.gen.go"), []byte("output: "+out), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", config, "openapi.json")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	got, _ := os.ReadFile(out)
	if checked, _ := os.ReadFile("client.gen.go"); !bytes.Equal(got, checked) {
		t.Fatal("apiclient/client.gen.go is not what oapi-codegen makes of openapi.json: run go generate ./apiclient")
	}
}
