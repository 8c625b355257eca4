// Package apiclient is a Go client of flexemp's API, generated from its
// OpenAPI document (GET /api/v1/openapi.json) by oapi-codegen: a city's
// system pushes its monthly extracts and reads its ledger, the province's
// systems read rankings and integrity findings. Regenerate with go
// generate after the API changes; a test fails while this copy is stale.
package apiclient

//go:generate sh -c "go run ../internal/tools/openapi > openapi.json"
//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.json
