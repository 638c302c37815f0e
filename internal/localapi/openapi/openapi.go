// Package openapi holds the local API's description: an OpenAPI 3.1
// document for every route (openapi.json, served at GET /v1/openapi.json)
// and JSON Schemas (2020-12) of the Aura order, payment and menu
// documents (order.schema.json, payment.schema.json, menu.schema.json).
//
// The files are generated from the Go types the handlers encode and
// decode, plus the route list in spec_test.go (openapi.json.gz, the
// document gzipped, is what the binary embeds: 9 KB instead of 127 KB):
//
//	go test ./internal/localapi/openapi -update
//
// and the tests fail when the committed files differ from what the code
// would generate, so the description cannot drift from the code. API tests
// validate every request and response they make against the document
// (package openapitest).
package openapi

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"net/http"
	"sync"
)

//go:embed openapi.json.gz order.schema.json payment.schema.json menu.schema.json
var files embed.FS

// document is openapi.json, unpacked from openapi.json.gz on first use.
var document = sync.OnceValue(func() []byte {
	gz, err := files.ReadFile("openapi.json.gz")
	if err != nil {
		panic("openapi: " + err.Error()) // embedded: cannot happen
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		panic("openapi: embedded openapi.json.gz: " + err.Error()) // TestGenerated unpacks it
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("openapi: embedded openapi.json.gz: " + err.Error())
	}
	return b
})

// Document returns the OpenAPI document. Callers must not modify it.
func Document() []byte { return document() }

// Schema returns a JSON Schema file by name ("order.schema.json").
func Schema(name string) ([]byte, error) { return files.ReadFile(name) }

// Handler serves the document.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(Document())
	})
}
