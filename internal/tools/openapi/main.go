// Command openapi prints the API's OpenAPI document as GET
// /api/v1/openapi.json serves it, for go generate in apiclient.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/liaoning-hrss/flexemp/server"
)

func main() {
	doc, err := server.OpenAPI()
	if err == nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}
